"""``flask reports export``: every active patient's progress report, as a resumable batch.

The export is a batch in the database (clinic/reports/batch.py): one item per patient, each
claimed, rendered, stored and audited by one worker. By default this command renders the items
itself: one WeasyPrint render uses one core, so it runs one worker process per core. Where the
system can fork (Linux, the BSDs), the workers are forked from this process after it has warmed
WeasyPrint up (fonts, caches) and frozen what is alive: each starts warm in milliseconds (no
import of the app), shares those pages copy-on-write, and opens its own database connections.
Elsewhere (macOS, Windows: spawn) each worker builds its own app and warms up once. A patient
that fails is reported at the end and makes the exit status non-zero; the others are still
written, and ``--resume BATCH_ID`` renders what is missing (never a done report again).
``--enqueue`` only creates the batch and wakes the queue workers (``flask worker``, any
machine), which write to the shared store; ``flask reports status BATCH_ID`` shows progress.

Audit: with ``--clinician EMAIL`` the batch exports that clinician's active patients (their
scope, as on their dashboard) and each file is audited as exported by the system on their
behalf (``actor_kind`` system, ``detail.batch``, ``detail.requested_by`` their user id); with
``--clinic NAME``, every active patient of that clinic. The audit event is written once the
file is stored, in the transaction that marks the item done, so a failed patient leaves no
event and a done one exactly one.
"""

import gc
import multiprocessing
import os
import pickle
import socket
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from clinic.auth.models import Clinic, User
from clinic.database import utcnow
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


def export_one(item_id, worker_id, retry_failed=False):
    """One batch item in this worker: claimed, rendered, stored, audited; its outcome."""
    from clinic.reports.batch import process_item

    with _worker_app.app_context():
        try:
            return process_item(item_id, now=utcnow(), worker_id=f"{worker_id}:{os.getpid()}",
                                retry_failed=retry_failed)
        finally:
            db.session.remove()


def _scope(email, clinic_name):
    """(clinic id, patient ids, requested_by) of ``--clinician`` or ``--clinic``."""
    from clinic.reports.services import active_patient_ids

    if bool(email) == bool(clinic_name):
        raise click.UsageError("Give exactly one of --clinician EMAIL or --clinic NAME.")
    if email:
        user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
        if user is None or not user.active:
            raise click.UsageError(f"No active clinician with the email {email}.")
        return user.clinic_id, active_patient_ids(clinician=user), user.id
    clinic = db.session.scalar(sa.select(Clinic).where(Clinic.name == clinic_name))
    if clinic is None:
        raise click.UsageError(f"No clinic named {clinic_name}.")
    return clinic.id, active_patient_ids(clinic_id=clinic.id), None


def _batch_or_usage_error(batch_id):
    from clinic.errors import NotFound
    from clinic.reports.batch import get_batch

    try:
        return get_batch(batch_id)
    except NotFound:
        raise click.UsageError(f"No report batch {batch_id}.") from None


def _process(batch_id, item_ids, workers, settings, retry_failed):
    """Run the items in warm worker processes; [(item id, error)] of those whose worker
    process died (a failed render is on its item's row)."""
    failed = []
    worker_base = f"{socket.gethostname()}:export-{batch_id}"
    try:
        with _pool(workers, settings) as pool:
            futures = {pool.submit(export_one, item_id, worker_base, retry_failed): item_id
                       for item_id in item_ids}
            with click.progressbar(length=len(item_ids), label="Exporting reports") as bar:
                for future in as_completed(futures):
                    try:
                        future.result()
                    except Exception as error:  # the worker process itself died
                        failed.append((futures[future], f"{type(error).__name__}: {error}"))
                    bar.update(1)
    finally:
        # The freeze was for the forked workers; the calling process (a test, a shell) gets
        # its collector back as it was.
        gc.unfreeze()
    return failed


@reports_cli.command("export")
@click.option("--clinician", "email", help="Export this clinician's active patients.")
@click.option("--clinic", "clinic_name", help="Export every active patient of this clinic.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the PDF files (created if missing; default REPORTS_DIR). The "
                   "files go in its subfolder batch-<id>.")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Worker processes (default: one per core).")
@click.option("--resume", "resume_id", type=int, default=None, metavar="BATCH_ID",
              help="Carry on with this batch: done reports are kept, the rest (failed ones "
                   "too) rendered.")
@click.option("--enqueue", is_flag=True,
              help="Only create the batch and wake the queue workers (flask worker).")
@with_appcontext
def export_command(email, clinic_name, out_dir, workers, resume_id, enqueue):
    """Render every active patient's progress report (current episode of care) to PDF files.

    The export is a batch (one item per patient) kept in the database: a run that stops
    half-way is finished with --resume BATCH_ID, and `flask reports status BATCH_ID` shows
    its progress.
    """
    from clinic.reports.batch import create_batch, failures, folder_of, unfinished_item_ids

    if resume_id is not None:
        if email or clinic_name or enqueue or out_dir:
            raise click.UsageError("--resume takes no scope, --out or --enqueue: the batch "
                                   "has them.")
        batch = _batch_or_usage_error(resume_id)
        batch_id = batch.id
    else:
        clinic_id, ids, requested_by = _scope(email, clinic_name)
        if enqueue and out_dir:
            raise click.UsageError("--enqueue writes to the shared store (REPORTS_DIR) that "
                                   "the queue workers use; leave out --out.")
        batch_id = create_batch(clinic_id=clinic_id, patient_ids=ids, requested_by=requested_by,
                                out_dir=out_dir.resolve() if out_dir else None, wake=enqueue)
        if enqueue:
            click.echo(f"Batch {batch_id}: {len(ids)} report(s) queued; "
                       f"`flask reports status {batch_id}` shows progress.")
            return
    item_ids = unfinished_item_ids(batch_id, retry_failed=resume_id is not None)
    settings = _picklable_config(current_app.config)
    db.session.remove()
    if item_ids:
        workers = min(workers or os.cpu_count() or 1, len(item_ids))
        for item_id, error in _process(batch_id, item_ids, workers, settings,
                                       retry_failed=resume_id is not None):
            click.echo(f"worker lost: item {item_id}: {error}", err=True)
    batch = _batch_or_usage_error(batch_id)
    click.echo(f"{batch.done} of {batch.total} report(s) written to {folder_of(batch)} "
               f"(batch {batch.id}).")
    failed = failures(batch.id)
    if failed or batch.done + batch.failed < batch.total:
        for patient_id, error_class in failed:
            click.echo(f"failed: patient {patient_id}: {error_class}", err=True)
        if batch.done + batch.failed < batch.total:
            click.echo(f"{batch.total - batch.done - batch.failed} report(s) not finished "
                       "(another worker holds them, or a worker was lost).", err=True)
        click.echo(f"To retry: flask reports export --resume {batch.id}", err=True)
        raise SystemExit(1)


@reports_cli.command("status")
@click.argument("batch_id", type=int)
@with_appcontext
def status_command(batch_id):
    """Show a batch export's progress: done, failed and total reports."""
    from clinic.reports.batch import failures, folder_of, progress_line

    batch = _batch_or_usage_error(batch_id)
    click.echo(progress_line(batch))
    click.echo(f"files: {folder_of(batch)}")
    for patient_id, error_class in failures(batch.id):
        click.echo(f"failed: patient {patient_id}: {error_class}")
