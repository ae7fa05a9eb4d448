"""The owner's proof form and the buyer's receipt form."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.resale.models import MAX_DAYS, MIN_DAYS


class ProofForm(FlaskForm):
    days = IntegerField(_l("Valid for (days)"), default=30,
                        validators=[InputRequired(), NumberRange(min=MIN_DAYS, max=MAX_DAYS)],
                        description=_l("From 1 to 90 days. You can revoke it at any time."))
    serial_shown = RadioField(_l("Serial number in the proof"), default="masked",
                              choices=[("masked", _l("Masked: only its last characters")),
                                       ("full", _l("In full"))])
    include_service = BooleanField(_l("Include the service history"))


class ReceiptForm(FlaskForm):
    code = StringField(_l("Transfer code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("The code the seller gave you with the item, like ABCD-EFGH-JKLM."))
