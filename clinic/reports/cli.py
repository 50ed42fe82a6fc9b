"""``flask reports export``: every active patient's progress report, rendered in parallel.

One WeasyPrint render uses one core, so the batch runs one worker process per core. Where the
system can fork (Linux, the BSDs), the workers are forked from this process after it has warmed
WeasyPrint up (fonts, caches) and frozen what is alive: each starts warm in milliseconds, shares
those pages copy-on-write, and opens its own database connections. Elsewhere (macOS, Windows:
spawn) each worker builds its own app from the configuration and warms up once. A patient
that fails is reported at the end and makes the exit status non-zero; the others are still
written.

Audit: with ``--clinician EMAIL`` the batch exports that clinician's active patients (their
scope, as on their dashboard) and each file is audited as exported by the system on their
behalf (``actor_kind`` system, ``detail.batch``, ``detail.requested_by`` their user id); with
``--clinic NAME``, every active patient of that clinic. The audit event is written once the
file is on disk, so a failed patient leaves no event.
"""

import gc
import multiprocessing
import os
import pickle
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from clinic.auth.models import Clinic, User
from clinic.extensions import db

reports_cli = AppGroup("reports", help="Progress reports: batch export.")

_worker_app = None


def _picklable_config(config):
    """The settings a worker needs to build the same app (everything that pickles)."""
    settings = {}
    for key, value in config.items():
        if not key.isupper():
            continue
        try:
            pickle.dumps(value)
        except Exception:  # noqa: S112 (an object the factory rebuilds itself)
            continue
        settings[key] = value
    return settings


def _init_worker(settings):
    """A spawned worker: its own app, warmed up once (no per-render freeze: it leaked)."""
    global _worker_app
    from clinic.app import create_app

    _worker_app = create_app(settings)
    from clinic.reports.pdf import warm_up_and_freeze

    warm_up_and_freeze(_worker_app)


def _init_forked_worker():
    """A forked worker has the parent's warm app (``_worker_app``, set before the fork); only
    the database connections must be its own."""
    with _worker_app.app_context():
        db.engine.dispose(close=False)  # the parent's sockets stay the parent's


def _pool(workers, settings):
    """Forked warm workers where the system can fork, spawned ones elsewhere."""
    global _worker_app
    if "fork" in multiprocessing.get_all_start_methods():
        from clinic.reports.pdf import warm_up_and_freeze

        _worker_app = current_app._get_current_object()
        warm_up_and_freeze(_worker_app)  # once, here: every worker inherits it
        db.session.remove()
        db.engine.dispose()
        return ProcessPoolExecutor(max_workers=workers,
                                   mp_context=multiprocessing.get_context("fork"),
                                   initializer=_init_forked_worker)
    return ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("spawn"),
                               initializer=_init_worker, initargs=(settings,))


def export_one(patient_id, out_dir, requested_by=None):
    """Render, write and audit one patient's report in this worker; the file's path."""
    from clinic.reports import services

    with _worker_app.app_context():
        try:
            patient, period, export = services.export_report_pdf_as_system(patient_id)
            path = Path(out_dir) / export.filename
            path.write_bytes(export.body)
            services.audit_system_export(patient, period, export, requested_by)
            return str(path)
        finally:
            db.session.remove()


@reports_cli.command("export")
@click.option("--clinician", "email", help="Export this clinician's active patients.")
@click.option("--clinic", "clinic_name", help="Export every active patient of this clinic.")
@click.option("--out", "out_dir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the PDF files (created if missing).")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Worker processes (default: one per core).")
@with_appcontext
def export_command(email, clinic_name, out_dir, workers):
    """Render every active patient's progress report (current episode of care) to PDF files."""
    if bool(email) == bool(clinic_name):
        raise click.UsageError("Give exactly one of --clinician EMAIL or --clinic NAME.")
    from clinic.reports.services import active_patient_ids

    if email:
        user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
        if user is None or not user.active:
            raise click.UsageError(f"No active clinician with the email {email}.")
        ids, requested_by = active_patient_ids(clinician=user), user.id
    else:
        clinic = db.session.scalar(sa.select(Clinic).where(Clinic.name == clinic_name))
        if clinic is None:
            raise click.UsageError(f"No clinic named {clinic_name}.")
        ids, requested_by = active_patient_ids(clinic_id=clinic.id), None
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = _picklable_config(current_app.config)
    db.session.remove()
    workers = min(workers or os.cpu_count() or 1, max(len(ids), 1))
    failures = []
    try:
        with _pool(workers, settings) as pool:
            futures = {pool.submit(export_one, patient_id, str(out_dir), requested_by): patient_id
                       for patient_id in ids}
            with click.progressbar(length=len(ids), label="Exporting reports") as bar:
                for future in as_completed(futures):
                    try:
                        future.result()
                    except Exception as error:
                        failures.append((futures[future], f"{type(error).__name__}: {error}"))
                    bar.update(1)
    finally:
        # The freeze was for the forked workers; the calling process (a test, a shell) gets
        # its collector back as it was.
        gc.unfreeze()
    written = len(ids) - len(failures)
    click.echo(f"{written} of {len(ids)} report(s) written to {out_dir}.")
    if failures:
        for patient_id, reason in sorted(failures):
            click.echo(f"failed: patient {patient_id}: {reason}", err=True)
        raise SystemExit(1)
