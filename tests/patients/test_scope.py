"""The care-team scope rule, seen from the outside: who sees which patient, and what others get."""

import re

import pytest
import sqlalchemy as sa
from conftest import csrf_token
from factories import ClinicFactory, PatientFactory, UserFactory

from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.patients.models import CareTeamMember, Patient


def caseload_references(client, query=""):
    """References in the caseload table (every status, every page up to 100 rows)."""
    body = client.get(f"/patients?status=all{query}").get_data(as_text=True)
    assert "<h1>" in body
    return set(re.findall(r"<td[^>]*>([A-Z]+-\d+)</td>", body))


def snapshot(patient_id):
    """What the database holds for a patient now: details, status, care team.

    The commit ends the test session's own read transaction: on SQLite a transaction keeps the
    snapshot of its first read, so expiring alone could show rows as they were before a request.
    """
    db.session.commit()
    patient = db.session.get(Patient, patient_id)
    team = sorted((m.user_id, m.is_primary) for m in patient.care_team)
    return (patient.display_name, patient.reference, patient.email, patient.status,
            patient.discharged_at, team)


@pytest.fixture
def two_teams():
    """Clinic A: two therapists with a patient each; clinic B: a therapist with a patient."""
    clinic_a, clinic_b = ClinicFactory(), ClinicFactory()
    mine = UserFactory(clinic=clinic_a, email="mine@a.test")
    other = UserFactory(clinic=clinic_a, email="other@a.test")
    trainer = UserFactory(clinic=clinic_a, role=Role.TRAINER, email="trainer@a.test")
    foreign = UserFactory(clinic=clinic_b, email="foreign@b.test")
    own_patient = PatientFactory(clinic=clinic_a, primary=mine, display_name="Own Olive",
                                 reference="OWN-1")
    other_patient = PatientFactory(clinic=clinic_a, primary=other, team=[trainer],
                                   display_name="Other Otto", reference="OTH-1",
                                   email="otto@example.org")
    foreign_patient = PatientFactory(clinic=clinic_b, primary=foreign,
                                     display_name="Foreign Fay", reference="FOR-1")
    return {"mine": mine, "other": other, "trainer": trainer, "foreign": foreign,
            "own_patient": own_patient, "other_patient": other_patient,
            "foreign_patient": foreign_patient}


@pytest.mark.parametrize("target", ["other_patient", "foreign_patient"])
def test_therapist_cannot_see_or_change_a_patient_outside_their_care_team(
        client, auth, two_teams, target):
    patient = two_teams[target]
    member = patient.care_team[0]
    me = two_teams["mine"]
    before = snapshot(patient.id)
    events_before = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    auth.login(me.email)
    token = csrf_token(client, "/account/password")

    assert client.get(f"/patients/{patient.id}").status_code == 404
    assert client.get(f"/patients/{patient.id}/edit").status_code == 404
    posts = {
        f"/patients/{patient.id}/edit": {"display_name": "Changed", "reference": "CHANGED-1",
                                         "email": "changed@example.org"},
        f"/patients/{patient.id}/discharge": {},
        f"/patients/{patient.id}/reactivate": {},
        f"/patients/{patient.id}/care-team": {"user_id": str(me.id)},
        f"/patients/{patient.id}/care-team/{member.id}/remove": {},
        f"/patients/{patient.id}/care-team/{member.id}/primary": {},
    }
    for url, data in posts.items():
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 404, url

    assert snapshot(patient.id) == before
    assert not any(m.user_id == me.id for m in db.session.get(Patient, patient.id).care_team)
    # Only the login and the refusals were recorded: no view, update or care-team event for
    # that patient, and no refusal names them (it holds only the ids the request sent).
    rows = db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.patient_id)
        .where(AuditEvent.id > (events_before or 0)).order_by(AuditEvent.id)).all()
    assert [action for action, _ in rows] == ["login"] + ["access_denied"] * (len(rows) - 1)
    assert len(rows) == 1 + 2 + len(posts)  # the login, the two GETs and every POST
    assert all(patient_id is None for _, patient_id in rows)


def test_discharged_patient_outside_the_team_cannot_be_reactivated(client, auth, two_teams):
    patient = two_teams["other_patient"]
    patient.status = "discharged"
    db.session.commit()
    auth.login(two_teams["mine"].email)
    response = auth.post(f"/patients/{patient.id}/reactivate")
    assert response.status_code == 404
    assert snapshot(patient.id)[3] == "discharged"


def test_admin_sees_every_patient_of_their_clinic_and_none_of_another(client, auth, two_teams):
    admin = UserFactory(clinic=two_teams["mine"].clinic, role=Role.ADMIN, email="admin@a.test")
    PatientFactory(clinic=admin.clinic, primary=two_teams["other"], status="discharged",
                   display_name="Gone Gina", reference="GONE-1")
    auth.login(admin.email)

    assert caseload_references(client) == {"OWN-1", "OTH-1", "GONE-1"}
    assert caseload_references(client, "&q=FOR-1") == set()
    assert caseload_references(client, "&q=Foreign") == set()
    assert client.get(f"/patients/{two_teams['other_patient'].id}").status_code == 200
    assert client.get(f"/patients/{two_teams['foreign_patient'].id}").status_code == 404
    active = client.get("/patients").get_data(as_text=True)
    assert "Own Olive" in active and "Other Otto" in active
    assert "Gone Gina" not in active and "Foreign Fay" not in active


def test_trainer_sees_only_care_team_patients(client, auth, two_teams):
    auth.login(two_teams["trainer"].email)
    assert caseload_references(client) == {"OTH-1"}
    assert client.get(f"/patients/{two_teams['other_patient'].id}").status_code == 200
    assert client.get(f"/patients/{two_teams['own_patient'].id}").status_code == 404
    assert client.get(f"/patients/{two_teams['foreign_patient'].id}").status_code == 404


def test_therapist_caseload_holds_only_their_own_care_team(client, auth, two_teams):
    auth.login(two_teams["mine"].email)
    assert caseload_references(client) == {"OWN-1"}


def test_a_patient_leaves_the_caseload_when_the_clinician_leaves_the_team(
        client, auth, two_teams):
    patient = two_teams["other_patient"]
    auth.login(two_teams["trainer"].email)
    assert client.get(f"/patients/{patient.id}").status_code == 200
    db.session.commit()  # end the read snapshot before writing (SQLite)
    db.session.execute(sa.delete(CareTeamMember).where(
        CareTeamMember.user_id == two_teams["trainer"].id))
    db.session.commit()
    assert client.get(f"/patients/{patient.id}").status_code == 404
    assert caseload_references(client) == set()


@pytest.mark.parametrize("search", ["OTH-1", "oth", "Other Otto", "otto", "FOR-1", "Foreign",
                                    "otto@example.org", "%", "_", "REF"])
def test_caseload_search_never_leaks_out_of_scope_patients(client, auth, two_teams, search):
    auth.login(two_teams["mine"].email)
    response = client.get("/patients", query_string={"q": search, "status": "all"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    for leaked in ("OTH-1", "Other Otto", "FOR-1", "Foreign Fay"):
        assert f">{leaked}<" not in body
    assert not re.search(r'href="/patients/\d+"', body.replace(
        f'href="/patients/{two_teams["own_patient"].id}"', ""))
