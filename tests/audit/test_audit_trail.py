"""The audit trail: what is recorded, what is never recorded (PHI), who may read it, and that
nothing in the app can change it."""

import hashlib
import html
import re

import pytest
import sqlalchemy as sa
from conftest import csrf_token
from factories import ClinicFactory, PatientFactory, UserFactory
from helpers import assert_no_phi, raw_audit_rows

from clinic.audit.models import AuditEvent, AuditTrailIsAppendOnly
from clinic.audit.services import record
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.patients.models import Patient

audit_table = AuditEvent.__table__


@pytest.fixture
def therapist():
    return UserFactory(role=Role.THERAPIST, email="therapist@a.test")


@pytest.fixture
def patient(therapist):
    return PatientFactory(clinic=therapist.clinic, primary=therapist,
                          display_name="Quentin Quill", reference="QQ-4711",
                          email="quentin.quill@example.org")


# What is written ------------------------------------------------------------------------------


def test_viewing_a_patient_writes_one_view_event_without_phi(client, auth, therapist, patient):
    patient_id, phi = patient.id, ("Quentin Quill", "QQ-4711", "quentin.quill@example.org")
    other_id = PatientFactory(reference="ELSEWHERE-1").id  # another clinic's patient
    therapist_id, clinic_id = therapist.id, therapist.clinic_id
    auth.login(therapist.email)
    response = client.get(f"/patients/{patient_id}", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 200

    [event] = raw_audit_rows(action="patient_view")
    assert event["actor_kind"] == "user" and event["actor_id"] == therapist_id
    assert event["clinic_id"] == clinic_id
    assert event["patient_id"] == patient_id
    assert (event["object_type"], event["object_id"]) == ("patient", patient_id)
    assert event["outcome"] == "success"
    assert event["ip"] == "203.0.113.9"
    assert event["request_id"] == response.headers["X-Request-Id"]
    assert_no_phi(event, *phi)

    # One event per view; a refused view records none.
    client.get(f"/patients/{patient_id}")
    assert client.get(f"/patients/{other_id}").status_code == 404
    views = raw_audit_rows(action="patient_view")
    assert [e["patient_id"] for e in views] == [patient_id, patient_id]
    for row in raw_audit_rows():
        assert_no_phi(row, *phi)


def test_patient_update_records_changed_field_names_only(client, auth, therapist, patient):
    patient_id = patient.id
    auth.login(therapist.email)
    response = auth.post(f"/patients/{patient_id}/edit",
                         {"display_name": "Quentin Q. Quill", "reference": "QQ-4711",
                          "email": "new.address@example.org", "date_of_birth": "1980-02-29"})
    assert response.status_code == 303
    [event] = raw_audit_rows(action="patient_update")
    assert event["detail"] == {"fields": ["date_of_birth", "display_name", "email"]}
    assert (event["actor_id"], event["patient_id"]) == (therapist.id, patient_id)
    assert_no_phi(event, "Quentin", "Quill", "QQ-4711", "quentin.quill@example.org",
                  "new.address@example.org", "1980-02-29", "1980")

    # Saving without a change still says who saved, with no field names.
    auth.post(f"/patients/{patient_id}/edit",
              {"display_name": "Quentin Q. Quill", "reference": "QQ-4711",
               "email": "new.address@example.org", "date_of_birth": "1980-02-29"})
    assert [e["detail"] for e in raw_audit_rows(action="patient_update")] == [
        {"fields": ["date_of_birth", "display_name", "email"]}, {"fields": []}]


def test_successful_login_writes_an_event(client, auth, therapist):
    response = auth.login(therapist.email)
    assert response.status_code == 303
    [event] = raw_audit_rows(action="login")
    assert (event["actor_kind"], event["actor_id"], event["clinic_id"], event["outcome"]) == (
        "user", therapist.id, therapist.clinic_id, "success")
    assert event["ip"] == "127.0.0.1"


def test_failed_logins_write_events(app, client, auth, therapist):
    # The event must be kept whatever happens to the page, as in production.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    auth.login(therapist.email, password="not the right password")
    auth.login("Nobody@Nowhere.test", password="whatever it is")

    wrong, unknown = raw_audit_rows(action="login")
    assert (wrong["actor_kind"], wrong["actor_id"], wrong["outcome"]) == (
        "user", therapist.id, "failure")
    assert wrong["detail"] == {"reason": "wrong_password"}
    assert (unknown["actor_kind"], unknown["actor_id"], unknown["clinic_id"]) == (
        "anonymous", None, None)
    assert unknown["outcome"] == "failure"
    assert unknown["detail"] == {
        "reason": "unknown_email",
        "email_sha256": hashlib.sha256(b"nobody@nowhere.test").hexdigest()}
    assert_no_phi(unknown, "nobody@nowhere.test", "whatever it is")
    assert_no_phi(wrong, "not the right password")


def test_failed_login_page_says_one_thing_for_every_failure(client, auth, therapist):
    for email, password in ((therapist.email, "not the right password"),
                            ("nobody@nowhere.test", "whatever it is")):
        response = auth.login(email, password=password)
        assert response.status_code == 422
        assert ("That email and password do not match an active account."
                in html.unescape(response.get_data(as_text=True)))


# Nothing changes it ---------------------------------------------------------------------------


def test_the_orm_refuses_to_update_or_delete_an_audit_event(app, therapist):
    record("patient_view", actor=therapist, patient_id=None)
    db.session.commit()
    event = db.session.scalar(sa.select(AuditEvent))

    event.action = "something_else"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()

    event = db.session.scalar(sa.select(AuditEvent))
    event.detail = {"note": "rewritten"}
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.commit()
    db.session.rollback()

    event = db.session.scalar(sa.select(AuditEvent))
    db.session.delete(event)
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()

    [row] = raw_audit_rows()
    assert (row["action"], row["detail"]) == ("patient_view", {})


def test_no_route_changes_audit_rows(app, client, auth):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin/audit"):
            # The CSV export is a POST (it adds its own audit row): it changes none.
            allowed = {"POST", "OPTIONS"} if rule.endpoint == "audit.export" else {
                "GET", "HEAD", "OPTIONS"}
            assert rule.methods <= allowed, f"{rule.rule}: {rule.methods}"

    admin = UserFactory(role=Role.ADMIN)
    auth.login(admin.email)
    before = raw_audit_rows()
    token = csrf_token(client, "/account/password")
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        for url in ("/admin/audit/", f"/admin/audit/{before[0]['id']}"):
            response = client.open(url, method=method, data={"csrf_token": token},
                                   headers={"X-CSRFToken": token})
            assert response.status_code in (404, 405), f"{method} {url}"
    assert raw_audit_rows() == before


# Reading it: the admin's page ------------------------------------------------------------------


def audit_rows(client, **query):
    response = client.get("/admin/audit/", query_string=query)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    tbody = re.search(r"<tbody>(.*?)</tbody>", body, re.S)
    if not tbody:
        assert "No audit events match." in body
        return []
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", tbody.group(1), re.S):
        cells = [html.unescape(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append(dict(zip(("at", "who", "action", "outcome", "patient", "ip"), cells,
                             strict=True)))
    return rows


@pytest.fixture
def two_clinics(client, auth):
    """Clinic A and clinic B, each with events written by real requests.

    Clinic B's patient has the same reference as a clinic A patient, so a filter by
    reference that forgot the clinic would show it.
    """
    clinic_a, clinic_b = ClinicFactory(), ClinicFactory()
    people = {
        "admin": UserFactory(clinic=clinic_a, role=Role.ADMIN, email="admin@a.test"),
        "t1": UserFactory(clinic=clinic_a, email="t1@a.test"),
        "t2": UserFactory(clinic=clinic_a, email="t2@a.test"),
        "tb": UserFactory(clinic=clinic_b, email="tb@b.test"),
    }
    patients = {
        "p1": PatientFactory(clinic=clinic_a, primary=people["t1"], reference="SAME-1"),
        "p2": PatientFactory(clinic=clinic_a, primary=people["t2"], reference="A-2"),
        "pb": PatientFactory(clinic=clinic_b, primary=people["tb"], reference="SAME-1"),
    }
    for user, patient in (("t1", "p1"), ("t2", "p2"), ("tb", "pb")):
        auth.login(people[user].email)
        assert client.get(f"/patients/{patients[patient].id}").status_code == 200
        auth.logout()
    ids = {name: obj.id for name, obj in {**people, **patients}.items()}
    ids["clinic_a"] = clinic_a.id
    auth.login(people["admin"].email)
    return ids


def clinic_a_events(ids, **where):
    return raw_audit_rows(clinic_id=ids["clinic_a"], **where)


def test_admin_sees_only_their_own_clinics_events(client, two_clinics):
    ids = two_clinics
    rows = audit_rows(client)
    assert len(rows) == len(clinic_a_events(ids)) > 0
    assert {r["who"] for r in rows} == {"admin@a.test", "t1@a.test", "t2@a.test"}
    assert sum(r["action"] == "patient_view" for r in rows) == 2
    assert audit_rows(client, user="tb@b.test") == []
    assert audit_rows(client, user_id=ids["tb"]) == []
    assert audit_rows(client, patient_id=ids["pb"]) == []


def test_filters_by_user_and_by_patient(client, two_clinics):
    ids = two_clinics

    # By user email (as typed: case and spaces do not matter), and the box keeps it.
    rows = audit_rows(client, user="  T1@A.test ")
    assert rows and {r["who"] for r in rows} == {"t1@a.test"}
    assert len(rows) == len(clinic_a_events(ids, actor_id=ids["t1"]))
    assert {r["action"] for r in rows} == {"login", "patient_view", "logout"}
    page = client.get("/admin/audit/?user=t1%40a.test").get_data(as_text=True)
    assert 'value="t1@a.test"' in page

    # By user id (the link from a user's page).
    rows = audit_rows(client, user_id=ids["t2"])
    assert rows and {r["who"] for r in rows} == {"t2@a.test"}
    assert len(rows) == len(clinic_a_events(ids, actor_id=ids["t2"]))

    # By patient reference: clinic B's patient with the same reference stays out.
    rows = audit_rows(client, patient="SAME-1")
    assert [(r["who"], r["action"], r["patient"]) for r in rows] == [
        ("t1@a.test", "patient_view", "SAME-1")]
    assert len(clinic_a_events(ids, patient_id=ids["p1"])) == 1

    # By patient id (the link from a patient's page).
    rows = audit_rows(client, patient_id=ids["p2"])
    assert [(r["who"], r["action"], r["patient"]) for r in rows] == [
        ("t2@a.test", "patient_view", "A-2")]

    # Filters combine.
    assert audit_rows(client, user="t1@a.test", patient="A-2") == []
    assert len(audit_rows(client, user_id=ids["t2"], patient_id=ids["p2"])) == 1


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.TRAINER])
def test_non_admins_get_403(client, auth, role):
    user = UserFactory(role=role)
    auth.login(user.email)
    assert client.get("/admin/audit/").status_code == 403
    assert client.get(f"/admin/audit/?user_id={user.id}").status_code == 403


# One transaction: no change, no event ---------------------------------------------------------


def test_a_failed_create_writes_no_event(client, auth, therapist):
    PatientFactory(clinic=therapist.clinic, primary=therapist, reference="TAKEN-1")
    auth.login(therapist.email)
    response = auth.post("/patients/new", {"display_name": "Second", "reference": "TAKEN-1"})
    assert response.status_code == 422
    assert raw_audit_rows(action="patient_create") == []
    assert db.session.scalar(sa.select(sa.func.count(Patient.id))) == 1

    response = auth.post("/patients/new", {"display_name": "Second", "reference": "FREE-1"})
    assert response.status_code == 303
    [event] = raw_audit_rows(action="patient_create")
    created = db.session.scalar(sa.select(Patient).where(Patient.reference == "FREE-1"))
    assert event["patient_id"] == created.id


def test_a_failed_admin_create_and_a_failed_update_write_no_event(client, auth, therapist):
    admin = UserFactory(clinic=therapist.clinic, role=Role.ADMIN)
    patient_id = PatientFactory(clinic=therapist.clinic, primary=therapist, reference="P-1").id
    PatientFactory(clinic=therapist.clinic, primary=therapist, reference="P-2")
    auth.login(admin.email)
    response = auth.post("/patients/new", {"display_name": "No Primary", "reference": "P-3",
                                           "primary_clinician": "0"})
    assert response.status_code == 422
    response = auth.post(f"/patients/{patient_id}/edit",
                         {"display_name": "Renamed", "reference": "P-2"})
    assert response.status_code == 422
    assert raw_audit_rows(action="patient_create") == []
    assert raw_audit_rows(action="patient_update") == []
    assert db.session.get(Patient, patient_id).display_name != "Renamed"


def test_bulk_update_and_delete_of_audit_rows_are_refused_too(app):
    """The append-only rule also holds for statements that bypass the unit of work."""
    import sqlalchemy as sa

    from clinic.audit.models import AuditEvent, AuditTrailIsAppendOnly
    from clinic.audit.services import record
    from clinic.extensions import db

    record("system_check", actor_kind="system")
    db.session.commit()
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.execute(sa.update(AuditEvent).values(action="tampered"))
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.execute(sa.delete(AuditEvent))
    db.session.rollback()
    assert db.session.scalar(sa.select(AuditEvent.action)) == "system_check"
