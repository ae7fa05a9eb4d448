"""Owner forms of the warranty area: filing a claim and following it up.

Photos are checked here before the service sees them (count, size, real image content), so a refused
upload leaves nothing behind: the service stores each photo as it goes, and a bad fifth file would
otherwise find the first four already written to disk.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.countries import name_key
from portal.core.errors import Invalid
from portal.core.i18n import current_language
from portal.core.upload_checks import inspect_image
from portal.warranty.models import CATEGORIES, REMEDIES, ClockStart, ReplacementRule
from portal.warranty.returns import country_codes, country_name
from portal.warranty.services import MAX_PHOTOS

#: What the owner reads for each stored category (the stored value stays the short code).
CATEGORY_LABELS = {
    "does_not_work": _l("It does not work at all"),
    "intermittent_fault": _l("It works only some of the time"),
    "damage_on_arrival": _l("It arrived damaged"),
    "cosmetic": _l("Cosmetic fault (finish, scratches, colour)"),
    "battery": _l("Battery or charging problem"),
    "accident": _l("Accidental damage (dropped, wet, crushed)"),
    "other": _l("Something else"),
}
REMEDY_LABELS = {"repair": _l("Repair it"), "replacement": _l("Replace it"), "refund": _l("Refund the price")}
GOODWILL_LABEL = _l("Ask for goodwill: the unit is not under warranty")

assert set(CATEGORY_LABELS) == set(CATEGORIES) and set(REMEDY_LABELS) == set(REMEDIES)


def _size_words(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{max(limit // 1024, 1)} KB"


def uploaded_photos(field) -> list:
    """The files actually chosen in a multiple file input (browsers send one empty part when none is)."""
    return [f for f in (field.data or []) if f and getattr(f, "filename", "")]


def read_photos(field, *, room: int = MAX_PHOTOS) -> list[tuple[bytes, str]]:
    """Read and check the chosen photos; raise ValidationError naming the first file that is refused."""
    files = uploaded_photos(field)
    if len(files) > room:
        if room:
            raise ValidationError(_("A claim holds at most %(max)d photos; you can add %(room)d more.",
                                    max=MAX_PHOTOS, room=room))
        raise ValidationError(_("A claim holds at most %(max)d photos; it has that many already.", max=MAX_PHOTOS))
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    photos = []
    for upload in files:
        data = upload.read()
        name = upload.filename
        if not data:
            raise ValidationError(_("%(name)s is empty.", name=name))
        if len(data) > limit:
            raise ValidationError(_("%(name)s is larger than %(size)s. Send a smaller photo.", name=name,
                                    size=_size_words(limit)))
        refusal = _refusal(data)
        if refusal:
            raise ValidationError(
                _("%(name)s is not a photo we can read. Send JPEG, PNG or WebP pictures.", name=name)
                if refusal == UNREADABLE else _("%(name)s: %(reason)s", name=name, reason=refusal))
        photos.append((data, name))
    return photos


UNREADABLE = "is not a photo we can read. Send JPEG, PNG or WebP pictures."


def _refusal(data: bytes) -> str | None:
    """Why the photo is refused (the checks storage makes again when it re-encodes), or None."""
    try:
        inspect_image(data, message=UNREADABLE)
    except Invalid as err:
        return str(err)
    return None


class PhotosField(MultipleFileField):
    """Up to `room` photos; the checked bytes are kept in `.photos` for the view."""

    def __init__(self, *args, room: int = MAX_PHOTOS, **kwargs):
        super().__init__(*args, **kwargs)
        self.room = room
        self.photos: list[tuple[bytes, str]] = []

    def pre_validate(self, form) -> None:
        self.photos = read_photos(self, room=self.room)


class ClaimForm(FlaskForm):
    category = SelectField(_l("What happened?"), choices=[SelectChoice("", _l("Choose one"))]
                           + [SelectChoice(v, label) for v, label in CATEGORY_LABELS.items()],
                           validators=[DataRequired(message=_l("Choose what happened from the list."))])
    description = TextAreaField(_l("Describe the problem"), validators=[
        DataRequired(message=_l("Describe the problem in a sentence or two.")),
        Length(min=15, max=4000, message=_l("Describe the problem in a sentence or two (15 to 4,000 characters)."))],
        description=_l("What you see, when it happens, and what you tried."))
    started_on = DateField(_l("When did it start?"), validators=[Optional()],
                           description=_l("An approximate date is fine."))
    photos = PhotosField(_l("Photos (optional)"),
                         description=_l("Up to %(count)d photos of the fault or damage; location data is removed.", count=MAX_PHOTOS))
    preferred_remedy = SelectField(_l("What would you like?"), default="repair",
                                   choices=[SelectChoice(v, label) for v, label in REMEDY_LABELS.items()],
                                   description=_l("The manufacturer decides what fits; they will tell you why."))
    goodwill = BooleanField(GOODWILL_LABEL)
    return_country = SelectField(_l("Where would you send it from?"), default="", choices=lambda: country_choices(),
                                 description=_l("If the product has to go back, the return form gives the "
                                                "manufacturer's address for this country."))


def country_choices() -> list[SelectChoice]:
    """Every country by its name in the reader's language, after a blank "not said" choice."""
    language = current_language()
    named = sorted(((country_name(c, language), c) for c in country_codes()), key=lambda pair: name_key(pair[0]))
    return [SelectChoice("", _l("Choose a country")), *(SelectChoice(code, name) for name, code in named)]


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), validators=[DataRequired(message=_l("Write your answer first.")),
                                                      Length(max=4000)])
    answer_photos = PhotosField(_l("Photos with the answer (optional)"))  # not `photos`: both forms share the page


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(message=_l("Write a message first.")), Length(max=4000)])


class AddPhotosForm(FlaskForm):
    photos = PhotosField(_l("Photos"), validators=[])

    def validate_photos(self, field) -> None:
        if not field.photos:
            raise ValidationError(_("Choose at least one photo."))


class TermsForm(FlaskForm):
    clock_start = SelectField(
        _l("The warranty starts at"),
        choices=[
            SelectChoice(
                ClockStart.PURCHASE.value,
                _l("Purchase (receipt date; else manufacture + grace; else registration)"),
            ),
            SelectChoice(ClockStart.REGISTRATION.value, _l("First registration")),
            SelectChoice(ClockStart.MANUFACTURE.value, _l("Manufacture date + grace days")),
        ],
    )
    grace_days = IntegerField(
        _l("Grace days"),
        validators=[InputRequired(), NumberRange(0, 730, _l("From 0 to 730 days."))],
        description=_l("Shelf time added to the manufacture date when that starts the clock."),
    )
    survives_transfer = BooleanField(_l("Coverage passes to the next owner on a transfer"))
    replacement_rule = SelectField(
        _l("A replacement unit gets"),
        choices=[
            SelectChoice(ReplacementRule.REMAINING.value, _l("What was left of the original's coverage")),
            SelectChoice(ReplacementRule.FRESH.value, _l("A full new term")),
        ],
    )
    scope = SelectMultipleField(
        _l("The base term covers"),
        choices=[SelectChoice("parts", _l("Parts")), SelectChoice("labour", _l("Labour"))],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )


class ExtensionForm(FlaskForm):
    starts_on = DateField(_l("Starts on"), validators=[InputRequired()])
    months = IntegerField(
        _l("Months"), validators=[InputRequired(), NumberRange(1, 240, _l("From 1 to 240 months."))]
    )
    scope = SelectMultipleField(
        _l("Covers"),
        choices=[
            SelectChoice("parts", _l("Parts")),
            SelectChoice("labour", _l("Labour")),
            SelectChoice("accidental", _l("Accidental damage")),
        ],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    note = StringField(
        _l("Note"),
        validators=[Optional(), Length(max=200)],
        description=_l("Shown with the coverage, e.g. “Goodwill after claim W26-…”."),
    )
    claim = HiddenField()


def return_country_choices() -> list[SelectChoice]:
    """The console's choice of the owners an address serves: the default first, then every country."""
    return [SelectChoice("", _l("Default: every other country")), *country_choices()[1:]]


class ReturnAddressForm(FlaskForm):
    country = SelectField(_l("Owners sending from"), default="", choices=lambda: return_country_choices())
    lines = TextAreaField(_l("Postal address"), validators=[DataRequired(message=_l("Write the postal address, one line per line.")),
                                                            Length(max=600)],
                          description=_l("As it goes on the parcel, one line per line: recipient, street, postcode "
                                         "and town, country. At most six lines."))


class RemoveReturnAddressForm(FlaskForm):
    country = HiddenField()
