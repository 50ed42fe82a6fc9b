"""Forms of a patient's program pages: assigning, moving a level, changing a target."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired

from clinic import limits
from clinic.validators import strip


class AssignForm(FlaskForm):
    template_id = SelectField("Program", coerce=int, validate_choice=False,
                              validators=[InputRequired("Choose a program.")])
    start_date = DateField("Start date", validators=[InputRequired("Enter a start date."),
                                                     limits.page_date_window()])
    confirm_start = BooleanField("This start date is right",
                                 description="Needed for a start more than a year back or ahead.")


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", filters=[strip],
                           validators=[DataRequired("Say why."), limits.length("reason")])


class LevelChangeForm(ReasonForm):
    level = SelectField("Move to level", coerce=int, validate_choice=False)


class TargetForm(ReasonForm):
    sets = IntegerField("Sets", validators=[InputRequired("Enter sets."),
                                            limits.number_range("sets", "Sets must be 1 to 10.")])
    reps_min = IntegerField("Reps from", validators=[InputRequired("Enter the range."),
                                                     limits.number_range("reps_target")])
    reps_max = IntegerField("Reps to", validators=[InputRequired("Enter the range."),
                                                   limits.number_range("reps_target")])
    load_kg = StringField("Load (kg)", filters=[strip])
    confirm_jump = BooleanField("I confirm a load jump of more than 10%")
