"""The report is locked down: markup in any free text that reaches it stays text, WeasyPrint
fetches nothing but the report's own stylesheet, and nothing is embedded in the PDF.

A real HTTP listener on 127.0.0.1 counts every request; file:// canaries name real files.
"""

import http.server
import importlib.metadata
import re
import threading
from pathlib import Path

import pytest

from clinic.reports import pdf
from reports.conftest import make_record
from reports.helpers import embedded_files, pdf_text, squeezed

PROJECT = Path(__file__).resolve().parents[2]


class Listener:
    """An HTTP server on a free loopback port that records every request it gets."""

    def __init__(self):
        self.requests = []
        listener = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                listener.requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"body { background: red }")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def short_payload(url, tag):
    """Fits a 120-character name column."""
    return f'<img src="{url}/{tag}"><link rel=attachment href="file:///etc/hostname">'


def long_payload(url, tag):
    return (f'<img src="file:///etc/passwd"><link rel="attachment" href="file:///etc/hostname">'
            f'<style>@import url({url}/{tag}-import.css);</style>'
            f'<p style="background:url({url}/{tag}-bg)">x</p>'
            f'<a rel="attachment" href="{url}/{tag}-a">a</a>'
            f'<svg><image href="{url}/{tag}-svg"/></svg>'
            f'<link rel="stylesheet" href="{url}/{tag}.css">')


def test_markup_in_every_free_text_field_stays_text(app, client, auth, listener):
    url = listener.url
    texts = {"clinic": short_payload(url, "clinic"), "trainer": short_payload(url, "trainer"),
             "alert_note": long_payload(url, "alert"), "exercise": short_payload(url, "ex"),
             "program": short_payload(url, "program"), "level": short_payload(url, "level"),
             "level_reason": long_payload(url, "reason"),
             "session_note": long_payload(url, "note")}
    record = make_record(name=short_payload(url, "name"),
                         therapist_name=short_payload(url, "therapist"), texts=texts)
    summary = long_payload(url, "summary")
    auth.login(record.therapist.email)
    response = auth.post(f"/patients/{record.patient.id}/reports/pdf",
                         data={"summary": summary})
    assert response.status_code == 200
    assert listener.requests == []
    assert embedded_files(response.data) == []
    text = squeezed(pdf_text(response.data))
    for field, payload in {**texts, "name": record.patient.display_name,
                           "therapist": record.therapist.name, "summary": summary}.items():
        if field == "session_note":
            continue  # session notes are not printed in the report (the CSV carries them)
        assert squeezed(payload) in text, field
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r"attachment; filename=liftclinic-report-\d+-\d{8}\.pdf", disposition)


def test_the_fetcher_refuses_raw_markup_that_reaches_weasyprint(listener, tmp_path):
    """Even unescaped markup (a template bug) fetches nothing and embeds nothing."""
    canary = tmp_path / "canary.txt"
    canary.write_text("CANARY-SECRET")
    html = (f'<html><head><link rel="attachment" href="file://{canary}">'
            f'<link rel="stylesheet" href="{listener.url}/sheet.css">'
            f'<style>@import url("{listener.url}/import.css"); '
            f'body {{ background: url({listener.url}/bg.png) }}</style></head><body>'
            f'<img src="file://{canary}"><img src="{listener.url}/img.png">'
            f'<img src="data:image/png;base64,iVBORw0KGgo=">'
            f'<a rel="attachment" href="file://{canary}">a</a>'
            f'<svg width="10" height="10"><image href="{listener.url}/svg.png" width="10" '
            f'height="10"/></svg><object data="{listener.url}/obj"></object>'
            f'<iframe src="file://{canary}"></iframe><p>body</p></body></html>')
    fetcher = pdf.LockedFetcher()
    body = pdf.render_pdf(html, fetcher=fetcher)
    assert listener.requests == []
    assert embedded_files(body) == []
    assert b"CANARY-SECRET" not in body
    assert fetcher.served == []
    assert f"file://{canary}" in fetcher.refused
    assert any(u.startswith(listener.url) for u in fetcher.refused)
    assert any(u.startswith("data:") for u in fetcher.refused)


def test_the_fetcher_serves_only_its_allow_list(listener):
    fetcher = pdf.LockedFetcher()
    stylesheet = pdf.ASSET_ORIGIN + "static/css/report.css"
    response = fetcher.fetch(stylesheet)
    assert response.read() == (PROJECT / "clinic/static/css/report.css").read_bytes()
    assert response.content_type == "text/css"
    for url in ("file:///etc/passwd", f"file://{PROJECT}/clinic/static/css/report.css",
                f"{listener.url}/x.css", "http://169.254.169.254/latest/meta-data/",
                "https://example.com/report.css", "data:text/css,body{color:red}",
                pdf.ASSET_ORIGIN + "static/css/app.css",
                pdf.ASSET_ORIGIN + "static/css/../../config.py",
                stylesheet + "?x=1", "ftp://127.0.0.1/x"):
        with pytest.raises(pdf.RefusedURL):
            fetcher.fetch(url)
        with pytest.raises(pdf.RefusedURL):
            fetcher.open(url)  # urllib's entry point, which a redirect would take
    assert listener.requests == []
    assert fetcher.served == [stylesheet]


def test_weasyprint_is_new_enough_and_only_pdf_py_imports_it():
    version = tuple(int(p) for p in importlib.metadata.version("weasyprint").split(".")[:2])
    assert version >= (70, 0)
    importers = [path.relative_to(PROJECT).as_posix()
                 for path in (PROJECT / "clinic").rglob("*.py")
                 if re.search(r"^\s*(import|from)\s+weasyprint", path.read_text(), re.M)]
    assert importers == ["clinic/reports/pdf.py"]
    source = (PROJECT / "clinic/reports/pdf.py").read_text()
    assert source.count("url_fetcher=fetcher") == source.count("weasyprint.HTML(")
    assert "attachments=" not in source and "pdf_forms" not in source
