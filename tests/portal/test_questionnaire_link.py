"""The patient's questionnaire link ``/q/<token>``, end to end through the real app.

A patient has no account: each test drives a separate browser (``app.test_client()``) that
opens the link, reads the form a real browser would see and posts it back. Every refusal is
checked in the database: nothing stored, the link still open.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from conftest import AuthActions
from factories import ClinicFactory, InvitationFactory, PatientFactory, UserFactory, link_token
from helpers import answers, forged_session, fresh, open_link, rows, text

from clinic.alerts.models import Alert
from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.measures import services
from clinic.measures.models import Invitation, Response

CRISIS = "Call the Riverside crisis line on 0800 000 111, day or night."
NAME = "Zebedee Quill"
REFERENCE = "ZQ-4242"

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
INVITATION = re.compile(r'name="invitation" value="(\d+)"')
PART = re.compile(r'name="part" value="([^"]+)"')
CHECKED = re.compile(r'<input type="radio" name="([^"]+)" value="([^"]+)"[^>]*\schecked')

PHQ9_CALM = [1, 1, 1, 1, 1, 1, 1, 1, 0]  # total 8, mild, item 9 "Not at all"
PHQ9_RISK = [2, 2, 2, 2, 2, 2, 2, 2, 1]  # total 17, moderately severe, item 9 above 0


# Helpers ---------------------------------------------------------------------------------------


def make_link(user, patient_id, codes=("PHQ-9",)):
    """An ad-hoc link made by ``user`` now: (invitation id, token)."""
    invitation = InvitationFactory(actor=user, patient=patient_id, codes=codes)
    return invitation.id, link_token(invitation)


def form_fields(page):
    """The hidden fields of the questionnaire form on ``page``."""
    text = page.get_data(as_text=True)
    return {"csrf_token": CSRF.search(text).group(1),
            "invitation": INVITATION.search(text).group(1),
            "part": PART.search(text).group(1)}


def submit(browser, page, fields):
    return browser.post("/q/", data={**form_fields(page), **fields})


def responses_of(patient_id):
    return rows(Response, Response.patient_id == patient_id)


def alerts_of(patient_id):
    return rows(Alert, Alert.patient_id == patient_id)


def nothing_stored(patient_id, invitation_id):
    assert responses_of(patient_id) == []
    assert alerts_of(patient_id) == []
    assert fresh(Invitation, invitation_id).completed_at is None


# Fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def clinic(app):
    return ClinicFactory(name="Riverside Clinic", crisis_text=CRISIS)


@pytest.fixture
def therapist(clinic):
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email="ther@riverside.test",
                       name="Theo Therapist")


@pytest.fixture
def patient(clinic, therapist):
    return PatientFactory(clinic=clinic, primary=therapist, display_name=NAME,
                          reference=REFERENCE)


@pytest.fixture
def link(therapist, patient):
    """(invitation id, token) of a PHQ-9 link."""
    return make_link(therapist, patient.id)


@pytest.fixture
def browser(app):
    """The patient's phone: no clinician login."""
    return app.test_client()


# Opening the link -------------------------------------------------------------------------------


def test_the_token_leaves_the_address_bar_at_once(browser, link):
    invitation_id, token = link
    first = browser.get(f"/q/{token}")
    assert first.status_code == 303
    assert first.headers["Location"] == "/q/"
    assert token not in first.headers["Location"]
    assert first.headers["Referrer-Policy"] == "no-referrer"
    assert first.headers["Cache-Control"] == "no-store"

    page = browser.get("/q/")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    body = text(page)
    assert token not in body
    assert form_fields(page)["invitation"] == str(invitation_id)
    # The whole PHQ-9 (9 scored items, 4 options each) plus the optional item 10 (4 options).
    assert len(re.findall(r'type="radio" name="PHQ-9:\d+"', body)) == 9 * 4 + 4


def test_a_session_naming_only_an_invitation_id_gets_nothing(browser, app, therapist, patient,
                                                             link):
    invitation_id, token = link
    browser.set_cookie("liftclinic_session",
                       forged_session(app, {"portal_invitation": invitation_id}))
    page = browser.get("/q/")
    assert page.status_code == 404 and "PHQ-9" not in text(page)
    # The id with a made-up hash, or another link's hash, finds nothing either.
    other_id, _ = make_link(therapist, patient.id)
    other_hash = fresh(Invitation, other_id).token_hash
    for held in ([invitation_id, "0" * 64], [invitation_id, other_hash]):
        browser.set_cookie("liftclinic_session",
                           forged_session(app, {"portal_invitation": held}))
        assert browser.get("/q/").status_code == 404
    assert browser.get(f"/q/{token}").status_code == 303  # the link itself still opens
    assert browser.get("/q/").status_code == 200


def test_opening_the_link_never_consumes_it(browser, app, patient, link):
    invitation_id, token = link
    scanner = app.test_client()  # a mail scanner opens it first, more than once
    for _ in range(3):
        assert scanner.get(f"/q/{token}").status_code == 303
        assert scanner.get("/q/").status_code == 200
    assert scanner.head(f"/q/{token}").status_code == 303
    nothing_stored(patient.id, invitation_id)
    assert fresh(Invitation, invitation_id).revoked_at is None

    # The patient still gets a working link afterwards.
    page = open_link(browser, token, "q")
    assert submit(browser, page, answers("PHQ-9", PHQ9_CALM)).status_code == 303
    assert [r.total for r in responses_of(patient.id)] == [8]


def test_patient_pages_show_no_name_or_reference(browser, therapist, patient, link):
    _, token = link
    pages = [open_link(browser, token, "q")]
    pages.append(submit(browser, pages[0], answers("PHQ-9", PHQ9_CALM[:-1])))  # 422 page
    assert pages[-1].status_code == 422
    assert submit(browser, pages[0], answers("PHQ-9", PHQ9_RISK)).status_code == 303
    pages.append(browser.get("/q/done"))
    calm = [open_link(browser, token, "q")]  # "already done"
    revoked_id, revoked_token = make_link(therapist, patient.id)
    services.revoke_invitation(therapist, patient.id, revoked_id)
    calm.append(browser.get(f"/q/{revoked_token}"))
    assert [p.status_code for p in pages + calm] == [200, 422, 200, 200, 410]
    for page in pages + calm:
        body = text(page)
        assert NAME not in body
        assert REFERENCE not in body
        assert page.headers["Cache-Control"] == "no-store"
    for page in pages:
        assert "Riverside Clinic" in text(page)  # the clinic's name is all that identifies
    for page in calm:  # a link that asks nothing more shows no clinic either
        assert "Riverside Clinic" not in text(page)
        assert CRISIS not in text(page)


def test_unknown_and_stopped_tokens_get_one_calm_page(browser, therapist, patient, link):
    """A guessed token, a malformed one and a revoked link's token get the same calm page with
    the same status: nothing tells a guesser which tokens ever existed."""
    _, token = link
    unknown = ("A" if token[0] != "A" else "B") + token[1:]  # right shape, no such link
    revoked_id, revoked_token = make_link(therapist, patient.id)
    services.revoke_invitation(therapist, patient.id, revoked_id)
    pages = [browser.get(f"/q/{unknown}"), browser.get("/q/not-a-token"),
             browser.get(f"/q/{revoked_token}")]
    assert [p.status_code for p in pages] == [410, 410, 410]
    assert len({text(p) for p in pages}) == 1
    body = text(pages[0])
    assert "This link is no longer active" in body
    assert "ask your clinician for your current link" in body
    assert "Page not found" not in body and "Riverside" not in body
    assert all(p.headers["Referrer-Policy"] == "no-referrer" for p in pages)
    # Other addresses under /q/ are still the site's own not-found page.
    assert browser.get("/q/no/such/page").status_code == 404
    # Nothing was remembered: the token-less page has no link to show.
    assert browser.get("/q/").status_code == 404


# Answering --------------------------------------------------------------------------------------


def test_complete_answers_are_stored_once_and_complete_the_link(browser, patient, link):
    invitation_id, token = link
    page = open_link(browser, token, "q")
    response = submit(browser, page, {**answers("PHQ-9", PHQ9_CALM), "PHQ-9:10": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/q/done"

    done = browser.get("/q/done")
    assert done.status_code == 200
    assert "Your answers are saved" in text(done)
    assert CRISIS not in text(done)

    [stored] = responses_of(patient.id)
    assert (stored.instrument_code, stored.total, stored.band, stored.is_case) == (
        "PHQ-9", 8, "mild", False)
    assert stored.answers == PHQ9_CALM
    assert stored.extra_answers == {"10": 1}
    assert (stored.source, stored.invitation_id, stored.entered_by_id) == (
        "link", invitation_id, None)
    assert stored.prorated is False
    assert alerts_of(patient.id) == []
    assert fresh(Invitation, invitation_id).completed_at is not None
    db.session.commit()
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "response_submit")).all()
    assert [(e.actor_kind, e.patient_id, e.object_id) for e in events] == [
        ("link", patient.id, invitation_id)]


def test_a_link_with_two_questionnaires_asks_one_part_at_a_time(browser, app, therapist,
                                                                 patient):
    invitation_id, token = make_link(therapist, patient.id, ("GAD-7", "PHQ-9"))
    page = open_link(browser, token, "q")
    body = text(page)
    assert "Part 1 of 2" in body and "Part 2 of 2" not in body
    assert 'name="PHQ-9:1"' in body and 'name="GAD-7:1"' not in body
    # The crisis notice comes before the first question, not only after sending.
    assert body.index("not watched in real time") < body.index(CRISIS) < body.index(
        'name="PHQ-9:1"')
    assert CRISIS in body and "Keep these answers and go on" in body

    # Part 1 with a risk answer: kept, never scored, never alerting, not a response.
    kept = submit(browser, page, {**answers("PHQ-9", PHQ9_RISK), "PHQ-9:10": "2"})
    assert (kept.status_code, kept.headers["Location"]) == (303, "/q/")
    nothing_stored(patient.id, invitation_id)
    assert fresh(Invitation, invitation_id).draft_answers == {
        "PHQ-9": PHQ9_RISK, "extras": {"PHQ-9": {"10": 2}}}

    # The patient stops here; the link opened again (another phone even) resumes at part 2.
    other_phone = app.test_client()
    part2 = open_link(other_phone, token, "q")
    assert "Part 2 of 2" in text(part2) and 'name="GAD-7:1"' in text(part2)
    assert "Send my answers" in text(part2) and CRISIS in text(part2)
    # Going back shows part 1's answers as kept.
    back = other_phone.get("/q/?part=1")
    assert dict(CHECKED.findall(text(back)))["PHQ-9:9"] == "1"
    assert other_phone.get("/q/?part=2").status_code == 200

    # One GAD-7 answer missing: neither questionnaire is stored, the summary says which.
    gad7 = answers("GAD-7", [3, 3, 3, 3, 3, 3, 3])
    partial = submit(other_phone, part2, {**gad7, "GAD-7:7": ""})
    assert partial.status_code == 422
    assert 'href="#GAD-7-7"' in text(partial)
    nothing_stored(patient.id, invitation_id)

    done = submit(other_phone, part2, gad7)
    assert (done.status_code, done.headers["Location"]) == (303, "/q/done")
    stored = {r.instrument_code: (r.total, r.band) for r in responses_of(patient.id)}
    assert stored == {"PHQ-9": (17, "moderately severe"), "GAD-7": (21, "severe")}
    # The risk alert fired when the complete set was sent, once.
    assert [a.kind for a in alerts_of(patient.id)].count("risk_item") == 1
    assert fresh(Invitation, invitation_id).draft_answers is None
    assert CRISIS in text(other_phone.get("/q/done"))


def test_kept_parts_are_audited_without_answers_and_dropped_on_revoke(
        browser, therapist, patient):
    invitation_id, token = make_link(therapist, patient.id, ("GAD-7", "PHQ-9"))
    page = open_link(browser, token, "q")
    assert submit(browser, page, answers("PHQ-9", PHQ9_CALM)).status_code == 303
    db.session.commit()
    [event] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "invitation_part_save")).all()
    assert (event.actor_kind, event.object_id, event.patient_id) == (
        "link", invitation_id, patient.id)
    assert "1" not in str(event.detail.get("answers", ""))  # the event names no answer
    services.revoke_invitation(therapist, patient.id, invitation_id)
    assert fresh(Invitation, invitation_id).draft_answers is None


def test_a_kept_part_is_refused_once_the_link_stopped(browser, app, therapist, patient):
    invitation_id, token = make_link(therapist, patient.id, ("GAD-7", "PHQ-9"))
    page = open_link(browser, token, "q")
    services.revoke_invitation(therapist, patient.id, invitation_id)
    late = submit(browser, page, answers("PHQ-9", PHQ9_CALM))
    assert late.status_code == 410 and "no longer active" in text(late)
    assert fresh(Invitation, invitation_id).draft_answers is None


def test_the_one_page_form_of_before_still_sends_the_whole_set(browser, therapist, patient):
    """A page opened before parts existed posts every instrument at once: still accepted."""
    invitation_id, token = make_link(therapist, patient.id, ("GAD-7", "PHQ-9"))
    page = open_link(browser, token, "q")
    fields = {k: v for k, v in form_fields(page).items() if k != "part"}
    gad7 = answers("GAD-7", [3, 3, 3, 3, 3, 3, 3])
    missing = browser.post("/q/", data={**fields, **answers("PHQ-9", PHQ9_CALM), **gad7,
                                        "GAD-7:7": ""})
    assert missing.status_code == 422
    nothing_stored(patient.id, invitation_id)
    sent = browser.post("/q/", data={**fields, **answers("PHQ-9", PHQ9_CALM), **gad7})
    assert sent.status_code == 303
    assert len(responses_of(patient.id)) == 2


def test_a_missing_answer_shows_the_page_again_with_every_other_answer_kept(
        browser, patient, link):
    invitation_id, token = link
    page = open_link(browser, token, "q")
    given = [2, 0, 3, 1, None, 2, 0, 1, 0]
    response = submit(browser, page, {**answers("PHQ-9", given), "PHQ-9:10": "2"})
    assert response.status_code == 422
    body = text(response)
    # The message sits at the item, and the summary links to it.
    assert re.search(r'<fieldset class="item item-error" id="PHQ-9-5"', body)
    assert '<p class="error-message" id="PHQ-9-5-error">Answer required.</p>' in body
    assert body.count('class="error-message"') == 1
    assert 'href="#PHQ-9-5"' in body
    kept = dict(CHECKED.findall(body))
    assert kept == {**{f"PHQ-9:{n}": str(v) for n, v in enumerate(given, 1) if v is not None},
                    "PHQ-9:10": "2"}
    nothing_stored(patient.id, invitation_id)

    # Answering the one question completes the link.
    fixed = submit(browser, response, {**answers("PHQ-9", [2, 0, 3, 1, 3, 2, 0, 1, 0])})
    assert fixed.status_code == 303
    assert [r.total for r in responses_of(patient.id)] == [12]


@pytest.mark.parametrize(("change", "status", "message"), [
    ({"PHQ-9:1": "4"}, 422, "4 is not an option here"),
    ({"PHQ-9:2": "-1"}, 422, "-1 is not an option here"),
    ({"PHQ-9:3": "often"}, 422, "&#39;often&#39; is not a whole number"),
    ({"PHQ-9:4": "1.0"}, 422, "&#39;1.0&#39; is not a whole number"),
    ({"PHQ-9:9": ""}, 422, "Answer required."),
    ({"PHQ-9:11": "1"}, 400, None),  # an item the PHQ-9 does not have
    ({"GAD-7:1": "1"}, 400, None),  # a questionnaire this link does not hold
    ({"PHQ-9:10": "7"}, 400, None),  # the optional item out of range
    ({"total": "0"}, 400, None),  # a score sent from the client is never taken
], ids=["out-of-range", "negative", "word", "decimal", "missing", "extra-item",
        "other-instrument", "optional-out-of-range", "client-total"])
def test_invalid_answers_are_refused_and_nothing_is_stored(
        browser, patient, link, change, status, message):
    invitation_id, token = link
    page = open_link(browser, token, "q")
    response = submit(browser, page, {**answers("PHQ-9", PHQ9_RISK), **change})
    assert response.status_code == status
    if message:
        assert message in text(response)
    nothing_stored(patient.id, invitation_id)
    # The link still works afterwards.
    assert submit(browser, open_link(browser, token, "q"),
                  answers("PHQ-9", PHQ9_CALM)).status_code == 303
    assert len(responses_of(patient.id)) == 1


def test_a_risk_answer_shows_the_clinics_crisis_text_and_raises_an_alert(
        browser, patient, link):
    _, token = link
    page = open_link(browser, token, "q")
    assert submit(browser, page, answers("PHQ-9", PHQ9_RISK)).status_code == 303
    done = browser.get("/q/done")
    assert done.status_code == 200
    assert CRISIS in text(done)
    assert "If you need help now" in text(done)

    [stored] = responses_of(patient.id)
    assert (stored.total, stored.band, stored.is_case) == (17, "moderately severe", True)
    assert stored.flags == ["risk_item"]
    [alert] = alerts_of(patient.id)
    assert (alert.kind, alert.response_id, alert.acknowledged_at) == (
        "risk_item", stored.id, None)


def test_without_a_risk_answer_the_thank_you_page_has_no_crisis_text(browser, patient, link):
    _, token = link
    assert submit(browser, open_link(browser, token, "q"),
                  answers("PHQ-9", [3, 3, 3, 3, 3, 3, 3, 3, 0])).status_code == 303
    done = text(browser.get("/q/done"))
    assert "Thank you" in done
    assert CRISIS not in done
    assert [r.total for r in responses_of(patient.id)] == [24]
    assert alerts_of(patient.id) == []


# Submitting twice ---------------------------------------------------------------------------------


def test_submitting_twice_in_one_browser_stores_one_response(browser, patient, link):
    _, token = link
    page = open_link(browser, token, "q")
    first = submit(browser, page, answers("PHQ-9", PHQ9_RISK))
    second = submit(browser, page, answers("PHQ-9", PHQ9_RISK))  # double tap / back + resend
    assert (first.status_code, second.status_code) == (303, 303)
    assert second.headers["Location"] == "/q/done"
    assert [r.total for r in responses_of(patient.id)] == [17]
    assert [a.kind for a in alerts_of(patient.id)] == ["risk_item"]


def test_a_second_tab_gets_the_already_done_page_and_stores_nothing(
        app, browser, patient, link):
    _, token = link
    other_tab = app.test_client()
    page_one = open_link(browser, token, "q")
    page_two = open_link(other_tab, token, "q")
    assert submit(browser, page_one, answers("PHQ-9", PHQ9_CALM)).status_code == 303
    late = submit(other_tab, page_two, answers("PHQ-9", PHQ9_RISK))
    assert late.status_code == 200
    assert "This questionnaire is already done" in text(late)
    assert [(r.total, r.answers) for r in responses_of(patient.id)] == [(8, PHQ9_CALM)]
    assert alerts_of(patient.id) == []


def test_two_requests_racing_past_the_state_check_store_one_response(
        app, browser, patient, link, monkeypatch):
    """Both requests see an open link: the unique constraint, not a check, keeps it to one."""
    _, token = link
    other_tab = app.test_client()
    page_one = open_link(browser, token, "q")
    page_two = open_link(other_tab, token, "q")
    assert submit(browser, page_one, answers("PHQ-9", PHQ9_CALM)).status_code == 303
    # The second request checked the state before the first one committed.
    monkeypatch.setattr(Invitation, "state", lambda self, now: "open")
    late = submit(other_tab, page_two, answers("PHQ-9", PHQ9_RISK))
    assert late.status_code == 303
    assert late.headers["Location"] == "/q/done"
    assert [(r.total, r.answers) for r in responses_of(patient.id)] == [(8, PHQ9_CALM)]
    assert alerts_of(patient.id) == []


# Used, expired, revoked ------------------------------------------------------------------------


def test_a_used_link_gets_the_already_done_page(app, browser, patient, link):
    _, token = link
    assert submit(browser, open_link(browser, token, "q"),
                  answers("PHQ-9", PHQ9_CALM)).status_code == 303
    later = app.test_client()  # the same link, opened again next day
    page = open_link(later, token, "q")
    assert page.status_code == 200
    assert "This questionnaire is already done" in text(page)
    assert "Send my answers" not in text(page)
    assert len(responses_of(patient.id)) == 1


def test_an_expired_link_says_so_with_410_and_stores_nothing(app, therapist, patient):
    start = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        invitation_id, token = make_link(therapist, patient.id)
    assert fresh(Invitation, invitation_id).expires_at == start + timedelta(days=4)

    with time_machine.travel(start + timedelta(days=4) - timedelta(minutes=1), tick=False):
        early = app.test_client()
        stale_page = open_link(early, token, "q")
        assert stale_page.status_code == 200
        assert "Send my answers" in text(stale_page)

    with time_machine.travel(start + timedelta(days=4), tick=False):
        page = open_link(app.test_client(), token, "q")
        assert page.status_code == 410
        assert "This link has expired" in text(page)
        assert "Ask your clinician for a new link" in text(page)
        assert "Send my answers" not in text(page)
        # A form opened a minute before expiry and sent after it is refused too.
        late = submit(early, stale_page, answers("PHQ-9", PHQ9_RISK))
        assert late.status_code == 410
        assert "This link has expired" in text(late)
    nothing_stored(patient.id, invitation_id)


def test_a_questionnaire_opened_in_the_evening_can_be_sent_next_morning(
        app, therapist, patient):
    """The link lives 4 days: answers sent 13 hours after opening the page are not lost."""
    evening = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    with time_machine.travel(evening, tick=False):
        invitation_id, token = make_link(therapist, patient.id)
        phone = app.test_client()
        page = open_link(phone, token, "q")
        assert page.status_code == 200
    with time_machine.travel(evening + timedelta(hours=13), tick=False):
        sent = submit(phone, page, answers("PHQ-9", PHQ9_CALM))
        assert "Form expired" not in text(sent)
        assert sent.status_code == 303
    assert [r.total for r in responses_of(patient.id)] == [8]
    assert fresh(Invitation, invitation_id).completed_at == evening + timedelta(hours=13)


def test_a_revoked_link_says_so_with_410_and_stores_nothing(
        browser, therapist, patient, link):
    invitation_id, token = link
    page = open_link(browser, token, "q")  # opened before the clinician stopped it
    services.revoke_invitation(therapist, patient.id, invitation_id)
    again = browser.get(f"/q/{token}")  # the calm page at once, as for any unknown token
    assert again.status_code == 410
    assert "This link is no longer active" in text(again)
    assert "This link has expired" not in text(again)
    late = submit(browser, page, answers("PHQ-9", PHQ9_RISK))
    assert late.status_code == 410
    assert "This link is no longer active" in text(late)
    nothing_stored(patient.id, invitation_id)


# Another invitation's form --------------------------------------------------------------------


def test_a_form_of_another_link_is_refused_with_409(browser, therapist, patient):
    first_id, first_token = make_link(therapist, patient.id)
    second_id, second_token = make_link(therapist, patient.id, ("GAD-7",))
    old_page = open_link(browser, first_token, "q")
    open_link(browser, second_token, "q")  # the browser now holds the second link
    response = submit(browser, old_page, answers("PHQ-9", PHQ9_RISK))
    assert response.status_code == 409
    assert "Please start again" in text(response)
    assert "Nothing was saved" in text(response)
    nothing_stored(patient.id, first_id)
    nothing_stored(patient.id, second_id)


def test_a_forged_invitation_field_is_refused_with_409(browser, therapist, patient, link):
    invitation_id, token = link
    other_patient = PatientFactory(clinic=patient.clinic, primary=therapist)
    other_id, _ = make_link(therapist, other_patient.id)
    page = open_link(browser, token, "q")
    response = browser.post("/q/", data={**form_fields(page), "invitation": str(other_id),
                                         **answers("PHQ-9", PHQ9_CALM)})
    assert response.status_code == 409
    nothing_stored(patient.id, invitation_id)
    nothing_stored(other_patient.id, other_id)


# Rate limiting --------------------------------------------------------------------------------


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_PATIENT_LINKS": "3 per minute"}])
def test_opening_links_is_rate_limited(browser, link):
    _, token = link
    for n in range(3):  # guessing tokens counts as much as opening a real one
        assert browser.get(f"/q/{'x' * 42}{n}").status_code == 410
    limited = browser.get(f"/q/{token}")
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert token not in text(limited)


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_PATIENT_LINKS": "3 per minute"}])
def test_posting_answers_is_rate_limited(browser, patient, link):
    invitation_id, token = link
    page = open_link(browser, token, "q")
    for _ in range(3):
        assert submit(browser, page, answers("PHQ-9", PHQ9_CALM[:-1])).status_code == 422
    limited = submit(browser, page, answers("PHQ-9", PHQ9_CALM))
    assert limited.status_code == 429
    nothing_stored(patient.id, invitation_id)


# Who may see what the patient sent -------------------------------------------------------------


def test_another_clinics_clinician_cannot_see_the_response_or_the_alert(
        app, client, auth, browser, therapist, patient, link):
    _, token = link
    assert submit(browser, open_link(browser, token, "q"),
                  answers("PHQ-9", PHQ9_RISK)).status_code == 303
    [stored] = responses_of(patient.id)
    [alert] = alerts_of(patient.id)
    response_url = f"/patients/{patient.id}/responses/{stored.id}"

    own = app.test_client()
    AuthActions(own).login(therapist.email)
    assert own.get(response_url).status_code == 200
    assert own.get(f"/alerts/{alert.id}").status_code == 200

    outsider = UserFactory(clinic=ClinicFactory(), role=Role.ADMIN, email="admin@elsewhere.test")
    auth.login(outsider.email)
    assert client.get(response_url).status_code == 404
    assert client.get(f"/alerts/{alert.id}").status_code == 404
    assert client.get(f"/patients/{patient.id}/charts/PHQ-9.svg").status_code == 404
    refused = auth.post(f"/alerts/{alert.id}", {"note": "Not mine"})
    assert refused.status_code == 404
    inbox = text(client.get("/alerts"))
    assert NAME not in inbox
    assert "No open alerts." in inbox
    assert "badge-alert" not in inbox
    assert alerts_of(patient.id)[0].acknowledged_at is None
