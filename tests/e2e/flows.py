"""Steps of the journeys, done the way a person does them: labels, roles and buttons.

Each step that lands on a page worth looking at takes ``check`` (``E2E.check``), which
screenshots it and runs axe on it.
"""

import re

from factories import TEST_PASSWORD
from playwright.sync_api import expect

# Answers by instrument: PHQ-9 item 9 (thoughts of self-harm) above "Not at all" is a risk answer.
PHQ9_RISK = [2, 2, 1, 2, 1, 2, 1, 1, 2]
PHQ9_CALM = [1, 0, 1, 1, 0, 1, 0, 0, 0]
GAD7 = [2, 1, 2, 1, 1, 2, 1]


def nav(page):
    return page.get_by_role("navigation", name="Main")


def flash(page):
    """The message a clinician page flashes after a change."""
    return page.locator(".flashes").get_by_role("status")


def heading(page):
    return page.get_by_role("heading", level=1)


def log_in(page, email, check=None, password=TEST_PASSWORD):
    page.goto("/login")
    expect(heading(page)).to_have_text("Log in")
    if check:
        check(page, "login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(heading(page)).to_have_text("My active patients")


def add_patient(page, name, reference, check=None):
    """From the caseload, add a patient; the patient's id (their page is open)."""
    nav(page).get_by_role("link", name="Caseload").click()
    expect(heading(page)).to_have_text("My caseload")
    if check:
        check(page, "caseload-empty")
    page.get_by_role("link", name="Add a patient").click()
    expect(heading(page)).to_have_text("Add a patient")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Reference").fill(reference)
    for box in page.locator('input[name="schedules"]').all():
        box.uncheck()  # the journeys schedule by hand (the one-form onboarding has its own test)
    if check:
        check(page, "add-patient-form")
    page.get_by_role("button", name="Add patient").click()
    expect(heading(page)).to_contain_text(name)
    expect(flash(page)).to_have_text(f"{name} has been added.")
    return patient_id_of(page)


def patient_id_of(page):
    match = re.search(r"/patients/(\d+)", page.url)
    assert match, page.url
    return int(match.group(1))


def open_patient(page, name):
    """From the dashboard, the patient's page."""
    nav(page).get_by_role("link", name="Dashboard").click()
    page.get_by_role("link", name=name).click()
    expect(heading(page)).to_contain_text(name)


def add_starter_programs(page, check=None):
    nav(page).get_by_role("link", name="Programs").click()
    expect(heading(page)).to_have_text("Programs")
    if check:
        check(page, "programs-empty")
    page.get_by_role("button", name="Add the starter programs").click()
    expect(flash(page)).to_have_text("3 starter program(s) added.")
    expect(page.get_by_role("link", name="Home foundations")).to_be_visible()
    if check:
        check(page, "programs-with-starters")


def open_action(page, action_id):
    """On the patient's page, unfold one of the actions (a ``<details>``); its locator."""
    section = page.locator(f"details#{action_id}")
    if section.get_attribute("open") is None:
        section.locator("summary").click()
    return section


def assign_program(page, name, program="Home foundations", check=None):
    """On the patient's page, assign a program; the assignment page is open."""
    open_patient(page, name)
    section = open_action(page, "assign")
    section.get_by_label("Program").select_option(label=program)
    if check:
        check(page, "patient-assign-program")
    section.get_by_role("button", name="Assign program").click()
    expect(heading(page)).to_contain_text(program)
    expect(flash(page)).to_have_text(
        "Program assigned. Give the patient their program link.")


def program_link(page):
    """The program link from the assignment page's link field."""
    return page.locator("#link-url").input_value()


def schedule_weekly(page, code):
    """On the patient's page, schedule a questionnaire every week."""
    section = open_action(page, "schedule")
    section.get_by_label("Questionnaire").select_option(value=code)
    section.get_by_label("How often").select_option(label="Every week")
    section.get_by_role("button", name="Schedule", exact=True).click()
    expect(flash(page)).to_have_text(f"{code} is scheduled.")


def make_link(page, codes=("PHQ-9", "GAD-7"), check=None):
    """On the patient's page, make an ad-hoc link; its address, read from the link field."""
    section = open_action(page, "make-link")
    for code in codes:
        section.get_by_role("checkbox", name=re.compile(f"^{re.escape(code)}:")).check()
    section.get_by_role("button", name="Make a link").click()
    expect(heading(page)).to_have_text("Questionnaire link")
    if check:
        check(page, "questionnaire-link")
    return page.get_by_label("Link").input_value()


def answer_questionnaire(page, answers):
    """Tick every answer (``{code: [values]}``), one part (instrument) after the other: each
    part but the last is kept with its button; the last is left for ``send_answers``."""
    while True:
        code = page.locator('input[name="part"]').input_value()
        for number, value in enumerate(answers[code], start=1):
            page.locator(f'input[name="{code}:{number}"][value="{value}"]').check()
        if page.get_by_role("button", name="Send my answers").count():
            return
        page.get_by_role("button", name="Keep these answers and go on").click()
        expect(page.locator('input[name="part"]')).not_to_have_value(code)


def send_answers(page):
    page.get_by_role("button", name="Send my answers").click()
    expect(heading(page)).to_have_text("Thank you")
