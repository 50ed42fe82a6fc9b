"""The boot warm-up renders a made-up patient's report in a transaction it rolls back: it
stores nothing, reads no real record, counts no render, and never stops a start."""

import logging

import sqlalchemy as sa
from conftest import make_config

from clinic.app import create_app
from clinic.audit.models import AuditEvent
from clinic.auth.models import Clinic
from clinic.extensions import db
from clinic.patients.models import Episode, Patient
from clinic.reports import pdf, services


def test_the_report_warm_up_leaves_no_row_and_no_render_behind(app, record):
    before = pdf.renders_in_process()
    rows = {model: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Clinic, Patient, Episode, AuditEvent)}
    db.session.commit()
    services.warm_up_report(app)
    assert pdf.renders_in_process() == before
    assert {model: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in rows} == rows


def test_without_a_usable_database_the_warm_up_is_skipped_with_a_warning(tmp_path, caplog):
    app = create_app(make_config(f"sqlite:///{tmp_path / 'missing' / 'none.sqlite'}"))
    with caplog.at_level(logging.WARNING):
        services.warm_up_report(app)
    assert "report warm-up skipped: OperationalError" in caplog.text


def test_another_flask_app_under_our_gunicorn_settings_gets_only_weasyprint_warmed(tmp_path):
    """The benchmarks' baselines run under gunicorn.conf.py too: no report of ours for them."""
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    other = Flask("baseline")
    other.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'other.sqlite'}"
    SQLAlchemy(other)
    assert not pdf._is_liftclinic(other)
    pdf.warm_up_and_freeze(other)  # raised "app not registered with this SQLAlchemy" before
    assert pdf._is_liftclinic(create_app(make_config(f"sqlite:///{tmp_path / 'ours.sqlite'}")))
