"""Console forms."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.accounts.models import Role


class ModelForm(FlaskForm):
    gtin = StringField("GTIN", validators=[DataRequired(), Length(max=40)],
                       description=_l("GTIN-8, -12, -13 or -14 with one of your GS1 company prefixes."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    warranty_months = IntegerField(_l("Warranty (months)"), default=24, validators=[NumberRange(0, 600)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])


class ModelImageForm(FlaskForm):
    image = FileField(_l("Picture"), description=_l("JPEG, PNG or WebP, up to 10 MB. Shown to owners and on the product page."))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), description=_l("UTF-8 CSV with a header line; its columns are described beside."))


class StaffForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=lambda: [SelectChoice(r.value, r.label) for r in Role])
    password = PasswordField(_l("Initial password (only for a new account)"), validators=[Optional(), Length(min=10, max=200)])


class TenantForm(FlaskForm):
    slug = StringField(_l("Short name (in addresses)"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Manufacturer name"), validators=[DataRequired(), Length(max=120)])
    gs1_prefix = StringField(_l("GS1 company prefix"), validators=[DataRequired(), Length(max=12)])
