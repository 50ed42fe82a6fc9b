"""A clinic admin sees and revokes a user's API tokens on the user's page."""

from datetime import timedelta

import sqlalchemy as sa

from api.conftest import bearer, make_token
from clinic.audit.models import AuditEvent
from clinic.auth.api_tokens import ApiToken
from clinic.extensions import db


def test_the_admin_sees_a_users_tokens_and_revokes_one(client, auth, world):
    live = make_token(world.therapist)
    make_token(world.therapist, revoked=True)
    make_token(world.therapist, expires_in=-timedelta(days=1))
    other = make_token(world.trainer)
    auth.login(world.admin.email)
    page = client.get(f"/admin/users/{world.therapist.id}").get_data(as_text=True)
    assert "API tokens" in page
    assert page.count(">active<") == 1 and ">revoked<" in page and ">expired<" in page
    assert page.count('name="token_id"') == 1  # only the live one can be revoked
    db.session.commit()
    live_id = min(db.session.scalars(sa.select(ApiToken.id).where(
        ApiToken.user_id == world.therapist.id)))  # made first
    response = auth.post(f"/admin/users/{world.therapist.id}/api-tokens/revoke",
                         {"token_id": live_id})
    assert response.status_code == 303
    assert client.get("/api/v1/patients", headers=bearer(live)).status_code == 401
    assert client.get("/api/v1/patients", headers=bearer(other)).status_code == 200
    db.session.commit()
    [event] = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "api_token_revoke")).all()
    assert (event.actor_id, event.detail["by"]) == (world.admin.id, "admin")


def test_a_token_of_another_user_or_clinic_cannot_be_revoked_here(client, auth, world):
    other = make_token(world.trainer)
    other_id = db.session.scalar(sa.select(ApiToken.id))
    auth.login(world.admin.email)
    # The trainer's token through the therapist's page: 404, and it keeps working.
    response = auth.post(f"/admin/users/{world.therapist.id}/api-tokens/revoke",
                         {"token_id": other_id})
    assert response.status_code == 404
    auth.logout()
    auth.login(world.admin_b.email)
    response = auth.post(f"/admin/users/{world.trainer.id}/api-tokens/revoke",
                         {"token_id": other_id})
    assert response.status_code == 404
    assert client.get("/api/v1/patients", headers=bearer(other)).status_code == 200


def test_only_admins_manage_tokens(client, auth, world):
    make_token(world.trainer)
    token_id = db.session.scalar(sa.select(ApiToken.id))
    auth.login(world.therapist.email)
    response = auth.post(f"/admin/users/{world.trainer.id}/api-tokens/revoke",
                         {"token_id": token_id})
    assert response.status_code == 403
    db.session.commit()
    assert db.session.get(ApiToken, token_id).revoked_at is None


def test_a_token_id_outside_the_column_range_is_404(client, auth, world):
    auth.login(world.admin.email)
    for token_id in ("2147483648", "0", "-5"):
        response = auth.post(f"/admin/users/{world.therapist.id}/api-tokens/revoke",
                             {"token_id": token_id})
        assert response.status_code == 404
