"""Security headers on every route of the route-access table, and on every kind of error.

One sweep fetches each GET endpoint as an actor who may use it (so it answers 2xx or 3xx),
plus 400, 403, 404, 405, 429 and 500 answers, and checks each response's headers. The cookie
tests read every ``Set-Cookie`` of a production-config login over HTTPS. The Server header is
checked against the real gunicorn with the project's ``gunicorn.conf.py``.
"""

import re
import urllib.error
import urllib.request

import pytest
from conftest import TEST_PASSWORD, csrf_token, make_config
from flask import Blueprint
from helpers import free_port, start_gunicorn, stop_gunicorn
from test_route_access import (
    ALLOWED,
    EXPECTED,
    OPENED_LINK,
    RULE_CASES,
    access_of,
    build_url,
    build_world,
)

from clinic.app import create_app
from clinic.auth import api_tokens
from clinic.extensions import db, limiter

CSP = ("default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
       "form-action 'self'")
TOKEN_PAGES = {"portal.open_link", "portal.open_program"}
# The actor used for an endpoint: the first of these the access class lets in.
ACTOR_ORDER = ("therapist", "admin", "trainer", "therapist2", "admin_b")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


def header_problems(response, *, endpoint=None, secure=False):
    """Every way ``response``'s headers fall short; an empty list when all is well."""
    h = response.headers
    found = []
    if h.get("Content-Security-Policy") != CSP:
        found.append(f"CSP is {h.get('Content-Security-Policy')!r}")
    if "unsafe-inline" in h.get("Content-Security-Policy", ""):
        found.append("CSP allows unsafe-inline")
    if h.get("X-Content-Type-Options") != "nosniff":
        found.append("no nosniff")
    if h.get("X-Frame-Options") != "DENY":
        found.append("X-Frame-Options is not DENY")
    expected_referrer = "no-referrer" if endpoint in TOKEN_PAGES else "same-origin"
    if h.get("Referrer-Policy") != expected_referrer:
        found.append(f"Referrer-Policy {h.get('Referrer-Policy')!r}, not {expected_referrer}")
    if endpoint not in ("static", "favicon") and h.get("Cache-Control") != "no-store":
        found.append(f"Cache-Control {h.get('Cache-Control')!r}")
    hsts = h.get("Strict-Transport-Security")
    if secure and not (hsts and re.match(r"max-age=(\d+)", hsts)
                       and int(re.match(r"max-age=(\d+)", hsts).group(1)) >= 31536000):
        found.append(f"HSTS {hsts!r} over HTTPS")
    if not secure and hsts is not None:
        found.append("HSTS over plain HTTP")
    if not re.fullmatch(r"[0-9a-f]{16}", h.get("X-Request-Id", "")):
        found.append("no request id")
    if "Server" in h:
        found.append(f"the app sets Server: {h['Server']}")
    if response.mimetype == "text/html" and INLINE_SCRIPT.search(response.get_data(as_text=True)):
        found.append("inline <script> (the CSP blocks it)")
    return found


def actor_for(endpoint):
    access = access_of(endpoint, "GET")
    if access == "public":
        return "anonymous"
    if access == "api":  # bearer tokens only; the therapist's token reaches P's records
        return "therapist"
    return next(a for a in ACTOR_ORDER if EXPECTED[access][a] is ALLOWED)


@pytest.fixture
def config_overrides():
    return {"PROPAGATE_EXCEPTIONS": False, "RATELIMIT_LOGIN": "2 per minute"}


def boom_blueprint():
    bp = Blueprint("boom", __name__)

    @bp.get("/boom-for-tests")
    def boom():
        raise RuntimeError("failure for the headers test")

    return bp


def test_every_route_and_every_error_carries_the_security_headers(app, client, auth):
    app.register_blueprint(boom_blueprint())  # a test-only route that fails: the 500 page
    world = build_world()
    clients = {}
    _, token, _ = api_tokens.issue_token(world.therapist.email, TEST_PASSWORD)
    api_auth = {"Authorization": f"Bearer {token}"}

    def client_of(actor):
        if actor not in clients:
            browser = app.test_client()
            if actor != "anonymous":
                login = browser.post("/login", data={
                    "email": getattr(world, actor).email, "password": TEST_PASSWORD,
                    "csrf_token": csrf_token(browser)})
                assert login.status_code == 303, actor
            clients[actor] = browser
        return clients[actor]

    failures, seen = [], set()
    get_endpoints = sorted({endpoint for endpoint, method in RULE_CASES if method == "GET"})
    for endpoint in get_endpoints:
        actor = actor_for(endpoint)
        browser = client_of(actor)
        if endpoint in OPENED_LINK:  # a patient's own browser, holding the opened link
            browser = app.test_client()
            assert browser.get(OPENED_LINK[endpoint].format(world=world)).status_code == 303
        url = build_url(app, endpoint, world)
        if access_of(endpoint, "GET") == "api":
            response = app.test_client().get(url, headers=api_auth)
        else:
            response = browser.get(url)
        where = f"GET {url} as {actor}"
        if not 200 <= response.status_code < 400:
            failures.append(f"{where}: status {response.status_code}")
        failures += [f"{where}: {p}" for p in header_problems(response, endpoint=endpoint)]
        seen.add(endpoint)

    therapist, anonymous = client_of("therapist"), app.test_client()
    static = anonymous.get("/static/css/app.css")
    assert static.status_code == 200
    errors = {
        "static file": (static, "static"),
        "404 unknown address": (therapist.get("/no/such/page"), None),
        "410 unknown link": (anonymous.get("/q/" + "x" * 43), "portal.open_link"),
        "410 unknown program link": (anonymous.get("/p/" + "x" * 43), "portal.open_program"),
        "403 role": (therapist.get("/admin/users/"), None),
        "405 method": (therapist.get("/logout"), None),
        "400 CSRF": (therapist.post("/account/password", data={}), None),
        "302 login guard": (anonymous.get("/patients"), None),
        "401 API without a token": (anonymous.get("/api/v1/patients"), None),
        "404 API": (app.test_client().get("/api/v1/no-such-thing", headers=api_auth), None),
    }
    errors["500 server error"] = (therapist.get("/boom-for-tests"), None)
    limiter.reset()  # the actors' logins above counted too
    wrong = {"email": "x@y.test", "password": "wrong", "csrf_token": csrf_token(anonymous)}
    assert [anonymous.post("/login", data=wrong).status_code for _ in range(2)] == [422, 422]
    errors["429 rate limit"] = (anonymous.post("/login", data=wrong), None)
    expected_status = {"static file": 200, "302 login guard": 302}
    for name, (response, endpoint) in errors.items():
        status = expected_status.get(name, int(name.split()[0]) if name[0].isdigit() else 0)
        if response.status_code != status:
            failures.append(f"{name}: status {response.status_code}, not {status}")
        failures += [f"{name}: {p}" for p in header_problems(response, endpoint=endpoint)]
        response.close()

    assert failures == []
    assert seen == set(get_endpoints) and len(seen) >= 30  # every GET endpoint of the table


def test_hsts_over_https_and_behind_a_trusted_proxy(app, migrated_schema):
    browser = app.test_client()
    assert header_problems(browser.get("/login", base_url="https://clinic.test"),
                           secure=True) == []
    assert header_problems(browser.get("/nowhere", base_url="https://clinic.test"),
                           secure=True) == []
    assert header_problems(browser.get("/login"), secure=False) == []

    # Behind one TLS-terminating proxy the scheme comes from X-Forwarded-Proto...
    proxied = create_app(make_config(migrated_schema, TRUSTED_PROXY_HOPS=1))
    try:
        response = proxied.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
        assert header_problems(response, secure=True) == []
        # ...and without a configured proxy the same header is a client's claim, ignored.
        response = app.test_client().get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" not in response.headers
    finally:
        with proxied.app_context():
            db.session.remove()
            db.engine.dispose()


def cookie_attributes(header):
    name_value, *parts = [p.strip() for p in header.split(";")]
    return name_value.partition("=")[0], {
        p.partition("=")[0].lower(): p.partition("=")[2] for p in parts if p}


def test_production_cookies_are_host_prefixed_secure_httponly_samesite(app, migrated_schema):
    from factories import UserFactory

    user = UserFactory(email="cookies@clinic.test")
    db.session.commit()
    prod = create_app(make_config(migrated_schema, ENV_NAME="production", TESTING=False))
    try:
        browser, https = prod.test_client(), "https://clinic.test"
        page = browser.get("/login", base_url=https)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          page.get_data(as_text=True)).group(1)
        login = browser.post("/login", base_url=https, headers={"Referer": f"{https}/login"},
                             data={"email": user.email, "password": TEST_PASSWORD,
                                   "csrf_token": token})
        assert login.status_code == 303
        dashboard = browser.get("/", base_url=https)
        assert dashboard.status_code == 200  # the browser sent the __Host- cookie back
        headers = [h for r in (page, login, dashboard) for h in r.headers.getlist("Set-Cookie")]
        assert headers
        for header in headers:
            name, attrs = cookie_attributes(header)
            assert name.startswith("__Host-"), header
            assert "secure" in attrs and "httponly" in attrs, header
            assert attrs.get("samesite") == "Lax", header
            assert attrs.get("path") == "/", header
            assert "domain" not in attrs, header
    finally:
        with prod.app_context():
            db.session.remove()
            db.engine.dispose()


def test_development_config_still_logs_in_over_plain_http(app, migrated_schema):
    """__Host- needs Secure, which browsers refuse over http://127.0.0.1: dev drops both."""
    from factories import UserFactory

    user = UserFactory(email="dev@clinic.test")
    db.session.commit()
    dev = create_app(make_config(migrated_schema, ENV_NAME="development", TESTING=False))
    try:
        assert dev.config["SESSION_COOKIE_NAME"] == "liftclinic_session"
        browser = dev.test_client()
        login = browser.post("/login", data={"email": user.email, "password": TEST_PASSWORD,
                                             "csrf_token": csrf_token(browser)})
        assert login.status_code == 303
        [header] = login.headers.getlist("Set-Cookie")
        assert "secure" not in cookie_attributes(header)[1]
        assert browser.get("/").status_code == 200
    finally:
        with dev.app_context():
            db.session.remove()
            db.engine.dispose()


def fetch(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers


@pytest.mark.slow
def test_gunicorn_sends_no_version_in_the_server_header(migrated_schema):
    port = free_port()
    process = start_gunicorn(migrated_schema, port)
    try:
        answers = [fetch(port, path)
                   for path in ("/healthz", "/login", "/no/such/page")]
    finally:
        stop_gunicorn(process)
    assert [status for status, _ in answers] == [200, 200, 404]
    for _, headers in answers:
        server = headers.get("Server")
        # gunicorn names itself ("gunicorn") but, unlike the dev server, not its version.
        assert server is None or not re.search(r"[0-9/]", server), server
        assert headers.get("Content-Security-Policy") == CSP
