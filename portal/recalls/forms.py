"""Recall forms: the campaign editor, remedy recording, the owner's acknowledgement, the public lookup."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FileField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
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
    remedy_unit = SelectField("Unit of remedy", default="assembly", choices=[
        SelectChoice("assembly", "The assembly holding an affected part (e.g. the bike around a pack)"),
        SelectChoice("part", "The affected part itself (its owner is reached through the assembly holding it)")])
    # The GPSR notice, Regulation (EU) 2023/988 Art. 36(2) (b)-(g); (a), the heading, is the portal's.
    product_description = TextAreaField("Product description", validators=[Optional(), Length(max=2000)])
    product_image = FileField("Product picture (JPEG, PNG or WebP)")
    identifier_location = TextAreaField("Where the batch or serial number is on the product",
                                        validators=[Optional(), Length(max=1000)])
    identifier_image = FileField("Picture of where to find the identifiers")
    sold_from = DateField("Sold from", validators=[Optional()])
    sold_to = DateField("Sold until", validators=[Optional()])
    sold_where = TextAreaField("Where it was sold (shops, web sites)", validators=[Optional(), Length(max=1000)])
    sold_by = TextAreaField("Sold by", validators=[Optional(), Length(max=1000)])
    countries = StringField("Countries where it was sold (codes: FR, DE, BE)", validators=[Optional(), Length(max=200)])
    stop_using = BooleanField("Tell owners to stop using the product immediately", default=True)
    remedies = SelectMultipleField("Remedies offered free of charge (at least two)", validators=[Optional()],
                                   choices=[SelectChoice("repair", "Repair"), SelectChoice("replace", "Replacement"),
                                            SelectChoice("refund", "Refund (at least the price paid)")])
    contact_phone = StringField("Free phone number", validators=[Optional(), Length(max=40)])
    contact_url = StringField("Interactive online service (URL)", validators=[Optional(), Length(max=300)])
    share_request = TextAreaField("Request to share the notice", validators=[Optional(), Length(max=500)])
    # Regulators' facts.
    determined_on = DateField("Defect determined on (deadlines count from it)", validators=[Optional()])
    units_sold = IntegerField("Units sold (estimate)", validators=[Optional()])
    incidents = TextAreaField("Incidents and injuries reported", validators=[Optional(), Length(max=4000)])
    chronology = TextAreaField("Chronology of events", validators=[Optional(), Length(max=4000)])


class RemedyForm(FlaskForm):
    serial = StringField("Serial", validators=[DataRequired(), Length(max=40)])
    outcome = SelectField("Outcome", choices=[SelectChoice("remedied", "Remedied")] + [SelectChoice(r, f"Removed: {r}")
                                                                   for r in REMOVAL_REASONS])
    kind = SelectField("Remedy done", validators=[Optional()], choices=[
        SelectChoice("", "The owner's choice"), SelectChoice("repair", "Repair"),
        SelectChoice("replace", "Replacement"), SelectChoice("refund", "Refund")])
    place = StringField("Where", validators=[Optional(), Length(max=200)])
    note = StringField("What was done", validators=[Optional(), Length(max=500)])


class AcknowledgeForm(FlaskForm):
    choice = SelectField(_l("Your remedy"), validators=[Optional()])
    option = SelectField(_l("Remedy option"), validators=[Optional()])
    preferred_date = DateField(_l("Preferred date (optional)"), validators=[Optional()])


class SafetyRegistrationForm(FlaskForm):
    gtin = StringField("GTIN", validators=[DataRequired(), Length(max=40)])
    serial = StringField(_l("Serial number"), validators=[DataRequired(), Length(max=40)])
    email = StringField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])


class CloseForm(FlaskForm):
    confirm_rate = HiddenField(validators=[DataRequired()])
    confirm = BooleanField("I have read the completion rate and what closing withdraws", validators=[DataRequired()])
    reason = TextAreaField("Why close now", validators=[Optional(), Length(max=500)])


class ReopenForm(FlaskForm):
    confirm = BooleanField("Reopen this campaign", validators=[DataRequired()])
    reason = TextAreaField("Why reopen", validators=[DataRequired(), Length(max=500)])


class ScheduleForm(FlaskForm):
    serial = StringField("Serial", validators=[DataRequired(), Length(max=40)])
    on = DateField("Booked for", validators=[DataRequired()])
