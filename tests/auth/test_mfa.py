"""Two-step login: setting up TOTP, logging in with a code or a recovery code, replay and
lockout, who must use it, and an admin's audited reset. Time is held still with time-machine,
so every code belongs to a known 30-second step."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import sqlalchemy as sa
import time_machine
from conftest import TEST_PASSWORD, AuthActions, csrf_token, make_config, reload
from factories import UserFactory
from helpers import audit_events, forged_session, hashed, is_logged_in

from clinic.app import create_app
from clinic.auth import mfa, services
from clinic.auth.models import LoginSession, PendingLogin, Role
from clinic.config import ConfigError, derived_mfa_key
from clinic.extensions import db

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)  # the start of a 30-second step
STEP = timedelta(seconds=30)
COOKIE = "liftclinic_session"


def enrol(user):
    """Set up two-step login through the service, as the set-up page does; (secret, codes)."""
    secret = mfa.start_enrolment(user)
    codes = mfa.confirm_enrolment(user, pyotp.TOTP(secret).now())
    return secret, codes


def code_at(secret, when):
    return pyotp.TOTP(secret).at(when)


def password_step(client, email, password=TEST_PASSWORD):
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": csrf_token(client)})


@pytest.fixture
def therapist(app):
    return UserFactory(role=Role.THERAPIST, email="therapist@clinic.test")


@pytest.fixture
def admin(therapist):
    return UserFactory(clinic=therapist.clinic, role=Role.ADMIN, email="admin@clinic.test")


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def enrolled(therapist, clock):
    """The therapist with an authenticator set up at T0 (step S0 is spent)."""
    secret, codes = enrol(therapist)
    clock.shift(2 * STEP)
    return secret, codes


# Setting it up -------------------------------------------------------------------------------


def test_setting_up_shows_a_qr_code_and_the_key_and_needs_a_right_code(client, auth, therapist,
                                                                      clock):
    auth.login(therapist.email)
    page = client.get("/account/mfa/setup")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    svg = re.search(r"<svg.*?</svg>", body, re.S).group(0)
    assert "style=" not in svg and "<style" not in svg  # the CSP blocks inline styles
    secret = re.search(r'<code id="mfa-key">([A-Z2-7 ]+)</code>', body).group(1).replace(" ", "")
    assert len(secret) == 32  # 160 random bits (pyotp.random_base32, the secrets module)
    # A reload shows the same key: the QR code already scanned stays valid.
    assert secret in client.get("/account/mfa/setup").get_data(as_text=True).replace(" ", "")

    wrong = auth.post("/account/mfa/setup", {"code": "000000", "password": TEST_PASSWORD},
                      token_page="/account/mfa/setup")
    assert wrong.status_code == 422
    assert "That code is not right" in wrong.get_data(as_text=True)
    assert [e.outcome for e in audit_events("mfa_enrol")] == ["failure"]
    assert not mfa.is_enabled(therapist)

    right = auth.post("/account/mfa/setup", {"code": code_at(secret, T0),
                                             "password": TEST_PASSWORD},
                      token_page="/account/mfa/setup")
    assert right.status_code == 303
    codes_page = client.get(right.headers["Location"])
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", codes_page.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    # Shown once: the page does not show them again.
    assert client.get("/account/mfa/recovery-codes").status_code == 303

    assert [e.outcome for e in audit_events("mfa_enrol")] == ["failure", "success"]
    credential = mfa.credential_of(therapist.id)
    assert credential.enabled_at is not None
    assert secret not in credential.secret_encrypted  # encrypted at rest
    assert mfa.decrypt_secret(credential.secret_encrypted) == secret
    stored = set(db.session.scalars(sa.select(mfa.MfaRecoveryCode.code_hash)))
    assert len(stored) == 10 and not stored & set(codes)
    for row in (e for name in ("mfa_enrol",) for e in audit_events(name)):
        assert secret not in str(row.detail)


def test_the_secret_is_encrypted_with_the_configured_key(migrated_schema):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    app = create_app(make_config(migrated_schema, MFA_ENCRYPTION_KEY=key))
    with app.app_context():
        token = mfa.encrypt_secret("JBSWY3DPEHPK3PXP")
    assert Fernet(key).decrypt(token.encode()) == b"JBSWY3DPEHPK3PXP"
    # Unset, the key is derived from SECRET_KEY (so `make run` works), and never equals it.
    derived = create_app(make_config(migrated_schema)).config["MFA_ENCRYPTION_KEY"]
    assert derived == derived_mfa_key("test-secret-key-that-is-at-least-32-bytes-long")
    assert derived != "test-secret-key-that-is-at-least-32-bytes-long"
    with pytest.raises(ConfigError, match="MFA_ENCRYPTION_KEY"):
        create_app(make_config(migrated_schema, MFA_ENCRYPTION_KEY="not-a-fernet-key"))


def test_turning_it_on_asks_for_the_password_again(client, auth, therapist, clock):
    auth.login(therapist.email)
    body = client.get("/account/mfa/setup").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="password"[^>]*type="password"', body)
    secret = re.search(r'<code id="mfa-key">([A-Z2-7 ]+)</code>', body).group(1).replace(" ", "")
    code = code_at(secret, T0)

    # A copied session cookie alone (no password) enrols nothing.
    missing = auth.post("/account/mfa/setup", {"code": code}, token_page="/account/mfa/setup")
    assert missing.status_code == 422
    assert "Enter your current password." in missing.get_data(as_text=True)
    wrong = auth.post("/account/mfa/setup", {"code": code, "password": "not my password"},
                      token_page="/account/mfa/setup")
    assert wrong.status_code == 422
    assert "That is not your current password." in wrong.get_data(as_text=True)
    assert not mfa.is_enabled(therapist)
    # Counted as a wrong password on the password-change page, and audited.
    assert reload(therapist).failed_logins == 1
    [failed] = audit_events("mfa_enrol")
    assert (failed.outcome, failed.detail) == ("failure", {"reason": "wrong_password"})

    right = auth.post("/account/mfa/setup", {"code": code, "password": TEST_PASSWORD},
                      token_page="/account/mfa/setup")
    assert right.status_code == 303 and mfa.is_enabled(therapist)


def test_wrong_passwords_at_set_up_lock_the_account_and_end_the_session(app, client, auth,
                                                                         therapist, clock):
    auth.login(therapist.email)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.post("/account/mfa/setup", {"code": "123456", "password": "guess"},
                  token_page="/account/mfa/setup")
        if not is_logged_in(client):
            break
    assert reload(therapist).locked_until is not None
    assert not is_logged_in(client)
    assert not mfa.is_enabled(therapist)


# Logging in with it --------------------------------------------------------------------------


def test_login_asks_for_the_code_and_opens_the_session_only_then(client, auth, therapist,
                                                                enrolled):
    secret, _ = enrolled
    response = password_step(client, therapist.email)
    assert response.status_code == 303 and response.headers["Location"] == "/login/mfa"
    assert db.session.scalar(sa.select(sa.func.count(LoginSession.id))) == 0
    assert not is_logged_in(client)
    assert client.get("/").status_code == 302  # sent to the login page

    response = auth.enter_code(therapist.email, code_at(secret, T0 + 2 * STEP))
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert is_logged_in(client)
    assert [e.detail for e in audit_events("mfa_challenge")] == [{"step": "verify"}]
    [verified] = audit_events("mfa_verify")
    assert (verified.outcome, verified.detail) == ("success", {"method": "totp"})
    [login] = audit_events("login")
    assert login.detail == {"mfa": "totp"} and login.actor_id == therapist.id


def test_a_code_cannot_be_replayed_within_its_step_nor_an_older_one(client, auth, therapist,
                                                                    enrolled):
    secret, _ = enrolled
    now_code = code_at(secret, T0 + 2 * STEP)
    password_step(client, therapist.email)
    assert auth.enter_code(therapist.email, now_code).status_code == 303
    auth.logout()

    password_step(client, therapist.email)
    replayed = auth.enter_code(therapist.email, now_code)
    assert replayed.status_code == 422
    # A code used already: the person is told to wait for the next one (issue 16).
    assert mfa.REUSED_CODE in replayed.get_data(as_text=True).replace("&#39;", "'")
    assert mfa.WRONG_CODE not in replayed.get_data(as_text=True).replace("&#39;", "'")
    # The step before is inside the window, but older than the one used: refused too.
    older = auth.enter_code(therapist.email, code_at(secret, T0 + STEP))
    assert older.status_code == 422
    assert [e.detail["reason"] for e in audit_events("mfa_verify", outcome="failure")] == [
        "replayed", "replayed"]
    assert reload(therapist).failed_logins == 2
    # The next step's code (within the window) is fresh: accepted.
    assert auth.enter_code(therapist.email, code_at(secret, T0 + 3 * STEP)).status_code == 303


def test_replaying_a_spent_code_is_refused_every_time(therapist, enrolled):
    secret, _ = enrolled
    now = T0 + 2 * STEP
    assert mfa.check_code(therapist, code_at(secret, now), now) == ("totp", None)
    results = [mfa.check_code(therapist, code_at(secret, now), now) for _ in range(100)]
    assert results == [(None, "replayed")] * 100


def test_codes_outside_the_window_and_other_users_codes_are_refused(client, auth, therapist,
                                                                     enrolled):
    secret, _ = enrolled
    other = UserFactory(clinic=therapist.clinic)
    other_secret, _ = enrol(other)
    password_step(client, therapist.email)
    for code in (code_at(secret, T0 + 2 * STEP - 2 * STEP),  # two steps ago: outside
                 code_at(secret, T0 + 4 * STEP),  # two steps ahead: outside
                 code_at(other_secret, T0 + 2 * STEP)):  # the right time, the wrong user
        if code == code_at(secret, T0 + 2 * STEP):
            continue  # a 1-in-a-million collision would make this case meaningless
        assert auth.enter_code(therapist.email, code).status_code == 422
    assert not is_logged_in(client)
    assert {e.detail["reason"] for e in audit_events("mfa_verify", actor_id=therapist.id)} == {
        "wrong_code"}


def test_a_recovery_code_works_once(client, auth, therapist, enrolled):
    _, codes = enrolled
    password_step(client, therapist.email)
    assert auth.enter_code(therapist.email, codes[0].upper()).status_code == 303
    [used] = audit_events("mfa_verify", outcome="success")
    assert used.detail == {"method": "recovery_code", "remaining": 9}
    assert codes[0] not in str(used.detail)
    auth.logout()

    password_step(client, therapist.email)
    assert auth.enter_code(therapist.email, codes[0]).status_code == 422
    assert auth.enter_code(therapist.email, codes[1]).status_code == 303


def test_wrong_codes_count_towards_the_password_lockout(client, auth, therapist, enrolled):
    secret, _ = enrolled
    password_step(client, therapist.email)
    for _ in range(4):
        assert auth.enter_code(therapist.email, "123456").status_code == 422
    # A right password does not wipe the count: password + 4 guesses, repeated, would not lock.
    assert password_step(client, therapist.email).headers["Location"] == "/login/mfa"
    assert reload(therapist).failed_logins == 4
    assert auth.enter_code(therapist.email, "654321").status_code == 422
    assert reload(therapist).locked_until is not None
    assert len(audit_events("lockout", actor_id=therapist.id)) == 1
    # Locked: the right code and the right password are both refused now.
    assert auth.enter_code(therapist.email, code_at(secret, T0 + 2 * STEP)).status_code == 422
    assert not is_logged_in(client)
    assert audit_events("mfa_verify", outcome="denied")[-1].detail["reason"] == "not_allowed"
    assert password_step(client, therapist.email).status_code == 422


def test_the_cookie_of_a_pending_login_reaches_no_page(app, client, auth, therapist, enrolled):
    secret, _ = enrolled
    password_step(client, therapist.email)
    copied = client.get_cookie(COOKIE).value
    thief = app.test_client()
    thief.set_cookie(COOKIE, copied)
    for path in ("/", "/patients", "/account/password", "/account/mfa", "/admin/audit/"):
        response = thief.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith(
            "/login"), path

    # After the owner's second step, the copy is still only a pending login, never a session.
    assert auth.enter_code(therapist.email, code_at(secret, T0 + 2 * STEP)).status_code == 303
    assert is_logged_in(client)
    assert thief.get("/").status_code == 302


def test_a_pending_login_expires(client, auth, therapist, enrolled, clock):
    secret, _ = enrolled
    password_step(client, therapist.email)
    clock.shift(timedelta(minutes=6))
    response = client.get("/login/mfa")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    late = client.post("/login/mfa", data={
        "code": code_at(secret, T0 + 2 * STEP + timedelta(minutes=6)),
        "csrf_token": csrf_token(client)})
    assert late.status_code == 303 and late.headers["Location"] == "/login"
    assert not is_logged_in(client)
    assert audit_events("mfa_verify") == []


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_MFA": "3 per minute"}])
def test_the_code_step_is_rate_limited(client, auth, therapist, enrolled):
    password_step(client, therapist.email)
    statuses = [auth.enter_code(therapist.email, "111111").status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


# Who must use it -----------------------------------------------------------------------------


def test_an_admin_without_it_must_set_it_up_before_anything_else(client, auth, admin, clock):
    response = password_step(client, admin.email)
    assert response.status_code == 303 and response.headers["Location"] == "/login/mfa/setup"
    assert [e.detail for e in audit_events("mfa_challenge")] == [{"step": "enrol"}]
    for path in ("/", "/admin/users/", "/admin/audit/", "/account/mfa/setup"):
        assert client.get(path).status_code == 302, path  # not logged in: to the login page
    assert client.get("/login/mfa").status_code == 303  # the code step is not theirs yet

    page = client.get("/login/mfa/setup").get_data(as_text=True)
    secret = re.search(r'<code id="mfa-key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    done = client.post("/login/mfa/setup", data={"code": code_at(secret, T0),
                                                 "csrf_token": token})
    assert done.status_code == 303
    assert "Your recovery codes" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert client.get("/admin/users/").status_code == 200
    assert mfa.is_enabled(admin)
    [login] = audit_events("login")
    assert login.detail == {"mfa": "enrolled"}


def test_the_clinic_setting_requires_it_of_therapists_and_trainers(app, client, auth, therapist,
                                                                   admin):
    trainer = UserFactory(clinic=therapist.clinic, role=Role.TRAINER)
    assert password_step(client, therapist.email).headers["Location"] == "/"  # not required yet
    auth.logout()

    assert auth.login(admin.email).status_code == 303
    settings = client.get("/admin/clinic").get_data(as_text=True)
    assert 'name="mfa_required_for_clinicians"' in settings
    response = auth.post("/admin/clinic", {
        "name": therapist.clinic.name, "timezone": "Europe/London", "link_expiry_days": "4",
        "reminder_after_days": "2", "crisis_text": "Call 999.",
        "mfa_required_for_clinicians": "y"}, token_page="/admin/clinic")
    assert response.status_code == 303
    assert reload(therapist.clinic).mfa_required_for_clinicians is True
    assert "mfa_required_for_clinicians" in audit_events("clinic_update")[-1].detail["fields"]
    auth.logout()

    for user in (therapist, trainer):
        other = app.test_client()
        response = password_step(other, user.email)
        assert response.headers["Location"] == "/login/mfa/setup", user.role


# An admin's reset ----------------------------------------------------------------------------


def test_an_admin_resets_a_users_mfa_and_it_is_audited(app, client, auth, therapist, admin,
                                                        enrolled):
    secret, _ = enrolled
    therapist_client = app.test_client()
    password_step(therapist_client, therapist.email)
    AuthActions(therapist_client).enter_code(therapist.email, code_at(secret, T0 + 2 * STEP))
    assert is_logged_in(therapist_client)

    auth.login(admin.email)
    page = client.get(f"/admin/users/{therapist.id}").get_data(as_text=True)
    assert "Reset two-step login" in page
    response = auth.post(f"/admin/users/{therapist.id}/mfa/reset",
                         token_page=f"/admin/users/{therapist.id}")
    assert response.status_code == 303
    assert mfa.credential_of(therapist.id) is None
    assert db.session.scalar(sa.select(sa.func.count(mfa.MfaRecoveryCode.id)).where(
        mfa.MfaRecoveryCode.user_id == therapist.id)) == 0
    assert not is_logged_in(therapist_client)  # their sessions ended
    [reset] = audit_events("mfa_reset")
    assert (reset.actor_id, reset.object_id, reset.outcome) == (admin.id, therapist.id, "success")
    # Not required of therapists here: the next login needs the password only.
    assert password_step(app.test_client(), therapist.email).headers["Location"] == "/"


def test_nobody_resets_their_own_and_only_admins_reset(app, client, auth, therapist, admin):
    other_admin = UserFactory(clinic=therapist.clinic, role=Role.ADMIN)
    outsider = UserFactory(role=Role.ADMIN)  # another clinic's admin
    auth.login(admin.email)
    own = auth.post(f"/admin/users/{admin.id}/mfa/reset", token_page=f"/admin/users/{admin.id}")
    assert own.status_code == 303
    assert mfa.is_enabled(admin)
    [denied] = audit_events("mfa_reset")
    assert (denied.outcome, denied.detail) == ("denied", {"reason": "own_account"})
    auth.logout()

    therapist_client = app.test_client()
    therapist_auth = AuthActions(therapist_client)
    therapist_auth.login(therapist.email)
    assert therapist_auth.post(f"/admin/users/{admin.id}/mfa/reset").status_code == 403
    outsider_auth = AuthActions(app.test_client())
    outsider_auth.login(outsider.email)
    assert outsider_auth.post(f"/admin/users/{admin.id}/mfa/reset").status_code == 404
    assert mfa.is_enabled(admin)

    # Another admin of the clinic may.
    other_auth = AuthActions(app.test_client())
    other_auth.login(other_admin.email)
    assert other_auth.post(f"/admin/users/{admin.id}/mfa/reset").status_code == 303
    assert not mfa.is_enabled(admin)
    assert [e.outcome for e in audit_events("mfa_reset")] == ["denied", "success"]


# The pending login is a server-side record -------------------------------------------------


@pytest.mark.parametrize("claim", [
    {"user_id": "ADMIN", "step": "enrol", "since": T0.timestamp(), "next": None},
    {"user_id": "ADMIN", "step": "verify", "since": T0.timestamp(), "next": None},
    {"key": "a-guessed-key", "next": None},
])
def test_a_forged_cookie_claiming_a_pending_login_gets_nothing(app, admin, clock, claim):
    claim = {k: (admin.id if v == "ADMIN" else v) for k, v in claim.items()}
    thief = app.test_client()
    thief.set_cookie(COOKIE, forged_session(app, {"mfa_pending": claim}))
    for path in ("/login/mfa/setup", "/login/mfa"):
        response = thief.get(path)
        assert response.status_code == 303 and response.headers["Location"] == "/login", path
    assert not mfa.is_enabled(admin)
    assert db.session.scalar(sa.select(sa.func.count(LoginSession.id))) == 0


def test_the_cookie_holds_only_the_pending_logins_random_key(app, client, therapist, enrolled):
    password_step(client, therapist.email)
    data = app.session_interface.get_signing_serializer(app).loads(
        client.get_cookie(COOKIE).value)
    assert set(data["mfa_pending"]) == {"key", "next"}
    [pending] = db.session.scalars(sa.select(PendingLogin)).all()
    assert pending.user_id == therapist.id and pending.step == "verify"
    assert pending.key_hash == hashed(data["mfa_pending"]["key"])  # only its hash is stored


def test_a_pending_login_is_used_once(therapist, enrolled):
    secret, codes = enrolled
    _, key, pending_key = services.authenticate(therapist.email, TEST_PASSWORD)
    assert key is None
    user, key = services.log_in_second_step(pending_key, code_at(secret, T0 + 2 * STEP))
    assert user == therapist and key
    assert services.log_in_second_step(pending_key, codes[0]) == (None, None)
    assert audit_events("mfa_verify", outcome="denied")[-1].detail["reason"] == (
        "no_pending_login")
    assert mfa.recovery_codes_left(therapist) == len(codes)  # the code was not spent


def test_a_used_pending_login_cookie_reaches_no_second_step(app, client, auth, therapist,
                                                            enrolled):
    secret, _ = enrolled
    password_step(client, therapist.email)
    copied = client.get_cookie(COOKIE).value
    assert auth.enter_code(therapist.email, code_at(secret, T0 + 2 * STEP)).status_code == 303
    replay = app.test_client()
    replay.set_cookie(COOKIE, copied)
    response = replay.get("/login/mfa")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
