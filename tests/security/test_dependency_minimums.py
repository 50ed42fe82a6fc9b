"""Dependency floors: pyproject.toml may not allow, and the environment may not hold, a version
with a known vulnerability that matters to us. pip-audit cannot reach its databases offline
(shared/SECURITY.md §17), so the minimums are written here, each with its reason; raise one
when an advisory names a newer fixed version.
"""

import importlib.metadata
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

PROJECT = Path(__file__).resolve().parents[2]

MINIMUMS = {
    # 61.2, 68.0, 69.0 (CVE-2026-49452) and 70.0 each fixed a url_fetcher bypass or an
    # injection through report HTML/CSS (local file read, SSRF).
    "weasyprint": "70.0",
    # CVE-2026-27205 (3.1.3): `in session` did not set Vary: Cookie, so a caching proxy could
    # serve one clinician's page to another; CVE-2025-47278 (3.1.1): SECRET_KEY_FALLBACKS
    # signed with a stale key.
    "flask": "3.1.3",
    # CVE-2026-27199 (3.1.6), CVE-2026-21860 (3.1.5), CVE-2025-66221 (3.1.4): safe_join let
    # Windows device names through send_from_directory; 3.0.6 fixed multipart exhaustion
    # (CVE-2024-49767).
    "werkzeug": "3.1.6",
    # CVE-2025-27516 (3.1.6) and CVE-2024-56326/56201 (3.1.5): sandbox escapes.
    "jinja2": "3.1.6",
    # CVE-2024-12797 (44.0.1): the OpenSSL statically linked into the wheels (RPK auth bypass).
    "cryptography": "44.0.1",
    # CVE-2024-1135 (22.0.0) and CVE-2024-6827 (23.0.0): request smuggling via
    # Transfer-Encoding, which can reach endpoints a proxy was meant to block.
    "gunicorn": "23.0.0",
}


def declared():
    """{name: Requirement} of the project's runtime dependencies."""
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(line) for line in project["dependencies"]]
    return {r.name.lower(): r for r in requirements}


def lowest_allowed(requirement):
    """The lower bound the specifier sets, or None when it sets none."""
    bounds = [Version(s.version) for s in requirement.specifier
              if s.operator in (">=", "==", "~=", "===")]
    bounds += [Version(s.version) for s in requirement.specifier if s.operator == ">"]
    return max(bounds) if bounds else None


@pytest.mark.parametrize("name", sorted(MINIMUMS))
def test_pyproject_allows_no_version_below_the_security_minimum(name):
    requirements = declared()
    assert name in requirements, f"{name} has a security minimum: declare it in pyproject.toml"
    lowest = lowest_allowed(requirements[name])
    assert lowest is not None, f"{name} has no lower bound"
    assert lowest >= Version(MINIMUMS[name]), (
        f"{name}: pyproject allows {lowest}, the minimum is {MINIMUMS[name]}")


@pytest.mark.parametrize("name", sorted(MINIMUMS))
def test_the_installed_version_is_not_below_the_minimum(name):
    installed = Version(importlib.metadata.version(name))
    assert installed >= Version(MINIMUMS[name]), f"{name} {installed} is installed"


def test_the_check_refuses_a_low_bound():
    """The rule itself: a floor below the minimum (or none) is caught."""
    assert lowest_allowed(Requirement("flask>=3.1,<3.2")) < Version(MINIMUMS["flask"])
    assert lowest_allowed(Requirement("flask<3.2")) is None
    assert lowest_allowed(Requirement("jinja2>=3.1.6,<3.2")) == Version("3.1.6")
