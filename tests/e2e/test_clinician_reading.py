"""In the browser: what the patient wrote reaches the clinician (the dashboard's flag, the
program page's sessions table opening to each session's sets), and the clinic outcome summary
(admin and therapist), each page checked by axe, on a desktop and a 360 px phone, without
JavaScript for the native <details>."""

import re
from datetime import date, timedelta
from pathlib import Path

import pyotp
from factories import TEST_PASSWORD, AssignmentFactory, SessionFactory, UserFactory
from playwright.sync_api import expect
from reports.test_outcome_summary import finished

from clinic.auth.models import Role
from clinic.extensions import db
from e2e.conftest import THERAPIST
from e2e.flows import heading, log_in, nav

SHOTS = Path("/work/notes/shots/wrote")
NOTE = "Felt wobbly after the squats <and> a bit dizzy."


def keep(page, name):
    """A copy of the screenshot for the people reviewing this change."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_patients_words_reach_the_clinician(e2e, staff):
    # Started a week ago: the patient logs one entry a day, so the two sessions are two days.
    assignment = AssignmentFactory(actor=staff, start_date=date.today() - timedelta(days=7))
    patient = assignment.patient
    SessionFactory(
        assignment=assignment,
        performed_on=date.today() - timedelta(days=2),
        note=NOTE,
        pain=4,
        pain_where="left knee",
        mood_before=3,
        mood_after=6,
        sets={0: [{"reps": 8, "load_kg": None, "seconds": None}] * 2},
    )
    SessionFactory(
        assignment=assignment,
        performed_on=date.today() - timedelta(days=1),
        status="skipped",
        skip_reason="low_mood",
        sets={},
        rpe=None,
        mood_before=None,
        mood_after=None,
        pain=None,
        duration_minutes=None,
    )
    db.session.commit()
    page = e2e.page()
    log_in(page, THERAPIST)
    flag = page.locator(".new-words")
    expect(flag).to_have_text("1 new note or pain report")
    e2e.check(page, "dashboard-new-words")
    keep(page, "dashboard-new-words")
    flag.click()
    expect(heading(page)).to_contain_text(patient.display_name)
    page.locator("#program").get_by_role("link", name=assignment.name).click()
    table = page.locator("#sessions")
    expect(table).to_contain_text(f"“{NOTE}”")
    expect(table).to_contain_text("4/10 (left knee)")
    expect(table).to_contain_text("skipped: Low mood")
    sets = table.get_by_text("set 2: 8 reps")
    expect(sets).to_be_hidden()
    table.locator("summary").first.click()
    expect(sets).to_be_visible()
    table.scroll_into_view_if_needed()
    e2e.check(page, "program-sessions")
    keep(page, "program-sessions-desktop")

    # Seen: the dashboard flag is gone.
    nav(page).get_by_role("link", name="Dashboard").click()
    expect(page.locator(".new-words")).to_have_count(0)

    # On a phone, without JavaScript, the sessions still open to their sets.
    phone = e2e.page(phone=True, javascript=False)
    log_in(phone, THERAPIST)
    phone.goto(f"/programs/assignments/{assignment.id}#sessions")
    phone_table = phone.locator("#sessions")
    phone_table.locator("summary").first.click()
    expect(phone_table.get_by_text("set 2: 8 reps")).to_be_visible()
    e2e.check(phone, "program-sessions-phone", javascript=False)
    keep(phone, "program-sessions-phone")


def test_the_clinic_outcome_summary(e2e, staff):
    admin = UserFactory(
        clinic=staff.clinic, role=Role.ADMIN, email="ada@riverside.test", name="Ada Admin"
    )
    for pairs in (
        [(5, 4, 3), (50, 15, 10)],
        [(5, 8, 7), (50, 12, 9)],
        [(5, 12, 9), (50, 20, 14)],
        [(5, 18, 14), (50, 11, 9)],
        [(5, 1, 1), (50, 8, 6)],
        [(5, 3, 2), (50, 5, 4)],
    ):
        finished(staff, pairs)
    db.session.commit()

    page = e2e.page()
    page.goto("/login")  # an admin sets up two-step login first
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(heading(page)).to_have_text("Set up two-step login")
    key = page.locator("#mfa-key").inner_text().replace(" ", "")
    page.get_by_label(re.compile("code", re.IGNORECASE)).first.fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on two-step login").click()
    page.get_by_role("link", name="I have kept them: continue").click()
    nav(page).get_by_role("link", name="Outcomes").click()
    expect(heading(page)).to_contain_text("Outcome summary")
    expect(page.locator("#not-causal")).to_contain_text("Descriptive, not causal.")
    overall = page.locator("#table-overall")
    # Six episodes, four cases: recovery withheld (fewer than 5), the others over six.
    expect(overall).to_contain_text("withheld: 4 episodes, fewer than 5")
    expect(overall).to_contain_text("3 of 6 (50%)")
    e2e.check(page, "outcomes-admin")
    keep(page, "outcomes-admin")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download for a service review (PDF)").click()
    body = Path(download.value.path()).read_bytes()
    assert body.startswith(b"%PDF-")

    phone = e2e.page(phone=True)
    log_in(phone, THERAPIST)
    phone.goto("/reports/outcomes")
    expect(heading(phone)).to_contain_text("your caseload")
    e2e.check(phone, "outcomes-therapist-phone")
    keep(phone, "outcomes-therapist-phone")
