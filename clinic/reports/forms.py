"""The export form on a patient's reports page."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, TextAreaField
from wtforms.validators import Optional

from clinic import limits
from clinic.reports.services import MAX_SUMMARY


class ReportForm(FlaskForm):
    start = DateField("From", validators=[Optional(), limits.page_date_window()],
                      description="The first day of the period (the clinic's calendar).")
    end = DateField("To", validators=[Optional(), limits.page_date_window()],
                    description="The last day, at most today.")
    summary = TextAreaField(
        "Summary for the case notes (optional)",
        validators=[Optional(), limits.length(
            "summary", message=f"Keep the summary to {MAX_SUMMARY} characters.")],
        description="Printed at the top of the report as you type it.")
    session_notes = BooleanField(
        "Include the patient's session notes and pain reports of the period",
        description="Their own words, as they wrote them after each session.")
