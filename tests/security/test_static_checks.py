"""Static checks, run by ``make test`` (and so by CI): bandit and the project's semgrep rules.

bandit: 0 medium-or-high findings that nobody reviewed (a reviewed one carries
``# nosec BNNN  # why`` on its line). semgrep: the rules in ``.semgrep/`` find nothing in the
project, and each rule fires on its fixtures in ``semgrep_fixtures/`` (which the project scan
never reads). Both run offline: semgrep with ``--metrics=off --disable-version-check``.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FIXTURES = Path(__file__).resolve().parent / "semgrep_fixtures"
SCANNED = ["clinic", "templates", "migrations", "wsgi.py", "gunicorn.conf.py"]
ANNOTATION = re.compile(r"(?:#|<!--)\s*(ruleid|ok):\s*([\w-]+)")


def semgrep(*targets):
    result = subprocess.run(  # noqa: S603 (a fixed argv, no shell)
        [str(BIN / "semgrep"), "scan", "--config", ".semgrep", "--metrics=off",
         "--disable-version-check", "--no-git-ignore", "--json", "--quiet", *targets],
        cwd=PROJECT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    assert report["errors"] == [], report["errors"]
    return {(Path(r["path"]).name, r["start"]["line"], r["check_id"].rsplit(".", 1)[-1])
            for r in report["results"]}


def rule_ids():
    rules = []
    for path in sorted((PROJECT / ".semgrep").glob("*.yml")):
        rules += re.findall(r"^  - id: ([\w-]+)$", path.read_text(), re.M)
    return rules


def annotations():
    """(file, line, rule) that must be found, and those that must not."""
    expected, unexpected = set(), set()
    for path in sorted(FIXTURES.iterdir()):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, start=1):
            match = ANNOTATION.search(line)
            if match:
                kind, rule = match.groups()
                (expected if kind == "ruleid" else unexpected).add((path.name, number + 1, rule))
    return expected, unexpected


@pytest.mark.slow
def test_each_semgrep_rule_fires_on_its_fixtures_and_only_there():
    expected, unexpected = annotations()
    assert {rule for _, _, rule in expected} == set(rule_ids()), "a rule without a fixture"
    found = semgrep(*(str(p.relative_to(PROJECT)) for p in sorted(FIXTURES.iterdir())))
    assert expected - found == set(), "fixtures the rules missed"
    assert found & unexpected == set(), "false positives on the 'ok' fixtures"
    assert found - expected == set(), "findings on lines with no annotation"


@pytest.mark.slow
def test_semgrep_finds_nothing_in_the_project():
    assert semgrep(*SCANNED) == set()


@pytest.mark.slow
def test_bandit_finds_no_unreviewed_medium_or_high_issue():
    result = subprocess.run(  # noqa: S603 (a fixed argv, no shell)
        [str(BIN / "bandit"), "-c", "pyproject.toml", "-r", *SCANNED[:1], *SCANNED[2:],
         "--severity-level", "medium", "--confidence-level", "medium", "-f", "json", "-q"],
        cwd=PROJECT, capture_output=True, text=True, timeout=300, check=False)
    report = json.loads(result.stdout)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
                for r in report["results"]]
    assert findings == [], "review each; if it is safe, add `# nosec BNNN  # why` to the line"
    assert report["errors"] == []
    assert result.returncode == 0


def test_every_suppression_names_its_check_and_says_why():
    """A bare `# nosec` or `# nosemgrep` would hide every future finding on that line."""
    bad = []
    for path in [*PROJECT.glob("clinic/**/*.py"), *PROJECT.glob("migrations/**/*.py"),
                 *PROJECT.glob("templates/**/*.html")]:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for marker in ("nosec", "nosemgrep"):
                if marker not in line:
                    continue
                named = re.search(rf"{marker}:?\s+[\w-]+", line)
                reason = re.search(rf"{marker}\b.*?#\s*\S+\s+\S+", line)
                if not (named and reason):
                    bad.append(f"{path.relative_to(PROJECT)}:{number}: {line.strip()}")
    assert bad == []
