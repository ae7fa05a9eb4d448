"""Owner forms."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class RegisterForm(FlaskForm):
    gtin = StringField("GTIN", validators=[DataRequired(), Length(max=40)],
                       description="8 to 14 digits, after (01) on the label.")
    serial = StringField("Serial number", validators=[DataRequired(), Length(max=40)],
                         description="After (21) on the label.")
    purchased_on = DateField("Purchase date", validators=[Optional()])
    retailer = StringField("Where you bought it", validators=[Optional(), Length(max=160)])
    proof = FileField("Proof of purchase")


class AcceptTransferForm(FlaskForm):
    code = StringField("Transfer code", validators=[DataRequired(), Length(max=40)],
                       description="The seller's code, like ABCD-EFGH-JKLM.")
    purchased_on = DateField("Purchase date", validators=[Optional()])


class StolenForm(FlaskForm):
    place = StringField("Where it happened (optional)", validators=[Optional(), Length(max=200)])
    note = TextAreaField("What happened (optional)", validators=[Optional(), Length(max=500)])


class DisputeForm(FlaskForm):
    gtin = StringField("GTIN", validators=[DataRequired(), Length(max=40)])
    serial = StringField("Serial number", validators=[DataRequired(), Length(max=40)])
    message = TextAreaField("Why is this unit yours?", validators=[DataRequired(), Length(max=4000)],
                            description="Where and when you bought it, and any proof you can send.")
