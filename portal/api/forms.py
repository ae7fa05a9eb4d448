"""Console forms for API tokens."""
from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from portal.api.models import Scope
from portal.core.db import utcnow


def _default_expiry():
    return utcnow().date() + timedelta(days=90)


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)],
                       description="What uses it, e.g. “Till, Zurich shop” or “Workshop Meier”.")
    scopes = SelectMultipleField(
        "May", choices=[SelectChoice(s.value, f"{s.value}: {s.words}") for s in Scope],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
    )
    expires_on = DateField("Valid through", default=_default_expiry, validators=[InputRequired()],
                           description="At most two years ahead. Issue a new token before it runs out.")


class RevokeTokenForm(FlaskForm):
    token_id = HiddenField(validators=[DataRequired()])
