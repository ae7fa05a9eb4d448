"""Owner forms."""
from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from portal.core.countries import codes, name_key


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country as (code, its name in the reader's language), by name."""
    names = Locale.parse(str(get_locale() or "en")).territories
    return sorted(((code, names.get(code, code)) for code in codes()), key=lambda c: name_key(c[1]))


class RegisterForm(FlaskForm):
    gtin = StringField("GTIN", validators=[DataRequired(), Length(max=40)],
                       description=_l("8 to 14 digits, after (01) on the label."))
    serial = StringField(_l("Serial number"), validators=[DataRequired(), Length(max=40)],
                         description=_l("After (21) on the label."))
    purchased_on = DateField(_l("Purchase date"), validators=[Optional()])
    retailer = StringField(_l("Where you bought it"), validators=[Optional(), Length(max=160)])
    country = SelectField(_l("Country where you bought it (optional)"), validators=[Optional()],
                          validate_choice=False)  # the service checks the code (core.countries)
    proof = FileField(_l("Proof of purchase"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [("", _l("Not given"))] + country_choices()


class AcceptTransferForm(FlaskForm):
    code = StringField(_l("Transfer code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("The seller's code, like ABCD-EFGH-JKLM."))
    purchased_on = DateField(_l("Purchase date"), validators=[Optional()])


class StolenForm(FlaskForm):
    place = StringField(_l("Where it happened (optional)"), validators=[Optional(), Length(max=200)])
    note = TextAreaField(_l("What happened (optional)"), validators=[Optional(), Length(max=500)])


class DisputeForm(FlaskForm):
    gtin = StringField("GTIN", validators=[DataRequired(), Length(max=40)])
    serial = StringField(_l("Serial number"), validators=[DataRequired(), Length(max=40)])
    message = TextAreaField(_l("Why is this unit yours?"), validators=[DataRequired(), Length(max=4000)],
                            description=_l("Where and when you bought it, and any proof you can send."))
