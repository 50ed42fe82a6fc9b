"""HTML to PDF with WeasyPrint, locked down: the only module that imports weasyprint.

Every ``HTML(...)``/``CSS(...)`` gets a :class:`LockedFetcher`: it serves the report's own
assets from an explicit allow-list (read from disk once, keyed by exact URL) and refuses
everything else: ``file://``, ``http(s)://`` (loopback and cloud metadata included), ``data:``
and any URL not on the list. It opens nothing itself, so there is no redirect to follow.
WeasyPrint 70.0 or later is required: 61.2, 68.0, 69.0 and 70.0 each fixed a fetcher bypass
or an injection (shared/SECURITY.md §13).
"""

import gc
import importlib.metadata
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import weasyprint
from weasyprint.urls import URLFetcher, URLFetcherResponse

MIN_WEASYPRINT = (70, 0)
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# A reserved name (RFC 2606 ".invalid"): no resolver answers it, and the fetcher never asks.
ASSET_ORIGIN = "https://assets.liftclinic.invalid/"
REPORT_BASE_URL = ASSET_ORIGIN + "report/"
# Exact URL -> (file under clinic/static, content type). Nothing else is ever served.
ASSETS = {
    ASSET_ORIGIN + "static/css/report.css": ("css/report.css", "text/css; charset=utf-8"),
}
PDF_VARIANT = "pdf/ua-1"  # tagged PDF with PDF/UA-1 metadata (WeasyPrint >= 65)


def _version_tuple(text):
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


if _version_tuple(importlib.metadata.version("weasyprint")) < MIN_WEASYPRINT:  # pragma: no cover
    raise ImportError("LiftClinic reports need WeasyPrint 70.0 or later (fetcher fixes).")


class RefusedURL(ValueError):
    """The report asked for something that is not one of its own assets."""


class LockedFetcher(URLFetcher):
    """Deny-by-default URL fetcher: only the allow-listed assets, from memory.

    ``refused`` lists every URL it turned down (tests read it; WeasyPrint logs a warning and
    renders on without the resource).
    """

    def __init__(self, assets=None, static_dir=STATIC_DIR):
        super().__init__(timeout=1, allowed_protocols=frozenset(), allow_redirects=False,
                         fail_on_errors=False)
        self._bodies = {}
        for url, (relative, content_type) in (ASSETS if assets is None else assets).items():
            self._bodies[url] = ((static_dir / relative).read_bytes(), content_type)
        self.served = []
        self.refused = []

    def fetch(self, url, headers=None):
        found = self._bodies.get(url)
        if found is None:
            self.refused.append(url)
            raise RefusedURL(f"refused: not one of the report's assets: {url[:200]}")
        self.served.append(url)
        body, content_type = found
        return URLFetcherResponse(url, body, {"Content-Type": content_type})

    def open(self, url, data=None, timeout=None):
        """urllib's entry point leads to ``fetch`` too: no handler ever opens a URL."""
        return self.fetch(getattr(url, "full_url", url))


# Renders in this process (the warm-up not counted): the queue worker re-executes itself after
# WORKER_MAX_RENDERS of them, as a bound on any slow growth of a long-lived renderer.
_renders = 0
_renders_lock = threading.Lock()
# One render per core per process for the web exports: a burst of downloads queues here for
# a few seconds instead of taking every thread (and core) from the pages.
RENDER_SLOTS = threading.BoundedSemaphore(os.cpu_count() or 1)


class RenderersBusy(RuntimeError):
    """Every render slot of this process stayed taken for the whole wait."""


def renders_in_process():
    """How many reports this process has rendered (the worker's recycling counter)."""
    return _renders


@contextmanager
def render_slot(wait_seconds):
    """Hold one of this process's render slots, waiting at most ``wait_seconds`` for it.

    :raises RenderersBusy: none came free in time (the view answers a calm 503).
    """
    if not RENDER_SLOTS.acquire(timeout=wait_seconds):
        raise RenderersBusy("every render slot of this process is taken")
    try:
        yield
    finally:
        RENDER_SLOTS.release()


def render_pdf(html, *, fetcher=None):
    """The PDF bytes of ``html`` (a complete document from templates/reports/)."""
    global _renders
    with _renders_lock:
        _renders += 1
    return _render(html, fetcher)


def render_uncounted(html):
    """A warm-up render: not one of the process's reports."""
    return _render(html)


def _render(html, fetcher=None):
    fetcher = fetcher or LockedFetcher()
    document = weasyprint.HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher)
    # No gc.freeze() here: freezing before each render froze the previous render's garbage
    # too, and unfreezing after it left that garbage in the oldest generation, where the next
    # freeze caught it again: about 8 MB a report, never collected. A process freezes once,
    # after boot (``warm_up_and_freeze``).
    return document.write_pdf(pdf_variant=PDF_VARIANT, presentational_hints=False)


# What a report uses, in small: its stylesheet (page rules, counters, tables), regular, bold
# and italic faces, figures and dashes, a table and an SVG chart with text. Rendering it loads
# the fonts, the CSS machinery and the SVG code a real report needs.
WARM_UP_HTML = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Warm-up</title><link rel="stylesheet" href="{ASSET_ORIGIN}static/css/report.css">
</head><body><header><h1>LiftClinic progress report</h1></header>
<p><strong>Warm-up</strong> <em>only</em>: 0123456789 \u2013 \u00b7 \u2026 \u2192 %</p>
<table><thead><tr><th>Week</th><th>PHQ-9</th><th>Band</th></tr></thead>
<tbody><tr><td>1</td><td>12</td><td>Moderate</td></tr><tr><td>2</td><td>9</td><td>Mild</td></tr>
</tbody></table>
<svg xmlns="http://www.w3.org/2000/svg" width="300" height="90" viewBox="0 0 300 90">
<rect x="0" y="0" width="300" height="30" fill="#eee"/><polyline points="10,80 150,40 290,20"
fill="none" stroke="#333" stroke-width="2"/><circle cx="150" cy="40" r="3"/>
<text x="10" y="12" font-size="9">PHQ-9</text></svg></body></html>"""


def _is_liftclinic(app):
    """A LiftClinic app (not a WSGI wrapper, nor another Flask app under the same gunicorn
    settings, such as the benchmarks' baselines): only it has our database and templates."""
    from clinic.extensions import db

    extensions = getattr(app, "extensions", None) or {}
    return extensions.get("sqlalchemy") is db


def warm_up_and_freeze(app=None):
    """Load WeasyPrint's fonts and caches now (and, given ``app``: set up the ORM's mappers,
    build and render a made-up patient's report in a rolled-back transaction, compile the
    templates), then freeze what is alive after boot.

    Called once per process that renders (the gunicorn master before it forks its workers,
    the batch export before it forks, or each spawned worker): the first report then costs
    what later ones do, and the app's own long-lived objects (modules, the app, the fonts,
    compiled templates) are frozen out of the collector's way, so it scans only what a render
    allocates.
    """
    _render(WARM_UP_HTML)
    if _is_liftclinic(app):
        # The ORM sets up every mapper's relationships on the first query (about 120 ms of
        # the first export after boot): once, here, for every worker.
        from sqlalchemy.orm import configure_mappers

        from clinic.reports.services import warm_up_report

        configure_mappers()
        warm_up_report(app)
        for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith(".html")):
            app.jinja_env.get_template(name)
    gc.collect()
    gc.freeze()

