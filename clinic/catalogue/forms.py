"""Forms of the catalogue pages (level exercise rows are parsed by hand: their number varies)."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Optional

from clinic import limits
from clinic.catalogue.models import MEASURES, PATTERNS, SETTINGS
from clinic.validators import strip

PATTERN_LABELS = {
    "squat": "Squat", "hinge": "Hinge", "push_horizontal": "Push (horizontal)",
    "push_vertical": "Press (vertical)", "pull_horizontal": "Pull (horizontal)",
    "pull_vertical": "Pull (vertical)", "carry": "Carry", "core": "Core",
}
MEASURE_LABELS = {"load_reps": "Load and reps", "bodyweight_reps": "Reps (bodyweight)",
                  "hold_seconds": "Hold (seconds)"}


class TemplateForm(FlaskForm):
    name = StringField("Program name", filters=[strip],
                       validators=[DataRequired("Give the program a name."), limits.length("name")])
    description = TextAreaField("Description", filters=[strip],
                                validators=[Optional(), limits.length("description")])


class LevelForm(FlaskForm):
    name = StringField("Level name", filters=[strip],
                       validators=[DataRequired("Give the level a name."), limits.length("name")])
    min_weeks = IntegerField("Minimum weeks", validators=[
        InputRequired("Enter a number of weeks."),
        limits.number_range("min_weeks", "Use 0 to 52 weeks.")])
    sessions_per_week = IntegerField("Sessions a week", validators=[
        InputRequired("Enter sessions a week."),
        limits.number_range("sessions_per_week", "Use 1 to 7 sessions.")])
    criteria = TextAreaField("Criteria for moving up", filters=[strip],
                             validators=[Optional(), limits.length("criteria")])


class ExerciseForm(FlaskForm):
    name = StringField("Name", filters=[strip],
                       validators=[DataRequired("Name the exercise."), limits.length("name")])
    pattern = SelectField("Movement pattern (ladder)",
                          choices=[SelectChoice(p, PATTERN_LABELS[p]) for p in PATTERNS])
    ladder_step = IntegerField("Step on the ladder", validators=[
        InputRequired("Enter the step."),
        limits.number_range("ladder_step", "Use a step from 1 to 20.")],
        description="1 is the easiest. Built-in exercises on this ladder are listed below.")
    setting = SelectField("Setting", choices=[SelectChoice(s, s.title()) for s in SETTINGS])
    measure = SelectField("Measured as",
                          choices=[SelectChoice(m, MEASURE_LABELS[m]) for m in MEASURES])
    equipment = StringField("Equipment", filters=[strip], validators=[limits.length("equipment")])
    cue1 = StringField("Form cue 1", filters=[strip],
                       validators=[DataRequired("Give at least one form cue."),
                                   limits.length("cue")])
    cue2 = StringField("Form cue 2", filters=[strip], validators=[limits.length("cue")])
    cue3 = StringField("Form cue 3", filters=[strip], validators=[limits.length("cue")])
    easier_tip = StringField("How to make it easier", filters=[strip],
                             validators=[limits.length("easier_tip")])
