"""The PDF report prints the patient's session notes and pain reports of the period when the
export form asks for them (ticked by default), and leaves them out when unticked; read back
with pypdf."""

import re
from datetime import timedelta

import pytest
from factories import SessionFactory
from helpers import rows

from clinic.audit.models import AuditEvent
from clinic.programs import services as programs
from clinic.reports.services import day_label
from reports.conftest import make_record
from reports.helpers import pdf_text

NOTE = "felt <b>wobbly</b> & dizzy"
PDF_URL = "/patients/{}/reports/pdf"
HEADING = "Session notes and pain reports"


@pytest.fixture
def record(app):
    return make_record(texts={"session_note": NOTE})


def test_the_export_form_ticks_the_session_notes_by_default(client, auth, record):
    auth.login(record.therapist.email)
    page = client.get(f"/patients/{record.patient.id}/reports").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="session_notes"[^>]*>', page)
    assert box and "checked" in box.group(0)


def test_notes_and_pain_reports_of_the_period_are_printed_when_ticked(client, auth, record):
    today = programs.clinic_today(record.patient.id)
    SessionFactory(
        assignment=record.assignment_id,
        performed_on=today,
        pain=6,
        pain_where="right shoulder",
        note=None,
    )
    auth.login(record.therapist.email)
    body = auth.post(PDF_URL.format(record.patient.id), data={"session_notes": "y"}).data
    text = pdf_text(body)
    assert HEADING in text
    # Five sessions with the note (one skipped among them), then today's pain report.
    assert text.count("“felt <b>wobbly</b> & dizzy”") == 5
    assert f"{day_label(today)} done \N{EN DASH} 6 (right shoulder)" in text
    assert (
        rows(AuditEvent, AuditEvent.action == "report_export")[-1].detail["session_notes"] is True
    )


def test_unticked_the_report_carries_no_note(client, auth, record):
    auth.login(record.therapist.email)
    text = pdf_text(auth.post(PDF_URL.format(record.patient.id), data={}).data)
    assert HEADING not in text and "wobbly" not in text
    assert "Mood before and after sessions" in text  # the rest of the report is there


def test_a_period_without_notes_says_so(client, auth, record):
    today = programs.clinic_today(record.patient.id)
    auth.login(record.therapist.email)
    text = pdf_text(
        auth.post(
            PDF_URL.format(record.patient.id),
            data={
                "session_notes": "y",
                "start": (today - timedelta(days=1)).isoformat(),
                "end": today.isoformat(),
            },
        ).data
    )
    assert "No session in this period has a note or a pain report." in text
