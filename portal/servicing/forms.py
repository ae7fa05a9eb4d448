"""The console's form for recording a service."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.servicing.models import KIND_LABELS


class ServiceForm(FlaskForm):
    gtin = StringField("GTIN", validators=[DataRequired(), Length(max=40)],
                       description=_l("8 to 14 digits, after (01) on the label."))
    serial = StringField(_l("Serial number"), validators=[DataRequired(), Length(max=40)],
                         description=_l("After (21) on the label."))
    performed_on = DateField(_l("Date of the service"), validators=[DataRequired()])
    kind = SelectField(_l("What was done"), choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()],
                       validators=[DataRequired()])
    part_serial = StringField(_l("Serial of the part fitted"), validators=[Optional(), Length(max=40)],
                              description=_l("Only for a part replaced."))
    centre = StringField(_l("Service centre"), validators=[DataRequired(), Length(max=120)],
                         description=_l("Shown to the owner and, if they choose, to a buyer."))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)],
                          description=_l("Shown to the owner only. No customer names or addresses."))
    document = FileField(_l("Document (PDF or photo)"),
                         description=_l("The service report or invoice, up to the upload limit."))
