"""A clinician's journeys in a real browser: onboarding a patient, a risk alert, adherence, and
the care-team boundary. Each journey starts from an empty clinic (the suite's fresh database).

The PDF report journey is in test_report_journey.py.
"""

import re

from factories import AssignmentFactory, InvitationFactory, PatientFactory, starter_templates
from playwright.sync_api import expect

from clinic.extensions import db
from clinic.measures import services as measures
from e2e.conftest import OTHER_THERAPIST, THERAPIST
from e2e.flows import (
    GAD7,
    PHQ9_RISK,
    add_patient,
    add_starter_programs,
    answer_questionnaire,
    assign_program,
    flash,
    heading,
    log_in,
    make_link,
    nav,
    open_patient,
    program_link,
    schedule_weekly,
    send_answers,
)


def test_therapist_onboards_a_patient(e2e, staff):
    page = e2e.page()
    log_in(page, THERAPIST, check=e2e.check)
    e2e.check(page, "dashboard-empty")

    patient_id = add_patient(page, "Sam Okafor", "RC-1001", check=e2e.check)
    e2e.check(page, "patient-new")

    add_starter_programs(page, check=e2e.check)
    assign_program(page, "Sam Okafor", check=e2e.check)
    e2e.check(page, "assignment-new")
    link = program_link(page)
    assert re.fullmatch(re.escape(e2e.base_url) + r"/p/[A-Za-z0-9_-]{20,}", link), link

    open_patient(page, "Sam Okafor")
    schedule_weekly(page, "PHQ-9")
    schedule_weekly(page, "GAD-7")
    schedules = page.locator("#schedules")
    expect(schedules.get_by_role("listitem")).to_have_count(2)
    expect(schedules).to_contain_text("PHQ-9 every week")
    expect(schedules).to_contain_text("GAD-7 every week")
    expect(page.locator("#program")).to_contain_text("Home foundations")
    e2e.check(page, "patient-with-schedules-and-program")

    link = make_link(page, check=e2e.check)
    assert re.fullmatch(re.escape(e2e.base_url) + r"/q/[A-Za-z0-9_-]{20,}", link), link
    expect(page.get_by_text("PHQ-9, GAD-7 · made by hand")).to_be_visible()
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()  # JavaScript adds it
    assert page.url == f"{e2e.base_url}/patients/{patient_id}/invitations/1"


def _answer_on_a_phone(e2e, link, answers):
    phone = e2e.page(phone=True)
    phone.goto(link)
    answer_questionnaire(phone, answers)
    send_answers(phone)
    return phone


def test_therapist_sees_the_alert_badge_and_acknowledges_the_alert(e2e, staff):
    PatientFactory(clinic=staff.clinic, primary=staff, display_name="Priya Natarajan")
    page = e2e.page()
    log_in(page, THERAPIST)
    expect(nav(page).locator(".badge")).to_have_count(0)
    open_patient(page, "Priya Natarajan")
    link = make_link(page)

    _answer_on_a_phone(e2e, link, {"PHQ-9": PHQ9_RISK, "GAD-7": GAD7})

    nav(page).get_by_role("link", name="Dashboard").click()
    badge = nav(page).locator(".badge-alert")
    expect(badge).to_have_text("1 open")  # "open" is for screen readers only
    expect(nav(page).get_by_role("link", name="Alerts 1 open")).to_be_visible()
    e2e.check(page, "dashboard-with-alert")

    nav(page).get_by_role("link", name=re.compile("^Alerts")).click()
    expect(heading(page)).to_have_text("Open alerts")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Priya Natarajan")
    e2e.check(page, "alerts-open")

    page.get_by_role("link", name="Risk item answered").click()
    expect(heading(page)).to_have_text("Risk item answered")
    expect(page.get_by_text("Follow up with them today")).to_be_visible()
    e2e.check(page, "alert-detail")

    page.get_by_role("button", name="Acknowledge").click()  # without a note: refused
    expect(page.get_by_role("alert")).to_contain_text("Write a short note on what you did.")
    e2e.check(page, "alert-note-missing")
    page.get_by_label("What did you do?").fill("Phoned Priya; safety plan reviewed together.")
    page.get_by_role("button", name="Acknowledge").click()
    expect(flash(page)).to_have_text("Alert acknowledged.")
    expect(page.get_by_text("No open alerts.")).to_be_visible()
    expect(nav(page).locator(".badge")).to_have_count(0)
    e2e.check(page, "alerts-none-open")

    page.get_by_role("link", name="Show history").click()
    page.get_by_role("link", name="Risk item answered").click()
    expect(page.get_by_text("Acknowledged by Robin Ash")).to_be_visible()
    expect(page.get_by_text("Phoned Priya; safety plan reviewed together.")).to_be_visible()
    e2e.check(page, "alert-acknowledged")


def test_patient_logs_a_session_and_the_clinician_sees_adherence(e2e, staff):
    PatientFactory(clinic=staff.clinic, primary=staff, display_name="Alex Moreno")
    page = e2e.page()
    log_in(page, THERAPIST)
    add_starter_programs(page)
    assign_program(page, "Alex Moreno")
    adherence = page.locator("section", has=page.get_by_role("heading", name="Adherence"))
    expect(adherence).to_contain_text("0 sessions so far")
    this_week = adherence.locator("tbody tr").first
    expect(this_week.locator("td").nth(2)).to_have_text("0")  # credited
    link = program_link(page)

    phone = e2e.page(phone=True)
    phone.goto(link)
    expect(heading(phone)).to_have_text("Your next session")
    assert phone.url == f"{e2e.base_url}/p/"  # the token has left the address bar
    counts = phone.locator(".counts")
    expect(counts).to_contain_text("0 of ")
    e2e.check(phone, "program-page")
    phone.get_by_label("I did it as planned").check()
    phone.get_by_label("Minutes").fill("25")
    phone.get_by_label("How hard was it overall?").fill("6")
    phone.get_by_label("Mood before").fill("4")
    phone.get_by_label("Mood after").fill("6")
    phone.get_by_role("button", name="Save session").click()
    # The quick path counts the session but stores no reps, and says how to let progress count.
    expect(phone.get_by_role("status")).to_have_text(
        "Saved. Well done for showing up. Your reps were not saved this time; when you feel "
        "like it, log your reps to let your progress count.")
    expect(counts).to_contain_text("1 of ")
    expect(phone.get_by_role("link", name=re.compile("Change or remove"))).to_be_visible()
    e2e.check(phone, "program-saved")

    page.reload()
    expect(adherence).to_contain_text("1 session so far")
    expect(this_week.locator("td").nth(2)).to_have_text("1")
    expect(this_week.locator("td").nth(4)).to_have_text(re.compile(r"\d+%"))
    sessions = page.locator("section", has=page.get_by_role("heading", name="Sessions"))
    expect(sessions.locator("tbody tr")).to_have_count(1)
    expect(sessions.locator("tbody tr")).to_contain_text("patient")
    e2e.check(page, "assignment-with-session")

    open_patient(page, "Alex Moreno")
    expect(page.locator("#program")).to_contain_text("1 session so far")
    e2e.check(page, "patient-with-adherence")


def test_a_therapist_outside_the_care_team_gets_404(e2e, staff):
    patient_id = PatientFactory(clinic=staff.clinic, primary=staff,
                                display_name="Jordan Reyes").id
    template_id = next(iter(starter_templates(staff.clinic, staff).values()))
    assignment = AssignmentFactory(actor=staff, patient=patient_id, template=template_id,
                                   start_date=measures.utcnow().date())
    invitation = InvitationFactory(actor=staff, patient=patient_id, codes=["PHQ-9", "GAD-7"])
    measures.submit_link_answers(invitation.id, {"PHQ-9": PHQ9_RISK, "GAD-7": GAD7}, {})
    response_id = measures.current_responses(patient_id, "PHQ-9")[0].id
    assignment_id, invitation_id = assignment.id, invitation.id
    db.session.commit()

    owner = e2e.page()  # the patient's own therapist reaches every page
    log_in(owner, THERAPIST)
    owner.goto("/alerts")
    owner.get_by_role("link", name="Risk item answered").click()
    alert_path = owner.url.removeprefix(e2e.base_url)
    pages = [
        f"/patients/{patient_id}",
        f"/patients/{patient_id}/edit",
        f"/patients/{patient_id}/invitations/{invitation_id}",
        f"/patients/{patient_id}/responses/{response_id}",
        f"/patients/{patient_id}/responses/new?instrument=PHQ-9",
        f"/patients/{patient_id}/charts/PHQ-9.svg",
        f"/programs/assignments/{assignment_id}",
        alert_path,
    ]
    for path in pages:
        assert owner.goto(path).status == 200, path

    page = e2e.page()
    log_in(page, OTHER_THERAPIST)
    expect(page.get_by_text("Jordan Reyes")).to_have_count(0)
    expect(nav(page).locator(".badge")).to_have_count(0)
    e2e.check(page, "other-therapist-dashboard")
    nav(page).get_by_role("link", name="Caseload").click()
    expect(page.get_by_text("Jordan Reyes")).to_have_count(0)
    missing = page.goto("/patients/999999")  # no such patient: the very same answer
    assert missing.status == 404
    not_found = page.locator("main p").first.inner_text()
    for number, path in enumerate(pages, start=1):
        response = page.goto(path)
        assert response.status == 404, (path, response.status)
        if not path.endswith(".svg"):
            expect(heading(page)).to_have_text("Page not found")
            expect(page.locator("main p").first).to_have_text(not_found)
            expect(page.get_by_text("Jordan")).to_have_count(0)
            e2e.check(page, f"not-found-{number}")
