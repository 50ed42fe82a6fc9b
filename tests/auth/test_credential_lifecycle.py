"""Credentials die with the events that should end them: the event x credential table.

Every credential a user holds before the event (another browser's login session, API tokens
made through ``POST /api/v1/tokens``) is tried through real HTTP after it. A password change,
an admin's password reset, an admin's two-step-login reset and a deactivation end them all;
a reactivation revives none. The session that changed its own password is the one exception:
its owner is still there.
"""

import base64

import pyotp
import pytest
import sqlalchemy as sa
from conftest import TEST_PASSWORD, AuthActions, csrf_token
from factories import UserFactory

from clinic.audit.models import AuditEvent
from clinic.auth import mfa
from clinic.auth.models import ApiToken, Role
from clinic.extensions import db

NEW_PASSWORD = "a completely new passphrase"


def basic(email, password=TEST_PASSWORD):
    raw = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def new_token(client, user, name="records export", code=None):
    headers = basic(user.email)
    if code:
        headers["X-OTP-Code"] = code
    response = client.post("/api/v1/tokens", headers=headers, json={"name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


def token_works(client, token):
    response = client.get("/api/v1/patients", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code in (200, 401)
    return response.status_code == 200


def session_works(client):
    return client.get("/account/password").status_code == 200


def admin_post(app, admin, path, data=None):
    admin_client = app.test_client()
    AuthActions(admin_client).login(admin.email)
    data = dict(data or {})
    data["csrf_token"] = csrf_token(admin_client, path.rsplit("/", 1)[0].replace(
        "/mfa", ""))
    response = admin_client.post(path, data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]


def change_own_password(app, user, admin, acting):
    response = acting.post("/account/password", data={
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
        "csrf_token": csrf_token(acting, "/account/password")})
    assert response.status_code == 303


def admin_resets_password(app, user, admin, acting):
    admin_post(app, admin, f"/admin/users/{user.id}/password", {"password": NEW_PASSWORD})


def admin_resets_mfa(app, user, admin, acting):
    admin_post(app, admin, f"/admin/users/{user.id}/mfa/reset")


def admin_deactivates(app, user, admin, acting):
    admin_post(app, admin, f"/admin/users/{user.id}/deactivate")


def admin_deactivates_then_reactivates(app, user, admin, acting):
    admin_deactivates(app, user, admin, acting)
    admin_post(app, admin, f"/admin/users/{user.id}/reactivate")


EVENTS = {
    "password_change": change_own_password,
    "password_reset": admin_resets_password,
    "mfa_reset": admin_resets_mfa,
    "deactivated": admin_deactivates,
    "deactivated_then_reactivated": admin_deactivates_then_reactivates,
}


@pytest.fixture
def people(app):
    user = UserFactory(role=Role.THERAPIST, email="therapist@clinic.test")
    admin = UserFactory(clinic=user.clinic, role=Role.ADMIN, email="admin@clinic.test")
    return user, admin


@pytest.mark.parametrize("event", EVENTS)
def test_every_credential_issued_before_the_event_is_refused_after_it(app, people, event):
    user, admin = people
    recovery_codes = []
    if event == "mfa_reset":  # the user has two-step login to reset: each login and token
        secret = mfa.start_enrolment(user)  # creation spends one of its recovery codes
        recovery_codes = mfa.confirm_enrolment(user, pyotp.TOTP(secret).now())
    acting, other = app.test_client(), app.test_client()
    for client in (acting, other):
        auth = AuthActions(client)
        auth.recovery_codes[user.email] = recovery_codes
        assert auth.login(user.email).status_code == 303
        assert session_works(client)
    api = app.test_client()
    first = new_token(api, user, "first", recovery_codes and recovery_codes.pop())
    second = new_token(api, user, "second", recovery_codes and recovery_codes.pop())
    assert token_works(api, first) and token_works(api, second)

    EVENTS[event](app, user, admin, acting)

    assert not token_works(api, first), event
    assert not token_works(api, second), event
    assert not session_works(other), event
    # The browser that changed its own password keeps its session; after any other event
    # the user's every session has ended.
    assert session_works(acting) is (event == "password_change"), event
    db.session.commit()
    reasons = {row.revoked_reason for row in db.session.scalars(sa.select(ApiToken))}
    assert reasons == {event.removesuffix("_then_reactivated")}
    [audit] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == {"password_change": "password_change",
                              "password_reset": "password_reset", "mfa_reset": "mfa_reset",
                              }.get(event, "user_deactivate"),
        AuditEvent.outcome == "success")).all()
    assert audit.detail["api_tokens_revoked"] == 2


def test_a_token_made_after_the_event_works(app, people):
    user, admin = people
    api = app.test_client()
    old = new_token(api, user)
    admin_resets_password(app, user, admin, None)
    assert not token_works(api, old)
    response = api.post("/api/v1/tokens", headers=basic(user.email, NEW_PASSWORD))
    assert response.status_code == 201
    assert token_works(api, response.get_json()["token"])


# The owner's own tokens -------------------------------------------------------------------------


@pytest.fixture
def colleague(people):
    return UserFactory(clinic=people[0].clinic, role=Role.THERAPIST, email="colleague@clinic.test")


def test_owners_list_and_revoke_their_own_tokens_through_the_api(app, people, colleague):
    user, _ = people
    api = app.test_client()
    first, second = new_token(api, user, "first"), new_token(api, user, "  second  ")
    other_user_token = new_token(api, colleague, "colleague's")
    listed = api.get("/api/v1/tokens", headers={"Authorization": f"Bearer {first}"})
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert [(i["name"], i["state"], i["current"]) for i in items] == [
        ("second", "active", False), ("first", "active", True)]
    assert items[0]["last_used_at"] is None
    second_id = items[0]["id"]
    colleague_token_id = db.session.scalar(sa.select(ApiToken.id).where(
        ApiToken.user_id == colleague.id))
    headers = {"Authorization": f"Bearer {first}"}
    # Another user's token id is as missing: 404, and it keeps working.
    refused = api.delete(f"/api/v1/tokens/{colleague_token_id}", headers=headers)
    assert refused.status_code == 404
    assert refused.get_json() == {"error": "Not found.", "fields": {}}
    assert token_works(api, other_user_token)
    assert api.delete(f"/api/v1/tokens/{second_id}", headers=headers).status_code == 204
    assert not token_works(api, second)
    assert token_works(api, first)
    states = {i["name"]: i["state"] for i in api.get("/api/v1/tokens", headers=headers)
              .get_json()["items"]}
    assert states == {"first": "active", "second": "revoked"}


def test_a_token_name_is_optional_and_bounded(app, people):
    user, _ = people
    api = app.test_client()
    unnamed = api.post("/api/v1/tokens", headers=basic(user.email))
    assert unnamed.status_code == 201
    assert db.session.scalar(sa.select(ApiToken.name)) == "API token"
    too_long = api.post("/api/v1/tokens", headers=basic(user.email), json={"name": "x" * 81})
    assert too_long.status_code == 422
    assert "name" in too_long.get_json()["fields"]
    unknown = api.post("/api/v1/tokens", headers=basic(user.email), json={"scope": "all"})
    assert unknown.status_code == 422


def test_owners_see_and_revoke_their_tokens_on_their_account_page(app, client, auth, people,
                                                                 colleague):
    user, _ = people
    api = app.test_client()
    token = new_token(api, user, "Records <export>")
    colleagues = new_token(api, colleague, "colleague's own")
    auth.login(user.email)
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "Records &lt;export&gt;" in page and "colleague" not in page
    assert "GMT" in page or "BST" in page  # the clinic's clock, zone named (Europe/London)
    token_id = db.session.scalar(sa.select(ApiToken.id).where(ApiToken.user_id == user.id))
    colleague_token_id = db.session.scalar(sa.select(ApiToken.id).where(
        ApiToken.user_id == colleague.id))
    assert auth.post(f"/account/tokens/{colleague_token_id}/revoke").status_code == 404
    assert token_works(api, colleagues)
    response = auth.post(f"/account/tokens/{token_id}/revoke")
    assert response.status_code == 303
    assert not token_works(api, token)
    assert "revoked (owner)" in client.get("/account/tokens").get_data(as_text=True)
