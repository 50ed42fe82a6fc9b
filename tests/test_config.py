"""Configuration comes from the environment when the app is built; unsafe setups refuse to start."""

import secrets

import pytest

from clinic import config
from clinic.app import create_app
from clinic.extensions import db

STRONG_KEY = secrets.token_urlsafe(48)  # made per run: a key in the repo is published


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(config.ConfigError, match="SECRET_KEY is required"):
        config.build(environ={})


def test_production_refuses_a_short_secret_key():
    with pytest.raises(config.ConfigError, match="at least 32 bytes"):
        config.build(environ={"SECRET_KEY": "k" * 31})


def test_development_runs_without_a_secret_key():
    settings = config.build(environ={"LIFTCLINIC_ENV": "development"})
    assert len(settings["SECRET_KEY"]) >= 32
    assert settings["SESSION_COOKIE_SECURE"] is False


def test_the_default_database_is_a_sqlite_file_under_instance():
    settings = config.build(environ={"SECRET_KEY": STRONG_KEY})
    uri = settings["SQLALCHEMY_DATABASE_URI"]
    assert uri.startswith("sqlite:///")
    assert uri.endswith("/instance/liftclinic.sqlite")


def test_environment_variables_override_the_defaults():
    settings = config.build(environ={
        "SECRET_KEY": STRONG_KEY,
        "DATABASE_URL": "postgresql://clinic@db.internal/liftclinic",
        "BASE_URL": "https://clinic.example.org/",
        "PORT": "8080",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    })
    assert settings["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://clinic@db.internal/liftclinic"
    )
    assert settings["BASE_URL"] == "https://clinic.example.org"
    assert settings["PORT"] == 8080
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    assert settings["REDIS_URL"] == "redis://127.0.0.1:6379/0"


def test_heroku_style_postgres_urls_use_psycopg():
    assert config.normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


def test_production_cookies_are_secure_httponly_lax_and_never_remembered(tmp_path):
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": STRONG_KEY,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["REMEMBER_COOKIE_DURATION"].total_seconds() == 0
    assert app.config["SESSION_IDLE_TIMEOUT"].total_seconds() == 30 * 60
    assert app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds() == 12 * 3600


def test_an_unknown_environment_name_is_refused():
    with pytest.raises(config.ConfigError):
        config.build(environ={"LIFTCLINIC_ENV": "staging", "SECRET_KEY": STRONG_KEY})


def test_audit_key_is_derived_from_the_secret_key_unless_set():
    from clinic.config import ConfigError, build, derived_audit_key

    secret, other = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
    derived = build({"SECRET_KEY": secret}, environ={})["AUDIT_KEY"]
    assert derived == derived_audit_key(secret) and len(derived) == 64
    assert derived != build({"SECRET_KEY": other}, environ={})["AUDIT_KEY"]
    assert derived != build({"SECRET_KEY": secret}, environ={})["MFA_ENCRYPTION_KEY"]
    assert build({"SECRET_KEY": secret}, environ={"AUDIT_KEY": "a" * 32})["AUDIT_KEY"] == "a" * 32
    with pytest.raises(ConfigError, match="AUDIT_KEY must be at least 32 bytes"):
        build({"SECRET_KEY": secret}, environ={"AUDIT_KEY": "short"})


@pytest.mark.parametrize(("key", "why"), [
    ("dev-only-secret-key-do-not-use-in-production!", "published default"),
    ("test-secret-key-that-is-at-least-32-bytes-long", "published default"),
    ("Zq3vXk9-tT1mPw8_LrB4sN6yHc2JdE5fGa7uKo0iVx", "published default"),
    ("changeme-changeme-changeme-changeme-1234", "placeholder"),
    ("my-super-Secret-key-for-the-clinic-2026", "placeholder"),
    ("k" * 32, "too simple"),
    ("abcdefghij" * 4, "too simple"),
    ("abcdefghijklmnopqrstuvwxy" * 2, "repeated pattern"),
])
def test_production_refuses_a_published_or_weak_secret_key_with_how_to_make_one(key, why):
    with pytest.raises(config.ConfigError, match=why) as refused:
        config.build(environ={"SECRET_KEY": key})
    assert "secrets.token_urlsafe(48)" in str(refused.value)


def test_production_refuses_a_weak_key_when_the_app_is_created(tmp_path):
    with pytest.raises(config.ConfigError, match="published default"):
        create_app({"ENV_NAME": "production",
                    "SECRET_KEY": "test-secret-key-that-is-at-least-32-bytes-long",
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})


def test_development_and_testing_keep_their_published_keys():
    assert config.build(environ={"LIFTCLINIC_ENV": "development"})["SECRET_KEY"]
    assert config.build(environ={"LIFTCLINIC_ENV": "testing", "SECRET_KEY": "k" * 32})


def test_a_random_key_passes():
    for _ in range(50):
        assert config.secret_key_problem(secrets.token_urlsafe(48)) is None


def test_every_rate_limit_can_be_set_from_the_environment():
    environ = {"SECRET_KEY": STRONG_KEY}
    for number, name in enumerate(config.RATE_LIMIT_SETTINGS, 2):
        environ[name] = f"{number} per minute;{number * 10} per hour"
    settings = config.build(environ=environ)
    for number, name in enumerate(config.RATE_LIMIT_SETTINGS, 2):
        assert settings[name] == f"{number} per minute;{number * 10} per hour"
    assert settings["RATELIMIT_ENABLED"] is True


@pytest.mark.parametrize("name", config.RATE_LIMIT_SETTINGS)
def test_a_rate_limit_that_does_not_parse_stops_the_app_at_start(name):
    with pytest.raises(config.ConfigError, match=f"{name} must be limits like"):
        config.build(environ={"SECRET_KEY": STRONG_KEY, name: "twenty a minute"})


def test_rate_limits_are_turned_off_only_by_an_explicit_setting():
    off = config.build(environ={"SECRET_KEY": STRONG_KEY, "RATELIMIT_ENABLED": "false"})
    assert off["RATELIMIT_ENABLED"] is False
    with pytest.raises(config.ConfigError, match="RATELIMIT_ENABLED must be true or false"):
        config.build(environ={"SECRET_KEY": STRONG_KEY, "RATELIMIT_ENABLED": "maybe"})


def test_a_rate_limit_from_the_environment_is_the_one_enforced(tmp_path):
    """Two logins a minute from the environment: the third attempt is a 429."""
    app = create_app(config.build(environ={
        "LIFTCLINIC_ENV": "testing", "RATELIMIT_LOGIN": "2 per minute",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'limits.sqlite'}"}) | {
            "WTF_CSRF_ENABLED": False})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    statuses = [client.post("/login", data={"email": "a@b.test", "password": "x"}).status_code
                for _ in range(3)]
    assert statuses[-1] == 429
    assert all(status < 429 for status in statuses[:2]), statuses


# The first hour on a fresh clone (issue 19): the development environment without make, links
# on the port `make run` serves, and a deployment that never picks up either by accident.

def test_in_development_base_url_follows_port_unless_set():
    dev = {"LIFTCLINIC_ENV": "development"}
    assert config.build(environ=dev)["BASE_URL"] == "http://127.0.0.1:5000"
    assert config.build(environ={**dev, "PORT": "5101"})["BASE_URL"] == "http://127.0.0.1:5101"
    assert config.build(environ={**dev, "PORT": "5101", "BASE_URL": "http://box.lan:9000/"})[
        "BASE_URL"] == "http://box.lan:9000"
    assert config.build({"BASE_URL": "http://x.test"}, environ={**dev, "PORT": "5101"})[
        "BASE_URL"] == "http://x.test"


def test_outside_development_port_never_moves_base_url():
    settings = config.build(environ={"SECRET_KEY": STRONG_KEY, "PORT": "5101"})
    assert settings["ENV_NAME"] == "production"
    assert settings["BASE_URL"] == config.DEFAULTS["BASE_URL"]
    testing = config.build({"ENV_NAME": "testing"}, environ={"PORT": "5101"})
    assert testing["BASE_URL"] == config.DEFAULTS["BASE_URL"]


def test_the_checkout_default_names_development_only_for_a_plain_checkout():
    checkout = {"LIFTCLINIC_DEFAULT_ENV": "development"}
    assert config.build(environ=checkout)["ENV_NAME"] == "development"
    # A deployment's signs turn it off: production, with its refusals.
    assert config.build(environ={**checkout, "SECRET_KEY": STRONG_KEY})["ENV_NAME"] == "production"
    with pytest.raises(config.ConfigError, match="SECRET_KEY is required"):
        config.build(environ={**checkout, "DATABASE_URL": "postgresql://u@db.internal/lc"})
    with pytest.raises(config.ConfigError, match="SECRET_KEY is required"):
        config.build(environ={**checkout, "LIFTCLINIC_ENV": "production"})
    # It names development and nothing else.
    with pytest.raises(config.ConfigError, match="SECRET_KEY is required"):
        config.build(environ={"LIFTCLINIC_DEFAULT_ENV": "testing"})


def test_a_development_app_builds_patient_links_on_the_port_it_serves(tmp_path):
    """`PORT=5101 make run`: the links and QR codes the demo shows open on 5101."""
    from clinic.tokens import PROGRAM, QUESTIONNAIRE, link_url

    app = create_app({"ENV_NAME": "development", "PORT": 5101,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite'}"})
    with app.app_context():
        assert link_url(QUESTIONNAIRE, "abc") == "http://127.0.0.1:5101/q/abc"
        assert link_url(PROGRAM, "abc") == "http://127.0.0.1:5101/p/abc"


def test_an_smtp_timeout_as_long_as_the_outbox_lease_is_refused():
    """A worker still waiting on the mail server must not lose its claim to another worker."""
    environ = {"LIFTCLINIC_ENV": "development", "OUTBOX_LEASE_SECONDS": "60",
               "SMTP_TIMEOUT_SECONDS": "60"}
    with pytest.raises(config.ConfigError, match="SMTP_TIMEOUT_SECONDS must be shorter"):
        config.build(environ=environ)
    settings = config.build(environ={**environ, "SMTP_TIMEOUT_SECONDS": "20"})
    assert (settings["SMTP_TIMEOUT_SECONDS"], settings["OUTBOX_LEASE_SECONDS"]) == (20, 60)
