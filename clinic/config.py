"""Configuration: committed defaults, overridden by environment variables when the app is built.

Nothing here reads the environment at import time; :func:`from_env` does, when ``create_app``
calls it, so tests can pass a plain mapping instead.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_DIR / "instance"
MIGRATIONS_DIR = PROJECT_DIR / "migrations"
MIN_SECRET_KEY_BYTES = 32
# A random key of 32+ characters has far more distinct characters than this (token_urlsafe(48)
# has about 40); fewer means a word, a repeated pattern or a hand-typed string.
MIN_SECRET_KEY_DISTINCT = 20
RANDOM_KEY_COMMAND = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
# Keys that are in the code, the tests or the docs, so anyone could sign a session with them.
PUBLISHED_SECRET_KEYS = frozenset({
    "dev-only-secret-key-do-not-use-in-production!",
    "test-secret-key-that-is-at-least-32-bytes-long",
    "collection-only-secret-key-0123456789abcdef",
    "gunicorn-test-secret-key-0123456789-abcdefgh",
    "Zq3vXk9-tT1mPw8_LrB4sN6yHc2JdE5fGa7uKo0iVx",
})
# Words of placeholder keys ("changeme", "my-secret-key", "not-a-real-password"...).
PLACEHOLDER_WORDS = ("changeme", "change-me", "change_me", "secret", "password", "example",
                     "do-not-use", "replace")
# Argon2 parameters (clinic.auth.passwords): "fast" is the cheapest Argon2 there is, for the
# test suite; it protects nothing, so it is refused outside development and testing.
PASSWORD_HASH_PROFILES = ("standard", "fast")


class ConfigError(RuntimeError):
    """Raised when the app would start with an unsafe or unusable configuration."""


DEFAULTS = {
    "ENV_NAME": "production",
    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{INSTANCE_DIR / 'liftclinic.sqlite'}",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "BASE_URL": "http://127.0.0.1:5000",
    "PORT": 5000,
    # Sessions: signed cookie holding a per-login id that the server checks (auth.sessions).
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": True,
    # __Host-: the browser takes the cookie only if Secure, Path=/ and without Domain, so no
    # subdomain or plain-HTTP page can set or shadow it. Development drops the prefix (http).
    "SESSION_COOKIE_NAME": "__Host-liftclinic_session",
    "SESSION_COOKIE_PATH": "/",
    "REMEMBER_COOKIE_NAME": "__Host-remember_token",  # never set (remember=False); kept safe
    "REMEMBER_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "SESSION_IDLE_TIMEOUT": timedelta(minutes=30),
    "SESSION_ABSOLUTE_LIFETIME": timedelta(hours=12),
    # How old a signed session cookie may be at all. Clinician logins are limited on the
    # server (idle and absolute, above); this bound must outlast a questionnaire link, or a
    # page left open overnight would lose the patient's answers on "Send".
    "PERMANENT_SESSION_LIFETIME": timedelta(days=14),
    "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
    # Login throttling: an account locks after this many consecutive failures.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCKOUT": timedelta(minutes=15),
    # Always set: Flask-Limiter's init_app keeps the extension object's last value when the
    # app's config lacks it, so one app built with limits off would leave the next one off.
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_LOGIN": "20 per minute;100 per hour",
    # The second login step (TOTP or recovery code), per address; wrong codes also count
    # towards the account's lockout (LOGIN_MAX_FAILURES).
    "RATELIMIT_MFA": "10 per minute;50 per hour",
    # How long a correct password waits for its second step before the login starts over.
    "MFA_PENDING_TIMEOUT": timedelta(minutes=5),
    "RATELIMIT_HEADERS_ENABLED": True,
    "WTF_CSRF_TIME_LIMIT": None,  # the CSRF token lives as long as the (bounded) session
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "PASSWORD_HASH_PROFILE": "standard",
    "PER_PAGE": 20,
    # PostgreSQL serialization failures (40001) and deadlocks (40P01) are retried this often.
    "DB_WRITE_ATTEMPTS": 3,
    "SQLITE_BUSY_TIMEOUT_MS": 15000,
    # Mail is off until SMTP_URL is set; clinicians then copy links from the patient page.
    "SMTP_URL": None,
    "MAIL_DEFAULT_SENDER": "LiftClinic <no-reply@liftclinic.invalid>",
    "RATELIMIT_PATIENT_LINKS": "30 per minute;300 per hour",
    # Report, CSV and FHIR downloads per client address (a PDF is seconds of CPU).
    "RATELIMIT_EXPORTS": "30 per minute",
    # JSON API: bearer tokens live this long; creating one (HTTP Basic) is limited per address.
    "API_TOKEN_LIFETIME": timedelta(days=30),
    "RATELIMIT_TOKENS": "20 per minute;100 per hour",
    # Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: none). Rate
    # limits and audit IPs use the client address these proxies report, so set it exactly.
    "TRUSTED_PROXY_HOPS": 0,
    # Background work (clinic/work): the database rows are the truth; Redis (REDIS_URL, the
    # rate-limit store too) only wakes a `flask worker` early through RQ. Without it the
    # workers find the same rows by polling every WORKER_POLL_SECONDS.
    "REDIS_URL": None,
    "WORKER_POLL_SECONDS": 5,
    # The RQ queue the wake-ups go on (one per deployment sharing a Redis).
    "RQ_QUEUE": "liftclinic",
    # A worker re-executes itself after this many report renders (WeasyPrint's memory).
    "WORKER_MAX_RENDERS": 200,
    # `programs check-sessions` runs once a day from the workers at this hour (UTC).
    "SCHEDULER_DAILY_HOUR_UTC": 5,
    # Outbox delivery (clinic/outbox): how long a worker's claim on a message holds (longer
    # than any SMTP conversation; then another worker takes the message up, in doubt), and a
    # factor on the retry back-off (1 min, 5 min, 30 min, 2 h). Below 1 only for tests that
    # live through an outage in seconds (tests/topology); check-deploy names it otherwise.
    "OUTBOX_LEASE_SECONDS": 300,
    # One SMTP conversation (connect, each command, the data) gives up after this long, well
    # inside the lease: a stalled mail server never leaves a claim to expire under a worker
    # still talking to it (the next worker would send a second copy).
    "SMTP_TIMEOUT_SECONDS": 30,
    "OUTBOX_BACKOFF_SCALE": 1.0,
    # Batch report files (clinic.reports.storage.FolderStorage): a folder every worker that
    # renders reports can write, shared between machines (NFS) or one per machine's workers.
    "REPORTS_DIR": str(INSTANCE_DIR / "reports"),
    # Web PDF exports wait this long for a free render slot (one per core) before a 503.
    "PDF_RENDER_WAIT_SECONDS": 5.0,
}


def normalise_database_url(url):
    """Use psycopg 3 for plain ``postgres://`` and ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Rate limits a deployment may set from the environment (Flask-Limiter's notation, limits
# separated by ";": "20 per minute;100 per hour").
RATE_LIMIT_SETTINGS = ("RATELIMIT_LOGIN", "RATELIMIT_MFA", "RATELIMIT_PATIENT_LINKS",
                       "RATELIMIT_EXPORTS", "RATELIMIT_TOKENS")

# The checkout's `.flaskenv` (read by the flask CLI through python-dotenv, never by gunicorn)
# names the environment a developer gets without make. It is only a default for a checkout
# that is plainly not a deployment: production needs a SECRET_KEY and has its own database, so
# either one in the environment turns it off and the app starts as production (and refuses, or
# `flask check-deploy` complains) unless LIFTCLINIC_ENV says otherwise.
CHECKOUT_DEFAULT_VARIABLE = "LIFTCLINIC_DEFAULT_ENV"
DEPLOYMENT_SIGNS = ("SECRET_KEY", "DATABASE_URL")


def checkout_default_applies(environ):
    """True when the checkout default (``LIFTCLINIC_DEFAULT_ENV``) may name the environment."""
    return (environ.get(CHECKOUT_DEFAULT_VARIABLE) == "development"
            and not any(environ.get(name) for name in DEPLOYMENT_SIGNS))


def from_env(environ=None):
    """Read the settings a deployment may override from the environment."""
    environ = os.environ if environ is None else environ
    config = {}
    if environ.get("LIFTCLINIC_ENV"):
        config["ENV_NAME"] = environ["LIFTCLINIC_ENV"]
    elif checkout_default_applies(environ):
        config["ENV_NAME"] = environ[CHECKOUT_DEFAULT_VARIABLE]
    if environ.get("DATABASE_URL"):
        config["SQLALCHEMY_DATABASE_URI"] = environ["DATABASE_URL"]
    if environ.get("SECRET_KEY"):
        config["SECRET_KEY"] = environ["SECRET_KEY"]
    if environ.get("BASE_URL"):
        config["BASE_URL"] = environ["BASE_URL"].rstrip("/")
    if environ.get("PORT"):
        config["PORT"] = int(environ["PORT"])
    if environ.get("REDIS_URL"):
        config["RATELIMIT_STORAGE_URI"] = environ["REDIS_URL"]
        config["REDIS_URL"] = environ["REDIS_URL"]
    for name in WORKER_SETTINGS:
        if environ.get(name):
            config[name] = positive_int(name, environ[name])
    if environ.get("OUTBOX_BACKOFF_SCALE"):
        config["OUTBOX_BACKOFF_SCALE"] = backoff_scale(environ["OUTBOX_BACKOFF_SCALE"])
    if environ.get("SMTP_URL"):
        config["SMTP_URL"] = environ["SMTP_URL"]
    if environ.get("REPORTS_DIR"):
        config["REPORTS_DIR"] = environ["REPORTS_DIR"]
    if environ.get("TRUSTED_PROXY_HOPS"):
        config["TRUSTED_PROXY_HOPS"] = int(environ["TRUSTED_PROXY_HOPS"])
    if environ.get("MAIL_FROM"):
        config["MAIL_DEFAULT_SENDER"] = environ["MAIL_FROM"]
    if environ.get("MFA_ENCRYPTION_KEY"):
        config["MFA_ENCRYPTION_KEY"] = environ["MFA_ENCRYPTION_KEY"]
    if environ.get("AUDIT_KEY"):
        config["AUDIT_KEY"] = environ["AUDIT_KEY"]
    for name in RATE_LIMIT_SETTINGS:
        if environ.get(name):
            config[name] = environ[name].strip()
    if environ.get("RATELIMIT_ENABLED"):
        # Off only for a load benchmark on a private machine; check-deploy refuses it.
        config["RATELIMIT_ENABLED"] = environ_flag("RATELIMIT_ENABLED", environ)
    return config


WORKER_SETTINGS = ("WORKER_POLL_SECONDS", "WORKER_MAX_RENDERS", "OUTBOX_LEASE_SECONDS",
                   "SMTP_TIMEOUT_SECONDS")


def backoff_scale(text):
    """OUTBOX_BACKOFF_SCALE: a factor in (0, 1] on the outbox's retry delays."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 1:
        raise ConfigError(f"OUTBOX_BACKOFF_SCALE must be a number above 0 and at most 1, "
                          f"not {text!r}.")
    return value


def positive_int(name, text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"{name} must be a whole number of 1 or more, not {text!r}.")
    return value


def environ_flag(name, environ):
    value = environ[name].strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false (1/0, yes/no, on/off), not {value!r}.")


def validate_rate_limits(config):
    """Each RATELIMIT_* setting parses as Flask-Limiter's notation, so a typo stops the app at
    start instead of silently leaving a door without a limit."""
    from limits import parse_many

    for name in RATE_LIMIT_SETTINGS:
        try:
            if not parse_many(str(config[name])):
                raise ValueError(name)
        except ValueError as error:
            raise ConfigError(
                f"{name} must be limits like \"20 per minute;100 per hour\", "
                f"not {config[name]!r}.") from error


def derived_mfa_key(secret_key):
    """A Fernet key derived from SECRET_KEY (HKDF-SHA256) for when MFA_ENCRYPTION_KEY is unset."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"liftclinic mfa secret encryption")
    return base64.urlsafe_b64encode(hkdf.derive(secret_key.encode())).decode()


def derived_audit_key(secret_key):
    """The audit chain's HMAC key derived from SECRET_KEY (HKDF-SHA256, its own ``info``, so it
    is independent of the MFA key) for when AUDIT_KEY is unset: 64 hex digits."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"liftclinic audit chain key")
    return hkdf.derive(secret_key.encode()).hex()


MIN_AUDIT_KEY_BYTES = 32


def validate_audit_key(value):
    if len(value.encode()) < MIN_AUDIT_KEY_BYTES:
        raise ConfigError(
            f"AUDIT_KEY must be at least {MIN_AUDIT_KEY_BYTES} bytes long: "
            'python -c "import secrets; print(secrets.token_hex(32))"')


def validate_mfa_key(value):
    """One Fernet key, or several separated by commas (the first encrypts; all decrypt)."""
    from cryptography.fernet import Fernet

    keys = [key.strip() for key in value.split(",") if key.strip()]
    if not keys:
        raise ConfigError("MFA_ENCRYPTION_KEY is empty.")
    for key in keys:
        try:
            Fernet(key)
        except ValueError as error:
            raise ConfigError(
                "MFA_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64-encoded bytes): "
                'python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"') from error


def mail_settings(smtp_url):
    """Flask-Mail settings from ``smtp://user:password@host:port`` (``smtps://`` for TLS)."""
    if not smtp_url:
        return {"MAIL_SUPPRESS_SEND": True}
    parts = urlsplit(smtp_url)
    if parts.scheme not in ("smtp", "smtps", "smtp+starttls"):
        raise ConfigError("SMTP_URL must start with smtp://, smtp+starttls:// or smtps://")
    return {
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_SERVER": parts.hostname or "127.0.0.1",
        "MAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "MAIL_USE_SSL": parts.scheme == "smtps",
        "MAIL_USE_TLS": parts.scheme == "smtp+starttls",
        "MAIL_USERNAME": unquote(parts.username) if parts.username else None,
        "MAIL_PASSWORD": unquote(parts.password) if parts.password else None,
    }


def build(overrides=None, environ=None):
    """Defaults, then the environment, then explicit overrides (tests); validated."""
    config = dict(DEFAULTS)
    environment = from_env(environ)
    config.update(environment)
    config.update(overrides or {})
    if config["ENV_NAME"] == "development" and "BASE_URL" not in {**environment,
                                                                   **(overrides or {})}:
        # `PORT=5101 make run`: the demo's links and QR codes open on the port it serves.
        config["BASE_URL"] = f"http://127.0.0.1:{config['PORT']}"
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    config.update(mail_settings(config["SMTP_URL"]))
    if config["ENV_NAME"] in ("development", "testing"):
        # Plain-HTTP localhost: a Secure cookie would still work in browsers, but not in curl.
        config.setdefault("SECRET_KEY", "dev-only-secret-key-do-not-use-in-production!")
        if "SESSION_COOKIE_SECURE" not in (overrides or {}):
            config["SESSION_COOKIE_SECURE"] = False
            config["REMEMBER_COOKIE_SECURE"] = False
        # Browsers refuse a __Host- cookie without Secure, so plain-HTTP development drops it.
        for name, plain in (("SESSION_COOKIE_NAME", "liftclinic_session"),
                            ("REMEMBER_COOKIE_NAME", "remember_token")):
            if name not in (overrides or {}):
                config[name] = plain
    validate(config)
    validate_rate_limits(config)
    if not config.get("MFA_ENCRYPTION_KEY"):
        config["MFA_ENCRYPTION_KEY"] = derived_mfa_key(config["SECRET_KEY"])
    validate_mfa_key(config["MFA_ENCRYPTION_KEY"])
    if not config.get("AUDIT_KEY"):
        config["AUDIT_KEY"] = derived_audit_key(config["SECRET_KEY"])
    validate_audit_key(config["AUDIT_KEY"])
    return config


def validate(config):
    """Refuse to start without a strong SECRET_KEY outside development and testing, or with
    test-only password hashing in production."""
    if config["ENV_NAME"] not in ("development", "testing", "production"):
        raise ConfigError("LIFTCLINIC_ENV must be development, testing or production.")
    key = config.get("SECRET_KEY")
    if not key:
        raise ConfigError(
            "SECRET_KEY is required outside development: set it to a random string of at "
            'least 32 bytes, e.g. python -c "import secrets; print(secrets.token_urlsafe(48))" '
            "(on a developer's machine, LIFTCLINIC_ENV=development needs none)"
        )
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        raise ConfigError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_BYTES} bytes long.")
    if config["ENV_NAME"] == "production":
        problem = secret_key_problem(key)
        if problem:
            raise ConfigError(f"SECRET_KEY {problem}: production refuses to start with it. "
                              f"Make a random one with {RANDOM_KEY_COMMAND}")
    if config["SMTP_TIMEOUT_SECONDS"] >= config["OUTBOX_LEASE_SECONDS"]:
        raise ConfigError("SMTP_TIMEOUT_SECONDS must be shorter than OUTBOX_LEASE_SECONDS: a "
                          "worker still talking to the mail server must not lose its claim.")
    profile = config.get("PASSWORD_HASH_PROFILE", "standard")
    if profile not in PASSWORD_HASH_PROFILES:
        raise ConfigError("PASSWORD_HASH_PROFILE must be one of: "
                          + ", ".join(PASSWORD_HASH_PROFILES) + ".")
    if profile != "standard" and config["ENV_NAME"] not in ("development", "testing"):
        raise ConfigError(f"PASSWORD_HASH_PROFILE {profile!r} is for tests only: production "
                          "hashes passwords with the standard profile.")


def secret_key_problem(key):
    """Why ``key`` is no secret (published, a placeholder, low in entropy), or None."""
    if key in PUBLISHED_SECRET_KEYS:
        return "is a published default (it is in the code, tests or docs)"
    lowered = key.lower()
    if any(word in lowered for word in PLACEHOLDER_WORDS):
        return "is a placeholder, not a random key"
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        return (f"is too simple (fewer than {MIN_SECRET_KEY_DISTINCT} different characters)")
    if any(key[period:] == key[:-period] for period in range(1, len(key) // 2 + 1)):
        return "is a repeated pattern"
    return None
