"""Login sessions: cookie attributes, server-side invalidation and the idle/absolute timeouts.

The session cookie only holds a random key; the server keeps a ``LoginSession`` row per login.
These tests copy and replay real cookies between test clients, as an attacker with a stolen
cookie would, and move the clock with time-machine.
"""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from conftest import CSRF_INPUT, TEST_PASSWORD, AuthActions, make_config, reload
from factories import UserFactory

from clinic.app import create_app
from clinic.auth.models import LoginSession, Role
from clinic.extensions import db

COOKIE = "liftclinic_session"
EMAIL = "therapist@clinic.test"


@pytest.fixture
def therapist(app):
    return UserFactory(email=EMAIL, role=Role.THERAPIST)


def cookie_value(client):
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None, "no session cookie"
    return cookie.value


def replay(app, value):
    """A second browser that only has a copy of the cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, value)
    return other


def assert_sent_to_login(response):
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"].startswith("/login")


def session_cookie_headers(response):
    """The session cookie's Set-Cookie headers (production names it ``__Host-`` + COOKIE)."""
    return [h for h in response.headers.getlist("Set-Cookie")
            if h.partition("=")[0] in (COOKIE, f"__Host-{COOKIE}")]


def attributes(set_cookie_header):
    """The attributes of a Set-Cookie header, lower-cased names: {'httponly': '', ...}."""
    parts = [p.strip() for p in set_cookie_header.split(";")[1:]]
    return {p.partition("=")[0].lower(): p.partition("=")[2] for p in parts if p}


def login_rows():
    db.session.commit()  # end our read transaction: requests committed in their own sessions
    return db.session.scalars(sa.select(LoginSession).order_by(LoginSession.id)).all()


# Cookie attributes ------------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite_lax(client, auth, therapist):
    anonymous = session_cookie_headers(client.get("/login"))
    logged_in = session_cookie_headers(auth.login(EMAIL))

    assert anonymous and logged_in
    for header in anonymous + logged_in:
        attrs = attributes(header)
        assert "httponly" in attrs
        assert attrs["samesite"] == "Lax"
        assert attrs["path"] == "/"
        assert "domain" not in attrs


def test_production_config_sets_secure_session_cookies(app, migrated_schema, therapist):
    prod = create_app(make_config(migrated_schema, ENV_NAME="production", TESTING=False))
    try:
        assert prod.config["SESSION_COOKIE_SECURE"] is True
        assert prod.config["SESSION_COOKIE_HTTPONLY"] is True
        assert prod.config["SESSION_COOKIE_SAMESITE"] == "Lax"
        assert prod.config["REMEMBER_COOKIE_DURATION"] == timedelta(0)
        assert prod.config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=30)
        assert prod.config["SESSION_ABSOLUTE_LIFETIME"] == timedelta(hours=12)

        browser = prod.test_client()
        page = browser.get("/login", base_url="https://clinic.test")
        token = csrf_token_from(page)
        # Over HTTPS Flask-WTF also checks the Referer, which browsers send for same-origin
        # posts (Referrer-Policy: same-origin).
        login = browser.post(
            "/login",
            base_url="https://clinic.test",
            headers={"Referer": "https://clinic.test/login"},
            data={"email": EMAIL, "password": TEST_PASSWORD, "csrf_token": token},
        )
        assert login.status_code == 303
        headers = session_cookie_headers(page) + session_cookie_headers(login)
        assert len(headers) == 2
        for header in headers:
            attrs = attributes(header)
            assert "secure" in attrs
            assert "httponly" in attrs
            assert attrs["samesite"] == "Lax"
    finally:
        with prod.app_context():
            db.session.remove()
            db.engine.dispose()


def csrf_token_from(response):
    match = CSRF_INPUT.search(response.get_data(as_text=True))
    assert match
    return match.group(1)


def test_testing_config_does_not_mark_cookies_secure(app, client):
    """The Secure flag is production-only (plain-HTTP localhost); a regression guard."""
    assert app.config["SESSION_COOKIE_SECURE"] is False
    for header in session_cookie_headers(client.get("/login")):
        assert "secure" not in attributes(header)


def test_no_remember_me_cookie_is_ever_set(client, auth, therapist):
    responses = [
        client.get("/login"),
        auth.login(EMAIL),
        client.get("/patients"),
        client.get("/account/password"),
        auth.logout(),
        client.get("/login"),
    ]

    set_cookies = [h for r in responses for h in r.headers.getlist("Set-Cookie")]
    assert set_cookies
    assert all(h.startswith(f"{COOKIE}=") for h in set_cookies), set_cookies
    assert client.get_cookie("remember_token") is None


# Fixation and logout ----------------------------------------------------------------------------


def test_login_issues_a_new_session_cookie_and_the_old_one_stays_anonymous(
    app, client, auth, therapist
):
    client.get("/login")
    before = cookie_value(client)

    assert auth.login(EMAIL).status_code == 303
    after = cookie_value(client)

    assert after != before
    serializer = app.session_interface.get_signing_serializer(app)
    assert "login_key" not in serializer.loads(before)
    key = serializer.loads(after)["login_key"]
    [row] = login_rows()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in row.key_hash  # only the hash is stored
    assert_sent_to_login(replay(app, before).get("/patients"))
    assert client.get("/patients").status_code == 200


def test_each_login_gets_its_own_server_side_session(app, therapist):
    first, second = app.test_client(), app.test_client()
    AuthActions(first).login(EMAIL)
    AuthActions(second).login(EMAIL)

    rows = login_rows()
    assert len(rows) == 2
    assert rows[0].key_hash != rows[1].key_hash


def test_a_cookie_copied_before_logout_does_not_work_after_it(app, client, auth, therapist):
    auth.login(EMAIL)
    assert client.get("/patients").status_code == 200
    stolen = cookie_value(client)

    response = auth.logout()

    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    [row] = login_rows()
    assert row.ended_at is not None
    assert row.end_reason == "logout"
    replayed = replay(app, stolen)
    for url in ("/patients", "/account/password", "/"):
        assert_sent_to_login(replayed.get(url))
    assert_sent_to_login(client.get("/patients"))


# Ending other sessions ---------------------------------------------------------------------------


def test_deactivating_a_user_ends_their_live_session_at_once(app, client, auth, therapist):
    auth.login(EMAIL)
    assert client.get("/patients").status_code == 200

    admin = UserFactory(clinic=therapist.clinic, role=Role.ADMIN, email="admin@clinic.test")
    admin_browser = AuthActions(app.test_client())
    admin_browser.login(admin.email)
    response = admin_browser.post(
        f"/admin/users/{therapist.id}/deactivate", token_page=f"/admin/users/{therapist.id}"
    )
    assert response.status_code == 303

    assert_sent_to_login(client.get("/patients"))
    assert reload(therapist).active is False
    [therapist_login] = [r for r in login_rows() if r.user_id == therapist.id]
    assert therapist_login.end_reason == "deactivated"


def test_changing_ones_password_ends_the_other_sessions_but_keeps_this_one(app, therapist):
    here, elsewhere = app.test_client(), app.test_client()
    AuthActions(here).login(EMAIL)
    AuthActions(elsewhere).login(EMAIL)
    assert elsewhere.get("/patients").status_code == 200
    new_password = "a completely new passphrase"

    response = AuthActions(here).post(
        "/account/password",
        {
            "current_password": TEST_PASSWORD,
            "new_password": new_password,
        },
    )

    assert response.status_code == 303
    assert here.get("/patients").status_code == 200
    assert_sent_to_login(elsewhere.get("/patients"))
    reasons = sorted((r.end_reason or "live") for r in login_rows())
    assert reasons == ["live", "password_change"]
    # The new password is the one that works now.
    assert AuthActions(app.test_client()).login(EMAIL, new_password).status_code == 303


def test_a_password_change_with_the_wrong_current_password_ends_nothing(app, therapist):
    here, elsewhere = app.test_client(), app.test_client()
    AuthActions(here).login(EMAIL)
    AuthActions(elsewhere).login(EMAIL)

    response = AuthActions(here).post(
        "/account/password",
        {
            "current_password": "not my current password",
            "new_password": "whatever long enough",
        },
    )

    assert response.status_code == 422
    assert "That is not your current password." in response.get_data(as_text=True)
    assert elsewhere.get("/patients").status_code == 200


# Timeouts ---------------------------------------------------------------------------------------


def test_idle_timeout_is_30_minutes_since_the_last_request(app, client, auth, therapist):
    assert app.config["SESSION_IDLE_TIMEOUT"] == timedelta(minutes=30)
    start = datetime.now(UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        auth.login(EMAIL)

        traveller.move_to(start + timedelta(minutes=29))
        assert client.get("/patients").status_code == 200

        traveller.move_to(start + timedelta(minutes=29 + 31))
        assert_sent_to_login(client.get("/patients"))

        # Logging in again is what resumes work.
        traveller.move_to(start + timedelta(minutes=61))
        assert auth.login(EMAIL).status_code == 303
        assert client.get("/patients").status_code == 200
    first = login_rows()[0]
    assert first.end_reason == "idle_timeout"


def test_absolute_lifetime_ends_a_busy_session_after_12_hours(app, client, auth, therapist):
    lifetime = app.config["SESSION_ABSOLUTE_LIFETIME"]
    assert lifetime == timedelta(hours=12)
    start = datetime.now(UTC).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as traveller:
        auth.login(EMAIL)
        now = start
        while now + timedelta(minutes=20) < start + lifetime:
            now += timedelta(minutes=20)
            traveller.move_to(now)
            assert client.get("/patients").status_code == 200, now - start

        traveller.move_to(start + lifetime + timedelta(minutes=1))
        assert_sent_to_login(client.get("/patients"))
    [row] = login_rows()
    assert row.end_reason == "absolute_timeout"
