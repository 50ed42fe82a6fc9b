"""The README stays true at every commit (issue 19).

- Its architecture tree names every package, module and template folder there is, and nothing
  that is not there.
- Every shell block either runs as printed on a fresh copy of the checkout (its own SQLite
  database, no make, no environment set up) or carries the marker line
  ``<!-- readme-test: skip: <why> -->`` just above it (``make run`` serves forever, a block
  needs the PostgreSQL of a deployment...). The steps of ``make run`` are among the blocks run.
- Its relative links lead to files of the repository.
"""

import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
README = PROJECT / "README.md"
SHELL_LANGUAGES = ("sh", "bash", "shell", "console")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"^<!-- readme-test: (skip|tree)(?:: (.*?))? -->$")
# The environment a newcomer's shell has: none of the app's settings.
APP_VARIABLES = ("LIFTCLINIC_ENV", "LIFTCLINIC_DEFAULT_ENV", "SECRET_KEY", "DATABASE_URL",
                 "BASE_URL", "PORT", "REDIS_URL", "SMTP_URL", "AUDIT_KEY",
                 "MFA_ENCRYPTION_KEY", "DEMO_PASSWORD", "FLASK_APP", "FLASK_DEBUG",
                 "TEST_DATABASE_URL", "MAKEFLAGS", "MAKELEVEL")


@dataclass
class Block:
    language: str
    body: str
    line: int
    marker: str | None
    reason: str | None


def readme_blocks(text=None):
    text = README.read_text() if text is None else text
    for match in FENCE.finditer(text):
        before = text[:match.start()].rstrip("\n").splitlines()
        marked = MARKER.match(before[-1]) if before else None
        yield Block(match.group(1), match.group(2), text.count("\n", 0, match.start()) + 1,
                    marked.group(1) if marked else None, marked.group(2) if marked else None)


def runnable_blocks():
    return [block for block in readme_blocks()
            if block.language in SHELL_LANGUAGES and block.marker != "skip"]


def test_every_shell_block_runs_or_says_why_it_does_not():
    blocks = [block for block in readme_blocks() if block.language in SHELL_LANGUAGES]
    for block in blocks:
        if block.marker == "skip":
            assert block.reason and block.reason.strip(), f"README line {block.line}: say why"
    assert len(runnable_blocks()) >= 4, "the README test would be running almost nothing"


def test_the_marker_convention_is_read():
    sample = ("<!-- readme-test: skip: serves forever -->\n```sh\nmake run\n```\n\n"
              "```sh\nflask --app wsgi seed-demo\n```\n")
    first, second = readme_blocks(sample)
    assert (first.marker, first.reason, first.body) == ("skip", "serves forever", "make run\n")
    assert (second.marker, second.body) == (None, "flask --app wsgi seed-demo\n")


def run_lines():
    return [line.strip() for block in runnable_blocks() for line in block.body.splitlines()]


def test_the_steps_of_make_run_are_run_from_the_readme():
    """`make run` = `make demo` + serving; every flask step of `make demo` is in a block run."""
    steps = subprocess.run(  # noqa: S603 (fixed argv)
        [shutil.which("make") or "make", "-n", "-o", ".venv/.installed", "demo"], cwd=PROJECT,
        capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if k not in APP_VARIABLES}).stdout
    flask_steps = [line for line in steps.splitlines() if "flask --app wsgi" in line]
    assert len(flask_steps) == 2
    for step in flask_steps:
        assert step in run_lines(), f"`make run` runs {step!r}, the README's blocks do not"
    for command in ("audit verify", "backup", "seed-demo", "reports export"):
        assert any(f"flask --app wsgi {command}" in line for line in run_lines()), command


def clean_environment(**extra):
    environ = {key: value for key, value in os.environ.items() if key not in APP_VARIABLES}
    environ["HOME"] = environ.get("HOME", "/tmp")  # noqa: S108
    return {**environ, **extra}


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory):
    """The checkout's files as a clone has them (tracked, and new ones not ignored), with the
    shared virtualenv linked in: its own instance/ folder and nothing else."""
    clone = tmp_path_factory.mktemp("clone")
    names = subprocess.run(  # noqa: S603 (fixed argv)
        [shutil.which("git") or "git", "ls-files", "-z", "--cached", "--others",
         "--exclude-standard"], cwd=PROJECT, capture_output=True, check=True).stdout
    for name in filter(None, names.decode().split("\0")):
        source = PROJECT / name
        if source.is_file():  # deleted in the working tree but still in the index: skip
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    (clone / ".venv").symlink_to((PROJECT / ".venv").resolve())
    return clone


def run_in(clone, script, **extra):
    return subprocess.run(  # noqa: S603 (the README's own commands, in a scratch copy)
        ["/bin/bash", "-euo", "pipefail", "-c", script], cwd=clone, capture_output=True,
        text=True, env=clean_environment(**extra), timeout=600, check=False)


@pytest.mark.slow
def test_the_readme_commands_run_as_printed_on_a_fresh_clone(fresh_clone):
    for block in runnable_blocks():
        result = run_in(fresh_clone, block.body)
        assert result.returncode == 0, (
            f"README line {block.line} failed:\n{block.body}\n{result.stdout}\n{result.stderr}")
    imported = run_in(fresh_clone, ".venv/bin/flask --app wsgi routes >/dev/null && "
                      ".venv/bin/python -c 'import clinic; print(clinic.__file__)'")
    assert imported.stdout.strip() == str(fresh_clone / "clinic" / "__init__.py")
    assert list((fresh_clone / "instance").glob("liftclinic-*.sqlite")), "no backup written"


def test_in_the_checkout_the_flask_command_is_development(fresh_clone):
    result = run_in(fresh_clone, ".venv/bin/flask --app wsgi check-deploy")
    assert result.returncode == 1
    assert "LIFTCLINIC_ENV is 'development'" in result.stderr


def test_a_deployment_never_picks_up_the_checkout_default(fresh_clone):
    key = secrets.token_urlsafe(48)
    result = run_in(fresh_clone, ".venv/bin/flask --app wsgi check-deploy", SECRET_KEY=key)
    assert "LIFTCLINIC_ENV" not in result.stderr  # production: only the deployment's gaps
    assert "BASE_URL" in result.stderr
    refused = run_in(fresh_clone, ".venv/bin/flask --app wsgi audit verify",
                     DATABASE_URL=f"sqlite:///{fresh_clone / 'elsewhere.sqlite'}")
    assert refused.returncode != 0
    assert "SECRET_KEY is required" in refused.stderr


def test_the_readme_links_lead_to_files_of_the_repository():
    text = README.read_text()
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    relative = [link for link in links if "://" not in link and not link.startswith("mailto:")]
    assert relative
    for link in relative:
        assert (PROJECT / link).exists(), f"README links to {link}, which is not there"
    assert "shared/" not in text, "the README points outside the repository"


def tree_block():
    (block,) = [block for block in readme_blocks() if block.marker == "tree"]
    return block.body


def tree_names(prefix):
    """Names the tree shows at one indentation (``clinic/`` children: two spaces)."""
    names = set()
    for line in tree_block().splitlines():
        if line.startswith(prefix) and not line.startswith(prefix + " "):
            head = re.match(r"[\w./-]+(?:, [\w./-]+)*", line[len(prefix):]).group(0)
            names |= set(head.split(", "))
    return names


def test_the_architecture_tree_matches_the_packages():
    shown = tree_names("  ")
    there = {f"{path.name}/" for path in (PROJECT / "clinic").iterdir()
             if (path.is_dir() and (path / "__init__.py").exists()) or path.name == "static"}
    there |= {path.name for path in (PROJECT / "clinic").glob("*.py")
              if path.name != "__init__.py"}
    assert sorted(there - shown) == [], "in clinic/ but not in the README's tree"
    assert sorted(shown - there) == [], "in the README's tree but not in clinic/"


def test_the_architecture_tree_matches_the_top_level():
    shown = tree_names("")
    for name in shown:
        assert (PROJECT / name.rstrip("/")).exists(), f"the README's tree shows {name}"
    for needed in ("clinic/", "templates/", "migrations/", "tests/", "wsgi.py", "docs/"):
        assert needed in shown


def test_the_architecture_tree_names_every_template_folder():
    text = tree_block()
    templates = text[text.index("\ntemplates/"):text.index("\nmigrations/")]
    shown = set(re.findall(r"\b([a-z_]+)/", templates)) - {"templates"}
    there = {path.name for path in (PROJECT / "templates").iterdir() if path.is_dir()}
    assert shown == there
