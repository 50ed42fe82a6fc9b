"""Cheap pages: compressed responses (never a token-bearing page that echoes a query: BREACH),
static files cached by their content hash, and a favicon."""

import gzip
import re

import brotli
import pytest
from factories import UserFactory
from helpers import make_token

from clinic import delivery

STATIC_LINK = re.compile(r'href="(/static/css/app\.css\?v=([0-9a-f]{12}))"')


def test_pages_link_static_files_by_their_content_hash(client):
    page = client.get("/login").get_data(as_text=True)
    url, version = STATIC_LINK.search(page).groups()
    assert version == delivery.static_version("css/app.css")
    response = client.get(url)
    response.close()
    assert response.status_code == 200
    assert response.cache_control.max_age == delivery.ONE_YEAR
    assert response.cache_control.immutable
    assert response.cache_control.public


@pytest.mark.parametrize("query", ["", "?v=000000000000"])
def test_a_static_file_without_its_current_hash_is_revalidated(client, query):
    response = client.get(f"/static/css/app.css{query}")
    response.close()
    assert response.status_code == 200
    assert response.cache_control.max_age != delivery.ONE_YEAR
    assert not response.cache_control.immutable


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"  # an ICO header
    response.close()
    assert response.cache_control.max_age > 0
    assert 'rel="icon"' in client.get("/login").get_data(as_text=True)


def test_a_page_is_sent_compressed_to_a_browser_that_accepts_it(client):
    plain = client.get("/login")
    packed = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = gzip.decompress(packed.data)
    assert b"Log in" in body
    assert len(packed.data) < len(body) / 2
    assert "Content-Encoding" not in plain.headers  # and plain to one that does not


def test_brotli_is_preferred_when_offered(client):
    response = client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "br"
    plain = client.get("/static/css/app.css")
    assert brotli.decompress(response.data) == plain.data
    plain.close()
    response.close()


def test_json_is_sent_compressed(client):
    token = make_token(UserFactory())
    response = client.get("/api/v1/openapi.json", headers={
        "Accept-Encoding": "gzip", "Authorization": f"Bearer {token}"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data).startswith(b"{")


def test_a_token_bearing_page_that_answers_a_query_is_never_compressed(client):
    """BREACH: the login page holds a CSRF token; with a query string it goes uncompressed."""
    response = client.get("/login?next=/patients", headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert b'name="csrf_token"' in response.data
