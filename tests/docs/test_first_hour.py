"""Issue 19: two commands on a fresh machine. `make run` installs only what serving needs and
serves links on its own port; `make test` installs the test extras, the system packages
(scripts/system_packages.py, shared with .ci/run) and a private Redis (scripts/with_redis.py).
The system-package decisions are checked in dry-run mode: nothing is installed here."""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT / "scripts" / "system_packages.py"
MAKE = shutil.which("make") or "make"


def run(argv, **options):
    """A fixed command of this test file, in the project folder."""
    options.setdefault("cwd", PROJECT)
    return subprocess.run(argv, capture_output=True, text=True,  # noqa: S603 (fixed argv)
                          **{"check": False, **options})


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, PROJECT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


system_packages = load_script("system_packages")


def make_dry_run(*args, **environ):
    """What make would run (-n), as if pyproject.toml had just changed (-W): every step."""
    # (Under `make test` the suite inherits MAKELEVEL and MAKEFLAGS: a nested make would
    # announce "Entering directory" around its steps.)
    env = {key: value for key, value in os.environ.items()
           if key not in ("PORT", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    result = run([MAKE, "--no-print-directory", "-n", "-W", "pyproject.toml", *args],
                 env={**env, **environ},
                 check=True)
    return result.stdout


def test_make_run_installs_the_app_without_the_test_extras_and_serves_on_port():
    steps = make_dry_run("run", "PORT=5101")
    assert "pip install --quiet -e .\n" in steps
    assert "[test]" not in steps
    assert "flask --app wsgi db upgrade" in steps and "flask --app wsgi seed-demo" in steps
    # The web server and one worker together (scripts/run_demo.py, tests/work/test_run_demo.py).
    assert steps.rstrip().endswith("python scripts/run_demo.py --port 5101")
    assert "--port 5102" in make_dry_run("run", PORT="5102")


def test_make_test_adds_the_test_extras_system_packages_and_a_private_redis():
    steps = make_dry_run("test")
    assert "pip install --quiet -e '.[test]'" in steps
    assert "scripts/system_packages.py" in steps
    assert "scripts/with_redis.py .venv/bin/python -m pytest" in steps


def test_make_run_exports_port_so_the_app_builds_its_links_on_it():
    """The recipe's environment carries PORT and development (config: BASE_URL follows)."""
    out = run([MAKE, "-s", "--eval", "show-env: ; @echo $$PORT $$LIFTCLINIC_ENV", "show-env",
               "PORT=5101"], check=True, env={k: v for k, v in os.environ.items()
                                              if k not in ("PORT", "LIFTCLINIC_ENV")}).stdout
    assert out.split() == ["5101", "development"]


@pytest.mark.parametrize(("missing", "debian", "root", "action"), [
    ([], True, True, "ok"),
    ([], False, False, "ok"),
    (["chromium", "redis-server"], True, True, "install"),
    (["chromium"], True, False, "stop"),
    (["libpango-1.0-0"], False, True, "stop"),
])
def test_the_system_package_decision(missing, debian, root, action):
    decided, commands, message = system_packages.decide(missing, debian=debian, root=root)
    assert decided == action
    if action == "install":
        assert commands[-1].endswith("apt-get install -y -qq chromium redis-server")
    if action == "stop":
        assert not commands
        assert " ".join(missing) in message
    if action == "stop" and debian:
        assert f"sudo apt-get install -y {' '.join(missing)}" in message


def test_what_is_needed_follows_what_the_environment_provides():
    everything = system_packages.needed_packages({}, with_postgresql=True)
    assert {"chromium", "redis-server", "postgresql", "libharfbuzz-subset0"} <= set(everything)
    provided = system_packages.needed_packages(
        {"CHROMIUM_PATH": "/opt/chromium", "TEST_REDIS_URL": "redis://127.0.0.1:7000/0"})
    assert "chromium" not in provided and "redis-server" not in provided
    assert "postgresql" not in provided


def run_script(*args):
    return run([sys.executable, str(SCRIPT), "--dry-run", *args])


def test_dry_run_as_root_on_debian_prints_the_install_and_changes_nothing():
    result = run_script("--missing", "chromium redis-server", "--os", "debian", "--user", "root")
    assert result.returncode == 0
    assert "would run: DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium " \
           "redis-server" in result.stdout


def test_without_root_or_off_debian_it_stops_before_the_tests_with_the_command():
    result = run_script("--missing", "chromium", "--os", "debian", "--user", "other")
    assert result.returncode == 1
    assert "sudo apt-get install -y chromium" in result.stderr
    result = run_script("--missing", "chromium", "--os", "other", "--user", "root")
    assert result.returncode == 1
    assert "CHROMIUM_PATH" in result.stderr and "would run" not in result.stdout


def test_this_machine_has_what_the_suite_needs():
    """The real probe (no override): the suite runs here, so nothing may be missing."""
    result = run([sys.executable, str(SCRIPT), "--dry-run"])
    assert (result.returncode, result.stdout.strip()) == (0, "system-packages: ok")


def test_with_redis_starts_a_private_server_and_stops_it():
    probe = ("import os, redis; url = os.environ['TEST_REDIS_URL']; "
             "assert not url.endswith(':6379/0'), url; "
             "print(url); print(redis.Redis.from_url(url).ping())")
    env = {key: value for key, value in os.environ.items() if key != "TEST_REDIS_URL"}
    result = run([sys.executable, str(PROJECT / "scripts" / "with_redis.py"),
                  sys.executable, "-c", probe], env=env, check=True)
    url, pong = result.stdout.split()
    assert pong == "True"
    import redis

    with pytest.raises(redis.exceptions.ConnectionError):
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()


def test_with_redis_keeps_a_given_server_and_passes_the_exit_status():
    env = dict(os.environ, TEST_REDIS_URL="redis://127.0.0.1:1/0")
    result = run([sys.executable, str(PROJECT / "scripts" / "with_redis.py"), sys.executable,
                  "-c", "import os, sys; print(os.environ['TEST_REDIS_URL']); sys.exit(3)"],
                 env=env)
    assert (result.returncode, result.stdout.strip()) == (3, "redis://127.0.0.1:1/0")
