"""A busy therapist's morning in a real browser: the dashboard in order of need, sorted and
filtered from its headers and its form (with and without JavaScript), the not-on-track prompt
on the patient page, and the alert inbox's kind filter and bulk acknowledge."""

import shutil
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from factories import PatientFactory
from playwright.sync_api import expect

from clinic.alerts.models import Alert
from clinic.database import utcnow
from clinic.extensions import db
from clinic.measures import services as measures
from e2e.conftest import THERAPIST
from e2e.flows import flash, heading, log_in

SHOTS = Path("/work/notes/shots/triage")
PHQ9_RISK = [1, 1, 1, 1, 1, 1, 1, 1, 1]


def phq9(total):
    values = [0] * 9
    for i in range(total):
        values[i % 8] += 1
    return values


def caseload(therapist):
    """Five patients, one need each: a risk answer, not on track at week 4, missed sessions,
    answered today, never answered."""
    clinic = therapist.clinic
    today = clinic.today()
    start = today - timedelta(days=60)

    def patient(name):
        return PatientFactory(
            clinic=clinic, primary=therapist, display_name=name, episode_start=start
        )

    def on(days_ago):
        return datetime.combine(
            today - timedelta(days=days_ago), time(12), tzinfo=clinic.zone
        ).astimezone(UTC)

    risky = patient("Avery Stone")
    measures.record_clinician_response(therapist, risky.id, "PHQ-9", PHQ9_RISK, on(3))
    slow = patient("Blake Moss")
    measures.record_clinician_response(therapist, slow.id, "PHQ-9", phq9(22), on(33))
    measures.record_clinician_response(therapist, slow.id, "PHQ-9", phq9(18), on(4))
    missed = patient("Casey Reed")
    measures.record_clinician_response(therapist, missed.id, "PHQ-9", phq9(6), on(9))
    for hours in (5, 4):
        db.session.add(
            Alert(
                clinic_id=clinic.id,
                patient_id=missed.id,
                kind="missed_sessions",
                detail={},
                created_at=utcnow() - timedelta(hours=hours),
            )
        )
    db.session.add(
        Alert(
            clinic_id=clinic.id,
            patient_id=missed.id,
            kind="pain_reported",
            detail={},
            created_at=utcnow() - timedelta(hours=3),
        )
    )
    db.session.commit()
    fine = patient("Drew Lane")
    measures.record_clinician_response(therapist, fine.id, "PHQ-9", phq9(3), on(0))
    patient("Emery Fox")
    return slow


def shoot(e2e, page, name, **kwargs):
    """The page check (screenshot + axe), and a copy of the screenshot for the notes."""
    e2e.check(page, name, **kwargs)
    SHOTS.mkdir(parents=True, exist_ok=True)
    latest = sorted(e2e.folder.glob("*.png"))[-1]
    shutil.copy(latest, SHOTS / f"{name}.png")


def names(page):
    return page.locator("table.dashboard tbody tr a.patient-name").all_inner_texts()


def test_triage_dashboard_sorts_filters_and_the_inbox_acknowledges_several(e2e, staff):
    slow = caseload(staff)
    page = e2e.page()
    log_in(page, THERAPIST)

    # In order of need: risk, then the review prompt, then missed sessions, then the rest.
    assert names(page) == ["Avery Stone", "Blake Moss", "Casey Reed", "Emery Fox", "Drew Lane"]
    first = page.locator("table.dashboard tbody tr").first
    expect(first.locator("[data-label=Need]")).to_have_text("Risk alert")
    review = page.locator("table.dashboard tbody tr").nth(1)
    expect(review).to_contain_text("Not on track: review the plan")
    expect(review).to_contain_text("week-4 cut point 17 (Schueller et al. 2015)")
    expect(
        page.locator("tr", has_text="Drew Lane").locator("[data-label='Last answer']")
    ).to_have_text("Last answer: today")
    shoot(e2e, page, "dashboard-by-need")

    # Sorted by a column header: the stalest answer first, then the other way round.
    page.get_by_role("link", name="Last answer").click()
    expect(page).to_have_url(e2e.base_url + "/?sort=last_answer")
    # Never answered is the stalest; then oldest first.
    assert names(page) == ["Emery Fox", "Casey Reed", "Blake Moss", "Avery Stone", "Drew Lane"]
    page.get_by_role("link", name="Last answer").click()
    expect(page).to_have_url(e2e.base_url + "/?sort=last_answer&dir=desc")
    assert names(page)[0] == "Drew Lane"
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Last answer")

    # Filters: the state goes into the URL, so the view can be bookmarked.
    page.get_by_label("Has open alerts").check()
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(e2e.base_url + "/?sort=last_answer&dir=reversed&open_alerts=1")
    assert names(page) == ["Avery Stone", "Blake Moss", "Casey Reed"]
    shoot(e2e, page, "dashboard-filtered")

    # Without JavaScript the same bookmark works and the form still filters.
    plain = e2e.page(javascript=False)
    log_in(plain, THERAPIST)
    plain.goto("/?sort=last_answer&dir=reversed&open_alerts=1")
    assert names(plain) == ["Avery Stone", "Blake Moss", "Casey Reed"]
    plain.get_by_label("Has open alerts").uncheck()
    plain.get_by_label("Not answered this week").check()
    plain.get_by_role("button", name="Apply").click()
    assert "Drew Lane" not in names(plain) and "Emery Fox" in names(plain)
    shoot(e2e, plain, "dashboard-no-javascript", javascript=False)

    phone = e2e.page(phone=True)
    log_in(phone, THERAPIST)
    shoot(e2e, phone, "dashboard-phone")

    # The patient page names the cut point and its source.
    page.goto(f"/patients/{slow.id}")
    prompt = page.locator("#not-on-track")
    expect(prompt).to_contain_text("Not on track: review the plan.")
    expect(prompt).to_contain_text("at or above 17, the published cut point for week 4")
    expect(prompt).to_contain_text("Schueller et al. 2015")
    shoot(e2e, page, "patient-not-on-track")

    # The inbox: risk first and set apart; filter by kind; acknowledge several with one note.
    page.goto("/alerts")
    rows = page.locator("table.alerts-table tbody tr")
    expect(rows.first).to_have_class("alert-risk")
    expect(rows.first).to_contain_text("Risk")
    expect(rows.first.get_by_role("link", name="Avery Stone")).to_be_visible()
    shoot(e2e, page, "inbox-risk-first")
    page.get_by_label("Kind of alert").select_option("other")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(e2e.base_url + "/alerts?kind=other")
    expect(rows).to_have_count(3)
    for box in page.get_by_role("checkbox").all():
        box.check()
    page.get_by_label("What did you do?").fill("Phoned Casey: knee pain, sessions resume Monday")
    page.get_by_role("button", name="Acknowledge the ticked alerts").click()
    expect(flash(page)).to_have_text("3 alerts acknowledged.")
    expect(page).to_have_url(e2e.base_url + "/alerts?kind=other")
    expect(page.get_by_text("No open alerts.")).to_be_visible()
    page.goto("/alerts")
    expect(rows).to_have_count(2)
    expect(heading(page)).to_have_text("Open alerts")
    shoot(e2e, page, "inbox-after-bulk")
