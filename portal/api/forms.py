"""Console forms for API tokens."""
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.api.models import Scope
from portal.core.db import utcnow


def _default_expiry():
    return utcnow().date() + timedelta(days=90)


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("What uses it, e.g. “Till, Zurich shop” or “Workshop Meier”."))
    scopes = SelectMultipleField(
        _l("What it may do"), choices=[], validate_choice=False, widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    expires_on = DateField(_l("Valid through"), default=_default_expiry, validators=[InputRequired()],
                           description=_l("At most two years ahead. Issue a new token before it runs out."))

    def __init__(self, *args, scopes=tuple(Scope), **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request: the scopes' descriptions are in the reader's language.
        self.scopes.choices = scope_choices(scopes)

    def validate_scopes(self, field) -> None:
        """Only the scopes offered (a partner is offered only their role's), said in the reader's language."""
        offered = [choice.value for choice in field.choices]
        unknown = [s for s in field.data or [] if s not in offered]
        if unknown:
            raise ValidationError(_("Unknown scope %(scope)s; choose from %(known)s.", scope=repr(unknown[0]),
                                    known=", ".join(offered)))


def scope_choices(scopes) -> list[SelectChoice]:
    """The scopes as checkboxes: the page shows the scope's name beside its description."""
    return [SelectChoice(s.value, s.words) for s in scopes]


class RevokeTokenForm(FlaskForm):
    token_id = HiddenField(validators=[DataRequired()])
