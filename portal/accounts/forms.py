"""Sign-up, sign-in and password forms (Flask-WTF: CSRF on every one)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class SignUpForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[Length(max=120)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200, message=_l("Choose a password of at least 10 characters."))],
                             description=_l("At least 10 characters."))


class SignInForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])


class ResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=10, max=200, message=_l("Choose a password of at least 10 characters."))],
                             description=_l("At least 10 characters."))
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired(), EqualTo("password", _l("The two passwords differ."))])


class EmptyForm(FlaskForm):
    """A button-only form: it still carries the CSRF token."""


class CodeForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("The 6 digits your authenticator app shows now, or one of your recovery codes."))


class NewFactorForm(FlaskForm):
    code = StringField(_l("Code from the app"), validators=[DataRequired(), Length(max=12)],
                       description=_l("The 6 digits the app shows for Provenance after you added it."))


class ResetFactorForm(FlaskForm):
    email = EmailField(_l("E-mail address of the person"), validators=[DataRequired(), Length(max=254)])
