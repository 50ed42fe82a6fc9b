"""The PDF progress report, read back with pypdf: every figure matches the database, the page
furniture is there, empty records read sensibly, and the download is safe and audited."""

import hashlib
import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from factories import PatientFactory

from clinic.audit.models import AuditEvent
from clinic.extensions import db
from clinic.measures.instruments import get_instrument
from clinic.measures.scoring import band_for
from clinic.programs import adherence
from clinic.programs import services as programs
from clinic.programs.models import Assignment
from clinic.reports.services import day_label, export_report_pdf
from reports.helpers import embedded_files, pdf_reader, pdf_text

PDF_URL = "/patients/{}/reports/pdf"


def _local_day(record, moment):
    return moment.astimezone(ZoneInfo(record.clinic.timezone)).date()


def _download(client, auth, record, data=None, user=None):
    auth.login((user or record.therapist).email)
    return auth.post(PDF_URL.format(record.patient.id), data=data or {})


def test_scores_bands_dates_and_change_match_the_database(app, client, auth, record):
    response = _download(client, auth, record)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    text = pdf_text(response.data)
    for code, baseline_days, latest_days in (("PHQ-9", 27, 1), ("GAD-7", 27, 1)):
        instrument = get_instrument(code)
        for days in (baseline_days, latest_days):
            row = record.responses[(code, days)]
            band = band_for(instrument, row.total)
            assert band.label == row.band  # the stored band is the scoring module's band
            expected = f"{row.total}, {row.band} {day_label(_local_day(record, row.completed_at))}"
            assert expected in text, (code, expected)
        change = record.responses[(code, latest_days)].total - record.responses[
            (code, baseline_days)].total
        assert f"{change:+d}" in text
    # PHQ-9 15 -> 4: reliable improvement (>= 6), case at baseline, not at latest: reliable
    # recovery, response and remission. GAD-7 8 -> 6: no reliable change (< 4), recovery.
    assert ("PHQ-9 3 scores 15, moderately severe" in text
            and "-11 Reliable improvement Reliable recovery Response Remission" in text)
    assert "-2 No reliable change Recovery (not reliable)" in text
    rses = record.responses[("RSES", 13)]
    assert f"RSES 1 score {rses.total}" in text and "Only one score Not defined" in text
    assert "Rosenberg (1989), Society and the Adolescent Self-Image." in text
    assert "PHQ-9 6 points; GAD-7 4 points" in text


def test_adherence_week_by_week_matches_the_program_page(app, client, auth, record):
    response = _download(client, auth, record)
    text = pdf_text(response.data)
    assignment = db.session.get(Assignment, record.assignment_id)
    progress = programs.progress(assignment)
    # The header names the clinic's zone (it may wrap inside its narrow column).
    table = re.split(r"Weeks from \([^)]*\) Week 1 Week 2 Week 3 Week 4 4 weeks", text,
                     maxsplit=1)[1]
    today = programs.clinic_today(record.patient.id)
    weeks = progress["weeks"]
    assert len(weeks) == 4  # the program began on the Monday three weeks before this one
    cells = []
    for week in weeks:
        so_far = ", so far" if week.week_start + timedelta(days=6) >= today else ""
        percent = "paused" if week.paused else f"{adherence.as_percent(week.fraction)} %"
        cells.append(f"{percent} {format(week.credited.normalize(), 'f')} of {week.planned}"
                     f"{so_far}")
    counted = [w for w in weeks if w.fraction is not None]
    credited = sum(w.credited for w in counted)
    planned = sum(w.planned for w in counted)
    row = (f"{day_label(weeks[0].week_start)} {' '.join(cells)} "
           f"{adherence.as_percent(credited / planned)} %")
    assert row in table, (row, table[:300])
    total = adherence.as_percent(credited / planned)
    assert f"adherence in the period: {total} %" in text
    assert f"({format(credited.normalize(), 'f')} of {planned} planned sessions credited)" in text
    # Week 1: one done session (4 of 4 working sets: 1) and one partial (0.5) of 2 planned.
    first = progress["weeks"][0]
    assert (first.credited, first.planned) == (adherence.rules.FULL_CREDIT + adherence.rules
                                               .PARTIAL_CREDIT, 2)


def test_program_levels_alerts_strength_and_mood(app, client, auth, record):
    text = pdf_text(_download(client, auth, record).data)
    assert "Harbour strength" in text
    assert "Level changed from Foundations to Building Robin Ash Ready for more" in text
    assert "current level: Building" in text
    risk = record.responses[("PHQ-9", 13)]
    assert (f"Risk item answered PHQ-9 of {day_label(_local_day(record, risk.completed_at))}"
            in text)
    assert "by Robin Ash Called Alex; safety plan reviewed." in text
    # Dumbbell floor press: best e1RM week 1 = 12.5 x (1 + 10/30) = 16.67; week 3 = 20.00;
    # the baseline is the best of the first two loaded weeks (16.67 and 15 x 38/30 = 19.00).
    assert "Dumbbell floor press kg, estimated 1RM 16.67" in text
    assert "20 " in text and "+5.3 % from baseline" in text
    # Box step-up (bodyweight): best reps 10 in week 1, 12 in week 3.
    assert "Box step-up best reps (ladder step 2) 10" in text and "+2" in text
    # Mood: sessions with both ratings: (4,6), (3,5), (5,7), (5,6) -> 4.3 before, 6.0 after.
    assert ("Over 4 sessions with both ratings (0-10): average mood before 4.3, after 6, "
            "average change +1.8.") in text


@pytest.mark.slow
def test_header_footer_and_metadata(app, client, auth, record):
    body = _download(client, auth, record, data={"summary": "Good progress.\nKeep going."}).data
    reader = pdf_reader(body)
    text = pdf_text(body)
    assert "Harbour Clinic Progress report Alex Example · HC-42" in text
    assert "Robin Ash (Therapist, primary); Tom Lift (Clinical trainer)" in text
    assert "(current episode of care)" in text and "by Robin Ash" in text
    assert "Good progress. Keep going." in text
    pages = len(reader.pages)
    assert pages >= 2
    for number, page in enumerate(reader.pages, start=1):
        page_text = " ".join(page.extract_text().split())
        assert f"Page {number} of {pages}" in page_text
        assert "Confidential" in page_text and "Generated " in page_text
        assert "Alex Example · HC-42" in page_text
    meta = reader.metadata
    assert meta.title == "Progress report HC-42"
    assert meta.author == "Robin Ash, Harbour Clinic"
    assert meta.creation_date is not None
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root  # tagged PDF
    assert embedded_files(body) == []


def test_a_patient_with_no_data_gets_a_sensible_report(app, client, auth, record):
    empty = PatientFactory(clinic=record.clinic, display_name="New Person",
                           primary=record.therapist)
    db.session.commit()
    auth.login(record.therapist.email)
    response = auth.post(PDF_URL.format(empty.id))
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "No questionnaires, alerts or training sessions were recorded" in text
    assert "No questionnaire was completed in this period." in text
    assert "No alerts were raised in this period." in text
    assert "No training program ran in this period." in text
    assert "Page 1 of 1" in text


def test_a_period_with_no_data(app, client, auth, record):
    today = programs.clinic_today(record.patient.id)
    start, end = today - timedelta(days=400), today - timedelta(days=380)
    response = _download(client, auth, record, data={"start": start.isoformat(),
                                                     "end": end.isoformat()})
    text = pdf_text(response.data)
    assert f"{day_label(start)} to {day_label(end)}" in text
    assert "(current episode of care)" not in text
    assert "No questionnaire was completed in this period." in text
    assert "No sets were logged in this period." in text


def test_a_chosen_period_takes_its_own_baseline(app, client, auth, record):
    today = programs.clinic_today(record.patient.id)
    middle = record.responses[("PHQ-9", 13)]
    response = _download(client, auth, record, data={
        "start": (today - timedelta(days=20)).isoformat(), "end": today.isoformat()})
    text = pdf_text(response.data)
    assert f"PHQ-9 2 scores {middle.total}, {middle.band}" in text


def test_download_headers(app, client, auth, record):
    response = _download(client, auth, record)
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    today = programs.clinic_today(record.patient.id)
    assert disposition == (f"attachment; filename=liftclinic-report-{record.patient.id}-"
                           f"{today:%Y%m%d}.pdf")
    for part in ("Alex", "Example", "HC-42"):
        assert part not in disposition
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_every_export_is_audited_with_the_files_hash(app, client, auth, record):
    summary = "Private words about Alex."
    response = _download(client, auth, record, data={"summary": summary})
    db.session.commit()
    [event] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "report_export")).all()
    assert event.actor_id == record.therapist.id and event.patient_id == record.patient.id
    assert event.detail["sha256"] == hashlib.sha256(response.data).hexdigest()
    assert event.detail["format"] == "pdf" and event.detail["bytes"] == len(response.data)
    period_start = record.patient.episodes[-1].start
    assert event.detail["period_start"] == period_start.isoformat()
    assert event.detail["period_end"] == programs.clinic_today(record.patient.id).isoformat()
    dumped = json.dumps(event.detail)
    for phi in ("Alex", "HC-42", summary, "moderately"):
        assert phi not in dumped


def test_bad_input_shows_the_form_again_with_every_value_kept(app, client, auth, record):
    today = programs.clinic_today(record.patient.id)
    response = _download(client, auth, record, data={
        "start": today.isoformat(), "end": (today - timedelta(days=3)).isoformat(),
        "summary": "Keep this text."})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The start must be on or before the end." in page
    assert f'value="{today.isoformat()}"' in page
    assert f'value="{(today - timedelta(days=3)).isoformat()}"' in page
    assert "Keep this text." in page
    response = auth.post(PDF_URL.format(record.patient.id), data={
        "start": "not a date", "end": (today + timedelta(days=1)).isoformat()})
    assert response.status_code == 422
    assert 'value="not a date"' in response.get_data(as_text=True)
    response = auth.post(PDF_URL.format(record.patient.id),
                         data={"end": (today + timedelta(days=1)).isoformat()})
    assert response.status_code == 422
    assert "The period cannot end after today." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "report_export")) == 0


def test_the_export_page_fills_in_the_episode(app, client, auth, record):
    auth.login(record.therapist.email)
    page = client.get(f"/patients/{record.patient.id}").get_data(as_text=True)
    assert f'href="/patients/{record.patient.id}/reports"' in page
    page = client.get(f"/patients/{record.patient.id}/reports").get_data(as_text=True)
    start = record.patient.episodes[-1].start
    assert f'value="{start.isoformat()}"' in page
    assert f'value="{programs.clinic_today(record.patient.id).isoformat()}"' in page


def test_the_service_is_what_the_api_calls(app, record):
    export = export_report_pdf(record.trainer, record.patient.id, summary="From the API.")
    assert export.mimetype == "application/pdf"
    assert export.filename.startswith(f"liftclinic-report-{record.patient.id}-")
    assert "From the API." in pdf_text(export.body)
