"""Rate limits: every limited endpoint answers its N+1-th request with 429, ``Retry-After`` and
one audit row; counters live in Redis when ``REDIS_URL`` is set; the client address is the one
the configured number of proxies reports, and a client cannot choose its own.

``LIMITED`` is the table: one row per endpoint with a Flask-Limiter limit;
``test_every_limited_endpoint_is_in_the_table`` fails when a new limited endpoint has no row.
"""

import base64
import json
import os
import re
import uuid

import pytest
from conftest import TEST_PASSWORD, AuthActions, csrf_token, make_config
from flask_limiter.util import get_qualified_name
from helpers import audit_events
from test_route_access import build_world

from clinic.app import create_app
from clinic.auth import api_tokens
from clinic.extensions import db, limiter

LIMIT = 3
PORTAL_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def portal_form(browser, page):
    """(csrf token, hidden fields) of the patient's form on ``page``."""
    body = browser.get(page).get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
    return PORTAL_CSRF.search(body).group(1), hidden


# endpoint -> (method, path, prepare): prepare(app, browser, world) readies the browser and
# returns the request's keyword arguments (form data, headers).


def _login(app, browser, world):
    return {"data": {"email": "nobody@clinic.test", "password": "wrong",
                     "csrf_token": csrf_token(browser)}}


def _password(app, browser, world):
    assert AuthActions(browser).login(world.therapist.email).status_code == 303
    return {"data": {"current_password": "wrong", "new_password": "x",
                     "csrf_token": csrf_token(browser, "/account/password")}}


def _questionnaire(app, browser, world):
    browser.get(f"/q/{world.token}")
    token, hidden = portal_form(browser, "/q/")
    return {"data": {"csrf_token": token, **hidden}}  # no answers: 422 each time


def _start_questionnaire(app, browser, world):
    browser.get(f"/p/{world.program_token}")
    token, _ = portal_form(browser, "/p/")
    return {"data": {"csrf_token": token}}  # nothing waiting: back to /p/ each time


def _program(app, browser, world):
    browser.get(f"/p/{world.program_token}")
    token, _ = portal_form(browser, "/p/")
    return {"data": {"csrf_token": token}}


def _login_until(browser, email, step):
    """Post the right password; the app asks for the second step at ``step``."""
    first = browser.post("/login", data={"email": email, "password": TEST_PASSWORD,
                                         "csrf_token": csrf_token(browser)})
    assert (first.status_code, first.headers.get("Location")) == (303, step)


def _mfa_verify(app, browser, world):
    """An admin with an authenticator (set up in another browser) at the code step."""
    AuthActions(app.test_client()).login(world.admin.email)
    _login_until(browser, world.admin.email, "/login/mfa")
    return {"data": {"code": "000000", "csrf_token": csrf_token(browser, "/login/mfa")}}


def _mfa_login_setup(app, browser, world):
    """An admin's first login: setting up the authenticator is required."""
    _login_until(browser, world.admin.email, "/login/mfa/setup")
    return {"data": {"code": "000000", "csrf_token": csrf_token(browser, "/login/mfa/setup")}}


def _mfa_account_setup(app, browser, world):
    """A therapist sets up two-step login from their account page."""
    assert AuthActions(browser).login(world.therapist.email).status_code == 303
    return {"data": {"code": "000000", "password": TEST_PASSWORD,
                     "csrf_token": csrf_token(browser, "/account/mfa/setup")}}


def _clinician_post(email_of):
    def prepare(app, browser, world):
        assert AuthActions(browser).login(email_of(world)).status_code == 303
        return {"data": {"csrf_token": csrf_token(browser, "/account/password")}}

    return prepare


def _bearer(app, browser, world):
    _, token, _ = api_tokens.issue_token(world.therapist.email, TEST_PASSWORD)
    return {"headers": {"Authorization": f"Bearer {token}"}}


_therapist_post = _clinician_post(lambda world: world.therapist.email)
_admin_post = _clinician_post(lambda world: world.admin.email)


def _api_token(app, browser, world):
    """HTTP Basic with a wrong password: 401 each time."""
    credentials = base64.b64encode(f"{world.therapist.email}:wrong".encode()).decode()
    return {"headers": {"Authorization": f"Basic {credentials}"}}


LIMITED = {
    "auth.login": ("POST", "/login", _login),
    "auth.change_password": ("POST", "/account/password", _password),
    "portal.open_link": ("GET", "/q/{world.token}", None),
    "portal.questionnaire": ("POST", "/q/", _questionnaire),
    "portal.open_program": ("GET", "/p/{world.program_token}", None),
    "portal.program": ("POST", "/p/", _program),
    "portal.edit_session": ("POST", "/p/sessions/{world.session_id}", _program),
    "portal.start_questionnaire": ("POST", "/p/questionnaire", _start_questionnaire),
    "portal.remove_session": ("POST", "/p/sessions/{world.session_id}/remove", _program),
    "api_tokens.create_token": ("POST", "/api/v1/tokens", _api_token),
    "mfa.verify": ("POST", "/login/mfa", _mfa_verify),
    "mfa.login_setup": ("POST", "/login/mfa/setup", _mfa_login_setup),
    "mfa.account_setup": ("POST", "/account/mfa/setup", _mfa_account_setup),
    # Exports share one budget (scope "exports"): a PDF is seconds of CPU.
    "reports.export_pdf": ("POST", "/patients/{world.patient.id}/reports/pdf", _therapist_post),
    "reports.export_responses": ("POST", "/patients/{world.patient.id}/exports/responses.csv",
                                 _therapist_post),
    "reports.export_sessions": ("POST", "/patients/{world.patient.id}/exports/sessions.csv",
                                _therapist_post),
    "reports.export_fhir": ("POST", "/patients/{world.patient.id}/exports/fhir.json",
                            _therapist_post),
    "reports.export_clinic": ("POST", "/reports/clinic/outcomes.csv", _admin_post),
    "reports.export_outcome_summary": ("POST", "/reports/outcomes.pdf", _admin_post),
    "api_reports.fhir_bundle": ("GET", "/api/v1/patients/{world.patient.id}/fhir", _bearer),
    "api_reports.report_pdf": ("GET", "/api/v1/patients/{world.patient.id}/report.pdf",
                               _bearer),
}


@pytest.fixture
def config_overrides():
    every = f"{LIMIT} per minute"
    return {"RATELIMIT_LOGIN": every, "RATELIMIT_PATIENT_LINKS": every,
            "RATELIMIT_TOKENS": every, "RATELIMIT_MFA": every, "RATELIMIT_EXPORTS": every}


def limited_endpoints(app):
    """Endpoints that carry a Flask-Limiter limit (limit or shared_limit), asked of the
    limiter itself with the name it uses when it checks a request."""
    return {endpoint for endpoint, view in app.view_functions.items()
            if limiter.limit_manager.decorated_limits(get_qualified_name(view))}


def test_every_limited_endpoint_is_in_the_table(app):
    limited = limited_endpoints(app)
    assert {"auth.login", "portal.open_link", "portal.open_program"} <= limited
    assert limited - LIMITED.keys() == set(), "add a row to LIMITED for these endpoints"
    assert LIMITED.keys() - limited == set(), "these rows name endpoints with no limit"


@pytest.mark.parametrize("endpoint", sorted(LIMITED))
def test_the_request_after_the_limit_gets_429_retry_after_and_an_audit_row(
        app, client, endpoint):
    world = build_world()
    method, path, prepare = LIMITED[endpoint]
    arguments = prepare(app, client, world) if prepare else {}
    url = path.format(world=world)

    def send():
        return client.open(url, method=method, **arguments)

    allowed = [send() for _ in range(LIMIT)]
    assert [r.status_code for r in allowed if r.status_code == 429] == []
    assert audit_events("rate_limited") == []
    refused = send()

    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    body = refused.get_data(as_text=True)
    if url.startswith("/api/v1/"):  # the API's own error shape
        assert refused.is_json and "Too many" in refused.get_json()["error"]
    else:
        assert "Too many attempts" in body
        assert "<html" in body and "</html>" in body  # the site's (or the portal's) layout
    if not endpoint.startswith(("portal.", "api_")):  # the patient's page shows no reference
        assert f"reference {refused.headers['X-Request-Id']}" in body
    [event] = audit_events("rate_limited")
    assert (event.outcome, event.detail["endpoint"]) == ("denied", endpoint)
    assert event.detail["limit"] == f"{LIMIT} per 1 minute"
    assert event.request_id == refused.headers["X-Request-Id"]
    assert event.ip == "127.0.0.1"
    stored = json.dumps(event.detail)
    assert world.token not in stored and world.program_token not in stored


def _exhaust_login(browser, count, **headers):
    data = {"email": "nobody@clinic.test", "password": "wrong",
            "csrf_token": csrf_token(browser)}
    return [browser.post("/login", data=data, headers=headers).status_code
            for _ in range(count)]


@pytest.fixture
def proxied_app(migrated_schema, app):
    """The app behind one trusted proxy (TRUSTED_PROXY_HOPS=1)."""
    proxied = create_app(make_config(migrated_schema, RATELIMIT_LOGIN=f"{LIMIT} per minute",
                                     TRUSTED_PROXY_HOPS=1))
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def test_behind_one_proxy_each_client_address_has_its_own_bucket(proxied_app):
    browser = proxied_app.test_client()
    first = {"X-Forwarded-For": "203.0.113.1"}
    assert _exhaust_login(browser, LIMIT + 1, **first)[-1] == 429
    # Another client behind the same proxy is not refused...
    assert _exhaust_login(browser, 1, **{"X-Forwarded-For": "203.0.113.2"}) == [422]
    # ...and the first cannot escape by claiming another address in front of the proxy's.
    spoofed = {"X-Forwarded-For": "198.51.100.9, 203.0.113.1"}
    assert _exhaust_login(browser, 1, **spoofed) == [429]
    with proxied_app.app_context():
        ips = {e.ip for e in audit_events("rate_limited")}
    assert ips == {"203.0.113.1"}


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(app, client):
    assert app.config["TRUSTED_PROXY_HOPS"] == 0
    statuses = [_exhaust_login(client, 1, **{"X-Forwarded-For": f"203.0.113.{n}"})[0]
                for n in range(LIMIT + 1)]
    assert statuses == [422] * LIMIT + [429]
    assert {e.ip for e in audit_events("rate_limited")} == {"127.0.0.1"}


# `make test` starts a private Redis on a free port and names it here (scripts/with_redis.py);
# a plain `pytest` uses the one on the default port.
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    prefix = f"liftclinic-test-{uuid.uuid4().hex}"
    yield prefix
    connection = redis.Redis.from_url(REDIS_URL)
    keys = list(connection.scan_iter(f"{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


def redis_app(migrated_schema, monkeypatch, prefix):
    """An app built from the environment with REDIS_URL set, as a production worker is."""
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    config = make_config(migrated_schema, RATELIMIT_LOGIN=f"{LIMIT} per minute",
                         RATELIMIT_STORAGE_OPTIONS={"key_prefix": prefix})
    del config["RATELIMIT_STORAGE_URI"]  # so the environment's REDIS_URL decides
    return create_app(config)


def test_with_redis_url_the_counters_are_shared_between_processes(
        app, migrated_schema, monkeypatch, redis_prefix):
    import redis

    first = redis_app(migrated_schema, monkeypatch, redis_prefix)
    assert first.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    assert _exhaust_login(first.test_client(), LIMIT) == [422] * LIMIT
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        assert list(connection.scan_iter(f"{redis_prefix}*")), "no counter in Redis"
    finally:
        connection.close()
    # A second worker (a new storage client) sees the same counts: refused at once.
    second = redis_app(migrated_schema, monkeypatch, redis_prefix)
    assert _exhaust_login(second.test_client(), 1) == [429]
    for built in (first, second):
        with built.app_context():
            db.session.remove()
            db.engine.dispose()


def test_in_memory_counters_are_per_process(app, migrated_schema):
    """The contrast that makes the Redis test mean something (and check-deploy's rule)."""
    config = make_config(migrated_schema, RATELIMIT_LOGIN=f"{LIMIT} per minute")
    first = create_app(config)
    assert _exhaust_login(first.test_client(), LIMIT) == [422] * LIMIT
    second = create_app(config)
    assert _exhaust_login(second.test_client(), 1) == [422]
    for built in (first, second):
        with built.app_context():
            db.session.remove()
            db.engine.dispose()
