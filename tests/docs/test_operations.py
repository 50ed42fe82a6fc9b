"""docs/operations.md and docs/deploy/ stay true: every environment variable the code reads is
documented, the settings table is what scripts/config_table.py generates from clinic/config.py,
and the systemd unit and nginx example pass `flask check-deploy`'s rules where they overlap."""

import importlib.util
import re
import secrets
from pathlib import Path

from clinic import config
from clinic.security import deploycheck

PROJECT = Path(__file__).resolve().parents[2]
OPERATIONS = PROJECT / "docs" / "operations.md"
UNIT = PROJECT / "docs" / "deploy" / "liftclinic.service"
WORKER_UNIT = PROJECT / "docs" / "deploy" / "liftclinic-worker.service"
PROCFILE = PROJECT / "Procfile"
NGINX = PROJECT / "docs" / "deploy" / "nginx.conf"

spec = importlib.util.spec_from_file_location("config_table",
                                              PROJECT / "scripts" / "config_table.py")
config_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(config_table)


def code_variables():
    """Every environment variable read: by from_env (asked), and by name elsewhere."""
    names = set(config_table.environment_variables())
    sources = [*(PROJECT / "clinic").rglob("*.py"), PROJECT / "gunicorn.conf.py"]
    pattern = re.compile(r"""(?:environ\.get\(|environ\[|envvar=|getenv\()\s*["']([A-Z_]+)["']""")
    for source in sources:
        names |= set(pattern.findall(source.read_text()))
    return names


def documented_variables():
    text = OPERATIONS.read_text()
    section = text[text.index("## Environment variables"):text.index("## Every setting")]
    return set(re.findall(r"^\| `([A-Z_]+)` \|", section, re.MULTILINE))


def test_every_environment_variable_the_code_reads_is_documented():
    code, documented = code_variables(), documented_variables()
    assert {"SECRET_KEY", "DATABASE_URL", "WEB_CONCURRENCY", "DEMO_PASSWORD"} <= code
    assert sorted(code - documented) == [], "read by the code, missing in docs/operations.md"
    assert sorted(documented - code) == [], "documented, but the code never reads it"


def test_the_settings_table_is_generated_from_config():
    text = OPERATIONS.read_text()
    assert config_table.replace_in(text, config_table.table()) == text, (
        "docs/operations.md is out of date: run python scripts/config_table.py --write")
    for setting in config.DEFAULTS:
        assert f"| `{setting}` |" in text


def test_the_generator_finds_a_new_variable():
    """The table is not a copy: a setting read from the environment shows with its variable."""
    assert "| `SQLALCHEMY_DATABASE_URI` | `sqlite:///<project>/instance/liftclinic.sqlite` | " \
           "`DATABASE_URL` |" in config_table.table()
    assert config_table.variables_by_setting()["ENV_NAME"] == [
        "LIFTCLINIC_ENV", "LIFTCLINIC_DEFAULT_ENV"]


def unit_environment(unit=UNIT):
    return dict(line.split("=", 1)[1].split("=", 1)
                for line in unit.read_text().splitlines() if line.startswith("Environment="))


def test_the_worker_unit_runs_flask_worker_with_the_web_units_settings():
    """Same secrets file, same public address; check-deploy first; stopped by SIGTERM (the
    worker finishes its job), restarted always."""
    web, worker = unit_environment(), unit_environment(WORKER_UNIT)
    assert {name: worker[name] for name in ("LIFTCLINIC_ENV", "BASE_URL")} == {
        name: web[name] for name in ("LIFTCLINIC_ENV", "BASE_URL")}
    secrets_file = {"SECRET_KEY": secrets.token_urlsafe(48),
                    "DATABASE_URL": "postgresql://liftclinic_app@db.internal/liftclinic",
                    "REDIS_URL": "redis://127.0.0.1:6379/0"}
    settings = config.build(environ={**worker, **secrets_file})
    assert deploycheck.problems(settings, deploycheck.configured_workers(worker)) == []
    text = WORKER_UNIT.read_text()
    assert "EnvironmentFile=/etc/liftclinic/env" in text and "KillSignal=SIGTERM" in text
    assert text.index("ExecStartPre=/srv/liftclinic/.venv/bin/flask --app wsgi check-deploy") < \
        text.index("ExecStart=/srv/liftclinic/.venv/bin/flask --app wsgi worker\n")


def test_the_procfile_names_the_web_and_worker_processes():
    processes = dict(line.split(": ", 1) for line in PROCFILE.read_text().splitlines()
                     if line and not line.startswith("#"))
    assert processes == {"web": "gunicorn -c gunicorn.conf.py wsgi:app",
                         "worker": "flask --app wsgi worker"}


def test_the_systemd_unit_passes_check_deploy_with_its_secrets():
    """The unit's settings plus what its EnvironmentFile holds: no problem check-deploy knows."""
    environ = unit_environment()
    secrets_file = {"SECRET_KEY": secrets.token_urlsafe(48),
                    "DATABASE_URL": "postgresql://liftclinic_app@db.internal/liftclinic",
                    "REDIS_URL": "redis://127.0.0.1:6379/0"}
    settings = config.build(environ={**environ, **secrets_file})
    workers = deploycheck.configured_workers(environ)
    assert workers == 2
    assert deploycheck.problems(settings, workers) == []
    # and the unit refuses to start when they are not (check-deploy before gunicorn)
    text = UNIT.read_text()
    assert text.index("ExecStartPre=/srv/liftclinic/.venv/bin/flask --app wsgi check-deploy") < \
        text.index("ExecStart=/srv/liftclinic/.venv/bin/gunicorn -c gunicorn.conf.py wsgi:app")
    for name in ("SECRET_KEY", "AUDIT_KEY", "MFA_ENCRYPTION_KEY", "DATABASE_URL", "REDIS_URL"):
        assert name in text, f"the unit's comment should name {name} for the EnvironmentFile"


def test_without_its_secrets_the_unit_would_be_refused():
    settings = config.build({"SECRET_KEY": secrets.token_urlsafe(48)},
                            environ=unit_environment())
    found = deploycheck.problems(settings, 2)
    assert any("rate limits are kept in memory" in line for line in found)
    assert any("SQLite with 2 workers" in line for line in found)


def nginx_servers():
    return re.findall(r"server \{(.*?)\n\}", NGINX.read_text(), re.DOTALL)


def test_nginx_serves_https_only_for_the_units_base_url():
    base_url = unit_environment()["BASE_URL"]
    host = base_url.removeprefix("https://")
    plain, tls = nginx_servers()
    assert "listen 80;" in plain and "return 301 https://$host$request_uri;" in plain
    assert "proxy_pass" not in plain
    assert re.search(r"listen 443 ssl;", tls)
    assert f"server_name {host};" in plain and f"server_name {host};" in tls


def test_nginx_is_the_one_trusted_proxy_and_reaches_gunicorn():
    environ = unit_environment()
    (_plain, tls) = nginx_servers()
    assert environ["TRUSTED_PROXY_HOPS"] == "1"
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in tls
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in tls
    assert f"proxy_pass http://{environ['GUNICORN_BIND']};" in tls


def test_nginx_refuses_bodies_the_app_would_refuse_and_logs_no_token():
    text = NGINX.read_text()
    size = re.search(r"client_max_body_size (\d+)m;", text)
    assert int(size.group(1)) * 1024 * 1024 <= config.DEFAULTS["MAX_CONTENT_LENGTH"]
    log_format = text[text.index("log_format"):text.index(";", text.index("log_format"))]
    for raw in ("$request ", "$request\"", "$request_uri", "$uri", "$args", "$query_string"):
        assert raw not in log_format, f"the access log would hold patient-link tokens ({raw})"
    assert "access_log /var/log/nginx/liftclinic.access.log liftclinic;" in text
