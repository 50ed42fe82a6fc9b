"""The acknowledgement form."""

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length


class AcknowledgeForm(FlaskForm):
    note = TextAreaField("What did you do?",
                         validators=[InputRequired("Write a short note on what you did."),
                                     Length(max=2000)],
                         description="For example: phoned the patient, safety plan reviewed.")
