"""``flask check-deploy`` refuses each unsafe production setting, one line per problem, and
passes a good production configuration (the one ``.ci/run`` checks)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from clinic import config
from clinic.security import deploycheck

PROJECT = Path(__file__).resolve().parents[2]
GOOD_ENV = {
    "LIFTCLINIC_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(48),  # made per run: a key in the repo is published
    "BASE_URL": "https://clinic.example.org",
    "DATABASE_URL": "postgresql://liftclinic@127.0.0.1/liftclinic",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def good_config(**changes):
    settings = config.build(environ=GOOD_ENV)
    settings.update(changes)
    return settings


def test_a_good_production_config_passes():
    assert deploycheck.problems(good_config(), workers=4) == []


@pytest.mark.parametrize(("changes", "workers", "expected"), [
    ({"DEBUG": True}, 2, "debug mode is on"),
    ({"TESTING": True}, 2, "TESTING is on"),
    ({"ENV_NAME": "development"}, 2, "not 'production'"),
    ({"SECRET_KEY": "short"}, 2, "SECRET_KEY is too short"),
    ({"SECRET_KEY": "a" * 64}, 2, "SECRET_KEY is too short or too simple"),
    ({"SECRET_KEY": "dev-only-secret-key-do-not-use-in-production!"}, 2, "published default"),
    ({"SECRET_KEY": None}, 2, "SECRET_KEY is not set"),
    ({"BASE_URL": None}, 2, "BASE_URL is not set"),
    ({"BASE_URL": "http://clinic.example.org"}, 2, "is not an https:// address"),
    ({"BASE_URL": "https://127.0.0.1:5000"}, 2, "points at this machine"),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, 2, "rate limits are kept in memory with 2"),
    ({"RATELIMIT_ENABLED": False}, 2, "rate limits are off (RATELIMIT_ENABLED)"),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/x.sqlite"}, 3, "SQLite with 3 workers"),
    ({"SESSION_COOKIE_SECURE": False}, 2, "session cookie is not Secure"),
    ({"SESSION_COOKIE_HTTPONLY": False}, 2, "session cookie is readable by scripts"),
    ({"SESSION_COOKIE_SAMESITE": None}, 2, "session cookie has SameSite=None"),
    ({"SESSION_COOKIE_NAME": "session"}, 2, "session cookie name lacks the __Host- prefix"),
    ({"SESSION_COOKIE_DOMAIN": "example.org"}, 2, "session cookie has a Domain"),
    ({"SESSION_COOKIE_PATH": "/app"}, 2, "session cookie path is not /"),
    ({"REMEMBER_COOKIE_SECURE": False}, 2, "remember-me cookie is not Secure"),
    ({"WTF_CSRF_ENABLED": False}, 2, "CSRF protection is off"),
    ({"OUTBOX_BACKOFF_SCALE": 0.01}, 2, "the outbox retries at a test's pace"),
])
def test_each_unsafe_setting_is_one_problem(changes, workers, expected):
    found = deploycheck.problems(good_config(**changes), workers=workers)
    assert len(found) == 1, found
    assert expected in found[0]


def test_redis_url_without_the_redis_extra_is_one_problem(monkeypatch):
    """The queue wake-ups need rq (and redis): a server without the extra would only poll."""
    assert deploycheck.module_available("rq") and deploycheck.module_available("redis")
    monkeypatch.setattr(deploycheck, "module_available", lambda name: name != "rq")
    [found] = deploycheck.problems(good_config(), workers=2)
    assert "REDIS_URL is set but the redis extra is not installed" in found
    assert deploycheck.problems(good_config(REDIS_URL=None,
                                            RATELIMIT_STORAGE_URI="memory://"), workers=1) == []


def test_one_worker_may_use_sqlite_and_memory_limits():
    settings = good_config(SQLALCHEMY_DATABASE_URI="sqlite:////srv/x.sqlite",
                           RATELIMIT_STORAGE_URI="memory://")
    assert deploycheck.problems(settings, workers=1) == []
    assert len(deploycheck.problems(settings, workers=2)) == 2


def test_the_worker_count_is_gunicorns():
    assert deploycheck.configured_workers({"WEB_CONCURRENCY": "5"}) == 5
    # Without WEB_CONCURRENCY: the default written in gunicorn.conf.py.
    environ = {k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"}
    assert deploycheck.configured_workers(environ) == 2


def run_check(environ, *args):
    env = {k: v for k, v in os.environ.items()
           if k not in ("FLASK_DEBUG", "WEB_CONCURRENCY", "REDIS_URL", "DATABASE_URL",
                        "SECRET_KEY", "BASE_URL", "LIFTCLINIC_ENV")}
    env.update(environ)
    return subprocess.run(  # noqa: S603 (a fixed argv, no shell)
        [sys.executable, "-m", "flask", "--app", "wsgi", "check-deploy", *args],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.slow
def test_the_command_passes_the_production_config():
    result = run_check({**GOOD_ENV, "WEB_CONCURRENCY": "2"})
    assert result.returncode == 0, result.stderr
    assert "no problems found (2 workers)" in result.stdout


@pytest.mark.slow
def test_the_command_fails_with_one_line_per_problem():
    result = run_check({**GOOD_ENV, "BASE_URL": "http://clinic.example.org",
                        "REDIS_URL": "", "WEB_CONCURRENCY": "3", "FLASK_DEBUG": "1"})
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("check-deploy: ")]
    assert len(lines) == 3, result.stderr
    assert any("debug mode" in line for line in lines)
    assert any("not an https://" in line for line in lines)
    assert any("in memory with 3 workers" in line for line in lines)


@pytest.mark.slow
def test_the_development_config_fails():
    result = run_check({"LIFTCLINIC_ENV": "development"}, "--workers", "1")
    assert result.returncode == 1
    assert "not 'production'" in result.stderr
    assert "published default" in result.stderr
    assert "cookie is not Secure" in result.stderr
