"""The password hashing profiles: production's meets the OWASP floor; the test suite's cheap one
is refused wherever patients are served, and a standard app upgrades the hashes it made."""

import secrets

import argon2
import pytest
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY

from clinic import config
from clinic.app import create_app
from clinic.auth import passwords
from clinic.security import deploycheck

PASSWORD = "correct horse battery staple"
STRONG_KEY = secrets.token_urlsafe(48)  # made per run: a key in the repo is published
PRODUCTION = {"ENV_NAME": "production", "SECRET_KEY": STRONG_KEY,
              "BASE_URL": "https://clinic.example.org",
              "SQLALCHEMY_DATABASE_URI": "postgresql://liftclinic@127.0.0.1/liftclinic",
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}


def app_with(**settings):
    return create_app({"ENV_NAME": "testing", "TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       "SECRET_KEY": STRONG_KEY, **settings})


def test_production_hashes_meet_the_owasp_floor():
    """OWASP's Password Storage Cheat Sheet: Argon2id, at least 19 MiB, 2 passes, 1 lane."""
    assert config.DEFAULTS["PASSWORD_HASH_PROFILE"] == "standard"
    with create_app({**PRODUCTION}).app_context():
        made = argon2.extract_parameters(passwords.hash_password(PASSWORD))
    assert made.type is argon2.Type.ID
    assert made.memory_cost >= 19 * 1024 and made.time_cost >= 2 and made.parallelism >= 1
    # Unchanged from before the profiles: argon2-cffi's defaults, RFC 9106's low-memory choice.
    assert made == RFC_9106_LOW_MEMORY
    defaults = argon2.PasswordHasher()
    assert (made.memory_cost, made.time_cost, made.parallelism) == (
        defaults.memory_cost, defaults.time_cost, defaults.parallelism)


def test_outside_an_app_the_standard_profile_hashes():
    assert argon2.extract_parameters(passwords.hash_password(PASSWORD)) == RFC_9106_LOW_MEMORY


def test_a_fast_hash_verifies_under_the_standard_profile_and_is_upgraded():
    with app_with(PASSWORD_HASH_PROFILE="fast").app_context():
        fast = passwords.hash_password(PASSWORD)
        assert not passwords.needs_rehash(fast)
    assert argon2.extract_parameters(fast) == CHEAPEST
    with app_with(PASSWORD_HASH_PROFILE="standard").app_context():
        assert passwords.verify_password(fast, PASSWORD)
        assert not passwords.verify_password(fast, "not the password at all")
        assert passwords.needs_rehash(fast)


def test_the_timing_equaliser_hashes_with_the_apps_profile():
    for profile, parameters in (("fast", CHEAPEST), ("standard", RFC_9106_LOW_MEMORY)):
        with app_with(PASSWORD_HASH_PROFILE=profile).app_context():
            passwords.burn_verification_time(PASSWORD)
            assert argon2.extract_parameters(passwords._dummy_hash(profile)) == parameters


@pytest.mark.parametrize("environment", ["development", "testing"])
def test_the_fast_profile_is_allowed_in_development_and_testing(environment):
    settings = config.build({"ENV_NAME": environment, "PASSWORD_HASH_PROFILE": "fast"},
                            environ={})
    assert settings["PASSWORD_HASH_PROFILE"] == "fast"


def test_the_fast_profile_is_refused_in_production():
    with pytest.raises(config.ConfigError, match="PASSWORD_HASH_PROFILE 'fast' is for tests"):
        config.build({**PRODUCTION, "PASSWORD_HASH_PROFILE": "fast"}, environ={})


def test_an_unknown_profile_is_refused():
    with pytest.raises(config.ConfigError, match="must be one of: standard, fast"):
        config.build({"ENV_NAME": "testing", "PASSWORD_HASH_PROFILE": "md5"}, environ={})
    assert set(config.PASSWORD_HASH_PROFILES) == set(passwords.PROFILES)


def test_check_deploy_flags_the_fast_profile():
    settings = config.build(PRODUCTION, environ={})
    assert deploycheck.problems(settings, workers=2) == []
    # As if validation had been bypassed (a hand-edited config): check-deploy says so too.
    found = deploycheck.problems({**settings, "PASSWORD_HASH_PROFILE": "fast"}, workers=2)
    assert len(found) == 1 and "'fast' profile, meant for tests" in found[0], found
