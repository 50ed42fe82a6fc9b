"""Every read of a patient's data writes one audit row (and a refused read none); the admin
filters the trail by dates, user and patient and downloads it as CSV, which is audited too."""

import csv
import io
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from factories import PatientFactory, UserFactory

from clinic.alerts.services import alerts_of
from clinic.audit.models import AuditEvent
from clinic.audit.services import record
from clinic.auth.models import Role
from clinic.catalogue import services as catalogue
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.measures import services as measures
from clinic.programs import services as programs
from clinic.programs.entry import SessionEntry

audit = AuditEvent.__table__
PHI = ("Quentin Quill", "QQ-4711", "quentin.quill@example.org", "a note only the patient wrote")


def rows(**where):
    db.session.commit()
    query = sa.select(audit).order_by(audit.c.id)
    for column, value in where.items():
        query = query.where(audit.c[column] == value)
    return [dict(row) for row in db.session.execute(query).mappings()]


def assert_no_phi(row):
    text = json.dumps({k: str(v) for k, v in row.items()}).lower()
    for value in PHI:
        assert value.lower() not in text, f"{value!r} leaked into {row}"


@pytest.fixture
def world(app):
    """A therapist's patient with a response, a link, a program and a logged session, and a
    therapist of the same clinic who is not on the care team."""
    therapist = UserFactory(role=Role.THERAPIST, email="t@a.test")
    outsider = UserFactory(clinic=therapist.clinic, role=Role.THERAPIST, email="o@a.test")
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist,
                             display_name=PHI[0], reference=PHI[1], email=PHI[2])
    response = measures.record_clinician_response(
        therapist, patient.id, "PHQ-9", [1, 1, 1, 1, 1, 1, 1, 1, 1],  # item 9: an alert
        datetime.now(UTC) - timedelta(hours=1))
    [alert] = alerts_of(response=response)
    invitation = measures.create_adhoc_invitation(therapist, patient.id, ["PHQ-9"])
    write_transaction(catalogue.sync_builtin_exercises)()
    write_transaction(catalogue.install_starters)(therapist.clinic_id, therapist)
    template = catalogue.templates_of(therapist.clinic_id)[0]
    assignment = programs.assign_program(therapist, patient.id, template.id,
                                         programs.clinic_today(patient.id))
    level = assignment.snapshot["levels"][0]
    programs.log_session(assignment.id, SessionEntry(
        performed_on=programs.clinic_today(patient.id), status="done", low_energy=False,
        skip_reason=None, duration_minutes=30, rpe=5, mood_before=5, mood_after=6, pain=0,
        pain_where=None, note=PHI[3], submission_key="w",
        sets={0: [{"reps": 10, "load_kg": None, "seconds": None}] * level["exercises"][0]["sets"]
              }), source="patient")
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
    before = len(rows())
    for action, path in pages.items():
        response = client.get(path, environ_base={"REMOTE_ADDR": "198.51.100.7"})
        assert response.status_code == 200, path
        [row] = rows(action=action)
        assert (row["actor_id"], row["patient_id"], row["outcome"]) == (
            world["therapist"].id, p, "success"), action
        assert (row["ip"], row["request_id"]) == ("198.51.100.7",
                                                 response.headers["X-Request-Id"])
        assert row["at"].tzinfo is not None
        assert_no_phi(row)
    assert len(rows()) == before + len(pages)

    # Correcting a response shows its answers: a read too. The strength chart as well.
    client.get(f"/patients/{p}/responses/{world['response']}/correct")
    assert [r["detail"] for r in rows(action="response_view")][-1] == {"purpose": "correct"}
    strength = client.get(
        f"/programs/assignments/{world['assignment']}/strength/{world['exercise']}.svg")
    assert strength.status_code == 200
    assert rows(action="chart_view")[-1]["detail"] == {"exercise_id": world["exercise"]}
    for row in rows():
        assert_no_phi(row)


def test_a_refused_read_writes_no_read_row(client, auth, world):
    p = world["patient"]
    auth.login(world["outsider"].email)
    before = len(rows())
    for path in (f"/patients/{p}", f"/patients/{p}/responses/{world['response']}",
                 f"/patients/{p}/invitations/{world['invitation']}",
                 f"/patients/{p}/charts/PHQ-9.svg",
                 f"/programs/assignments/{world['assignment']}", f"/alerts/{world['alert']}"):
        assert client.get(path).status_code == 404, path
    assert len(rows()) == before


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
        r"<td>2026-03-0(\d) 12:00:00</td>", body)})


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
    response = client.get("/admin/audit/export.csv",
                          query_string={"user": "t1@a.test", "to": "2026-03-02"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [json.loads(r["detail"])["day"] for r in table] == [1, 2]
    assert {r["actor_email"] for r in table} == {"t1@a.test"}
    assert table[1]["patient_id"] == str(history["patient"])
    assert table[1]["patient_reference"] == "REF-9"
    stored = {r["id"]: r["hash"] for r in rows()}
    assert all(stored[int(r["id"])] == r["hash"] for r in table)

    [export] = rows(action="audit_export")
    assert export["actor_id"] == history["admin"].id
    assert export["detail"] == {"filters": ["date_to", "user_email"], "date_to": "2026-03-02"}
    assert date.fromisoformat(export["detail"]["date_to"]) == date(2026, 3, 2)


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.TRAINER])
def test_only_admins_export(client, auth, role):
    user = UserFactory(role=role)
    auth.login(user.email)
    assert client.get("/admin/audit/export.csv").status_code == 403
    assert rows(action="audit_export") == []


def test_a_cell_that_looks_like_a_formula_is_defused():
    from clinic.audit.services import _cell

    assert [_cell(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "login", None, 7)] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "login", "", "7"]
