"""Fixtures of the browser tests: the real app on 127.0.0.1, Debian's Chromium, axe-core.

- ``live_server`` serves the suite's ``app`` (same object, same fresh database: SQLite or
  ``TEST_DATABASE_URL``) with werkzeug's threaded server on a free port, and points
  ``BASE_URL`` at it so the links the pages show are the links a patient opens.
- ``chromium`` is one headless browser per test session, launched from /usr/bin/chromium
  (``.ci/run`` installs Debian's ``chromium``); nothing is downloaded at run time.
- ``e2e`` gives each test fresh browser contexts (desktop or a 360x740 phone, with or without
  JavaScript) and ``e2e.check(page, name)``: a full-page screenshot under
  ``test-artifacts/screenshots/<test>/`` and an axe-core run that fails the test on any
  serious or critical violation. axe-core comes from npm (``npm install --prefix .e2e
  axe-core@4``, as ``.ci/run`` does; ``.e2e/`` is gitignored) and is injected with
  ``page.evaluate`` because the app's CSP blocks ``add_script_tag``.
"""

import json
import logging
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from factories import ClinicFactory, UserFactory
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from clinic.catalogue.services import sync_builtin_exercises
from clinic.database import write_transaction
from clinic.extensions import db

PROJECT_DIR = Path(__file__).resolve().parents[2]
# Debian's package by default; CHROMIUM_PATH points elsewhere (another OS, another build).
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_FILE = PROJECT_DIR / ".e2e" / "node_modules" / "axe-core" / "axe.min.js"
AXE_INSTALL = "npm install --prefix .e2e axe-core@4"
ARTIFACTS = PROJECT_DIR / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_REPORT = ARTIFACTS / "axe-results.json"
BLOCKING_IMPACTS = ("serious", "critical")

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}

CRISIS_TEXT = ("If you are in danger now, call 999. The Riverside crisis line answers day and "
               "night on 0800 000 111.")
THERAPIST = "robin.ash@riverside.test"
OTHER_THERAPIST = "kim.birch@riverside.test"

# What this run saw, for the summary at the end: axe results per page, patient-page weights.
AXE_RESULTS = []
WEIGHTS = []


# Tools that must be on the machine: a missing one fails the tests (never skips them) -------


def missing_tools():
    problems = []
    if not AXE_FILE.is_file():
        problems.append(
            f"axe-core is missing ({AXE_FILE.relative_to(PROJECT_DIR)}). Install it from the "
            f"project folder with:\n    {AXE_INSTALL}\n(.ci/run does this; .e2e/ is gitignored)")
    if not CHROMIUM.exists():
        problems.append(f"Chromium is missing ({CHROMIUM}). Install Debian's package with:\n"
                        "    apt-get update && apt-get install -y chromium\n(.ci/run does this)")
    return problems


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    problems = missing_tools()
    if problems:
        pytest.fail("The browser tests need tools that are not installed.\n"
                    + "\n".join(problems), pytrace=False)


def pytest_sessionfinish(session):
    """Under pytest-xdist: hand what this worker saw to the controlling process, which prints
    the summary (tests/conftest.py)."""
    if hasattr(session.config, "workeroutput"):
        session.config.workeroutput["e2e"] = json.dumps({"axe": AXE_RESULTS,
                                                         "weights": WEIGHTS})


def add_seen(seen):
    AXE_RESULTS.extend(seen["axe"])
    WEIGHTS.extend(seen["weights"])


def summarise(terminalreporter):
    """The browser tests' section of the summary (called by tests/conftest.py)."""
    if not AXE_RESULTS and not WEIGHTS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("browser tests")
    if AXE_RESULTS:
        ARTIFACTS.mkdir(exist_ok=True)
        AXE_REPORT.write_text(json.dumps({"axe_core": axe_version(), "pages": AXE_RESULTS},
                                         indent=2))
        impacts = {}
        for result in AXE_RESULTS:
            for violation in result["violations"]:
                key = f"{violation['impact']}: {violation['id']}"
                impacts[key] = impacts.get(key, 0) + 1
        blocking = sum(n for key, n in impacts.items() if key.split(":")[0] in BLOCKING_IMPACTS)
        write(f"axe-core {axe_version()}: {len(AXE_RESULTS)} page checks, "
              f"{blocking} serious or critical violations")
        for key, count in sorted(impacts.items()):
            write(f"  {key} on {count} page(s)")
        write(f"axe results: {AXE_REPORT}")
    for weight in WEIGHTS:
        write(f"weight of {weight['page']}: {weight['body_bytes']} bytes of bodies, "
              f"{weight['transfer_bytes']} bytes with headers, {weight['requests']} requests "
              f"({', '.join(weight['kinds'])})")
    write(f"screenshots: {SCREENSHOTS}")


def axe_version():
    package = AXE_FILE.parent / "package.json"
    return json.loads(package.read_text())["version"] if package.is_file() else "missing"


# The app on a real socket -------------------------------------------------------------------


@pytest.fixture
def live_server(app):
    """Serve the test's ``app`` on 127.0.0.1 and a free port; the base URL."""
    # Request lines go to the captured log only: with a handler of its own in place, werkzeug
    # does not add one that writes to stderr.
    quiet = logging.NullHandler()
    logging.getLogger("werkzeug").addHandler(quiet)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base_url  # the links the pages show open this server
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    # The test's own session must not hold a read transaction (SQLite snapshot, PostgreSQL
    # locks) while requests write in their own sessions.
    db.session.commit()
    yield base_url
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    logging.getLogger("werkzeug").removeHandler(quiet)
    db.session.commit()


@pytest.fixture
def staff(app):
    """A clinic with its crisis text, the built-in exercises and two therapists."""
    write_transaction(sync_builtin_exercises)()
    clinic = ClinicFactory(name="Riverside Clinic", crisis_text=CRISIS_TEXT)
    first = UserFactory(clinic=clinic, email=THERAPIST, name="Robin Ash")
    UserFactory(clinic=clinic, email=OTHER_THERAPIST, name="Kim Birch")
    db.session.commit()
    return first


# The browser --------------------------------------------------------------------------------


class Chromium:
    """One headless Debian Chromium for the whole run, launched when a test first needs it."""

    def __init__(self, downloads):
        self._downloads = downloads
        self._playwright = None
        self._browser = None

    @property
    def browser(self):
        if self._browser is None:
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                downloads_path=str(self._downloads))
        return self._browser

    def close(self):
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    browser = Chromium(tmp_path_factory.mktemp("chromium-downloads"))
    yield browser
    browser.close()


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


class E2E:
    """Fresh browser contexts for one test, and the page check (screenshot + axe)."""

    def __init__(self, chromium, base_url, folder):
        self.base_url = base_url
        self.folder = folder
        self._chromium = chromium
        self._contexts = []
        self._checker = {}
        self._shots = 0
        self.requests = []  # every request any page of this test made: (method, url)

    def context(self, *, phone=False, javascript=True):
        """A fresh browser context: a desktop clinician or a patient's phone."""
        options = {"viewport": PHONE, "is_mobile": True, "has_touch": True,
                   "device_scale_factor": 2} if phone else {"viewport": DESKTOP}
        context = self._chromium.browser.new_context(
            base_url=self.base_url, java_script_enabled=javascript, locale="en-GB",
            timezone_id="Europe/London", service_workers="block", **options)
        context.set_default_timeout(15_000)
        context.on("request", lambda request: self.requests.append((request.method,
                                                                    request.url)))
        self._contexts.append(context)
        return context

    def page(self, **kwargs):
        return self.context(**kwargs).new_page()

    def check(self, page, name, *, javascript=True):
        """Screenshot the page, run axe on it; fail on serious or critical violations."""
        self.assert_local_only()
        self._shots += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self._shots:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        violations = self.axe(page) if javascript else self._axe_replayed(page)
        AXE_RESULTS.append({"page": f"{self.folder.name}/{path.stem}",
                            "url": urlsplit(page.url).path, "violations": violations})
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe on {name} ({page.url}):\n" + describe(blocking)
        return violations

    def assert_local_only(self):
        remote = [url for _, url in self.requests
                  if urlsplit(url).scheme in ("http", "https", "ws", "wss")
                  and urlsplit(url).hostname != "127.0.0.1"]
        assert not remote, f"requests left 127.0.0.1: {remote}"

    def axe(self, page):
        """axe-core's violations on the page as it is now (injected by evaluate: CSP-proof)."""
        if not page.evaluate("typeof window.axe === 'object'"):
            page.evaluate(AXE_FILE.read_text())
        return page.evaluate(AXE_RUN)

    def _axe_replayed(self, page):
        """axe needs script timers, which a page without JavaScript has not: run it on the same
        HTML at the same address in a JavaScript context (CSS loads from the server)."""
        html, url, viewport = page.content(), page.url, page.viewport_size
        key = (viewport["width"], viewport["height"])
        if key not in self._checker:
            self._checker[key] = self._chromium.browser.new_context(
                base_url=self.base_url, viewport=viewport, service_workers="block")
            self._contexts.append(self._checker[key])
        checker = self._checker[key].new_page()
        checker.route(lambda address: address == url,
                      lambda route: route.fulfill(status=200, body=html,
                                                  content_type="text/html; charset=utf-8"))
        checker.goto(url)
        try:
            return self.axe(checker)
        finally:
            checker.close()

    def close(self):
        for context in self._contexts:
            context.close()


def describe(violations):
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        lines.extend(f"    {n['target']}: {n['summary']}" for n in v["nodes"][:5])
    return "\n".join(lines)


@pytest.fixture
def e2e(chromium, live_server, request):
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    session = E2E(chromium, live_server, folder)
    yield session
    session.close()
