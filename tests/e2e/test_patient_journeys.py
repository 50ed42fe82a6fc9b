"""The patient's side in a real browser: a phone (360x740), with and without JavaScript, the
keyboard alone, and how heavy the patient pages are.

Patients have no account: every patient visit is a fresh browser context that opens a link.
"""

from urllib.parse import urlsplit

from factories import AssignmentFactory, InvitationFactory, PatientFactory, starter_templates
from helpers import rows
from playwright.sync_api import expect

from clinic.auth.models import Clinic
from clinic.extensions import db
from clinic.measures import services as measures
from clinic.measures.models import Response
from clinic.programs import services as programs
from e2e.conftest import THERAPIST, WEIGHTS
from e2e.flows import (
    GAD7,
    PHQ9_CALM,
    PHQ9_RISK,
    answer_questionnaire,
    heading,
    log_in,
    make_link,
    open_patient,
    send_answers,
)

MAX_PATIENT_PAGE_BYTES = 60_000
ALL_INSTRUMENTS = ["PHQ-9", "GAD-7", "RSES", "WHO-5", "PCL-5"]


def _responses(patient_id, code):
    return rows(Response, Response.patient_id == patient_id, Response.instrument_code == code)


def _crisis_text(staff_clinic_id):
    db.session.commit()
    return db.session.get(Clinic, staff_clinic_id).crisis_text


def _expect_crisis_text(page, text):
    crisis = page.get_by_role("alert")
    expect(crisis.get_by_role("heading", name="If you need help now")).to_be_visible()
    expect(crisis).to_contain_text(text)


def test_patient_answers_on_a_phone_with_and_without_javascript(e2e, staff):
    patient_id = PatientFactory(clinic=staff.clinic, primary=staff,
                                display_name="Dana Whitfield").id
    crisis_text = _crisis_text(staff.clinic_id)
    clinician = e2e.page()
    log_in(clinician, THERAPIST)
    open_patient(clinician, "Dana Whitfield")
    first_link = make_link(clinician)

    phone = e2e.page(phone=True)
    phone.goto(first_link)
    assert phone.url == f"{e2e.base_url}/q/"  # the token has left the address bar
    expect(heading(phone)).to_have_text("Your questionnaire")
    expect(phone.get_by_text("Dana")).to_have_count(0)  # no name on the patient's pages
    e2e.check(phone, "questionnaire")
    answer_questionnaire(phone, {"PHQ-9": PHQ9_RISK, "GAD-7": GAD7})
    e2e.check(phone, "questionnaire-answered")
    send_answers(phone)
    _expect_crisis_text(phone, crisis_text)
    e2e.check(phone, "done-with-crisis-text")
    phone.goto(first_link)  # a second tap on the used link
    expect(heading(phone)).to_have_text("This questionnaire is already done")
    e2e.check(phone, "link-already-done")

    clinician.get_by_role("link", name="Back to Dana Whitfield").click()
    second_link = make_link(clinician)
    assert second_link != first_link

    no_js = e2e.page(phone=True, javascript=False)
    no_js.goto(second_link)
    expect(heading(no_js)).to_have_text("Your questionnaire")
    assert no_js.evaluate("document.scripts.length") == 0
    e2e.check(no_js, "questionnaire-without-javascript", javascript=False)
    answer_questionnaire(no_js, {"PHQ-9": PHQ9_RISK, "GAD-7": GAD7})
    send_answers(no_js)
    _expect_crisis_text(no_js, crisis_text)
    e2e.check(no_js, "done-without-javascript", javascript=False)

    phq9 = _responses(patient_id, "PHQ-9")
    assert [r.answers for r in phq9] == [PHQ9_RISK, PHQ9_RISK]
    assert [r.source for r in phq9] == ["link", "link"]
    assert [r.answers for r in _responses(patient_id, "GAD-7")] == [GAD7, GAD7]

    clinician.get_by_role("link", name="Back to Dana Whitfield").click()
    scores = clinician.locator("#measures")
    expect(scores.get_by_role("table", name="PHQ-9 scores").locator("tbody tr")).to_have_count(2)
    expect(scores.get_by_role("img", name="Chart of PHQ-9 scores over time; the table lists "
                                           "every score.")).to_be_visible()
    e2e.check(clinician, "patient-with-scores")


def _focused(page):
    return page.evaluate("""() => {
      const el = document.activeElement;
      const option = el.closest(".option");
      return {tag: el.tagName, type: el.type || null, name: el.name || null,
              value: el.value || null, checked: el.checked === true,
              text: el.textContent.trim(),
              outline: option ? getComputedStyle(option).outlineStyle
                              : getComputedStyle(el).outlineStyle};
    }""")


def test_questionnaire_can_be_completed_with_the_keyboard_alone(e2e, staff):
    patient_id = PatientFactory(clinic=staff.clinic, primary=staff,
                                display_name="Dana Whitfield").id
    invitation = InvitationFactory(actor=staff, patient=patient_id, codes=["PHQ-9", "GAD-7"])
    link = measures.link_url(invitation)
    db.session.commit()
    page = e2e.page()
    page.goto(link)
    expect(heading(page)).to_have_text("Your questionnaire")

    # Tab into each radio group (its first option takes the focus, nothing is chosen yet),
    # then Space chooses the focused option or the arrow keys move to and choose another.
    answers = {"PHQ-9": [*PHQ9_CALM, 1], "GAD-7": GAD7}  # PHQ-9 item 10 is optional
    for code, values in answers.items():
        if code == "GAD-7":  # part 1 kept with its button; part 2 starts with a way back
            page.keyboard.press("Tab")
            assert _focused(page)["text"] == "Keep these answers and go on"
            page.keyboard.press("Enter")
            expect(page.get_by_text("Part 2 of 2")).to_be_visible()
            page.keyboard.press("Tab")
            assert _focused(page)["text"] == "Back to part 1"
        for number, value in enumerate(values, start=1):
            name = f"{code}:{number}"
            page.keyboard.press("Tab")
            focused = _focused(page)
            assert (focused["name"], focused["value"], focused["checked"]) == (name, "0", False)
            assert focused["outline"] == "solid", f"no visible focus on {name}"
            if value == 0:
                page.keyboard.press("Space")
            for _ in range(value):
                page.keyboard.press("ArrowDown")
            focused = _focused(page)
            assert (focused["name"], focused["value"], focused["checked"]) == (
                name, str(value), True)
            if (code, number) == ("PHQ-9", 3):
                e2e.check(page, "keyboard-focus")
    page.keyboard.press("Tab")
    focused = _focused(page)
    assert (focused["tag"], focused["text"]) == ("BUTTON", "Send my answers")
    assert focused["outline"] == "solid", "no visible focus on the send button"
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text("Thank you")
    expect(page.get_by_role("alert")).to_have_count(0)  # no risk answer, no crisis text
    e2e.check(page, "keyboard-done")

    [phq9] = _responses(patient_id, "PHQ-9")
    assert phq9.answers == PHQ9_CALM
    assert phq9.extra_answers == {"10": 1}
    assert [r.answers for r in _responses(patient_id, "GAD-7")] == [GAD7]


def _weigh(e2e, link, label):
    """Open ``link`` on a phone without JavaScript, in a fresh context (empty cache): every
    request the page made, checked and summed."""
    page = e2e.page(phone=True, javascript=False)
    requests = []
    page.on("request", lambda request: requests.append(request))
    page.goto(link, wait_until="load")
    page.wait_for_load_state("networkidle")
    rows = []
    for request in requests:
        sizes = request.sizes()
        response = request.response()
        rows.append({"url": request.url, "kind": request.resource_type,
                     "status": response.status if response else None,
                     "body": sizes["responseBodySize"],
                     "headers": sizes["responseHeadersSize"]})
    documents = [r for r in rows if r["kind"] == "document"]
    others = [r for r in rows if r["kind"] != "document"]
    # One HTML document: the link answers 303 to the token-less page, which is the document.
    assert [r["status"] for r in documents] == [303, 200], rows
    assert documents[0]["url"] == link, rows
    # Besides the page: its stylesheet and the app's icon, both served by the app.
    icon = f"{e2e.base_url}/static/favicon.svg"
    assert all(r["kind"] == "stylesheet" or r["url"].startswith(icon) for r in others), rows
    assert all(r["url"].startswith((f"{e2e.base_url}/static/css/", icon)) for r in others), rows
    for row in rows:  # no link token in the run's output
        row["path"] = urlsplit(row["url"]).path
        if row["url"] == link:
            row["path"] = row["path"][:3] + "<token>"
    weight = {"page": label, "requests": len(rows),
              "kinds": [f"{r['kind']} {r['path']} {r['body']} B" for r in rows],
              "body_bytes": sum(r["body"] for r in rows),
              "transfer_bytes": sum(r["body"] + r["headers"] for r in rows)}
    WEIGHTS.append(weight)
    assert weight["transfer_bytes"] < MAX_PATIENT_PAGE_BYTES, weight
    return page


def test_patient_pages_are_light_and_work_without_javascript(e2e, staff):
    patient_id = PatientFactory(clinic=staff.clinic, primary=staff,
                                display_name="Dana Whitfield").id
    links = {}
    for label, codes in (("/q/ PHQ-9 + GAD-7", ["PHQ-9", "GAD-7"]),
                         ("/q/ all five questionnaires", ALL_INSTRUMENTS)):
        invitation = InvitationFactory(actor=staff, patient=patient_id, codes=codes)
        links[label] = measures.link_url(invitation)
    template_id = starter_templates(staff.clinic, staff)["Home foundations"]
    assignment = AssignmentFactory(actor=staff, patient=patient_id, template=template_id,
                                   start_date=measures.utcnow().date())
    links["/p/ Home foundations, level 1"] = programs.program_link(assignment)
    db.session.commit()

    for label in ("/q/ PHQ-9 + GAD-7", "/q/ all five questionnaires"):
        page = _weigh(e2e, links[label], label)
        expect(heading(page)).to_have_text("Your questionnaire")

    page = _weigh(e2e, links["/p/ Home foundations, level 1"], "/p/ Home foundations, level 1")
    expect(heading(page)).to_have_text("Your next session")
    e2e.check(page, "program-without-javascript", javascript=False)
    page.get_by_label("I skipped it").check()
    page.get_by_label("Fatigue").check()
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_role("status")).to_contain_text("Thanks for letting us know.")
    e2e.check(page, "program-saved-without-javascript", javascript=False)
    db.session.commit()
    [logged] = programs.sessions_of(assignment.id)
    assert logged.status == "skipped"
    assert logged.source == "patient"
