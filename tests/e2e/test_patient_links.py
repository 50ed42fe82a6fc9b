"""The patient's links on a 360 px phone: one link that leads to the waiting questionnaire,
errors that can be seen, one part at a time, and a calm page for every link state.

Page heights and weights are printed (and summed up at the end of the run with the others).
"""

from datetime import timedelta

import time_machine
from factories import AssignmentFactory, InvitationFactory, PatientFactory, program_token
from playwright.sync_api import expect

from clinic.database import utcnow
from clinic.extensions import db
from clinic.measures import services as measures
from clinic.portal import services as patient_links
from clinic.programs import services as programs
from e2e.conftest import CRISIS_TEXT, THERAPIST
from e2e.flows import GAD7, PHQ9_CALM, heading, log_in, make_link, open_patient
from e2e.test_patient_journeys import _weigh

NAME = "Morwenna Tallis"


def _height(page):
    return page.evaluate("document.documentElement.scrollHeight")


def _record_height(label, page):
    height = _height(page)
    print(f"height of {label}: {height} px at 360 px")  # the one-page form was about 6,400
    return height


def test_one_link_leads_to_the_questionnaire_part_by_part_with_visible_errors(e2e, staff):
    PatientFactory(clinic=staff.clinic, primary=staff, display_name=NAME)
    clinician = e2e.page()
    log_in(clinician, THERAPIST)
    open_patient(clinician, NAME)
    clinician.get_by_role("button", name="Make the patient's link").click()
    patient_link = clinician.locator("#patient-link-url").input_value()
    assert "/p/" in patient_link
    e2e.check(clinician, "patient-page-with-the-patients-link")

    phone = _weigh(e2e, patient_link, "/p/ the patient's link, nothing waiting")
    assert phone.url == f"{e2e.base_url}/p/"  # the token has left the address bar
    expect(heading(phone)).to_have_text("Your page")
    expect(phone.get_by_text("Nothing to answer right now")).to_be_visible()
    e2e.check(phone, "home-nothing-waiting", javascript=False)
    phone = e2e.page(phone=True)
    phone.goto(patient_link)

    make_link(clinician)  # a PHQ-9 + GAD-7 link, as by mail
    phone.reload()
    expect(phone.get_by_role("heading", name="A questionnaire is waiting for you")).to_be_visible()
    e2e.check(phone, "home-questionnaire-waiting")
    phone.get_by_role("button", name="Answer the questionnaire").click()
    assert phone.url == f"{e2e.base_url}/q/"  # no token after the first hop
    expect(phone.get_by_text("Part 1 of 2")).to_be_visible()
    # The crisis notice comes before the first question.
    notice = phone.get_by_role("heading", name="Before you start")
    expect(notice).to_be_visible()
    expect(phone.get_by_text(CRISIS_TEXT)).to_be_visible()
    first_question = phone.locator('input[name="PHQ-9:1"]').first
    assert notice.bounding_box()["y"] < first_question.bounding_box()["y"]
    assert notice.bounding_box()["y"] < 740  # on the first screen
    part1_height = _record_height("/q/ part 1 of 2 (PHQ-9)", phone)
    e2e.check(phone, "questionnaire-part-1")

    # A missing answer: the page opens at the summary, focused, each field says so.
    for number, value in enumerate(PHQ9_CALM, start=1):
        if number != 5:
            phone.locator(f'input[name="PHQ-9:{number}"][value="{value}"]').check()
    phone.get_by_role("button", name="Keep these answers and go on").click()
    summary = phone.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert phone.evaluate("window.scrollY") < 200
    expect(phone.locator("#PHQ-9-5-error")).to_have_text("Answer required.")
    assert phone.locator('input[type="radio"]:checked').count() == 8  # every answer kept
    e2e.check(phone, "questionnaire-error-summary")
    summary.get_by_role("link", name="Question 5: Answer required.").click()
    assert phone.url.endswith("#PHQ-9-5")
    phone.locator('input[name="PHQ-9:5"][value="1"]').check()
    phone.get_by_role("button", name="Keep these answers and go on").click()
    expect(phone.get_by_text("Part 2 of 2")).to_be_visible()
    part2_height = _record_height("/q/ part 2 of 2 (GAD-7)", phone)
    e2e.check(phone, "questionnaire-part-2")

    # The patient stops here. Next day, on the same link: part 2 waits, part 1 is kept.
    phone.context.close()
    later = e2e.page(phone=True)
    later.goto(patient_link)
    later.get_by_role("button", name="Carry on with the questionnaire").click()
    expect(later.get_by_text("Part 2 of 2")).to_be_visible()
    for number, value in enumerate(GAD7, start=1):
        later.locator(f'input[name="GAD-7:{number}"][value="{value}"]').check()
    later.get_by_role("button", name="Send my answers").click()
    expect(heading(later)).to_have_text("Thank you")
    later.get_by_role("link", name="Back to your page").click()
    expect(later.get_by_text("Nothing to answer right now")).to_be_visible()
    assert part1_height < 4500 and part2_height < 3500, (part1_height, part2_height)


def test_errors_are_seen_without_javascript_too(e2e, staff):
    patient_id = PatientFactory(clinic=staff.clinic, primary=staff, display_name=NAME).id
    invitation = InvitationFactory(actor=staff, patient=patient_id, codes=["GAD-7"])
    link = measures.link_url(invitation)
    db.session.commit()
    phone = e2e.page(phone=True, javascript=False)
    phone.goto(link)
    for number, value in enumerate(GAD7[:-1], start=1):
        phone.locator(f'input[name="GAD-7:{number}"][value="{value}"]').check()
    phone.get_by_role("button", name="Send my answers").click()
    summary = phone.locator("#error-summary")
    expect(summary).to_be_focused()  # autofocus: no script needed
    expect(phone.locator("#GAD-7-7-error")).to_have_text("Answer required.")
    assert phone.locator('input[type="radio"]:checked').count() == 6
    e2e.check(phone, "error-summary-without-javascript", javascript=False)
    # Without a risk item the notice stays at the bottom, as before.
    expect(phone.get_by_role("heading", name="Before you start")).to_have_count(0)


def test_the_program_page_says_a_questionnaire_is_waiting(e2e, staff):
    patient_id = PatientFactory(clinic=staff.clinic, primary=staff, display_name=NAME).id
    assignment = AssignmentFactory(actor=staff, patient=patient_id)
    InvitationFactory(actor=staff, patient=patient_id, codes=["PHQ-9"])
    link = programs.program_link(assignment)
    db.session.commit()
    page = _weigh(e2e, link, "/p/ program with a questionnaire waiting")
    expect(page.get_by_role("heading", name="A questionnaire is waiting for you")).to_be_visible()
    e2e.check(page, "program-with-questionnaire-waiting", javascript=False)
    page.get_by_role("button", name="Answer the questionnaire").click()
    assert page.url == f"{e2e.base_url}/q/"
    expect(heading(page)).to_have_text("Your questionnaire")
    expect(page.get_by_text("Part 1 of")).to_have_count(0)  # one questionnaire: no parts


def test_every_link_state_gets_a_calm_page(e2e, staff):
    patient_id = PatientFactory(clinic=staff.clinic, primary=staff, display_name=NAME).id
    assignment = AssignmentFactory(actor=staff, patient=patient_id)
    old_program = programs.program_link(assignment)
    programs.rotate_link(staff, assignment.id)
    revoked = InvitationFactory(actor=staff, patient=patient_id, codes=["PHQ-9"])
    measures.revoke_invitation(staff, patient_id, revoked.id)
    expiring = InvitationFactory(actor=staff, patient=patient_id, codes=["PHQ-9"])
    used = InvitationFactory(actor=staff, patient=patient_id, codes=["GAD-7"])
    measures.submit_link_answers(used.id, {"GAD-7": GAD7}, {})
    other = PatientFactory(clinic=staff.clinic, primary=staff, display_name="Other Person").id
    home = patient_links.issue_patient_link(staff, other)
    replaced_home = patient_links.patient_link_url(home)
    patient_links.issue_patient_link(staff, other)
    token = program_token(assignment)
    unknown = f"{e2e.base_url}/p/{'A' if token[0] != 'A' else 'B'}{token[1:]}"
    db.session.commit()

    cases = [
        ("replaced program link", old_program, "This link is no longer active"),
        ("replaced patient link", replaced_home, "This link is no longer active"),
        ("revoked questionnaire link", measures.link_url(revoked), "This link is no longer active"),
        ("unknown link", unknown, "This link is no longer active"),
        ("used questionnaire link", measures.link_url(used), "This questionnaire is already done"),
    ]
    bodies = {}
    for label, link, words in cases:
        phone = e2e.page(phone=True)
        phone.goto(link)
        expect(heading(phone)).to_have_text(words)
        body = phone.locator("body").inner_text()
        assert "Page not found" not in body and "Riverside" not in body and NAME not in body
        assert "urgent help" in body
        bodies[label] = body
        e2e.check(phone, "calm-" + label.replace(" ", "-"))
    # A guessed token and a replaced or revoked link read exactly the same.
    assert (
        len(
            {
                bodies[k]
                for k in (
                    "replaced program link",
                    "replaced patient link",
                    "revoked questionnaire link",
                    "unknown link",
                )
            }
        )
        == 1
    )

    with time_machine.travel(utcnow() + timedelta(days=30)):
        phone = e2e.page(phone=True)
        phone.goto(measures.link_url(expiring))
        expect(heading(phone)).to_have_text("This link has expired")
        assert "Riverside" not in phone.locator("body").inner_text()
        e2e.check(phone, "calm-expired-questionnaire-link")
