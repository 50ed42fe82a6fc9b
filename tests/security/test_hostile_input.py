"""4xx, never 500, for hostile input: a sweep of every rule of the route table.

Into each integer URL argument go ids past int32, int64 and any machine integer (404); into
every GET's query string a NUL and another control character (400) and hostile page numbers;
into each known query filter hostile ids and numbers (404 on the pages); into each field of each
page form that POSTs to the rule (found on the app's own pages, as a browser would submit it) a
NUL, another control character and a number past int64 (400 for the characters); JSON nested
deeper than the bound on the API (400). The world is tests/test_route_access.py's: one world,
one client per kind of caller. Runs on SQLite and PostgreSQL (``TEST_DATABASE_URL``).
"""

import json
from urllib.parse import urlencode, urlsplit

import pytest
from conftest import AuthActions, csrf_token
from flask import url_for
from helpers import make_token
from html_forms import forms_of
from test_route_access import (
    OPENED_LINK,
    RULE_CASES,
    access_of,
    build_url,
    fresh_world,
)

from clinic.auth.models import User
from clinic.extensions import db
from clinic.inputs import MAX_JSON_DEPTH, has_control_characters, json_depth

HUGE_IDS = (2**31, 2**63, 10**30)
BAD_NUMBERS = ("2147483648", "9223372036854775808", "1" + "0" * 30, "-1", "x1")
CONTROL_QUERY = ("a\x00b", "\x1f")
FIELD_VALUES = ("a\x00b", "b\x07", "9223372036854775808")

# Query filters of the list pages and API lists, beyond ``page`` (tried on every GET).
QUERY_FILTERS = {
    "audit.index": ("user_id", "patient_id"),
    "api_alerts.list_alerts": ("patient_id", "per_page"),
    "api_patients.list_patients": ("per_page",),
    "api_measures.list_responses": ("per_page",),
    "api_programs.list_sessions": ("per_page",),
    "api_catalogue.list_exercises": ("per_page",),
    "api_catalogue.list_templates": ("per_page",),
}


@pytest.fixture
def config_overrides():
    # The sweep sends hundreds of requests a minute: a 429 would hide what it looks for.
    return {"RATELIMIT_ENABLED": False}


class Sweep:
    """The clients, the forms found on the pages, and what the sweep saw."""

    def __init__(self, app, world):
        self.app, self.world = app, world
        self.clients = {}
        for actor in ("admin", "therapist"):
            client = app.test_client()
            assert AuthActions(client).login(getattr(world, actor).email).status_code == 303
            self.clients[actor] = client
        self.clients["public"] = portal = app.test_client()
        for link in OPENED_LINK.values():
            assert portal.get(link.format(world=world)).status_code == 303
        self.clients["api"] = app.test_client()
        self.api_token = make_token(db.session.get(User, world.admin.id))
        self.tokens = {actor: csrf_token(client, "/account/password")
                       for actor, client in self.clients.items()
                       if actor in ("admin", "therapist")}
        self.tokens["public"] = csrf_token(portal, "/login")
        self.forms = {}  # action path -> [values of a form posting there]
        self.cases = 0
        self.failures = []

    def actor_of(self, endpoint):
        return {"api": "api", "public": "public", "own_token": "therapist"}.get(
            access_of(endpoint, "GET"), "admin")

    def request(self, endpoint, method, url, data=None, what=""):
        actor = self.actor_of(endpoint)
        client = self.clients[actor]
        headers = {"Authorization": f"Bearer {self.api_token}"} if actor == "api" else {}
        body = dict(data or {})
        if method == "POST" and actor != "api":
            body.setdefault("csrf_token", self.tokens[actor])
        try:
            response = (client.get(url, headers=headers) if method == "GET"
                        else client.post(url, data=body, headers=headers))
        except Exception as error:  # a test app propagates the error a server answers 500 to
            self.failures.append(f"{method} {url!r} as {actor} {what}: raised {error!r}")
            self.cases += 1
            return client.get("/healthz")  # any response: the sweep goes on
        response.get_data()  # a streamed export runs to its end here, in its own context
        response.close()
        self.cases += 1
        if response.status_code >= 500:
            self.failures.append(f"{method} {url!r} as {actor} {what}: {response.status_code}")
        return response

    def expect(self, response, status, where):
        if response.status_code not in ((status,) if isinstance(status, int) else status):
            self.failures.append(f"{where}: expected {status}, got {response.status_code}")

    def crawl(self):
        """Read the forms of every page the callers can open (the world's own ids)."""
        for endpoint, method in RULE_CASES:
            if method != "GET" or access_of(endpoint, "GET") == "api":
                continue
            response = self.clients[self.actor_of(endpoint)].get(
                build_url(self.app, endpoint, self.world))
            if response.status_code != 200 or "html" not in response.content_type:
                continue
            for form_method, action, values in forms_of(response):
                if form_method == "POST":
                    path = urlsplit(action).path or urlsplit(response.request.url).path
                    self.forms.setdefault(path, []).append(values)


def url_with(app, endpoint, world, **replace):
    """``build_url`` with some URL arguments replaced."""
    url = build_url(app, endpoint, world)
    if not replace:
        return url
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        matched_endpoint, values = adapter.match(urlsplit(url).path,
                                                 method="POST" if "POST" in next(
                                                     r for r in app.url_map.iter_rules()
                                                     if r.endpoint == endpoint).methods
                                                 else "GET")
        assert matched_endpoint == endpoint
        query = urlsplit(url).query
        return url_for(endpoint, **{**values, **replace}) + (f"?{query}" if query else "")


def int_arguments(app, endpoint):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    return [name for name, converter in rule._converters.items()
            if type(converter).__name__ in ("IntegerConverter", "DatabaseId")]


def has_sibling_rule(app, endpoint, method):
    """Another rule has the same path with another method (a confirm page before a POST)."""
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    return any(other.rule == rule.rule and method not in (other.methods or ())
               for other in app.url_map.iter_rules() if other.endpoint != endpoint)


def with_query(url, **params):
    return url + ("&" if "?" in url else "?") + urlencode(params)


def test_no_hostile_input_is_a_server_error(app):
    world = fresh_world()
    sweep = Sweep(app, world)
    sweep.crawl()
    assert sweep.forms, "the crawl found no forms"
    form_cases = 0
    for endpoint, method in RULE_CASES:
        url = build_url(app, endpoint, world)
        api = access_of(endpoint, "GET") == "api"
        sibling = has_sibling_rule(app, endpoint, method)
        # Ids out of every database's range in each integer URL argument: 404.
        for name in int_arguments(app, endpoint):
            for value in HUGE_IDS:
                hostile = url_with(app, endpoint, world, **{name: value})
                response = sweep.request(endpoint, method, hostile, what=f"{name}={value}")
                # (Routing may answer 405 where a sibling rule of the path has another
                # method, as the API's and the confirm pages' do: still no query runs.)
                sweep.expect(response, (404, 405) if api or sibling else 404,
                             f"{method} {hostile}")
        if method == "GET":
            for value in CONTROL_QUERY:
                response = sweep.request(endpoint, method, with_query(url, q=value),
                                         what=f"q={value!r}")
                sweep.expect(response, 400, f"GET {url} q={value!r}")
            for name in ("page", *QUERY_FILTERS.get(endpoint, ())):
                for value in BAD_NUMBERS:
                    response = sweep.request(endpoint, method, with_query(url, **{name: value}),
                                             what=f"{name}={value}")
                    if not api and name != "page" and value != "-1":
                        sweep.expect(response, 404, f"GET {url} {name}={value}")
            continue
        if api:
            continue
        # Each field of each form posting here, one hostile value at a time, the others as a
        # browser would send them; and an extra field with a NUL on every POST.
        response = sweep.request(endpoint, method, url, {"note": "\x00"}, what="note=NUL")
        sweep.expect(response, 400, f"POST {url} note=NUL")
        for values in sweep.forms.get(urlsplit(url).path, []):
            for field in values:
                if field == "csrf_token":
                    continue
                for value in FIELD_VALUES:
                    data = {k: v for k, v in values.items() if v is not None}
                    data[field] = value
                    form_cases += 1
                    response = sweep.request(endpoint, method, url, data,
                                             what=f"{field}={value!r}")
                    if has_control_characters(value):
                        sweep.expect(response, 400, f"POST {url} {field}={value!r}")
    print(f"\nhostile input sweep: {sweep.cases} (route x input) cases over {len(RULE_CASES)} "
          f"(endpoint, method) rules, {form_cases} of them form fields, "
          f"{len(sweep.forms)} form actions found")
    assert not sweep.failures, "\n".join(sweep.failures)
    assert form_cases > 100, f"only {form_cases} form-field cases: did the crawl find the forms?"


def nested(depth):
    return "[" * depth + "]" * depth


def test_api_refuses_json_nested_too_deep(app, client):
    world = fresh_world()
    token = make_token(db.session.get(User, world.therapist.id))
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for depth in (MAX_JSON_DEPTH + 1, 100_000):
        body = json.dumps({"display_name": "x", "reference": "R1"})[:-1] + \
            f', "extra": {nested(depth)}}}'
        response = client.post("/api/v1/patients", data=body, headers=headers)
        assert response.status_code == 400, (depth, response.status_code)
        assert "nested" in response.get_json()["error"]
    # Within the bound, the body is read as usual (here refused for its unknown field).
    body = json.dumps({"display_name": "x", "extra": json.loads(nested(MAX_JSON_DEPTH - 1))})
    response = client.post("/api/v1/patients", data=body, headers=headers)
    assert response.status_code == 422


def test_json_depth_skips_brackets_in_strings():
    assert json_depth(b'{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    assert json_depth(b'"\\"[[["') == 0
    assert json_depth(nested(40).encode()) == 40


def test_control_characters_in_a_page_form_are_refused_with_a_message(app, client):
    world = fresh_world()
    AuthActions(client).login(world.therapist.email)
    token = csrf_token(client, "/account/password")
    response = client.post("/patients/new", data={"csrf_token": token, "display_name": "A\x00B"})
    assert response.status_code == 400
    assert "control characters" in response.get_data(as_text=True)
    response = client.get("/patients?q=%00")
    assert response.status_code == 400


def test_out_of_range_query_filters_and_pages_are_404(app, client):
    world = fresh_world()
    AuthActions(client).login(world.admin.email)
    for url in ("/admin/audit/?patient_id=9223372036854775808", "/admin/audit/?user_id=2147483648",
                "/admin/audit/?page=99999999999999999999", "/patients?page=9223372036854775808",
                "/alerts?page=0", "/?page=1e3"):
        assert client.get(url).status_code == 404, url
    assert client.get("/admin/audit/?patient_id=").status_code == 200
    assert client.get(f"/admin/audit/?patient_id={world.patient.id}").status_code == 200
