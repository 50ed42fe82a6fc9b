"""The acknowledgement form."""

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired

from clinic import limits


class AcknowledgeForm(FlaskForm):
    note = TextAreaField("What did you do?",
                         validators=[InputRequired("Write a short note on what you did."),
                                     limits.length("note")],
                         description="For example: phoned the patient, safety plan reviewed.")


class BulkAcknowledgeForm(FlaskForm):
    """One note for several alerts (the ids come as ``alert_id`` checkboxes of the inbox)."""

    note = TextAreaField("What did you do? (one note for every alert you ticked)",
                         validators=[InputRequired("Write a short note on what you did."),
                                     limits.length("note")],
                         description="For example: reviewed in supervision, plans updated.")
