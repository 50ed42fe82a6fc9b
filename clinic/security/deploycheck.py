"""``flask check-deploy``: refuse a configuration that is unsafe to serve patients with.

Like Django's ``check --deploy``: it reads the settings the app was built with (the same
environment the server gets) and prints one line per problem, exiting 1 if there is any.

Worker count: gunicorn's (``gunicorn.conf.py`` reads ``WEB_CONCURRENCY``, default 2), unless
``--workers`` says otherwise. With more than one worker, in-memory rate limits are per process
(every limit multiplied by the number of workers) and SQLite serialises all writers on one
file, so both are refused; one worker may use either.
"""

import os
import runpy
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import with_appcontext

from clinic.config import MIN_SECRET_KEY_BYTES, PROJECT_DIR, PUBLISHED_SECRET_KEYS

GUNICORN_CONF = PROJECT_DIR / "gunicorn.conf.py"
KNOWN_KEYS = PUBLISHED_SECRET_KEYS  # in the code, tests or docs: anyone could sign
SAFE_SAMESITE = ("Lax", "Strict")


def configured_workers(environ=None):
    """The number of processes gunicorn will run, read from gunicorn.conf.py itself."""
    environ = os.environ if environ is None else environ
    if environ.get("WEB_CONCURRENCY"):
        return int(environ["WEB_CONCURRENCY"])
    return int(runpy.run_path(str(GUNICORN_CONF))["workers"])


def _cookie_problems(config, prefix, label):
    problems = []
    if not config.get(f"{prefix}_SECURE"):
        problems.append(f"{label} cookie is not Secure ({prefix}_SECURE)")
    if not config.get(f"{prefix}_HTTPONLY"):
        problems.append(f"{label} cookie is readable by scripts ({prefix}_HTTPONLY)")
    if config.get(f"{prefix}_SAMESITE") not in SAFE_SAMESITE:
        problems.append(f"{label} cookie has SameSite={config.get(f'{prefix}_SAMESITE')}, "
                        f"not Lax or Strict ({prefix}_SAMESITE)")
    if not str(config.get(f"{prefix}_NAME", "")).startswith("__Host-"):
        problems.append(f"{label} cookie name lacks the __Host- prefix ({prefix}_NAME)")
    if config.get(f"{prefix}_DOMAIN"):
        problems.append(f"{label} cookie has a Domain; __Host- cookies must not ({prefix}_DOMAIN)")
    if config.get(f"{prefix}_PATH") not in (None, "/"):
        problems.append(f"{label} cookie path is not / ({prefix}_PATH)")
    return problems


def problems(config, workers):
    """Every reason ``config`` is unfit for production with ``workers`` processes."""
    found = []
    if config.get("ENV_NAME") != "production":
        found.append(f"LIFTCLINIC_ENV is {config.get('ENV_NAME')!r}, not 'production'")
    if config.get("DEBUG"):
        found.append("debug mode is on (FLASK_DEBUG): tracebacks and the debugger are exposed")
    if config.get("TESTING"):
        found.append("TESTING is on")
    key = config.get("SECRET_KEY") or ""
    if not key:
        found.append("SECRET_KEY is not set")
    elif key in KNOWN_KEYS:
        found.append("SECRET_KEY is a published default: generate your own")
    elif len(key.encode()) < MIN_SECRET_KEY_BYTES or len(set(key)) < 8:
        found.append(f"SECRET_KEY is too short or too simple (at least {MIN_SECRET_KEY_BYTES} "
                     "random bytes)")
    base_url = config.get("BASE_URL") or ""
    parts = urlsplit(base_url)
    if not base_url:
        found.append("BASE_URL is not set: patient links in mail need the public address")
    elif parts.scheme != "https" or not parts.hostname:
        found.append(f"BASE_URL {base_url!r} is not an https:// address")
    elif parts.hostname in ("127.0.0.1", "localhost", "::1"):
        found.append(f"BASE_URL {base_url!r} points at this machine, not the public address")
    if workers > 1 and str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        found.append(f"rate limits are kept in memory with {workers} workers: each worker "
                     "counts alone; set REDIS_URL")
    if workers > 1 and str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        found.append(f"SQLite with {workers} workers: use PostgreSQL (DATABASE_URL) or one "
                     "worker")
    found += _cookie_problems(config, "SESSION_COOKIE", "session")
    found += _cookie_problems(config, "REMEMBER_COOKIE", "remember-me")
    if config.get("PASSWORD_HASH_PROFILE", "standard") != "standard":
        found.append(f"passwords are hashed with the {config.get('PASSWORD_HASH_PROFILE')!r} "
                     "profile, meant for tests (PASSWORD_HASH_PROFILE): use 'standard'")
    if config.get("WTF_CSRF_ENABLED") is False:
        found.append("CSRF protection is off (WTF_CSRF_ENABLED)")
    if config.get("RATELIMIT_ENABLED") is False:
        found.append("rate limits are off (RATELIMIT_ENABLED): only for a load benchmark")
    if config.get("OUTBOX_BACKOFF_SCALE", 1.0) != 1.0:
        found.append("the outbox retries at a test's pace (OUTBOX_BACKOFF_SCALE): a mail "
                     "outage would use up a message's tries in seconds; leave it unset")
    if config.get("REDIS_URL") and not all(module_available(name) for name in ("redis", "rq")):
        found.append("REDIS_URL is set but the redis extra is not installed (redis, rq): "
                     "pip install -e '.[redis]'")
    return found


def module_available(name):
    """True when ``name`` can be imported here (the optional extras)."""
    import importlib.util

    return importlib.util.find_spec(name) is not None


@click.command("check-deploy")
@click.option("--workers", type=int, default=None,
              help="Worker processes (default: WEB_CONCURRENCY, else gunicorn.conf.py).")
@with_appcontext
def check_deploy_command(workers):
    """Check the production settings; one line per problem, exit 1 if any."""
    app = current_app
    workers = configured_workers() if workers is None else workers
    config = dict(app.config, DEBUG=app.debug)
    found = problems(config, workers)
    for line in found:
        click.echo(f"check-deploy: {line}", err=True)
    if found:
        raise SystemExit(1)
    click.echo(f"check-deploy: no problems found ({workers} workers)")
