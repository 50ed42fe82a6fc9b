"""Password storage: Argon2id with at least RFC 9106 low-memory parameters, upgraded at login."""

import re

import argon2
import pytest
import sqlalchemy as sa
from conftest import TEST_PASSWORD, AuthActions, csrf_token, reload
from factories import UserFactory

from clinic.auth.models import Role, User
from clinic.extensions import db

ARGON2_HASH = re.compile(
    r"^\$argon2id\$v=(?P<v>\d+)\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$"
)


@pytest.fixture
def config_overrides():
    """Password storage itself is under test here: production's hashing profile."""
    return {"PASSWORD_HASH_PROFILE": "standard"}


def argon2_parameters(password_hash):
    match = ARGON2_HASH.match(password_hash)
    assert match, f"not an Argon2id hash: {password_hash[:20]}..."
    return {name: int(value) for name, value in match.groupdict().items()}


def login(client, email, password=TEST_PASSWORD):
    return AuthActions(client).login(email, password)  # with the second step admins need


def test_a_user_created_by_an_admin_gets_an_argon2id_hash_with_strong_parameters(client):
    admin = UserFactory(role=Role.ADMIN, email="admin@clinic.test")
    assert login(client, admin.email).status_code == 303
    new_password = "a temporary password for Sam"

    response = client.post(
        "/admin/users/new",
        data={
            "name": "Sam Reyes",
            "email": "sam@clinic.example",
            "role": "therapist",
            "password": new_password,
            "csrf_token": csrf_token(client, "/admin/users/new"),
        },
    )

    assert response.status_code == 303
    db.session.commit()
    stored = db.session.scalar(
        sa.select(User.password_hash).where(User.email == "sam@clinic.example")
    )
    assert stored.startswith("$argon2id$")
    assert new_password not in stored
    params = argon2_parameters(stored)
    assert params["v"] == 19
    assert params["m"] >= 65536
    assert params["t"] >= 3
    assert params["p"] >= 4
    assert argon2.PasswordHasher().verify(stored, new_password)


def test_two_users_with_the_same_password_get_different_hashes(client):
    """Each hash has its own random salt."""
    admin = UserFactory(role=Role.ADMIN, email="admin@clinic.test")
    login(client, admin.email)
    for email in ("one@clinic.example", "two@clinic.example"):
        response = client.post(
            "/admin/users/new",
            data={
                "name": email,
                "email": email,
                "role": "therapist",
                "password": TEST_PASSWORD,
                "csrf_token": csrf_token(client, "/admin/users/new"),
            },
        )
        assert response.status_code == 303
    db.session.commit()
    hashes = db.session.scalars(
        sa.select(User.password_hash).where(
            User.email.in_(["one@clinic.example", "two@clinic.example"])
        )
    ).all()
    assert len(set(hashes)) == 2


def test_a_weak_hash_is_upgraded_at_the_next_successful_login(client):
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192).hash(TEST_PASSWORD)
    user = UserFactory(email="old@clinic.test", password_hash=weak)
    assert argon2_parameters(weak)["m"] == 8192

    assert login(client, "old@clinic.test").status_code == 303

    upgraded = reload(user).password_hash
    assert upgraded != weak
    params = argon2_parameters(upgraded)
    assert params["m"] >= 65536 and params["t"] >= 3 and params["p"] >= 4
    assert not argon2.PasswordHasher().check_needs_rehash(upgraded)
    assert argon2.PasswordHasher().verify(upgraded, TEST_PASSWORD)
    # The upgraded hash still lets the user in.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account/password")})
    assert login(client, "old@clinic.test").status_code == 303


def test_a_weak_hash_is_not_touched_by_a_failed_login(client):
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192).hash(TEST_PASSWORD)
    user = UserFactory(email="old@clinic.test", password_hash=weak)

    assert login(client, "old@clinic.test", "wrong password, long enough").status_code == 422

    assert reload(user).password_hash == weak
