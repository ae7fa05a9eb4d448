"""The account deletion form: the password again and an explicit confirmation (CSRF like every form)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password"), validators=[DataRequired(), Length(max=200)])
    confirm = BooleanField(_l("I understand that my account, my receipts and my photos are deleted for good."),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])
