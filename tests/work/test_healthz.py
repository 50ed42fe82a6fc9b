"""/healthz: 200 {"status": "ok"} when the database (and Redis, when configured) answer; 503
{"status": "unavailable"} otherwise, saying nothing about which part or why."""

import pytest

from work.conftest import REDIS_URL, closed_port_url

UNAVAILABLE = {"status": "unavailable"}


def get_health(app):
    response = app.test_client().get("/healthz")
    return response.status_code, response.get_json(), response.get_data(as_text=True)


def test_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_ok_when_the_database_and_redis_answer(make_app):
    app = make_app(REDIS_URL=REDIS_URL)
    assert get_health(app)[:2] == (200, {"status": "ok"})


def test_redis_down_is_503_without_details(make_app, logs):
    url = closed_port_url()
    app = make_app(REDIS_URL=url)
    status, body, text = get_health(app)
    assert (status, body) == (503, UNAVAILABLE)
    assert "redis" not in text.lower() and url not in text
    assert logs.containing("healthz: redis does not answer (ConnectionError)")


@pytest.mark.parametrize("database", ["postgresql://nobody@127.0.0.1:1/none",
                                      "sqlite:////nonexistent-folder/none.sqlite"])
def test_database_down_is_503_without_details(make_app, database):
    app = make_app(database)
    status, body, text = get_health(app)
    assert (status, body) == (503, UNAVAILABLE)
    assert "nobody" not in text and "nonexistent" not in text and "database" not in text
