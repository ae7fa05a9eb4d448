"""Recall forms: the campaign editor, remedy recording, the owner's acknowledgement, the public lookup."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from portal.recalls.models import REMOVAL_REASONS


class CampaignForm(FlaskForm):
    number = StringField("Campaign number", validators=[DataRequired(), Length(max=30)], description="e.g. R-2026-004")
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    hazard = TextAreaField("Hazard", validators=[DataRequired(), Length(max=4000)])
    consequence = TextAreaField("What can happen", validators=[Optional(), Length(max=4000)])
    severity = SelectField("Severity", choices=[SelectChoice("class I", "Class I: serious injury or death possible"),
                                                SelectChoice("class II", "Class II: temporary or reversible harm"),
                                                SelectChoice("class III", "Class III: unlikely to cause harm")])
    remedy_type = SelectField("Remedy", choices=[SelectChoice(v, v.capitalize()) for v in ("repair", "replace", "refund")])
    remedy_instructions = TextAreaField("What owners should do", validators=[Optional(), Length(max=4000)])
    remedy_options = TextAreaField("Remedy options (one per line)", validators=[Optional(), Length(max=2000)],
                                   description="Offered to owners when they acknowledge, e.g. a dealer or pick-up.")
    contact = StringField("Contact line", validators=[Optional(), Length(max=300)])
    model_ids = SelectMultipleField("Product models", coerce=int, validators=[Optional()])
    lots = StringField("Lots (comma-separated)", validators=[Optional(), Length(max=2000)])
    serial_ranges = TextAreaField("Serial ranges (one per line: FIRST..LAST)", validators=[Optional(), Length(max=4000)])
    made_from = DateField("Made from", validators=[Optional()])
    made_to = DateField("Made until", validators=[Optional()])
    include_assemblies = BooleanField("Also every unit that contains an affected unit (however deep)", default=True)


class RemedyForm(FlaskForm):
    serial = StringField("Serial", validators=[DataRequired(), Length(max=20)])
    outcome = SelectField("Outcome", choices=[SelectChoice("remedied", "Remedied")] + [SelectChoice(r, f"Removed: {r}")
                                                                   for r in REMOVAL_REASONS])
    place = StringField("Where", validators=[Optional(), Length(max=200)])
    note = StringField("What was done", validators=[Optional(), Length(max=500)])


class AcknowledgeForm(FlaskForm):
    option = SelectField(_l("Remedy option"), validators=[Optional()])
    preferred_date = DateField(_l("Preferred date (optional)"), validators=[Optional()])
