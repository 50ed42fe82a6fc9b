"""Care teams: who may change them, who may join them, and the one-primary rule in the database."""

import html

import pytest
import sqlalchemy as sa
from factories import ClinicFactory, PatientFactory, UserFactory
from helpers import member_id

from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.patients.models import CareTeamMember, Patient

NOT_A_CANDIDATE = "Choose an active therapist or trainer of this clinic."


def team(patient_id):
    """(user id, is_primary) of every member, as the database has them now."""
    db.session.commit()  # end the test session's read snapshot (SQLite) before reading
    return sorted(tuple(row) for row in db.session.execute(
        sa.select(CareTeamMember.user_id, CareTeamMember.is_primary)
        .where(CareTeamMember.patient_id == patient_id)))


def primaries(patient_id):
    db.session.commit()
    return db.session.scalars(sa.select(CareTeamMember.user_id).where(
        CareTeamMember.patient_id == patient_id, CareTeamMember.is_primary.is_(True))).all()


def audit_actions(patient_id):
    db.session.commit()
    return [tuple(row) for row in db.session.execute(
        sa.select(AuditEvent.action, AuditEvent.actor_id, AuditEvent.detail)
        .where(AuditEvent.patient_id == patient_id, AuditEvent.action.like("care_team%"))
        .order_by(AuditEvent.id))]


def flashes(client, patient_id):
    """The patient page the browser lands on after a care-team button, as plain text."""
    return html.unescape(client.get(f"/patients/{patient_id}").get_data(as_text=True))


@pytest.fixture
def clinic():
    return ClinicFactory()


@pytest.fixture
def people(clinic):
    return {
        "admin": UserFactory(clinic=clinic, role=Role.ADMIN, email="admin@a.test"),
        "primary": UserFactory(clinic=clinic, role=Role.THERAPIST, email="primary@a.test",
                               name="Pat Primary"),
        "member": UserFactory(clinic=clinic, role=Role.TRAINER, email="member@a.test",
                              name="Mo Member"),
        "newcomer": UserFactory(clinic=clinic, role=Role.TRAINER, email="new@a.test",
                                name="Nia Newcomer"),
    }


@pytest.fixture
def patient_id(clinic, people):
    return PatientFactory(clinic=clinic, primary=people["primary"], team=[people["member"]]).id


@pytest.mark.parametrize("actor", ["primary", "admin"])
def test_primary_or_admin_adds_a_clinician_of_the_same_clinic(
        client, auth, people, patient_id, actor):
    newcomer = people["newcomer"]
    auth.login(people[actor].email)
    page = client.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert "Nia Newcomer" in page  # offered in the add form
    response = auth.post(f"/patients/{patient_id}/care-team", {"user_id": str(newcomer.id)},
                         token_page=f"/patients/{patient_id}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/patients/{patient_id}"
    assert "Added to the care team." in flashes(client, patient_id)
    assert team(patient_id) == sorted([(people["primary"].id, True),
                                       (people["member"].id, False), (newcomer.id, False)])
    assert audit_actions(patient_id) == [
        ("care_team_add", people[actor].id, {"user_id": newcomer.id})]

    # The newcomer now sees the patient.
    auth.logout()
    auth.login(newcomer.email)
    assert client.get(f"/patients/{patient_id}").status_code == 200


@pytest.mark.parametrize("who", ["other clinic", "deactivated", "admin", "already on team",
                                 "unknown id", "nobody chosen"])
def test_cannot_add_someone_who_is_not_a_candidate(client, auth, clinic, people, patient_id, who):
    candidates = {
        "other clinic": lambda: UserFactory(role=Role.THERAPIST, name="Far Away").id,
        "deactivated": lambda: UserFactory(clinic=clinic, role=Role.TRAINER, active=False,
                                           name="Gone Gus").id,
        "admin": lambda: people["admin"].id,
        "already on team": lambda: people["member"].id,
        "unknown id": lambda: 999_999,
        "nobody chosen": lambda: None,
    }
    user_id = candidates[who]()
    before = team(patient_id)
    auth.login(people["primary"].email)
    page = client.get(f"/patients/{patient_id}").get_data(as_text=True)
    for name in ("Far Away", "Gone Gus", people["admin"].name + " ("):
        assert name not in page  # never offered
    data = {} if user_id is None else {"user_id": str(user_id)}
    response = auth.post(f"/patients/{patient_id}/care-team", data,
                         token_page=f"/patients/{patient_id}")
    assert response.status_code == 303
    expected = ("Mo Member is already on the care team." if who == "already on team"
                else NOT_A_CANDIDATE)
    landing = flashes(client, patient_id)
    assert expected in landing
    assert "Added to the care team." not in landing
    assert team(patient_id) == before
    assert audit_actions(patient_id) == []


def test_remove_a_member(client, auth, people, patient_id):
    member = member_id(patient_id, people["member"].id)
    auth.login(people["primary"].email)
    response = auth.post(f"/patients/{patient_id}/care-team/{member}/remove",
                         token_page=f"/patients/{patient_id}")
    assert response.status_code == 303
    assert "Removed from the care team." in flashes(client, patient_id)
    assert team(patient_id) == [(people["primary"].id, True)]
    assert audit_actions(patient_id) == [
        ("care_team_remove", people["primary"].id, {"user_id": people["member"].id})]

    # Off the team, off the caseload.
    auth.logout()
    auth.login(people["member"].email)
    assert client.get(f"/patients/{patient_id}").status_code == 404


def test_the_primary_cannot_be_removed_until_someone_else_is_primary(
        client, auth, people, patient_id):
    primary_member = member_id(patient_id, people["primary"].id)
    other_member = member_id(patient_id, people["member"].id)
    auth.login(people["admin"].email)

    response = auth.post(f"/patients/{patient_id}/care-team/{primary_member}/remove",
                         token_page=f"/patients/{patient_id}")
    assert response.status_code == 303
    assert "Make someone else the primary clinician before removing this one." in flashes(
        client, patient_id)
    assert team(patient_id) == sorted([(people["primary"].id, True),
                                       (people["member"].id, False)])

    assert auth.post(f"/patients/{patient_id}/care-team/{other_member}/primary",
                     token_page=f"/patients/{patient_id}").status_code == 303
    assert "The primary clinician has changed." in flashes(client, patient_id)
    assert auth.post(f"/patients/{patient_id}/care-team/{primary_member}/remove",
                     token_page=f"/patients/{patient_id}").status_code == 303
    assert team(patient_id) == [(people["member"].id, True)]
    assert [a[0] for a in audit_actions(patient_id)] == ["care_team_primary", "care_team_remove"]


def test_make_primary_moves_the_flag_so_exactly_one_primary_remains(
        client, auth, people, patient_id):
    primary, member = people["primary"], people["member"]
    auth.login(primary.email)
    target = member_id(patient_id, member.id)
    response = auth.post(f"/patients/{patient_id}/care-team/{target}/primary",
                         token_page=f"/patients/{patient_id}")
    assert response.status_code == 303
    assert primaries(patient_id) == [member.id]
    assert team(patient_id) == sorted([(primary.id, False), (member.id, True)])
    assert audit_actions(patient_id) == [("care_team_primary", primary.id, {"user_id": member.id})]

    # The old primary is now an ordinary member: they may no longer manage the team.
    back = member_id(patient_id, primary.id)
    assert auth.post(f"/patients/{patient_id}/care-team/{back}/primary").status_code == 403
    assert primaries(patient_id) == [member.id]

    # The new primary hands it back, through the same path; still exactly one.
    auth.logout()
    auth.login(member.email)
    assert auth.post(f"/patients/{patient_id}/care-team/{back}/primary").status_code == 303
    assert primaries(patient_id) == [primary.id]
    assert [a[:2] for a in audit_actions(patient_id)] == [
        ("care_team_primary", primary.id), ("care_team_primary", member.id)]


def test_make_primary_among_several_members(client, auth, people, clinic):
    extra = [UserFactory(clinic=clinic, role=Role.THERAPIST) for _ in range(3)]
    pid = PatientFactory(clinic=clinic, primary=people["primary"],
                         team=[people["member"], *extra]).id
    auth.login(people["admin"].email)
    for user in [extra[1], people["member"], extra[2], extra[1]]:
        target = member_id(pid, user.id)
        assert auth.post(f"/patients/{pid}/care-team/{target}/primary").status_code == 303
        assert primaries(pid) == [user.id]
        assert len(team(pid)) == 5
    # Making the primary primary again is a no-op that records nothing more.
    assert len(audit_actions(pid)) == 4
    target = member_id(pid, extra[1].id)
    assert auth.post(f"/patients/{pid}/care-team/{target}/primary").status_code == 303
    assert primaries(pid) == [extra[1].id]
    assert len(audit_actions(pid)) == 4
    # Both engines refuse a second primary outright (the partial unique index).
    db.session.commit()  # a fresh transaction for the test's own write (SQLite snapshot)
    second_primary = (sa.update(CareTeamMember)
                      .where(CareTeamMember.patient_id == pid,
                             CareTeamMember.user_id == extra[0].id)
                      .values(is_primary=True))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(second_primary)
        db.session.commit()
    db.session.rollback()
    assert primaries(pid) == [extra[1].id]


@pytest.mark.parametrize("action", ["add", "remove", "make_primary", "discharge", "reactivate"])
def test_a_member_who_is_not_primary_gets_403(client, auth, people, patient_id, action):
    primary_member = member_id(patient_id, people["primary"].id)
    own_member = member_id(patient_id, people["member"].id)
    urls = {
        "add": (f"/patients/{patient_id}/care-team", {"user_id": str(people["newcomer"].id)}),
        "remove": (f"/patients/{patient_id}/care-team/{primary_member}/remove", {}),
        "make_primary": (f"/patients/{patient_id}/care-team/{own_member}/primary", {}),
        "discharge": (f"/patients/{patient_id}/discharge", {}),
        "reactivate": (f"/patients/{patient_id}/reactivate", {}),
    }
    url, data = urls[action]
    before = team(patient_id)
    auth.login(people["member"].email)
    page = client.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert "Add to care team" not in page and "Make primary" not in page
    assert auth.post(url, data).status_code == 403
    assert team(patient_id) == before
    assert db.session.get(Patient, patient_id).status == "active"
    assert audit_actions(patient_id) == []


def test_member_ids_of_another_patient_are_not_accepted(client, auth, clinic, people, patient_id):
    """Another patient's care-team row is as missing as an unknown one: 404, nothing changes."""
    other_pid = PatientFactory(clinic=clinic, primary=people["primary"],
                               team=[people["newcomer"]]).id
    foreign_member = member_id(other_pid, people["newcomer"].id)
    auth.login(people["primary"].email)
    for verb in ("remove", "primary"):
        response = auth.post(f"/patients/{patient_id}/care-team/{foreign_member}/{verb}")
        missing = auth.post(f"/patients/{patient_id}/care-team/{foreign_member + 999}/{verb}")
        assert response.status_code == missing.status_code == 404
    assert team(other_pid) == sorted([(people["primary"].id, True),
                                      (people["newcomer"].id, False)])
    assert team(patient_id) == sorted([(people["primary"].id, True),
                                       (people["member"].id, False)])
