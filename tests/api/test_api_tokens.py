"""Tokens: created with HTTP Basic (the login page's rules), stored as a hash, expiring,
revocable by their holder and by a clinic admin, dead with a deactivated user."""

import hashlib
from datetime import timedelta

import pyotp
import sqlalchemy as sa
import time_machine
from factories import TEST_PASSWORD
from helpers import audit_events

from api.conftest import basic, bearer, make_token
from clinic.auth import mfa
from clinic.auth.api_tokens import ApiToken
from clinic.auth.models import LoginSession
from clinic.auth.services import set_user_active
from clinic.database import utcnow
from clinic.extensions import db


def test_basic_credentials_give_a_token_that_works_once_shown_and_stored_as_a_hash(
        client, world):
    response = client.post("/api/v1/tokens", headers=basic("therapist@a.test"))
    assert response.status_code == 201
    body = response.get_json()
    token = body["token"]
    assert len(token) >= 43
    [row] = db.session.scalars(sa.select(ApiToken)).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str([getattr(row, c.key) for c in ApiToken.__table__.columns])
    # 30 days by default, and the body says when.
    lifetime = row.expires_at - row.created_at
    assert lifetime == timedelta(days=30)
    assert body["expires_at"].startswith(row.expires_at.isoformat()[:16])
    assert client.get("/api/v1/patients", headers=bearer(token)).status_code == 200
    # No login session is left open by the token exchange, and the creation is audited.
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession).where(
        LoginSession.ended_at.is_(None))) == 0
    assert len(audit_events("api_token_create")) == 1


def test_token_lifetime_is_a_setting(app, client, world):
    app.config["API_TOKEN_LIFETIME"] = timedelta(days=2)
    client.post("/api/v1/tokens", headers=basic("therapist@a.test"))
    row = db.session.scalar(sa.select(ApiToken))
    assert row.expires_at - row.created_at == timedelta(days=2)


def test_wrong_or_missing_credentials_get_401_and_count_towards_the_lockout(
        app, client, world):
    missing = client.post("/api/v1/tokens")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Basic")
    assert set(missing.get_json()) == {"error", "fields"}
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        wrong = client.post("/api/v1/tokens", headers=basic("therapist@a.test", "wrong"))
        assert wrong.status_code == 401
    # Locked now, exactly as the login page would be: even the right password is refused, and
    # (only) the right password learns that the account is locked and until when.
    locked = client.post("/api/v1/tokens", headers=basic("therapist@a.test"))
    assert locked.status_code == 401
    assert "locked" in locked.get_json()["error"]
    assert "locked" not in wrong.get_json()["error"]
    assert len(audit_events("lockout")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    # The login page agrees: the account is locked there too.
    assert client.post("/login", data={"email": "therapist@a.test",
                                       "password": TEST_PASSWORD}).status_code != 303


def test_token_creation_is_rate_limited(app, client, world):
    app.config["RATELIMIT_TOKENS"] = "3 per minute"
    for _ in range(3):
        assert client.post("/api/v1/tokens",
                           headers=basic("nobody@a.test", "x")).status_code == 401
    limited = client.post("/api/v1/tokens", headers=basic("therapist@a.test"))
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert set(limited.get_json()) == {"error", "fields"}


def test_no_token_a_cookie_or_a_bad_token_gets_401_json_with_a_challenge(client, auth, world):
    for headers in ({}, {"Authorization": "Bearer not-a-token"},
                    {"Authorization": "Basic " + "x" * 20}, bearer("A" * 43)):
        response = client.get("/api/v1/patients", headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="LiftClinic API"'
        assert response.get_json() == {"error": "A valid API token is required.", "fields": {}}
    # A logged-in browser's cookie authenticates nothing here: no cookie-driven change can
    # reach the API, which is why its blueprints need no CSRF token.
    assert auth.login("therapist@a.test").status_code == 303
    assert client.get("/api/v1/patients").status_code == 401
    assert client.post("/api/v1/patients", json={"display_name": "X",
                                                  "reference": "X-1"}).status_code == 401


def test_a_bearer_request_needs_no_csrf_token(client, world):
    response = client.post("/api/v1/patients", headers=world.headers("therapist"),
                           json={"display_name": "New", "reference": "N-1"})
    assert response.status_code == 201


def test_an_expired_token_stops_working(client, world):
    token = make_token(world.therapist, expires_in=timedelta(hours=1))
    assert client.get("/api/v1/patients", headers=bearer(token)).status_code == 200
    with time_machine.travel(utcnow() + timedelta(hours=2)):
        assert client.get("/api/v1/patients", headers=bearer(token)).status_code == 401


def test_a_revoked_token_and_a_deactivated_users_token_stop_working(client, world):
    revoked = make_token(world.therapist, revoked=True)
    assert client.get("/api/v1/patients", headers=bearer(revoked)).status_code == 401
    token = make_token(world.therapist2)
    assert client.get("/api/v1/patients", headers=bearer(token)).status_code == 200
    set_user_active(world.admin, world.therapist2, False)
    assert client.get("/api/v1/patients", headers=bearer(token)).status_code == 401


def test_delete_current_revokes_the_token_it_carries_only(client, world):
    token, other = make_token(world.therapist), make_token(world.therapist)
    response = client.delete("/api/v1/tokens/current", headers=bearer(token))
    assert response.status_code == 204
    assert client.get("/api/v1/patients", headers=bearer(token)).status_code == 401
    assert client.delete("/api/v1/tokens/current", headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/patients", headers=bearer(other)).status_code == 200
    assert len(audit_events("api_token_revoke")) == 1


def test_last_used_is_recorded(client, world):
    token = make_token(world.therapist)
    client.get("/api/v1/patients", headers=bearer(token))
    db.session.commit()
    row = db.session.scalar(sa.select(ApiToken))
    assert row.last_used_at is not None


def test_two_step_login_accounts_send_their_code(client, world):
    secret = mfa.start_enrolment(world.therapist)
    mfa.confirm_enrolment(world.therapist, pyotp.TOTP(secret).now())
    later = utcnow() + timedelta(seconds=60)  # the confirming code is spent: the next step
    with time_machine.travel(later, tick=False):
        no_code = client.post("/api/v1/tokens", headers=basic("therapist@a.test"))
        assert no_code.status_code == 401 and "X-OTP-Code" in no_code.get_json()["error"]
        wrong = client.post("/api/v1/tokens", headers={**basic("therapist@a.test"),
                                                       "X-OTP-Code": "000000"})
        assert wrong.status_code == 401
        right = client.post("/api/v1/tokens", headers={
            **basic("therapist@a.test"), "X-OTP-Code": pyotp.TOTP(secret).at(later)})
        assert right.status_code == 201
        replayed = client.post("/api/v1/tokens", headers={
            **basic("therapist@a.test"), "X-OTP-Code": pyotp.TOTP(secret).at(later)})
        assert replayed.status_code == 401
    assert len(audit_events("api_token_create")) == 1
