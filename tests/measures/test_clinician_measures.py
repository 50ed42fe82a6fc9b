"""The clinician's side of outcome measures, through the real pages: links, paper forms,
corrections, change over time, charts, the alert inbox and schedules.

Every page is used as a browser would (real login, real CSRF token); every effect is checked
in the database after the request.
"""

import re
import secrets
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import time_machine
from conftest import AuthActions
from factories import (
    ClinicFactory,
    InvitationFactory,
    PatientFactory,
    ResponseFactory,
    UserFactory,
    link_token,
)
from helpers import answers, audit, flat, rows, svg_of, text

from clinic import tokens
from clinic.alerts.models import Alert
from clinic.auth.models import Role
from clinic.database import utcnow
from clinic.errors import NotFound
from clinic.extensions import db
from clinic.measures import jobs, services
from clinic.measures.models import (
    Invitation,
    MeasureSchedule,
    Response,
    ResponsesAreImmutable,
)
from clinic.timefmt import format_day, format_in_zone

SVG = "{http://www.w3.org/2000/svg}"
CHECKED = re.compile(r'<input type="radio" name="([^"]+)" value="([^"]+)"[^>]*\schecked')
ALERT_LINK = re.compile(r'href="/alerts/(\d+)"')
LINK_URL = re.compile(r'value="(http://clinic\.test/q/[A-Za-z0-9_-]{43})"')

TODAY = datetime.now(UTC).date()
DAY_1 = TODAY - timedelta(days=21)
DAY_2 = TODAY - timedelta(days=14)
DAY_3 = TODAY - timedelta(days=7)


# Helpers ---------------------------------------------------------------------------------------


def noon(day):
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def enter_url(patient_id, code):
    return f"/patients/{patient_id}/responses/new?instrument={code}"


def enter_paper(auth, patient_id, code, values, completed_on, **extra):
    data = {"completed_on": completed_on.isoformat(), **answers(code, values), **extra}
    return auth.post(enter_url(patient_id, code), data)


def stored_response(user, patient_id, code, values, day):
    """A paper form saved through the service (setup, not the thing under test)."""
    return ResponseFactory(actor=user, patient=patient_id, code=code, answers=values,
                           completed_at=noon(day))


# Fixtures --------------------------------------------------------------------------------------


@pytest.fixture
def clinic(app):
    return ClinicFactory(name="Hillside Clinic")


@pytest.fixture
def therapist(clinic):
    return UserFactory(clinic=clinic, role=Role.THERAPIST, email="theo@hillside.test",
                       name="Theo Therapist")


@pytest.fixture
def patient(clinic, therapist):
    # The episode began well before the paper forms entered below.
    return PatientFactory(clinic=clinic, primary=therapist, display_name="Mina Patient",
                          episode_start=utcnow() - timedelta(days=90))


@pytest.fixture
def logged_in(auth, therapist):
    auth.login(therapist.email)
    return auth


@pytest.fixture
def outsider(app):
    """An admin of another clinic, logged in on a browser of their own."""
    user = UserFactory(clinic=ClinicFactory(name="Elsewhere"), role=Role.ADMIN,
                       email="admin@elsewhere.test")
    browser = app.test_client()
    actions = AuthActions(browser)
    actions.login(user.email)
    return SimpleNamespace(get=browser.get, post=actions.post)


# Ad-hoc links -----------------------------------------------------------------------------------


def test_a_link_made_on_the_patient_page_shows_the_url_and_a_qr_code(
        app, client, logged_in, therapist, patient):
    page = client.get(f"/patients/{patient.id}")
    assert f'action="/patients/{patient.id}/invitations"' in text(page)

    made = logged_in.post(f"/patients/{patient.id}/invitations",
                          {"instruments": ["GAD-7", "PHQ-9"]}, token_page=f"/patients/{patient.id}")
    assert made.status_code == 303
    [invitation] = rows(Invitation, Invitation.patient_id == patient.id)
    assert made.headers["Location"] == f"/patients/{patient.id}/invitations/{invitation.id}"
    assert invitation.instruments == ["PHQ-9", "GAD-7"]  # always in the registry's order
    assert (invitation.kind, invitation.created_by_id, invitation.due_on) == (
        "adhoc", therapist.id, None)
    assert invitation.expires_at - invitation.created_at == timedelta(days=4)
    assert audit("invitation_create") == [
        (therapist.id, invitation.id, patient.id, {"instruments": ["PHQ-9", "GAD-7"]})]

    shown = client.get(made.headers["Location"])  # asked of http://localhost/
    assert shown.status_code == 200
    body = text(shown)
    [url] = LINK_URL.findall(body)  # built from BASE_URL, never from the request's host
    assert url == services.link_url(invitation)
    token = url.rsplit("/", 1)[1]
    assert services.link_invitation(token).id == invitation.id
    assert "localhost/q/" not in body
    svg = re.search(r"<svg.*?</svg>", body, re.S)
    assert svg is not None
    assert "<title>QR code of the link</title>" in svg.group(0)
    assert "Stop this link" in body

    # The link opens the two questionnaires for the patient.
    phone = app.test_client()
    assert phone.get(f"/q/{token}").status_code == 303
    questionnaire = text(phone.get("/q/"))
    assert "Part 1 of 2" in questionnaire  # one questionnaire at a time
    assert 'name="PHQ-9:9"' in questionnaire


def test_a_link_needs_at_least_one_questionnaire(client, logged_in, patient):
    refused = logged_in.post(f"/patients/{patient.id}/invitations", {})
    assert refused.status_code == 422
    assert "Choose at least one questionnaire." in text(refused)
    refused = logged_in.post(f"/patients/{patient.id}/invitations", {"instruments": ["XYZ-1"]})
    assert refused.status_code == 422
    assert rows(Invitation) == []


def test_no_link_for_a_discharged_patient(logged_in, clinic, therapist):
    discharged = PatientFactory(clinic=clinic, primary=therapist, status="discharged",
                                discharged_at=utcnow())
    refused = logged_in.post(f"/patients/{discharged.id}/invitations", {"instruments": ["PHQ-9"]})
    assert refused.status_code == 422
    assert "This patient is discharged" in text(refused)
    assert rows(Invitation) == []


def test_revoking_a_link_stops_it(app, client, logged_in, therapist, patient):
    invitation = InvitationFactory(actor=therapist, patient=patient)
    invitation_id = invitation.id
    token = link_token(invitation)
    revoked = logged_in.post(f"/patients/{patient.id}/invitations/{invitation_id}/revoke")
    assert revoked.status_code == 303
    assert revoked.headers["Location"] == f"/patients/{patient.id}#links"
    [row] = rows(Invitation)
    assert row.revoked_at is not None
    assert row.completed_at is None
    assert [a[1] for a in audit("invitation_revoke")] == [invitation_id]

    page = client.get(f"/patients/{patient.id}/invitations/{invitation_id}")
    assert "This link is revoked: it can no longer be used." in flat(page)
    assert "<svg" not in text(page)
    assert token not in text(page)
    assert "<td>revoked</td>" in text(client.get(f"/patients/{patient.id}"))

    phone = app.test_client()
    closed = phone.get(f"/q/{token}")  # the calm page at once, as for any unknown token
    assert closed.status_code == 410
    assert "This link is no longer active" in text(closed)


def test_another_clinic_cannot_see_or_revoke_a_link(outsider, therapist, patient):
    invitation_id = InvitationFactory(actor=therapist, patient=patient).id
    base = f"/patients/{patient.id}/invitations"
    assert outsider.get(f"{base}/{invitation_id}").status_code == 404
    assert outsider.post(f"{base}/{invitation_id}/revoke").status_code == 404
    assert outsider.post(base, {"instruments": ["PHQ-9"]}).status_code == 404
    assert [r.revoked_at for r in rows(Invitation)] == [None]


# Paper forms ------------------------------------------------------------------------------------


def test_the_paper_form_page_offers_every_item(client, logged_in, patient):
    page = client.get(enter_url(patient.id, "PHQ-9"))
    assert page.status_code == 200
    body = text(page)
    assert len(re.findall(r'type="radio" name="PHQ-9:[1-9]"', body)) == 9 * 4
    assert "Up to 2 items may be left blank" in body
    assert client.get(enter_url(patient.id, "NOPE")).status_code == 404


def test_a_paper_form_is_stored_as_clinician_entered_with_its_date(
        client, logged_in, therapist, patient):
    saved = enter_paper(logged_in, patient.id, "PHQ-9", [1, 2, 1, 2, 1, 2, 1, 2, 0], DAY_2,
                        **{"PHQ-9:10": "1"})
    assert saved.status_code == 303
    assert saved.headers["Location"] == f"/patients/{patient.id}#measures"
    [stored] = rows(Response)
    assert (stored.instrument_code, stored.total, stored.band, stored.is_case) == (
        "PHQ-9", 12, "moderate", True)
    assert (stored.source, stored.entered_by_id, stored.invitation_id) == (
        "clinician", therapist.id, None)
    assert stored.completed_at == noon(DAY_2)
    assert stored.answers == [1, 2, 1, 2, 1, 2, 1, 2, 0]
    assert stored.extra_answers == {"10": 1}
    assert stored.prorated is False
    assert rows(Alert) == []
    assert audit("response_enter") == [
        (therapist.id, stored.id, patient.id, {"instrument": "PHQ-9"})]

    overview = flat(client.get(f"/patients/{patient.id}"))
    assert f"<td>{format_day(DAY_2)}</td> <td>12</td> <td>moderate</td>" in overview
    assert "<td>paper, entered by Theo Therapist</td>" in overview
    detail = flat(client.get(f"/patients/{patient.id}/responses/{stored.id}"))
    assert f"PHQ-9 of {format_day(DAY_2)}" in detail
    assert "Source: paper form entered by Theo Therapist." in detail


def test_two_blank_items_are_prorated(client, logged_in, patient):
    # 12 over 7 answered items: 12 * 9 / 7 = 15.43, rounded to 15.
    saved = enter_paper(logged_in, patient.id, "PHQ-9", [2, 2, None, 2, None, 2, 2, 2, 0], DAY_2)
    assert saved.status_code == 303
    [stored] = rows(Response)
    assert (stored.total, stored.band, stored.prorated) == (15, "moderately severe", True)
    assert stored.answers == [2, 2, None, 2, None, 2, 2, 2, 0]
    assert rows(Alert) == []
    assert "(prorated)" in text(client.get(f"/patients/{patient.id}/responses/{stored.id}"))


def test_a_blank_item_9_raises_a_risk_item_unanswered_alert(logged_in, patient):
    saved = enter_paper(logged_in, patient.id, "PHQ-9", [1, 1, 1, 1, 1, 1, 1, 1, None], DAY_2)
    assert saved.status_code == 303
    [stored] = rows(Response)
    assert (stored.total, stored.band, stored.prorated) == (9, "mild", True)
    assert stored.flags == ["risk_item_unanswered"]
    assert [(a.kind, a.response_id, a.patient_id) for a in rows(Alert)] == [
        ("risk_item_unanswered", stored.id, patient.id)]


def test_three_blank_items_are_refused_with_the_answers_kept(logged_in, patient):
    given = [3, None, 2, None, 1, None, 0, 1, 0]
    refused = enter_paper(logged_in, patient.id, "PHQ-9", given, DAY_2)
    assert refused.status_code == 422
    body = text(refused)
    message = "Answer required: at most 2 items may be missing on a PHQ-9, 3 are."
    for number in (2, 4, 6):
        assert f'<p class="error-message" id="PHQ-9-{number}-error">{message}</p>' in body
    assert dict(CHECKED.findall(body)) == {
        f"PHQ-9:{n}": str(v) for n, v in enumerate(given, 1) if v is not None}
    assert f'value="{DAY_2.isoformat()}"' in body
    assert rows(Response) == []
    assert rows(Alert) == []


def test_a_future_date_is_refused(logged_in, patient):
    refused = enter_paper(logged_in, patient.id, "PHQ-9", [0] * 9, TODAY + timedelta(days=1))
    assert refused.status_code == 422
    assert "The date cannot be in the future." in text(refused)
    assert rows(Response) == []
    assert audit("response_enter") == []


def test_a_paper_form_filled_in_this_morning_can_be_entered_this_morning(app, clinic, therapist):
    """08:00 UTC (08:00 or 09:00 in the clinic's London time): today is not in the future."""
    morning = datetime.combine(TODAY + timedelta(days=7), time(8, 0), tzinfo=UTC)
    with time_machine.travel(morning, tick=False):
        patient = PatientFactory(clinic=clinic, primary=therapist)
        actions = AuthActions(app.test_client())
        actions.login(therapist.email)
        saved = enter_paper(actions, patient.id, "PHQ-9", [1] * 8 + [0], morning.date())
        assert "The date cannot be in the future." not in text(saved)
        assert saved.status_code == 303
    [stored] = rows(Response)
    assert stored.completed_at.date() == morning.date()
    assert stored.completed_at <= morning


def test_another_clinic_cannot_enter_a_paper_form(outsider, patient):
    assert outsider.get(enter_url(patient.id, "PHQ-9")).status_code == 404
    refused = enter_paper(outsider, patient.id, "PHQ-9", [0] * 9, DAY_2)
    assert refused.status_code == 404
    assert rows(Response) == []


# Corrections ------------------------------------------------------------------------------------


def test_a_correction_supersedes_the_original_and_both_stay(
        client, logged_in, therapist, patient):
    original_id = stored_response(therapist, patient.id, "PHQ-9", [0] * 9, DAY_2).id
    url = f"/patients/{patient.id}/responses/{original_id}/correct"

    form = client.get(url)
    assert form.status_code == 200
    assert dict(CHECKED.findall(text(form))) == {f"PHQ-9:{n}": "0" for n in range(1, 10)}
    assert f'value="{DAY_2.isoformat()}"' in text(form)

    fixed = logged_in.post(url, {"completed_on": DAY_2.isoformat(),
                                 "reason": "Item 1 was misread from the paper form.",
                                 **answers("PHQ-9", [3, 0, 0, 0, 0, 0, 0, 0, 0])})
    assert fixed.status_code == 303
    original, corrected = rows(Response)
    assert (original.id, original.total, original.supersedes_id) == (original_id, 0, None)
    assert original.answers == [0] * 9
    assert (corrected.total, corrected.supersedes_id, corrected.source) == (
        3, original_id, "clinician")
    assert corrected.correction_reason == "Item 1 was misread from the paper form."
    assert corrected.entered_by_id == therapist.id
    assert corrected.completed_at == noon(DAY_2)
    assert [r.id for r in services.current_responses(patient.id, "PHQ-9")] == [corrected.id]
    assert audit("response_enter") == [
        (therapist.id, original_id, patient.id, {"instrument": "PHQ-9"})]
    assert audit("response_correct") == [
        (therapist.id, corrected.id, patient.id, {"supersedes": original_id})]

    old_page = text(client.get(f"/patients/{patient.id}/responses/{original_id}"))
    assert "Superseded by a" in old_page
    assert f"/responses/{corrected.id}" in old_page
    assert "Correct this response" not in old_page
    new_page = flat(client.get(f"/patients/{patient.id}/responses/{corrected.id}"))
    assert "Reason: Item 1 was misread from the paper form." in new_page
    overview = flat(client.get(f"/patients/{patient.id}"))
    assert "(correction)" in overview
    assert f"/responses/{corrected.id}" in overview
    assert f"/responses/{original_id}\"" not in overview  # only the current one is listed


def test_a_correction_needs_a_reason(client, logged_in, therapist, patient):
    original_id = stored_response(therapist, patient.id, "GAD-7", [1] * 7, DAY_2).id
    url = f"/patients/{patient.id}/responses/{original_id}/correct"
    refused = logged_in.post(url, {"completed_on": DAY_2.isoformat(), "reason": "   ",
                                   **answers("GAD-7", [2] * 7)})
    assert refused.status_code == 422
    assert "Say why the response is being corrected." in text(refused)
    assert dict(CHECKED.findall(text(refused))) == {f"GAD-7:{n}": "2" for n in range(1, 8)}
    assert [r.total for r in rows(Response)] == [7]
    assert audit("response_correct") == []


def test_a_response_is_corrected_once(logged_in, therapist, patient):
    original_id = stored_response(therapist, patient.id, "GAD-7", [1] * 7, DAY_2).id
    url = f"/patients/{patient.id}/responses/{original_id}/correct"
    data = {"completed_on": DAY_2.isoformat(), "reason": "Typo", **answers("GAD-7", [2] * 7)}
    assert logged_in.post(url, data).status_code == 303
    again = logged_in.post(url, data)
    assert again.status_code == 422
    assert "already been corrected" in text(again)
    assert [(r.total, r.supersedes_id) for r in rows(Response)] == [
        (7, None), (14, original_id)]


def test_the_orm_refuses_to_change_or_delete_a_stored_response(therapist, patient):
    response_id = stored_response(therapist, patient.id, "PHQ-9", [1] * 9, DAY_2).id
    row = db.session.get(Response, response_id)
    row.total = 0
    with pytest.raises(ResponsesAreImmutable):
        db.session.flush()
    db.session.rollback()

    row = db.session.get(Response, response_id)
    db.session.delete(row)
    with pytest.raises(ResponsesAreImmutable):
        db.session.flush()
    db.session.rollback()

    [kept] = rows(Response)
    assert (kept.id, kept.total, kept.band) == (response_id, 9, "mild")


def test_the_orm_refuses_bulk_updates_and_deletes_of_responses(therapist, patient):
    response_id = stored_response(therapist, patient.id, "PHQ-9", [1] * 9, DAY_2).id
    for statement in (sa.update(Response).values(total=0), sa.delete(Response)):
        with pytest.raises(ResponsesAreImmutable):
            db.session.execute(statement)
        db.session.rollback()
    [kept] = rows(Response)
    assert (kept.id, kept.total) == (response_id, 9)


# Change over time and charts ----------------------------------------------------------------------


def test_reliable_deterioration_raises_an_alert_and_shows_on_the_patient_page(
        client, logged_in, therapist, patient):
    assert enter_paper(logged_in, patient.id, "GAD-7", [1, 1, 1, 1, 1, 1, 0], DAY_1
                       ).status_code == 303
    assert rows(Alert) == []
    assert enter_paper(logged_in, patient.id, "GAD-7", [2, 2, 2, 2, 1, 1, 1], DAY_2
                       ).status_code == 303
    baseline, latest = rows(Response)
    assert (baseline.total, latest.total) == (6, 11)
    [alert] = rows(Alert)
    assert (alert.kind, alert.response_id, alert.patient_id, alert.clinic_id) == (
        "reliable_deterioration", latest.id, patient.id, patient.clinic_id)
    assert alert.detail == {"instrument": "GAD-7", "baseline": 6, "latest": 11,
                            "baseline_response_id": baseline.id}

    overview = flat(client.get(f"/patients/{patient.id}"))
    assert (f"Baseline 6 on {format_day(DAY_1)} → latest 11 on {format_day(DAY_2)} (+5). "
            "<strong>Reliable deterioration.</strong> Not a case at baseline.") in overview
    assert "Reliable deterioration</a>" in overview  # in the patient's alert list
    assert f"GAD-7 on {format_day(DAY_2)}" in overview


def test_a_change_below_the_threshold_raises_no_alert(client, logged_in, patient):
    assert enter_paper(logged_in, patient.id, "GAD-7", [1, 1, 1, 1, 1, 1, 0], DAY_1
                       ).status_code == 303
    assert enter_paper(logged_in, patient.id, "GAD-7", [2, 2, 1, 1, 1, 1, 1], DAY_2
                       ).status_code == 303
    assert [r.total for r in rows(Response)] == [6, 9]
    assert rows(Alert) == []
    assert (f"Baseline 6 on {format_day(DAY_1)} → latest 9 on {format_day(DAY_2)} (+3). "
            "No reliable change.") in flat(
        client.get(f"/patients/{patient.id}"))


def test_the_alert_commits_with_its_response_or_neither_does(logged_in, patient, monkeypatch):
    assert enter_paper(logged_in, patient.id, "GAD-7", [1, 1, 1, 1, 1, 1, 0], DAY_1
                       ).status_code == 303

    def broken(*args, **kwargs):
        raise RuntimeError("change classification failed")

    monkeypatch.setattr(services, "change_between", broken)
    with pytest.raises(RuntimeError, match="change classification failed"):
        enter_paper(logged_in, patient.id, "GAD-7", [3] * 7, DAY_2)
    assert [r.total for r in rows(Response)] == [6]
    assert rows(Alert) == []
    assert len(audit("response_enter")) == 1


def chart(client, patient_id, code):
    response = client.get(f"/patients/{patient_id}/charts/{code}.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    return svg_of(response)


def test_the_chart_has_one_point_per_current_response(client, logged_in, therapist, patient):
    empty = chart(client, patient.id, "PHQ-9")
    assert empty.tag == f"{SVG}svg"
    assert list(empty.iter(f"{SVG}circle")) == []

    for values, day in (([0] * 9, DAY_1), ([1] * 9, DAY_2), ([2] * 9, DAY_3)):
        stored_response(therapist, patient.id, "PHQ-9", values, day)
    stored_response(therapist, patient.id, "GAD-7", [1] * 7, DAY_1)
    first = rows(Response)[0]
    services.correct_response(therapist, patient.id, first.id, [1] + [0] * 8, noon(DAY_1),
                              "Typo")
    assert len(rows(Response)) == 5

    root = chart(client, patient.id, "PHQ-9")
    assert root.tag == f"{SVG}svg"
    assert len(list(root.iter(f"{SVG}circle"))) == 3  # the superseded response is not drawn
    assert root.find(f"{SVG}title").text == "PHQ-9 scores over time"
    assert "3 PHQ-9 score(s)" in root.find(f"{SVG}desc").text
    assert "latest 18" in root.find(f"{SVG}desc").text
    assert len(list(chart(client, patient.id, "GAD-7").iter(f"{SVG}circle"))) == 1
    assert client.get(f"/patients/{patient.id}/charts/NOPE.svg").status_code == 404


def test_another_clinic_cannot_see_a_chart_or_a_response(outsider, therapist, patient):
    response_id = stored_response(therapist, patient.id, "PHQ-9", [1] * 9, DAY_2).id
    browser = outsider
    assert browser.get(f"/patients/{patient.id}/charts/PHQ-9.svg").status_code == 404
    assert browser.get(f"/patients/{patient.id}/responses/{response_id}").status_code == 404
    assert browser.get(f"/patients/{patient.id}/responses/{response_id}/correct"
                       ).status_code == 404
    refused = outsider.post(f"/patients/{patient.id}/responses/{response_id}/correct",
                            {"completed_on": DAY_2.isoformat(), "reason": "x",
                             **answers("PHQ-9", [0] * 9)})
    assert refused.status_code == 404
    assert len(rows(Response)) == 1


# Alerts -----------------------------------------------------------------------------------------


@pytest.fixture
def world(clinic, therapist, patient):
    """Alerts on my patient, a colleague's patient (same clinic) and another clinic's patient."""
    colleague = UserFactory(clinic=clinic, role=Role.THERAPIST, email="col@hillside.test")
    admin = UserFactory(clinic=clinic, role=Role.ADMIN, email="admin@hillside.test",
                        name="Ada Admin")
    theirs = PatientFactory(clinic=clinic, primary=colleague, display_name="Colin Patient")
    far_admin = UserFactory(clinic=ClinicFactory(), role=Role.ADMIN, email="far@b.test")
    far = PatientFactory(clinic=far_admin.clinic, primary=far_admin, display_name="Faye Far")
    risk = [1] * 8 + [2]
    mine = stored_response(therapist, patient.id, "PHQ-9", risk, DAY_2)
    stored_response(colleague, theirs.id, "PHQ-9", risk, DAY_2)
    stored_response(far_admin, far.id, "PHQ-9", risk, DAY_2)
    alert_ids = {a.patient_id: a.id for a in rows(Alert)}
    return {"admin": admin, "mine": alert_ids[patient.id], "theirs": alert_ids[theirs.id],
            "far": alert_ids[far.id], "response": mine.id}


def inbox_ids(response):
    return [int(i) for i in ALERT_LINK.findall(text(response))]


def badge(response):
    match = re.search(r'Alerts <span class="badge badge-alert">(\d+)<span', text(response))
    return int(match.group(1)) if match else 0


def test_the_inbox_lists_open_alerts_of_patients_in_scope_only(app, client, logged_in, world):
    inbox = client.get("/alerts")
    assert inbox.status_code == 200
    assert inbox_ids(inbox) == [world["mine"]]
    assert "Mina Patient" in text(inbox)
    assert "Colin Patient" not in text(inbox)
    assert "Faye Far" not in text(inbox)
    assert badge(inbox) == 1
    assert badge(client.get("/")) == 1
    assert client.get(f"/alerts/{world['theirs']}").status_code == 404
    assert client.get(f"/alerts/{world['far']}").status_code == 404

    admin_browser = app.test_client()
    AuthActions(admin_browser).login(world["admin"].email)
    admin_inbox = admin_browser.get("/alerts")
    assert sorted(inbox_ids(admin_inbox)) == sorted([world["mine"], world["theirs"]])
    assert badge(admin_inbox) == 2


def test_acknowledging_needs_a_note(client, logged_in, world):
    url = f"/alerts/{world['mine']}"
    empty = logged_in.post(url, {"note": ""})
    assert empty.status_code == 422
    assert "Write a short note on what you did." in text(empty)
    blank = logged_in.post(url, {"note": "   \n "})
    assert blank.status_code == 422
    assert "Write a short note on what you did." in text(blank)
    too_long = "Phoned. " * 300  # 2,400 characters
    long = logged_in.post(url, {"note": too_long})
    assert long.status_code == 422
    assert "2000" in text(long)
    assert too_long.strip() in text(long)  # what was typed is kept
    [alert] = rows(Alert, Alert.id == world["mine"])
    assert (alert.acknowledged_at, alert.acknowledged_by_id, alert.note) == (None, None, None)
    assert inbox_ids(client.get("/alerts")) == [world["mine"]]


def test_an_acknowledged_alert_leaves_the_inbox_but_stays_in_history(
        client, logged_in, therapist, patient, world):
    page = client.get(f"/alerts/{world['mine']}")
    assert page.status_code == 200
    assert "Risk item answered" in text(page)

    done = logged_in.post(f"/alerts/{world['mine']}",
                          {"note": "Phoned the patient; safety plan reviewed."})
    assert done.status_code == 303
    assert done.headers["Location"] == "/alerts"
    [alert] = rows(Alert, Alert.id == world["mine"])
    assert alert.acknowledged_by_id == therapist.id
    assert alert.acknowledged_at is not None
    assert alert.note == "Phoned the patient; safety plan reviewed."
    assert audit("alert_acknowledge") == [
        (therapist.id, world["mine"], patient.id, {"kind": "risk_item"})]

    inbox = client.get("/alerts")
    assert inbox_ids(inbox) == []
    assert "No open alerts." in text(inbox)
    assert badge(inbox) == 0
    history = client.get("/alerts?show=all")
    assert inbox_ids(history) == [world["mine"]]
    day = format_in_zone(alert.acknowledged_at, alert.patient.clinic.zone, with_time=False)
    assert f"acknowledged {day}" in text(history)  # on the clinic's calendar
    overview = flat(client.get(f"/patients/{patient.id}"))
    assert f'href="/alerts/{world["mine"]}">Risk item answered</a>' in overview
    assert "acknowledged by Theo Therapist" in overview
    again = text(client.get(f"/alerts/{world['mine']}"))
    assert "Note:</strong> Phoned the patient; safety plan reviewed." in again
    assert "Acknowledged by Theo Therapist" in again


def test_every_alert_names_the_response_or_week_that_raised_it(
        client, logged_in, patient, world):
    weeks = [DAY_2, DAY_3]
    invitations = []
    for due_on in weeks:
        token = secrets.token_urlsafe(32)
        invitation = Invitation(patient_id=patient.id, instruments=["PHQ-9"], kind="scheduled",
                                due_on=due_on, token_salt=tokens.new_salt(),
                                token_hash=tokens.token_hash(token), created_at=noon(due_on),
                                expires_at=noon(due_on) + timedelta(days=4))
        db.session.add(invitation)
        invitations.append(invitation)
    db.session.flush()
    missed = Alert(clinic_id=patient.clinic_id, patient_id=patient.id,
                   kind="missed_questionnaires", invitation_id=invitations[-1].id,
                   detail={"due_on": [str(d) for d in weeks]})
    db.session.add(missed)
    db.session.commit()

    inbox = flat(client.get("/alerts"))
    assert sorted(inbox_ids(client.get("/alerts"))) == sorted([world["mine"], missed.id])
    assert f'<td data-label="Raised by">PHQ-9 of {format_day(DAY_2)}</td>' in inbox
    assert f'<td data-label="Raised by">week of {format_day(DAY_3)}</td>' in inbox

    risk_page = flat(client.get(f"/alerts/{world['mine']}"))
    response_link = f'href="/patients/{patient.id}/responses/{world["response"]}"'
    assert f"<dt>Raised by</dt><dd><a {response_link}>PHQ-9 of {format_day(DAY_2)}</a>" \
        in risk_page
    assert "(total 10)" in risk_page
    missed_page = flat(client.get(f"/alerts/{missed.id}"))
    assert (f"Questionnaires due {DAY_2.isoformat()} and {DAY_3.isoformat()} expired "
            "unanswered") in missed_page
    overview = flat(client.get(f"/patients/{patient.id}"))
    assert f"PHQ-9 on {format_day(DAY_2)}" in overview
    assert f"week of {format_day(DAY_3)}" in overview


# Schedules --------------------------------------------------------------------------------------


def schedule_data(starts_on, ends_on=None, instrument="PHQ-9", weekday=0):
    return {"instrument": instrument, "every_weeks": "1", "weekday": str(weekday),
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat() if ends_on else ""}


def test_a_schedule_is_saved_and_listed(client, logged_in, therapist, patient):
    saved = logged_in.post(f"/patients/{patient.id}/schedules", schedule_data(DAY_1))
    assert saved.status_code == 303
    assert saved.headers["Location"] == f"/patients/{patient.id}#schedules"
    [item] = rows(MeasureSchedule)
    assert (item.patient_id, item.instrument_code, item.every_weeks, item.weekday) == (
        patient.id, "PHQ-9", 1, 0)
    assert (item.starts_on, item.ends_on, item.created_by_id) == (DAY_1, None, therapist.id)
    assert [a[1] for a in audit("schedule_save")] == [item.id]
    overview = flat(client.get(f"/patients/{patient.id}"))
    assert f"<strong>PHQ-9</strong> every week on Monday, from {format_day(DAY_1)}" in overview


def test_an_end_date_before_the_start_is_refused_at_the_field(logged_in, patient):
    refused = logged_in.post(f"/patients/{patient.id}/schedules",
                             schedule_data(DAY_2, ends_on=DAY_2 - timedelta(days=1)))
    assert refused.status_code == 422
    body = text(refused)
    assert ('<p class="error-message" id="ends_on-error"><span>The end date must be on or '
            "after the start date.</span>") in body
    assert f'value="{DAY_2.isoformat()}"' in body  # the start date is kept
    assert rows(MeasureSchedule) == []


def test_stopping_a_schedule_ends_it(client, logged_in, therapist, patient):
    services.save_schedule(therapist, patient.id,
                           services.ScheduleInput("PHQ-9", 1, 0, DAY_1))
    [item] = rows(MeasureSchedule)
    stopped = logged_in.post(f"/patients/{patient.id}/schedules/{item.id}/stop")
    assert stopped.status_code == 303
    assert stopped.headers["Location"] == f"/patients/{patient.id}#schedules"
    [item] = rows(MeasureSchedule)
    assert item.ends_on is not None
    assert DAY_1 <= item.ends_on <= TODAY
    assert [a[1] for a in audit("schedule_stop")] == [item.id]
    assert "The schedule has stopped." in text(client.get(f"/patients/{patient.id}"))

    missing = logged_in.post(f"/patients/{patient.id}/schedules/{item.id + 99}/stop")
    assert missing.status_code == 404


def _next_monday(after):
    return after + timedelta(days=7 - after.weekday())


def test_a_schedule_stopped_early_on_its_day_sends_nothing_that_day(app, therapist, patient):
    """Stopped at 06:00 UTC on a Monday, before the 08:00 send: no link that day."""
    monday = _next_monday(TODAY + timedelta(days=7))
    assert monday.weekday() == 0
    early = datetime.combine(monday, time(6, 0), tzinfo=UTC)
    with time_machine.travel(early, tick=False) as traveller:
        actions = AuthActions(app.test_client())
        actions.login(therapist.email)
        saved = actions.post(f"/patients/{patient.id}/schedules",
                             schedule_data(monday - timedelta(days=21)))
        assert saved.status_code == 303
        [item] = rows(MeasureSchedule)
        assert actions.post(f"/patients/{patient.id}/schedules/{item.id}/stop"
                            ).status_code == 303

        traveller.move_to(datetime.combine(monday, time(10, 0), tzinfo=UTC))
        report = jobs.send_due()
    assert report.created == 0
    assert rows(Invitation) == []


def test_another_clinic_cannot_schedule_or_stop(outsider, therapist, patient):
    services.save_schedule(therapist, patient.id, services.ScheduleInput("PHQ-9", 1, 0, DAY_1))
    [item] = rows(MeasureSchedule)
    assert outsider.post(f"/patients/{patient.id}/schedules",
                         schedule_data(DAY_1, instrument="GAD-7")).status_code == 404
    assert outsider.post(f"/patients/{patient.id}/schedules/{item.id}/stop").status_code == 404
    assert [(s.instrument_code, s.ends_on) for s in rows(MeasureSchedule)] == [("PHQ-9", None)]



# A missing record and another patient's record answer alike ------------------------------------


@pytest.fixture
def other_patient(clinic, therapist):
    """A second patient of the same therapist: in scope, but not the patient in the URL."""
    return PatientFactory(clinic=clinic, primary=therapist, display_name="Noor Other")


def test_a_missing_or_another_patients_schedule_cannot_be_stopped(
        logged_in, therapist, patient, other_patient):
    """404 for both (never a 409 or a message naming the schedule), and nothing changes."""
    theirs = services.save_schedule(therapist, other_patient.id,
                                    services.ScheduleInput("PHQ-9", 1, 0, DAY_1)).id
    for schedule_id in (theirs, theirs + 99):
        stopped = logged_in.post(f"/patients/{patient.id}/schedules/{schedule_id}/stop")
        assert stopped.status_code == 404
    assert [(s.patient_id, s.ends_on) for s in rows(MeasureSchedule)] == [
        (other_patient.id, None)]
    assert audit("schedule_stop") == []


@pytest.mark.parametrize("path", ["", "/correct"])
def test_a_missing_or_another_patients_response_is_404(
        client, logged_in, therapist, patient, other_patient, path):
    """Viewing, opening the correction form and correcting: 404 alike, nothing stored."""
    theirs = stored_response(therapist, other_patient.id, "GAD-7", [1] * 7, DAY_2).id
    data = {"completed_on": DAY_2.isoformat(), "reason": "Typo", **answers("GAD-7", [2] * 7)}
    for response_id in (theirs, theirs + 99):
        url = f"/patients/{patient.id}/responses/{response_id}{path}"
        assert client.get(url).status_code == 404
        if path:
            assert logged_in.post(url, data).status_code == 404
    assert [(r.patient_id, r.supersedes_id) for r in rows(Response)] == [
        (other_patient.id, None)]
    assert audit("response_view") == audit("response_correct") == []


def test_the_correction_service_raises_not_found_for_a_missing_response(
        app, therapist, patient, other_patient):
    """The service itself says "not found" (the API and the pages both answer it with 404)."""
    theirs = stored_response(therapist, other_patient.id, "GAD-7", [1] * 7, DAY_2).id
    for response_id in (theirs, theirs + 99):
        with pytest.raises(NotFound):
            services.correct_response(therapist, patient.id, response_id, [2] * 7,
                                      noon(DAY_2), "Typo")
    with pytest.raises(NotFound):
        services.stop_schedule(therapist, patient.id, 12345)


# What a patient's answers did ----------------------------------------------------------------


def test_submitting_a_link_returns_the_responses_and_alerts_it_stored(app, therapist, patient):
    """The portal reads what happened from the result, not from the database again."""
    invitation = services.create_adhoc_invitation(therapist, patient.id, ["PHQ-9", "GAD-7"])
    submitted = services.submit_link_answers(
        invitation.id, {"PHQ-9": [1] * 8 + [2], "GAD-7": [0] * 7}, {})
    stored = rows(Response)
    assert [r.id for r in submitted.responses] == [r.id for r in stored]
    assert [r.instrument_code for r in stored] == ["PHQ-9", "GAD-7"]
    assert sorted(submitted.alert_ids) == [a.id for a in rows(Alert)]
    assert [a.kind for a in rows(Alert)] == ["risk_item"]
    assert submitted.risk_flagged is True
    assert submitted.clinic_id == patient.clinic_id


def test_a_submission_without_a_risk_answer_raises_nothing(app, therapist, patient):
    invitation = services.create_adhoc_invitation(therapist, patient.id, ["GAD-7"])
    submitted = services.submit_link_answers(invitation.id, {"GAD-7": [1] * 7}, {})
    assert (len(submitted.responses), submitted.alert_ids, submitted.risk_flagged) == (
        1, (), False)
