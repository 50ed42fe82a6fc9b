#!/usr/bin/env python3
"""The system packages LiftClinic's test suite needs, installed where that is safe to do.

`make test` and `.ci/run` both run this before the first test. It finds what is missing
(Debian's Chromium for the browser tests, WeasyPrint's libraries and fonts for the PDF
reports, redis-server for the shared rate-limit test, and with ``--with-postgresql`` the
PostgreSQL server and client that `.ci/run` adds), then:

- nothing missing: says nothing and exits 0;
- Debian or Ubuntu, as root: installs them with apt-get (what `.ci/run` always did);
- anywhere else (not root, or not Debian): installs nothing and stops (exit 1) with the one
  command to run, so the suite never starts half-equipped.

``--dry-run`` prints the decision and the commands without running them; ``--missing``,
``--os`` and ``--user`` replace what the script would find out, so the tests can check every
decision on any machine (tests/docs/test_system_packages.py). Standard library only: it runs
before the virtualenv has anything in it.
"""

import argparse
import ctypes.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

# Debian package -> how to tell it is there without dpkg (macOS and other Linuxes).
WEASYPRINT_PACKAGES = {
    "libpango-1.0-0": ("library", "pango-1.0"),
    "libpangoft2-1.0-0": ("library", "pangoft2-1.0"),
    # HarfBuzz's subsetter: without it WeasyPrint falls back to slower font subsetting.
    "libharfbuzz-subset0": ("library", "harfbuzz-subset"),
    "fonts-dejavu-core": ("file", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
}
CHROMIUM = "chromium"
REDIS = "redis-server"
POSTGRESQL = ("postgresql", "postgresql-client")


def needed_packages(environ, with_postgresql=False):
    """The Debian packages the suite needs here; the environment can provide some itself."""
    packages = []
    if with_postgresql:
        packages += POSTGRESQL
    if not environ.get("CHROMIUM_PATH"):  # the browser tests use CHROMIUM_PATH when set
        packages.append(CHROMIUM)
    if not environ.get("TEST_REDIS_URL"):  # a Redis of your own: no private one is started
        packages.append(REDIS)
    packages += WEASYPRINT_PACKAGES
    return packages


def is_debian():
    """Debian, Ubuntu and their derivatives (apt-get and dpkg are there)."""
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return False
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    names = " ".join(fields.get(key, "").strip('"') for key in ("ID", "ID_LIKE")).split()
    return bool({"debian", "ubuntu"} & set(names)) and shutil.which("dpkg") is not None


def is_installed(package, debian):
    """Whether ``package`` (a Debian name) is present: dpkg on Debian, a probe elsewhere."""
    if package in POSTGRESQL:  # any version's server and client (.ci/run starts the cluster)
        return shutil.which("pg_isready") is not None
    if debian:
        if package == CHROMIUM:  # tests/e2e launch /usr/bin/chromium
            return Path("/usr/bin/chromium").exists()
        found = subprocess.run(["dpkg", "-s", package],  # noqa: S603, S607 (dpkg from PATH)
                               capture_output=True, check=False)
        return found.returncode == 0
    if package == CHROMIUM:
        return any(shutil.which(name) for name in ("chromium", "chromium-browser"))
    if package == REDIS:
        return shutil.which("redis-server") is not None
    kind, name = WEASYPRINT_PACKAGES[package]
    return (ctypes.util.find_library(name) is not None if kind == "library"
            else Path(name).exists())


def decide(missing, *, debian, root):
    """What to do about ``missing`` packages: (action, commands, message). Pure.

    ``install`` runs the commands; ``stop`` prints the message (with the one command to run)
    and fails; ``ok`` does nothing.
    """
    if not missing:
        return "ok", [], ""
    names = " ".join(missing)
    install = ["apt-get update -qq",
               f"DEBIAN_FRONTEND=noninteractive apt-get install -y -qq {names}"]
    if debian and root:
        return "install", install, f"installing the system packages the tests need: {names}"
    if debian:
        return "stop", [], (f"the tests need system packages that are not installed: {names}\n"
                            f"run this once, then `make test` again:\n\n"
                            f"    sudo apt-get install -y {names}\n")
    return "stop", [], (
        f"the tests need system packages that are not installed (Debian names): {names}\n"
        "this is not Debian or Ubuntu, so nothing is installed for you; with Homebrew:\n\n"
        "    brew install pango harfbuzz redis && brew install --cask chromium\n\n"
        "then set CHROMIUM_PATH to the Chromium binary and run `make test` again.\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-postgresql", action="store_true",
                        help="also the PostgreSQL server and client (.ci/run)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the decision and the commands, change nothing")
    parser.add_argument("--missing", help="take these packages (space-separated) as missing "
                        "instead of looking (tests)")
    parser.add_argument("--os", choices=("debian", "other"), help="instead of /etc/os-release")
    parser.add_argument("--user", choices=("root", "other"), help="instead of the real uid")
    args = parser.parse_args(argv)

    debian = is_debian() if args.os is None else args.os == "debian"
    root = os.geteuid() == 0 if args.user is None else args.user == "root"
    if args.missing is None:
        missing = [package for package in needed_packages(os.environ, args.with_postgresql)
                   if not is_installed(package, debian)]
    else:
        missing = args.missing.split()
    action, commands, message = decide(missing, debian=debian, root=root)
    if args.dry_run:
        print(f"system-packages: {action}" + (f" ({' '.join(missing)})" if missing else ""))
        for command in commands:
            print(f"would run: {command}")
    if message:
        print(f"system-packages: {message}", file=sys.stderr if action == "stop" else sys.stdout)
    if action == "stop":
        return 1
    if action == "install" and not args.dry_run:
        for command in commands:
            subprocess.run(command, shell=True, check=True)  # noqa: S602 (fixed commands)
    return 0


if __name__ == "__main__":
    sys.exit(main())
