"""A clinic admin's user management through the /admin/users pages.

Emails of accounts that go through the edit form use ``.example`` domains: the form's email
validator (email-validator) refuses special-use domains such as ``.test``.
"""

import re

import pytest
import sqlalchemy as sa
from conftest import TEST_PASSWORD, AuthActions, reload
from factories import ClinicFactory, UserFactory
from helpers import audit_events
from markupsafe import escape

from clinic.auth.models import LoginSession, Role, User
from clinic.auth.passwords import verify_password
from clinic.extensions import db

LAST_ADMIN_DEMOTE = "The clinic needs at least one active admin"
LAST_ADMIN_DEACTIVATE = "You cannot deactivate the clinic's last active admin."
DUPLICATE_EMAIL = "Another account already uses this email address."


@pytest.fixture
def admin(app):
    return UserFactory(role=Role.ADMIN, email="admin@clinic.example", name="Ada Admin")


@pytest.fixture
def as_admin(client, auth, admin):
    assert auth.login(admin.email).status_code == 303
    # Reading admin.email opened a read transaction in the factories' session; end it, or on
    # SQLite (WAL) the next factory insert would fail to upgrade that stale snapshot to a write.
    db.session.commit()
    return auth


def user_by_email(email):
    db.session.commit()
    return db.session.scalar(sa.select(User).where(User.email == email))


def user_count():
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count(User.id)))


def selected_role(page):
    match = re.search(r'<option selected value="([a-z]+)"|<option value="([a-z]+)" selected', page)
    assert match, "no role selected"
    return match.group(1) or match.group(2)


def input_value(page, name):
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert match, f"no input {name}"
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def new_user_form(**overrides):
    return {
        "name": "Sam Reyes",
        "email": "sam@clinic.example",
        "role": "trainer",
        "password": "a temporary password for Sam",
        **overrides,
    }


def edit_form(user, **overrides):
    return {"name": user.name, "email": user.email, "role": str(user.role), **overrides}


def flashes_after(client, response):
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/users/"
    return client.get("/admin/users/").get_data(as_text=True)


# Creating users ---------------------------------------------------------------------------------


def test_admin_creates_a_user_who_is_listed_audited_and_can_log_in(app, client, as_admin, admin):
    response = as_admin.post("/admin/users/new", new_user_form(), token_page="/admin/users/new")

    page = flashes_after(client, response)
    assert "Account created for Sam Reyes." in page
    assert "sam@clinic.example" in page
    sam = user_by_email("sam@clinic.example")
    assert sam.clinic_id == admin.clinic_id
    assert sam.role == Role.TRAINER
    assert sam.active
    [event] = audit_events("user_create", object_id=sam.id)
    assert event.actor_id == admin.id
    assert event.clinic_id == admin.clinic_id
    assert event.detail["role"] == "trainer"
    assert "a temporary password for Sam" not in str(event.detail)
    sam_browser = AuthActions(app.test_client())
    assert (
        sam_browser.login("sam@clinic.example", "a temporary password for Sam").status_code == 303
    )


def test_new_user_email_is_stored_lower_case(client, as_admin):
    response = as_admin.post(
        "/admin/users/new", new_user_form(email="Sam@Clinic.EXAMPLE"), token_page="/admin/users/new"
    )

    assert response.status_code == 303
    assert user_by_email("sam@clinic.example") is not None


def test_duplicate_email_is_a_field_error_that_keeps_what_was_typed(client, as_admin, admin):
    UserFactory(clinic=admin.clinic, email="taken@clinic.example")
    count = user_count()

    response = as_admin.post(
        "/admin/users/new",
        new_user_form(email="Taken@Clinic.Example", name="Robin Taken"),
        token_page="/admin/users/new",
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="email-error"[^>]*>.*' + re.escape(DUPLICATE_EMAIL), page)
    assert input_value(page, "name") == "Robin Taken"
    assert input_value(page, "email") == "Taken@Clinic.Example"
    assert selected_role(page) == "trainer"
    assert "a temporary password for Sam" not in page
    assert user_count() == count


def test_duplicate_email_from_another_clinic_is_also_refused(client, as_admin):
    UserFactory(clinic=ClinicFactory(), email="elsewhere@clinic.example")

    response = as_admin.post(
        "/admin/users/new",
        new_user_form(email="elsewhere@clinic.example"),
        token_page="/admin/users/new",
    )

    assert response.status_code == 422
    assert DUPLICATE_EMAIL in response.get_data(as_text=True)


def test_a_short_password_is_refused_with_the_password_error(client, as_admin):
    count = user_count()

    response = as_admin.post(
        "/admin/users/new", new_user_form(password="elevenchars"), token_page="/admin/users/new"
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="password-error"[^>]*>.*Use at least 12 characters', page)
    assert input_value(page, "email") == "sam@clinic.example"
    assert user_count() == count


def test_a_twelve_character_password_is_accepted(client, as_admin):
    response = as_admin.post(
        "/admin/users/new", new_user_form(password="twelve chars"), token_page="/admin/users/new"
    )

    assert response.status_code == 303


# Roles and deactivation --------------------------------------------------------------------------


def test_admin_changes_a_role_which_is_audited_and_ends_the_users_sessions(
    app, client, as_admin, admin
):
    therapist = UserFactory(clinic=admin.clinic, email="theo@clinic.example", name="Theo")
    theo_browser = app.test_client()
    AuthActions(theo_browser).login(therapist.email)

    response = as_admin.post(
        f"/admin/users/{therapist.id}",
        edit_form(therapist, role="trainer"),
        token_page=f"/admin/users/{therapist.id}",
    )

    assert "Saved changes to Theo." in flashes_after(client, response)
    assert reload(therapist).role == Role.TRAINER
    [event] = audit_events("role_change", object_id=therapist.id)
    assert event.actor_id == admin.id
    assert (event.detail["old"], event.detail["new"]) == ("therapist", "trainer")
    # The new rights take effect at the next login.
    assert theo_browser.get("/patients").status_code == 302


def test_the_last_active_admin_cannot_demote_themself(client, as_admin, admin):
    response = as_admin.post(
        f"/admin/users/{admin.id}",
        edit_form(admin, role="therapist"),
        token_page=f"/admin/users/{admin.id}",
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert LAST_ADMIN_DEMOTE in page
    assert reload(admin).role == Role.ADMIN
    assert audit_events("role_change") == []
    assert client.get("/admin/users/").status_code == 200  # still an admin, still logged in


def test_the_last_active_admin_cannot_be_deactivated(client, as_admin, admin):
    response = as_admin.post(
        f"/admin/users/{admin.id}/deactivate", token_page=f"/admin/users/{admin.id}"
    )

    assert str(escape(LAST_ADMIN_DEACTIVATE)) in flashes_after(client, response)
    admin = reload(admin)
    assert admin.active
    assert admin.role == Role.ADMIN
    assert audit_events("user_deactivate") == []


def test_inactive_admins_and_admins_of_other_clinics_do_not_count(client, as_admin, admin):
    UserFactory(clinic=admin.clinic, role=Role.ADMIN, email="old@clinic.example", active=False)
    UserFactory(clinic=ClinicFactory(), role=Role.ADMIN, email="other@clinic.example")

    demote = as_admin.post(
        f"/admin/users/{admin.id}",
        edit_form(admin, role="therapist"),
        token_page=f"/admin/users/{admin.id}",
    )
    deactivate = as_admin.post(
        f"/admin/users/{admin.id}/deactivate", token_page=f"/admin/users/{admin.id}"
    )

    assert demote.status_code == 422
    assert LAST_ADMIN_DEMOTE in demote.get_data(as_text=True)
    assert str(escape(LAST_ADMIN_DEACTIVATE)) in flashes_after(client, deactivate)
    admin = reload(admin)
    assert (admin.role, admin.active) == (Role.ADMIN, True)


def test_with_two_admins_one_can_deactivate_the_other(app, client, as_admin, admin):
    other = UserFactory(
        clinic=admin.clinic, role=Role.ADMIN, email="bo@clinic.example", name="Bo Admin"
    )
    bo_browser = app.test_client()
    AuthActions(bo_browser).login(other.email)

    response = as_admin.post(
        f"/admin/users/{other.id}/deactivate", token_page=f"/admin/users/{other.id}"
    )

    assert "Bo Admin is deactivated." in flashes_after(client, response)
    assert reload(other).active is False
    assert len(audit_events("user_deactivate", object_id=other.id)) == 1
    assert bo_browser.get("/admin/users/").status_code == 302
    db.session.commit()
    bo_sessions = db.session.scalars(
        sa.select(LoginSession).where(LoginSession.user_id == other.id)
    ).all()
    assert [s.end_reason for s in bo_sessions] == ["deactivated"]
    # Now the remaining admin is the last one.
    last = as_admin.post(
        f"/admin/users/{admin.id}/deactivate", token_page=f"/admin/users/{admin.id}"
    )
    assert str(escape(LAST_ADMIN_DEACTIVATE)) in flashes_after(client, last)
    assert reload(admin).active


def test_with_two_admins_one_can_demote_the_other(client, as_admin, admin):
    other = UserFactory(clinic=admin.clinic, role=Role.ADMIN, email="bo@clinic.example")

    response = as_admin.post(
        f"/admin/users/{other.id}",
        edit_form(other, role="therapist"),
        token_page=f"/admin/users/{other.id}",
    )

    assert response.status_code == 303
    assert reload(other).role == Role.THERAPIST


# Who may use the admin pages ---------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.TRAINER])
def test_clinicians_get_403_on_the_admin_pages(client, auth, role):
    clinician = UserFactory(role=role, email="clinician@clinic.example")
    colleague = UserFactory(clinic=clinician.clinic, email="colleague@clinic.example")
    auth.login(clinician.email)
    count = user_count()

    assert client.get("/admin/users/").status_code == 403
    assert client.get("/admin/users/new").status_code == 403
    assert auth.post("/admin/users/new", new_user_form()).status_code == 403
    assert client.get(f"/admin/users/{colleague.id}").status_code == 403
    assert auth.post(f"/admin/users/{colleague.id}/deactivate").status_code == 403
    assert (
        auth.post(
            f"/admin/users/{colleague.id}/password", {"password": "taken over account"}
        ).status_code
        == 403
    )
    assert (
        auth.post(f"/admin/users/{clinician.id}", edit_form(clinician, role="admin")).status_code
        == 403
    )

    assert user_count() == count
    assert reload(colleague).active
    assert verify_password(colleague.password_hash, TEST_PASSWORD)
    assert reload(clinician).role == role


def test_anonymous_visitors_are_sent_to_login_from_the_admin_pages(client):
    for url in ("/admin/users/", "/admin/users/new"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_an_admin_of_another_clinic_gets_404_and_changes_nothing(app, client, as_admin, admin):
    """Clinic isolation: another clinic's accounts look like they do not exist."""
    victim_admin = UserFactory(
        clinic=ClinicFactory(), role=Role.ADMIN, email="their-admin@clinic.example"
    )
    victim = UserFactory(
        clinic=victim_admin.clinic, email="their-therapist@clinic.example", name="Vic Tim"
    )
    old_hash = victim.password_hash

    assert client.get(f"/admin/users/{victim.id}").status_code == 404
    assert as_admin.post(f"/admin/users/{victim.id}/deactivate").status_code == 404
    assert (
        as_admin.post(f"/admin/users/{victim.id}", edit_form(victim, role="admin")).status_code
        == 404
    )
    assert (
        as_admin.post(
            f"/admin/users/{victim.id}/password", {"password": "taken over account"}
        ).status_code
        == 404
    )
    assert as_admin.post(f"/admin/users/{victim_admin.id}/deactivate").status_code == 404

    victim = reload(victim)
    assert victim.active
    assert victim.role == Role.THERAPIST
    assert victim.password_hash == old_hash
    assert reload(victim_admin).active
    assert "Vic Tim" not in client.get("/admin/users/").get_data(as_text=True)
    assert audit_events("user_deactivate") == []
    assert audit_events("password_reset") == []


def test_the_demo_admin_can_change_a_demo_users_role(client, auth, runner, monkeypatch):
    """The README's walk-through: `flask seed-demo`, log in as the admin, manage a user.

    The demo accounts must be editable through the admin form, whatever their addresses are.
    """
    from clinic.demo import DEFAULT_DEMO_PASSWORD

    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    db.session.commit()
    demo_admin = db.session.scalar(sa.select(User).where(User.role == Role.ADMIN))
    trainer = db.session.scalar(sa.select(User).where(User.role == Role.TRAINER))
    assert auth.login(demo_admin.email, DEFAULT_DEMO_PASSWORD).status_code == 303

    response = auth.post(
        f"/admin/users/{trainer.id}",
        edit_form(trainer, role="therapist"),
        token_page=f"/admin/users/{trainer.id}",
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 303, re.findall(r'class="error-message"[^>]*>(.*?)</p>', page)
    assert reload(trainer).role == Role.THERAPIST
