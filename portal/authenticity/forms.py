"""Public and console forms of the authenticity area."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ReportForm(FlaskForm):
    gtin = StringField(_l("GTIN (optional)"), validators=[Optional(), Length(max=40)])
    serial = StringField(_l("Serial number (optional)"), validators=[Optional(), Length(max=40)])
    code = StringField(_l("What the code says (optional)"), validators=[Optional(), Length(max=500)])
    message = TextAreaField(_l("What makes you suspicious?"), validators=[DataRequired(), Length(max=4000)])
    where_seen = StringField(_l("Where did you see it? (shop, website, city)"), validators=[Optional(), Length(max=200)])
    photo = FileField(_l("A photo (optional)"), description=_l("JPEG, PNG or WebP; location data is removed."))
    contact = EmailField(_l("Your e-mail, if the manufacturer may reply (optional)"), validators=[Optional(), Length(max=254)])


class RevokeForm(FlaskForm):
    kid = StringField(_l("Key id"), validators=[DataRequired(), Length(max=16)])
    reason = StringField(_l("Reason (shown to people who scan its labels)"), validators=[DataRequired(), Length(max=300)])


class LabelSheetForm(FlaskForm):
    model_id = SelectField(_l("Product model"), coerce=int)
    lot = StringField(_l("Lot (optional)"), validators=[Optional(), Length(max=20)])
    serial_from = StringField(_l("Serials from (optional)"), validators=[Optional(), Length(max=20)])
    serial_to = StringField(_l("to (optional)"), validators=[Optional(), Length(max=20)])
