"""Logging in through the real /login page: success, failures without enumeration, ``?next=``,
CSRF, account lockout and the per-address rate limit.

Every request goes through the Flask test client with real CSRF tokens against the real
database; rows are re-read after requests because each request has its own session.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from conftest import CSRF_INPUT, TEST_PASSWORD, AuthActions, csrf_token, reload
from factories import UserFactory
from helpers import audit_events, is_logged_in, rows

from clinic.auth.models import LoginSession, Role
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.timefmt import format_in_zone

GENERIC_FAILURE = "That email and password do not match an active account."
EMAIL = "therapist@clinic.test"
WRONG_PASSWORD = "not the right password at all"


def post_login(client, email, password, next_target=None, with_token=True):
    """POST /login as the form would, ``next`` properly URL-encoded in the query string."""
    data = {"email": email, "password": password}
    if with_token:
        data["csrf_token"] = csrf_token(client)
    query = {"next": next_target} if next_target is not None else None
    return client.post("/login", query_string=query, data=data)


def normalised_page(response, typed_email):
    """The page with the per-request CSRF token and the echoed email blanked out."""
    body = response.get_data(as_text=True)
    body = CSRF_INPUT.sub('name="csrf_token" type="hidden" value="TOKEN"', body)
    return body.replace(typed_email, "EMAIL")


@pytest.fixture
def therapist(app):
    return UserFactory(email=EMAIL, role=Role.THERAPIST)


# Success and failure ---------------------------------------------------------------------------


def test_correct_credentials_redirect_with_303_to_the_dashboard(client, therapist):
    response = post_login(client, EMAIL, TEST_PASSWORD)

    assert response.status_code == 303
    assert response.headers["Location"] == "/"  # the dashboard
    assert is_logged_in(client)
    assert reload(therapist).last_login_at is not None
    assert [e.outcome for e in audit_events("login", actor_id=therapist.id)] == ["success"]


def test_wrong_password_and_unknown_email_get_the_same_answer(client, therapist):
    """No account enumeration: same status, same message, same page apart from the token."""
    wrong_password = post_login(client, EMAIL, WRONG_PASSWORD)
    unknown_email = post_login(client, "nobody@clinic.test", WRONG_PASSWORD)

    assert wrong_password.status_code == unknown_email.status_code == 422
    assert GENERIC_FAILURE in wrong_password.get_data(as_text=True)
    assert GENERIC_FAILURE in unknown_email.get_data(as_text=True)
    assert normalised_page(wrong_password, EMAIL) == normalised_page(
        unknown_email, "nobody@clinic.test"
    )
    assert not is_logged_in(client)


def test_failed_login_never_echoes_the_typed_password(client, therapist):
    response = post_login(client, EMAIL, WRONG_PASSWORD)

    assert response.status_code == 422
    assert WRONG_PASSWORD not in response.get_data(as_text=True)


def test_inactive_user_gets_the_same_generic_message_even_with_the_right_password(client, app):
    UserFactory(email=EMAIL, active=False)

    response = post_login(client, EMAIL, TEST_PASSWORD)

    assert response.status_code == 422
    assert GENERIC_FAILURE in response.get_data(as_text=True)
    assert not is_logged_in(client)
    assert rows(LoginSession) == []


def test_email_is_case_insensitive_and_trimmed(client, therapist):
    response = post_login(client, "  TheRapist@Clinic.TEST ", TEST_PASSWORD)

    assert response.status_code == 303
    assert is_logged_in(client)


def test_empty_fields_re_render_with_field_errors_and_status_422(client, therapist):
    response = post_login(client, "", "")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your email address." in page
    assert "Enter your password." in page
    assert not is_logged_in(client)


def test_empty_password_keeps_the_typed_email_and_counts_no_failure(client, therapist):
    response = post_login(client, EMAIL, "")

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your password." in page
    assert re.search(rf'<input[^>]*name="email"[^>]*value="{re.escape(EMAIL)}"', page)
    assert reload(therapist).failed_logins == 0
    assert audit_events("login") == []


# ?next= ----------------------------------------------------------------------------------------


def test_a_local_next_path_is_followed_after_login(client, therapist):
    response = post_login(client, EMAIL, TEST_PASSWORD, next_target="/patients/1")

    assert response.status_code == 303
    assert response.headers["Location"] == "/patients/1"


def test_the_login_form_keeps_next_in_its_action(client):
    page = client.get("/login", query_string={"next": "/patients/1"}).get_data(as_text=True)

    assert 'action="/login?next=/patients/1"' in page


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        # Browsers drop tabs and newlines from URLs, which would turn these into //evil.example.
        "/\t/evil.example",
        "/\n/evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "///evil.example",
    ],
)
def test_an_offsite_or_scripted_next_is_ignored(client, therapist, target):
    """Open-redirect protection: the login succeeds but lands on the dashboard."""
    response = post_login(client, EMAIL, TEST_PASSWORD, next_target=target)

    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_a_logged_in_user_asking_for_the_login_page_is_redirected(client, therapist):
    post_login(client, EMAIL, TEST_PASSWORD)

    response = client.get("/login")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# CSRF ------------------------------------------------------------------------------------------


def test_login_without_csrf_token_is_refused_with_400_and_logs_nobody_in(client, therapist):
    client.get("/login")  # a session exists, only the token is missing

    response = post_login(client, EMAIL, TEST_PASSWORD, with_token=False)

    assert response.status_code == 400
    assert not is_logged_in(client)
    assert rows(LoginSession) == []
    assert reload(therapist).last_login_at is None


def test_login_with_a_forged_csrf_token_is_refused(client, therapist):
    client.get("/login")

    response = client.post(
        "/login", data={"email": EMAIL, "password": TEST_PASSWORD, "csrf_token": "forged-token"}
    )

    assert response.status_code == 400
    assert not is_logged_in(client)


NEW_PATIENT = {
    "display_name": "Robin Vale",
    "reference": "CSRF-1",
    "email": "",
    "date_of_birth": "",
}


def test_creating_a_patient_without_csrf_token_is_refused_and_creates_nothing(
    client, auth, therapist
):
    auth.login(EMAIL)

    response = client.post("/patients/new", data=NEW_PATIENT)

    assert response.status_code == 400
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Patient.id))) == 0
    # The same form with the page's token is accepted: the token was the only thing missing.
    accepted = auth.post("/patients/new", NEW_PATIENT, token_page="/patients/new")
    assert accepted.status_code == 303
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Patient.id))) == 1


# Lockout ---------------------------------------------------------------------------------------


def fail_logins(client, count, email=EMAIL):
    for _ in range(count):
        response = post_login(client, email, WRONG_PASSWORD)
        assert response.status_code == 422
        assert GENERIC_FAILURE in response.get_data(as_text=True)


def test_four_failures_do_not_lock_and_a_success_resets_the_count(client, therapist):
    fail_logins(client, 4)
    assert reload(therapist).failed_logins == 4

    assert post_login(client, EMAIL, TEST_PASSWORD).status_code == 303
    assert reload(therapist).failed_logins == 0
    assert audit_events("lockout") == []


def test_five_wrong_passwords_lock_the_account_even_against_the_right_password(client, therapist):
    fail_logins(client, 5)

    response = post_login(client, EMAIL, TEST_PASSWORD)

    assert response.status_code == 422
    # The right password: the person is told the account is locked, and until when, on the
    # clinic's clock (issue 16); it is still refused.
    body = response.get_data(as_text=True)
    until = format_in_zone(reload(therapist).locked_until, therapist.clinic.zone)
    assert f"This account is locked after too many failed attempts, until {until}." in body
    assert GENERIC_FAILURE not in body
    # Without the password nothing tells a locked account: the page an unknown email gets.
    wrong = post_login(client, EMAIL, WRONG_PASSWORD)
    assert "locked" not in wrong.get_data(as_text=True)
    unknown = post_login(client, "nobody@clinic.test", WRONG_PASSWORD)
    assert normalised_page(wrong, EMAIL) == normalised_page(unknown, "nobody@clinic.test")
    assert not is_logged_in(client)
    assert reload(therapist).locked_until is not None
    failures = audit_events("login", actor_id=therapist.id, outcome="failure")
    assert len(failures) == 5
    assert {e.detail["reason"] for e in failures} == {"wrong_password"}
    assert len(audit_events("lockout", actor_id=therapist.id)) == 1
    denied = audit_events("login", actor_id=therapist.id, outcome="denied")
    assert [e.detail["reason"] for e in denied] == ["locked", "locked"]


def test_the_lock_lifts_after_the_lockout_period(client, app, therapist):
    lockout = app.config["LOGIN_LOCKOUT"]
    assert lockout == timedelta(minutes=15)
    start = datetime.now(UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        fail_logins(client, 5)

        traveller.move_to(start + lockout - timedelta(seconds=30))
        assert post_login(client, EMAIL, TEST_PASSWORD).status_code == 422

        traveller.move_to(start + lockout + timedelta(seconds=1))
        response = post_login(client, EMAIL, TEST_PASSWORD)
        assert response.status_code == 303
        assert is_logged_in(client)
    assert reload(therapist).locked_until is None


def test_an_admin_password_reset_lifts_the_lock(app, client, therapist):
    fail_logins(client, 5)
    assert post_login(client, EMAIL, TEST_PASSWORD).status_code == 422

    admin = UserFactory(clinic=therapist.clinic, role=Role.ADMIN, email="admin@clinic.test")
    admin_client = app.test_client()
    assert AuthActions(admin_client).login(admin.email).status_code == 303  # with its MFA step
    new_password = "a brand new long password"
    response = admin_client.post(
        f"/admin/users/{therapist.id}/password",
        data={
            "password": new_password,
            "csrf_token": csrf_token(admin_client, f"/admin/users/{therapist.id}"),
        },
    )
    assert response.status_code == 303
    assert reload(therapist).locked_until is None
    assert len(audit_events("password_reset", object_id=therapist.id)) == 1

    assert post_login(client, EMAIL, new_password).status_code == 303
    assert is_logged_in(client)


def test_an_admin_sees_until_when_an_account_is_locked_and_unlocks_it(app, client, therapist):
    """Issue 16: the admin's user list and user page say until when (clinic clock, zone
    named); "Unlock account now" lifts the lock at once, audited; unlocking again is refused."""
    fail_logins(client, 5)
    locked_until = reload(therapist).locked_until
    admin = UserFactory(clinic=therapist.clinic, role=Role.ADMIN, email="admin@clinic.test")
    admin_client = app.test_client()
    assert AuthActions(admin_client).login(admin.email).status_code == 303
    until = format_in_zone(locked_until, therapist.clinic.zone)
    listing = admin_client.get("/admin/users/").get_data(as_text=True)
    assert f"Locked</span> until {until}" in listing
    page = admin_client.get(f"/admin/users/{therapist.id}").get_data(as_text=True)
    assert f"after too many failed logins, until {until}." in page
    assert f'action="/admin/users/{therapist.id}/unlock"' in page

    token = csrf_token(admin_client, f"/admin/users/{therapist.id}")
    response = admin_client.post(f"/admin/users/{therapist.id}/unlock",
                                 data={"csrf_token": token})
    assert response.status_code == 303
    assert reload(therapist).locked_until is None
    [event] = audit_events("user_unlock", object_id=therapist.id)
    assert event.actor_id == admin.id
    assert event.detail == {"was_locked_until": locked_until.isoformat()}
    page = admin_client.get(f"/admin/users/{therapist.id}").get_data(as_text=True)
    assert "Unlock account now" not in page and "is unlocked" in page

    again = admin_client.post(f"/admin/users/{therapist.id}/unlock",
                              data={"csrf_token": token})
    assert again.status_code == 303
    assert "account is not locked" in admin_client.get(
        again.headers["Location"]).get_data(as_text=True).replace("&#39;", "'")
    assert len(audit_events("user_unlock")) == 1
    assert post_login(client, EMAIL, TEST_PASSWORD).status_code == 303


# Rate limit per address ------------------------------------------------------------------------


def test_default_login_rate_limit_is_the_documented_one(app):
    assert app.config["RATELIMIT_LOGIN"] == "20 per minute;100 per hour"


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_LOGIN": "3 per minute"}])
def test_the_login_rate_limit_answers_429_with_retry_after(client, therapist):
    for _ in range(3):
        assert post_login(client, EMAIL, WRONG_PASSWORD).status_code == 422

    response = post_login(client, EMAIL, TEST_PASSWORD)

    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert not is_logged_in(client)  # even the right password does not get through
    assert client.get("/login").status_code == 200  # only POSTs are limited


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_LOGIN": "3 per minute"}])
def test_the_login_rate_limit_counts_per_address(app, client, therapist):
    for _ in range(3):
        post_login(client, EMAIL, WRONG_PASSWORD)
    assert post_login(client, EMAIL, WRONG_PASSWORD).status_code == 429

    other_address = app.test_client()
    other_address.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert post_login(other_address, EMAIL, TEST_PASSWORD).status_code == 303


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_LOGIN": "3 per minute"}])
def test_the_login_rate_limit_window_passes(client, therapist):
    start = datetime.now(UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(3):
            post_login(client, EMAIL, WRONG_PASSWORD)
        assert post_login(client, EMAIL, TEST_PASSWORD).status_code == 429

        traveller.move_to(start + timedelta(minutes=2, seconds=1))
        assert post_login(client, EMAIL, TEST_PASSWORD).status_code == 303
