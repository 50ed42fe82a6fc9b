"""The batch export as rows: one item per patient, rendered by whichever worker claims it.

A worker claims an item by a conditional UPDATE (``pending``, or ``rendering`` with an expired
lease: its worker died) that names it and sets a lease; renders the report; writes the file
through the store (clinic/reports/storage.py); then, in one transaction, marks the item done
(again conditionally: only if the claim is still its own) and writes the audit event, so the
event exists exactly when the done mark does. Two workers racing for an item never both win;
one that lost its claim (its lease ran out and another took over) writes no event.

Resuming after a crash renders nothing twice: a done item is never claimed again, and an item
whose file was stored before its worker died is finished from the stored file (its audit
event carries that file's SHA-256) instead of being rendered again.

A render takes a second or two; the lease (``LEASE``) is far longer, so a live worker does not
lose its item to a sweep. Queue workers call :func:`run_pending` (a sweep) and
:func:`run_item` (one item, after a wake-up); ``flask reports export`` calls
:func:`process_item` in its forked warm workers.
"""

import logging
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa

from clinic.database import utcnow, write_transaction
from clinic.errors import NotFound
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.reports import services
from clinic.reports.models import DONE, FAILED, PENDING, RENDERING, ReportBatch, ReportBatchItem
from clinic.reports.storage import FolderStorage, default_storage

LEASE = timedelta(minutes=5)
log = logging.getLogger(__name__)
_item = ReportBatchItem.__table__
_batch = ReportBatch.__table__


class Outcome(NamedTuple):
    """What one attempt at an item came to: ``state`` done, failed or skipped (not claimable:
    done already, or another worker holds it); ``error`` says why it failed."""

    state: str
    error: str | None = None


SKIPPED = "skipped"


# Creating a batch ------------------------------------------------------------------------------


@write_transaction
def create_batch(*, clinic_id, patient_ids, requested_by=None, out_dir=None, wake=False):
    """A batch of one pending item per patient; its id. With ``wake``, the queue workers are
    woken for each item once the batch is committed (their sweep finds them anyway)."""
    batch = ReportBatch(clinic_id=clinic_id, requested_by=requested_by, total=len(patient_ids),
                        out_dir=str(out_dir) if out_dir is not None else None,
                        state="running" if patient_ids else "finished")
    batch.items = [ReportBatchItem(patient_id=patient_id) for patient_id in patient_ids]
    db.session.add(batch)
    db.session.flush()
    if wake:
        from clinic.work.queue import wake_after_commit

        for item in batch.items:
            wake_after_commit("reports", item.id)
    return batch.id


def get_batch(batch_id):
    """The batch with ``batch_id``. :raises NotFound: there is none."""
    batch = db.session.get(ReportBatch, batch_id)
    if batch is None:
        raise NotFound("report batch")
    return batch


def unfinished_item_ids(batch_id, *, retry_failed=False):
    """The ids of the batch's items that are not done (and not failed, unless asked)."""
    states = [PENDING, RENDERING] + ([FAILED] if retry_failed else [])
    return list(db.session.scalars(sa.select(_item.c.id).where(
        _item.c.batch_id == batch_id, _item.c.state.in_(states)).order_by(_item.c.id)))


def failures(batch_id):
    """[(patient id, error class)] of the batch's failed items."""
    return [tuple(row) for row in db.session.execute(
        sa.select(_item.c.patient_id, _item.c.error_class).where(
            _item.c.batch_id == batch_id, _item.c.state == FAILED).order_by(_item.c.patient_id))]


def storage_of(batch):
    """Where a batch's files go: its ``--out`` folder, or the shared store."""
    return FolderStorage(batch.out_dir) if batch.out_dir else default_storage()


def item_key(batch, patient_id):
    """``batch-<id>/liftclinic-report-<patient>-<day the batch was made>.pdf``: the same key
    for every attempt, so a worker taking over finds what a dead one stored."""
    day = batch.created_at.astimezone(batch_zone(batch)).date()
    return f"batch-{batch.id}/" + services.filename("report", patient_id, day, "pdf")


def batch_zone(batch):
    from clinic.auth.models import Clinic

    return db.session.get(Clinic, batch.clinic_id).zone


# Claiming and finishing, each a conditional UPDATE ---------------------------------------------


def _claimable(now):
    return sa.or_(_item.c.state == PENDING,
                  sa.and_(_item.c.state == RENDERING, _item.c.claimed_until < now))


@write_transaction
def claim(item_id, *, now, worker_id, retry_failed=False):
    """True if ``worker_id`` now holds the item (it was pending, or its lease had expired; a
    failed one too with ``retry_failed``); False if it is done or another worker holds it."""
    values = {"state": RENDERING, "claimed_by": worker_id, "claimed_until": now + LEASE,
              "attempts": _item.c.attempts + 1, "error_class": None}
    taken = db.session.execute(sa.update(_item).where(
        _item.c.id == item_id, _claimable(now)).values(**values)).rowcount == 1
    if not taken and retry_failed:
        taken = db.session.execute(sa.update(_item).where(
            _item.c.id == item_id, _item.c.state == FAILED).values(**values)).rowcount == 1
        if taken:  # a failed item runs again: the batch counts it as outstanding
            db.session.execute(sa.update(_batch).where(_batch.c.id == sa.select(
                _item.c.batch_id).where(_item.c.id == item_id).scalar_subquery()).values(
                failed=_batch.c.failed - 1, state="running"))
    return taken


def _count(batch_id, column):
    """``done``/``failed`` + 1 and the batch finished when nothing is outstanding (the row's
    own values, so concurrent finishes add up)."""
    values = {column: _batch.c[column] + 1,
              "state": sa.case((_batch.c.done + _batch.c.failed + 1 >= _batch.c.total,
                                "finished"), else_="running")}
    db.session.execute(sa.update(_batch).where(_batch.c.id == batch_id).values(**values))


@write_transaction
def _finish(item_id, *, worker_id, key, patient, period, body, requested_by):
    """Done and audited together, if the claim is still ``worker_id``'s; else nothing."""
    mine = db.session.execute(sa.update(_item).where(
        _item.c.id == item_id, _item.c.state == RENDERING, _item.c.claimed_by == worker_id
    ).values(state=DONE, file_key=key, finished_at=utcnow(), claimed_until=None)).rowcount == 1
    if mine:
        services.add_system_export_event(patient, period, body, requested_by)
        _count(patient_batch_id(item_id), "done")
    return mine


@write_transaction
def _fail(item_id, *, worker_id, error_class):
    mine = db.session.execute(sa.update(_item).where(
        _item.c.id == item_id, _item.c.state == RENDERING, _item.c.claimed_by == worker_id
    ).values(state=FAILED, error_class=error_class[:120], finished_at=utcnow(),
             claimed_until=None)).rowcount == 1
    if mine:
        _count(patient_batch_id(item_id), "failed")
    return mine


def patient_batch_id(item_id):
    return db.session.scalar(sa.select(_item.c.batch_id).where(_item.c.id == item_id))


# Running items ---------------------------------------------------------------------------------


def _stored_body(storage, key):
    with storage.open(key) as file:
        return file.read()


def _render_and_store(item_id):
    """(patient, period, key, body): the stored report, rendered only if not stored yet."""
    item = db.session.get(ReportBatchItem, item_id)
    batch = item.batch
    storage = storage_of(batch)
    key = item_key(batch, item.patient_id)
    if storage.exists(key):  # stored before its worker died: finish it, never render twice
        patient = db.session.get(Patient, item.patient_id)
        return patient, services.report_period(patient), key, _stored_body(storage, key), batch
    patient, period, export = services.export_report_pdf_as_system(item.patient_id)
    if storage.put(key, export.body):
        return patient, period, key, export.body, batch
    # Another worker stored it first (its lease ran out while it rendered): that file stands.
    return patient, period, key, _stored_body(storage, key), batch


def process_item(item_id, *, now, worker_id, retry_failed=False):
    """Claim, render, store and finish one item; its :class:`Outcome` (never raises for a
    failed render: the item is marked failed with the error's class)."""
    if not claim(item_id, now=now, worker_id=worker_id, retry_failed=retry_failed):
        return Outcome(SKIPPED)
    try:
        patient, period, key, body, batch = _render_and_store(item_id)
        finished = _finish(item_id, worker_id=worker_id, key=key, patient=patient,
                           period=period, body=body, requested_by=batch.requested_by)
    except Exception as error:
        db.session.rollback()
        log.warning("report batch item %s failed: %s", item_id, type(error).__name__)
        _fail(item_id, worker_id=worker_id, error_class=type(error).__name__)
        return Outcome(FAILED, f"{type(error).__name__}: {error}")
    finally:
        db.session.commit()  # end the read transaction (SQLite would keep its snapshot)
    return Outcome(DONE if finished else SKIPPED)


def run_item(item_id, *, now, worker_id):
    """The queue's job for one item: True if this worker rendered (or finished) it."""
    return process_item(item_id, now=now, worker_id=worker_id).state == DONE


def run_pending(*, now, worker_id, limit):
    """The queue workers' sweep: up to ``limit`` pending or abandoned items of the shared
    store's batches (a ``--out`` batch is its command's, resumed with ``--resume``); how many
    this worker finished."""
    ids = list(db.session.scalars(
        sa.select(_item.c.id).join(_batch, _batch.c.id == _item.c.batch_id)
        .where(_claimable(now), _batch.c.out_dir.is_(None)).order_by(_item.c.id).limit(limit)))
    db.session.commit()
    started, finished = utcnow(), 0
    for item_id in ids:
        # Each claim's lease counts from when it is taken, not from the sweep's start.
        finished += run_item(item_id, now=now + (utcnow() - started), worker_id=worker_id)
    return finished


def progress_line(batch):
    """``batch 7: 18 of 20 done, 1 failed, 1 to go (running)``."""
    outstanding = batch.total - batch.done - batch.failed
    return (f"batch {batch.id}: {batch.done} of {batch.total} done, {batch.failed} failed, "
            f"{outstanding} to go ({batch.state})")


def folder_of(batch):
    """The folder a batch's files are in (for the command's output)."""
    storage = storage_of(batch)
    return Path(storage.root) / f"batch-{batch.id}"
