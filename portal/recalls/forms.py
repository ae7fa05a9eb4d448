"""Recall forms: the campaign editor, remedy recording, the owner's acknowledgement, the public lookup."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
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

#: How the remedy desk names each way a unit leaves the population (recalls.models.REMOVAL_REASONS).
REMOVED = {"exported": _l("Removed: exported"), "scrapped": _l("Removed: scrapped"), "stolen": _l("Removed: stolen"),
           "unreachable": _l("Removed: unreachable")}


class CampaignForm(FlaskForm):
    number = StringField(_l("Campaign number"), validators=[DataRequired(), Length(max=30)], description=_l("e.g. R-2026-004"))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    # "Hazard" alone is the insights hazard rate in German; this one is the notice's (msgctxt "recall notice").
    hazard = TextAreaField(_lp("recall notice", "Hazard"), validators=[DataRequired(), Length(max=4000)])
    consequence = TextAreaField(_l("What can happen"), validators=[Optional(), Length(max=4000)])
    severity = SelectField(_l("Severity"), choices=[SelectChoice("class I", _l("Class I: serious injury or death possible")),
                                                SelectChoice("class II", _l("Class II: temporary or reversible harm")),
                                                SelectChoice("class III", _l("Class III: unlikely to cause harm"))])
    remedy_type = SelectField(_l("Remedy"), choices=[SelectChoice("repair", _l("Repair")), SelectChoice("replace", _l("Replacement")),
                                                 SelectChoice("refund", _l("Refund"))])
    remedy_instructions = TextAreaField(_l("What owners should do"), validators=[Optional(), Length(max=4000)])
    remedy_options = TextAreaField(_l("Remedy options (one per line)"), validators=[Optional(), Length(max=2000)],
                                   description=_l("Offered to owners when they acknowledge, e.g. a dealer or pick-up."))
    contact = StringField(_l("Contact line"), validators=[Optional(), Length(max=300)])
    model_ids = SelectMultipleField(_l("Product models"), coerce=int, validators=[Optional()])
    lots = StringField(_l("Lots (comma-separated)"), validators=[Optional(), Length(max=2000)])
    serial_ranges = TextAreaField(_l("Serial ranges (one per line: FIRST..LAST)"), validators=[Optional(), Length(max=4000)])
    made_from = DateField(_l("Made from"), validators=[Optional()])
    made_to = DateField(_l("Made until"), validators=[Optional()])
    remedy_unit = SelectField(_l("Unit of remedy"), default="assembly", choices=[
        SelectChoice("assembly", _l("The assembly holding an affected part (e.g. the bike around a pack)")),
        SelectChoice("part", _l("The affected part itself (its owner is reached through the assembly holding it)"))])
    # The GPSR notice, Regulation (EU) 2023/988 Art. 36(2) (b)-(g); (a), the heading, is the portal's.
    product_description = TextAreaField(_l("Product description"), validators=[Optional(), Length(max=2000)])
    product_image = FileField(_l("Product picture (JPEG, PNG or WebP)"))
    identifier_location = TextAreaField(_l("Where the batch or serial number is on the product"),
                                        validators=[Optional(), Length(max=1000)])
    identifier_image = FileField(_l("Picture of where to find the identifiers"))
    sold_from = DateField(_l("Sold from"), validators=[Optional()])
    sold_to = DateField(_l("Sold until"), validators=[Optional()])
    sold_where = TextAreaField(_l("Where it was sold (shops, web sites)"), validators=[Optional(), Length(max=1000)])
    sold_by = TextAreaField(_l("Sold by"), validators=[Optional(), Length(max=1000)])
    countries = StringField(_l("Countries where it was sold (codes: FR, DE, BE)"), validators=[Optional(), Length(max=200)])
    stop_using = BooleanField(_l("Tell owners to stop using the product immediately"), default=True)
    remedies = SelectMultipleField(_l("Remedies offered free of charge (at least two)"), validators=[Optional()],
                                   choices=[SelectChoice("repair", _l("Repair")), SelectChoice("replace", _l("Replacement")),
                                            SelectChoice("refund", _l("Refund (at least the price paid)"))])
    contact_phone = StringField(_l("Free phone number"), validators=[Optional(), Length(max=40)])
    contact_url = StringField(_l("Interactive online service (URL)"), validators=[Optional(), Length(max=300)])
    share_request = TextAreaField(_l("Request to share the notice"), validators=[Optional(), Length(max=500)])
    # Regulators' facts.
    determined_on = DateField(_l("Defect determined on (deadlines count from it)"), validators=[Optional()])
    units_sold = IntegerField(_l("Units sold (estimate)"), validators=[Optional()])
    incidents = TextAreaField(_l("Incidents and injuries reported"), validators=[Optional(), Length(max=4000)])
    chronology = TextAreaField(_l("Chronology of events"), validators=[Optional(), Length(max=4000)])


class RemedyForm(FlaskForm):
    serial = StringField(_l("Serial"), validators=[DataRequired(), Length(max=40)])
    outcome = SelectField(_l("Outcome"), choices=[SelectChoice("remedied", _l("Remedied"))] + [SelectChoice(r, REMOVED[r])
                                                                                      for r in REMOVAL_REASONS])
    kind = SelectField(_l("Remedy done"), validators=[Optional()], choices=[
        SelectChoice("", _l("The owner's choice")), SelectChoice("repair", _l("Repair")),
        SelectChoice("replace", _l("Replacement")), SelectChoice("refund", _l("Refund"))])
    place = StringField(_l("Where"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("What was done"), validators=[Optional(), Length(max=500)])


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
    confirm = BooleanField(_l("I have read the completion rate and what closing withdraws"), validators=[DataRequired()])
    reason = TextAreaField(_l("Why close now"), validators=[Optional(), Length(max=500)])


class ReopenForm(FlaskForm):
    confirm = BooleanField(_l("Reopen this campaign"), validators=[DataRequired()])
    reason = TextAreaField(_l("Why reopen"), validators=[DataRequired(), Length(max=500)])


class ScheduleForm(FlaskForm):
    serial = StringField(_l("Serial"), validators=[DataRequired(), Length(max=40)])
    on = DateField(_l("Booked for"), validators=[DataRequired()])
