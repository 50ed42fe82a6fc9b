"""Every read of a patient's data writes one audit row (and a refused read none); the admin
filters the trail by dates, user and patient and downloads it as CSV, which is audited too."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from factories import (
    AssignmentFactory,
    InvitationFactory,
    PatientFactory,
    ResponseFactory,
    SessionFactory,
    UserFactory,
    starter_templates,
)
from helpers import assert_no_phi, raw_audit_rows

from clinic.alerts.services import alerts_of
from clinic.audit.models import AuditEvent
from clinic.audit.services import record
from clinic.auth.models import Role
from clinic.extensions import db

audit = AuditEvent.__table__
PHI = ("Quentin Quill", "QQ-4711", "quentin.quill@example.org", "a note only the patient wrote")


@pytest.fixture
def world(app):
    """A therapist's patient with a response, a link, a program and a logged session, and a
    therapist of the same clinic who is not on the care team."""
    therapist = UserFactory(role=Role.THERAPIST, email="t@a.test")
    outsider = UserFactory(clinic=therapist.clinic, role=Role.THERAPIST, email="o@a.test")
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist,
                             display_name=PHI[0], reference=PHI[1], email=PHI[2])
    response = ResponseFactory(actor=therapist, patient=patient,
                               answers=[1, 1, 1, 1, 1, 1, 1, 1, 1])  # item 9: an alert
    [alert] = alerts_of(response=response)
    invitation = InvitationFactory(actor=therapist, patient=patient)
    template_id = next(iter(starter_templates(therapist.clinic, therapist).values()))
    assignment = AssignmentFactory(actor=therapist, patient=patient, template=template_id)
    level = assignment.snapshot["levels"][0]
    SessionFactory(assignment=assignment, rpe=5, note=PHI[3], submission_key="w",
                   sets={0: [{"reps": 10, "load_kg": None, "seconds": None}]
                         * level["exercises"][0]["sets"]})
    return {"therapist": therapist, "outsider": outsider, "patient": patient.id,
            "response": response.id, "alert": alert.id, "invitation": invitation.id,
            "assignment": assignment.id,
            "exercise": level["exercises"][0]["exercise_id"]}


def test_each_read_of_patient_data_writes_one_row_without_phi(client, auth, world):
    p = world["patient"]
    pages = {
        "patient_view": f"/patients/{p}",
        "response_view": f"/patients/{p}/responses/{world['response']}",
        "invitation_view": f"/patients/{p}/invitations/{world['invitation']}",
        "chart_view": f"/patients/{p}/charts/PHQ-9.svg",
        "assignment_view": f"/programs/assignments/{world['assignment']}",
        "alert_view": f"/alerts/{world['alert']}",
    }
    auth.login(world["therapist"].email)
    before = len(raw_audit_rows())
    for action, path in pages.items():
        response = client.get(path, environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert response.status_code == 200, path
        [row] = raw_audit_rows(action=action)
        assert (row["actor_id"], row["patient_id"], row["outcome"]) == (
            world["therapist"].id, p, "success"), action
        assert (row["ip"], row["request_id"]) == ("198.51.100.7",
                                                 response.headers["X-Request-Id"])
        assert row["at"].tzinfo is not None
        assert_no_phi(row, *PHI)
    assert len(raw_audit_rows()) == before + len(pages)

    # Correcting a response shows its answers: a read too. The strength chart as well.
    client.get(f"/patients/{p}/responses/{world['response']}/correct")
    assert [r["detail"] for r in raw_audit_rows(action="response_view")][-1] == {
        "purpose": "correct"}
    strength = client.get(
        f"/programs/assignments/{world['assignment']}/strength/{world['exercise']}.svg")
    assert strength.status_code == 200
    assert raw_audit_rows(action="chart_view")[-1]["detail"] == {
        "exercise_id": world["exercise"]}
    for row in raw_audit_rows():
        assert_no_phi(row, *PHI)


def test_a_refused_read_writes_one_denied_row_and_no_read_row(client, auth, world):
    """Each refusal: one ``access_denied`` row of the outsider's, with the URL's ids as sent and
    no patient id (a refusal must not tell the trail's readers more than the caller knew)."""
    p = world["patient"]
    auth.login(world["outsider"].email)
    before = len(raw_audit_rows())
    paths = (f"/patients/{p}", f"/patients/{p}/responses/{world['response']}",
             f"/patients/{p}/invitations/{world['invitation']}",
             f"/patients/{p}/charts/PHQ-9.svg",
             f"/programs/assignments/{world['assignment']}", f"/alerts/{world['alert']}")
    for path in paths:
        assert client.get(path).status_code == 404, path
    new = raw_audit_rows()[before:]
    assert [(r["action"], r["outcome"], r["actor_id"], r["patient_id"]) for r in new] == [
        ("access_denied", "denied", world["outsider"].id, None)] * len(paths)
    assert [r["detail"]["sent"] for r in new][-2:] == [
        {"assignment_id": str(world["assignment"])}, {"alert_id": str(world["alert"])}]
    assert new[0]["detail"] == {"route": "caseload.patient", "method": "GET", "status": 404,
                                "sent": {"patient_id": str(p)}}
    # A missing id is refused alike: the row holds the id sent, nothing looked up.
    assert client.get(f"/patients/{p + 999}").status_code == 404
    [last] = raw_audit_rows()[before + len(paths):]
    assert (last["patient_id"], last["detail"]["sent"]) == (None, {"patient_id": str(p + 999)})


def test_the_patient_page_and_its_chart_images_are_one_read(client, auth, world):
    """The charts of a page are images of that page view: the page's row covers them. A chart
    opened on its own (or with someone else's page marker) is a read of its own."""
    p = world["patient"]
    auth.login(world["therapist"].email)
    before = len(raw_audit_rows())
    page = client.get(f"/patients/{p}")
    assert page.status_code == 200
    charts = re.findall(r'src="(/patients/\d+/charts/[^"]+)"', page.get_data(as_text=True))
    assert charts and all(f"view={page.headers['X-Request-Id']}" in src for src in charts)
    for src in charts:
        assert client.get(src.replace("&amp;", "&")).status_code == 200
    assert [r["action"] for r in raw_audit_rows()[before:]] == ["patient_view"]

    program = client.get(f"/programs/assignments/{world['assignment']}")
    strength = re.findall(r'src="(/programs/assignments/[^"]+\.svg[^"]*)"',
                          program.get_data(as_text=True))
    assert strength
    for src in strength:
        assert client.get(src.replace("&amp;", "&")).status_code == 200
    assert [r["action"] for r in raw_audit_rows()[before:]] == ["patient_view",
                                                               "assignment_view"]

    # On its own, or with a marker that is not this user's page view of this patient: a read.
    assert client.get(f"/patients/{p}/charts/PHQ-9.svg").status_code == 200
    assert client.get(f"/patients/{p}/charts/PHQ-9.svg?view=0000").status_code == 200
    assert [r["action"] for r in raw_audit_rows()[before + 2:]] == ["chart_view"] * 2


# The admin's page and export ------------------------------------------------------------------


@pytest.fixture
def history(app):
    """Events on three days by two users, one about a patient."""
    admin = UserFactory(role=Role.ADMIN, email="admin@a.test")
    therapist = UserFactory(clinic=admin.clinic, email="t1@a.test")
    patient = PatientFactory(clinic=admin.clinic, primary=therapist, reference="REF-9")
    for day, actor, patient_id in ((1, therapist, None), (2, therapist, patient.id),
                                   (3, admin, None)):
        with time_machine.travel(datetime(2026, 3, day, 12, tzinfo=UTC), tick=False):
            record("system_check", actor=actor, patient_id=patient_id, day=day)
            db.session.commit()
    return {"admin": admin, "therapist": therapist, "patient": patient.id}


def days_shown(client, **query):
    response = client.get("/admin/audit/", query_string=query)
    body = response.get_data(as_text=True)
    return response.status_code, sorted({int(d) for d in re.findall(
        r"<td>(\d) Mar 2026 12:00:00 GMT</td>", body)})  # the clinic's clock, zone named


def test_the_admin_filters_by_date_range_user_and_patient(client, auth, history):
    auth.login(history["admin"].email)
    assert days_shown(client, **{"from": "2026-03-02"}) == (200, [2, 3])
    assert days_shown(client, to="2026-03-02") == (200, [1, 2])
    assert days_shown(client, **{"from": "2026-03-02", "to": "2026-03-02"}) == (200, [2])
    assert days_shown(client, user="t1@a.test") == (200, [1, 2])
    assert days_shown(client, patient_id=history["patient"]) == (200, [2])
    assert days_shown(client, patient="REF-9", **{"from": "2026-03-03"}) == (200, [])
    status, _ = days_shown(client, **{"from": "2026-03-05", "to": "2026-03-01"})
    assert status == 422
    response = client.get("/admin/audit/", query_string={"from": "yesterday"})
    assert response.status_code == 422
    assert "Enter a date like 2026-03-31." in response.get_data(as_text=True)


def test_the_export_is_the_filtered_trail_as_csv_and_is_audited(client, auth, history):
    auth.login(history["admin"].email)
    response = auth.post("/admin/audit/export.csv?user=t1%40a.test&to=2026-03-02")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [json.loads(r["detail"])["day"] for r in table] == [1, 2]
    assert {r["actor_email"] for r in table} == {"t1@a.test"}
    assert table[1]["patient_id"] == str(history["patient"])
    assert table[1]["patient_reference"] == "REF-9"
    stored = {r["id"]: r["hash"] for r in raw_audit_rows()}
    assert all(stored[int(r["id"])] == r["hash"] for r in table)

    [export] = raw_audit_rows(action="audit_export")
    assert export["actor_id"] == history["admin"].id
    assert export["detail"] == {"filters": ["date_to", "user_email"], "date_to": "2026-03-02"}
    assert date.fromisoformat(export["detail"]["date_to"]) == date(2026, 3, 2)


def test_the_export_is_a_post_with_csrf_and_the_page_offers_it_so(client, auth, history):
    """A download that writes an audit row is a POST with the CSRF token: a GET (a link or an
    image on another site) is 405 and a POST without the token 400; neither writes a row."""
    auth.login(history["admin"].email)
    assert client.get("/admin/audit/export.csv").status_code == 405
    assert client.post("/admin/audit/export.csv").status_code == 400
    assert raw_audit_rows(action="audit_export") == []
    page = client.get("/admin/audit/", query_string={"user": "t1@a.test"}).get_data(as_text=True)
    assert re.search(r'<form method="post" action="/admin/audit/export.csv\?[^"]*user=t1@a.test'
                     r'[^"]*"><input type="hidden" name="csrf_token"', page)
    assert 'href="/admin/audit/export.csv' not in page


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.TRAINER])
def test_only_admins_export(client, auth, role):
    user = UserFactory(role=role)
    auth.login(user.email)
    assert auth.post("/admin/audit/export.csv").status_code == 403
    assert raw_audit_rows(action="audit_export") == []


def test_a_cell_that_looks_like_a_formula_is_defused():
    from clinic.audit.services import _cell

    assert [_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "login", None, 7)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "login", "", "7"]
