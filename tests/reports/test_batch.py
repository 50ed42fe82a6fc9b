"""Batch items as the queue workers run them (clinic/reports/batch.py), in this process: each
report rendered and audited once, whoever claims it, after a crash and in a race."""

import hashlib
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from factories import PatientFactory

from clinic.audit.models import AuditEvent
from clinic.database import utcnow
from clinic.extensions import db
from clinic.reports import batch, pdf, services
from clinic.reports.models import ReportBatch, ReportBatchItem
from clinic.reports.storage import FolderStorage


@pytest.fixture
def config_overrides(tmp_path):
    return {"REPORTS_DIR": str(tmp_path / "store")}


@pytest.fixture
def three(app, record):
    """A batch of three active patients of the clinic: (batch id, patient ids, item ids)."""
    others = [PatientFactory(clinic=record.clinic, display_name=f"Other {n}",
                             primary=record.therapist) for n in (1, 2)]
    db.session.commit()
    ids = [record.patient.id] + [p.id for p in others]
    batch_id = batch.create_batch(clinic_id=record.clinic.id, patient_ids=ids)
    items = db.session.scalars(sa.select(ReportBatchItem.id).where(
        ReportBatchItem.batch_id == batch_id).order_by(ReportBatchItem.id)).all()
    return batch_id, ids, items


def events_by_patient():
    db.session.commit()
    found = {}
    for event in db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action == "report_export")):
        found.setdefault(event.patient_id, []).append(event)
    return found


def stored(app, batch_id):
    return sorted((Path(app.config["REPORTS_DIR"]) / f"batch-{batch_id}").iterdir())


def test_a_batch_of_three_runs_to_done_with_its_files_and_one_event_each(app, three):
    batch_id, ids, _ = three
    renders = pdf.renders_in_process()
    assert batch.run_pending(now=utcnow(), worker_id="worker-a", limit=10) == 3
    assert pdf.renders_in_process() - renders == 3
    found = batch.get_batch(batch_id)
    assert (found.state, found.total, found.done, found.failed) == ("finished", 3, 3, 0)
    files = stored(app, batch_id)
    assert [f.name for f in files] == sorted(
        batch.item_key(found, patient_id).split("/")[1] for patient_id in ids)
    assert all(f.read_bytes().startswith(b"%PDF-") for f in files)
    events = events_by_patient()
    assert sorted(events) == sorted(ids) and all(len(e) == 1 for e in events.values())
    for item in found.items:
        [event] = events[item.patient_id]
        body = (Path(app.config["REPORTS_DIR"]) / item.file_key).read_bytes()
        assert (event.actor_kind, event.actor_id, event.detail["batch"],
                event.detail["requested_by"], event.detail["sha256"]) == (
            "system", None, True, None, hashlib.sha256(body).hexdigest())
        assert (item.state, item.claimed_by, item.attempts) == ("done", "worker-a", 1)
    # Nothing is left: a second sweep renders and audits nothing.
    assert batch.run_pending(now=utcnow(), worker_id="worker-b", limit=10) == 0
    assert pdf.renders_in_process() - renders == 3
    assert sum(len(e) for e in events_by_patient().values()) == 3


def test_an_item_of_a_dead_worker_is_taken_over_when_its_lease_expires(app, three):
    batch_id, _, items = three
    now = utcnow()
    # A worker claimed the first item long ago and died without a word.
    assert batch.claim(items[0], now=now - batch.LEASE - timedelta(minutes=1),
                       worker_id="dead-worker")
    # Another still holds the second one within its lease: nobody takes it from it.
    assert batch.claim(items[1], now=now, worker_id="busy-worker")
    renders = pdf.renders_in_process()
    assert batch.run_item(items[1], now=now, worker_id="worker-b") is False
    assert batch.run_item(items[0], now=now, worker_id="worker-b") is True
    assert pdf.renders_in_process() - renders == 1
    item = db.session.get(ReportBatchItem, items[0])
    assert (item.state, item.claimed_by, item.attempts) == ("done", "worker-b", 2)
    assert [len(events) for events in events_by_patient().values()] == [1]
    # The dead worker comes back to life: its claim is gone, so it writes nothing.
    assert batch._finish(items[0], worker_id="dead-worker", key=item.file_key, patient=None,
                         period=None, body=b"", requested_by=None) is False
    # The sweep leaves the held item alone and does the third.
    assert batch.run_pending(now=now, worker_id="worker-c", limit=10) == 1
    found = db.session.get(ReportBatch, batch_id)
    assert (found.done, found.failed, found.state) == (2, 0, "running")


def test_a_report_stored_before_the_crash_is_not_rendered_again(app, three):
    batch_id, ids, items = three
    now = utcnow()
    found = batch.get_batch(batch_id)
    key = batch.item_key(found, ids[0])
    # The dead worker rendered and stored the file, then died before marking the item done.
    assert batch.claim(items[0], now=now - timedelta(hours=1), worker_id="dead-worker")
    _, _, export = services.export_report_pdf_as_system(ids[0])
    assert FolderStorage(app.config["REPORTS_DIR"]).put(key, export.body)
    renders = pdf.renders_in_process()
    assert batch.run_item(items[0], now=now, worker_id="worker-b") is True
    assert pdf.renders_in_process() == renders  # finished from the stored file
    [event] = events_by_patient()[ids[0]]
    assert event.detail["sha256"] == hashlib.sha256(export.body).hexdigest()
    # A done item is never claimed, rendered or audited again.
    assert batch.run_item(items[0], now=now + timedelta(days=1), worker_id="worker-c") is False
    assert pdf.renders_in_process() == renders
    assert len(events_by_patient()[ids[0]]) == 1


def test_a_failed_render_marks_the_item_failed_and_writes_no_event(app, three):
    batch_id, ids, items = three
    found = batch.get_batch(batch_id)
    blocker = Path(app.config["REPORTS_DIR"]) / batch.item_key(found, ids[1])
    blocker.mkdir(parents=True)
    assert batch.run_pending(now=utcnow(), worker_id="worker-a", limit=10) == 2
    item = db.session.get(ReportBatchItem, items[1])
    assert (item.state, item.error_class, item.claimed_until) == (
        "failed", "IsADirectoryError", None)
    assert sorted(events_by_patient()) == sorted([ids[0], ids[2]])
    found = batch.get_batch(batch_id)
    assert (found.done, found.failed, found.state) == (2, 1, "finished")
    assert batch.failures(batch_id) == [(ids[1], "IsADirectoryError")]
    # The sweep does not retry a failed item (a person looks first); a resume does.
    assert batch.run_pending(now=utcnow(), worker_id="worker-a", limit=10) == 0
    blocker.rmdir()
    outcome = batch.process_item(items[1], now=utcnow(), worker_id="worker-a",
                                 retry_failed=True)
    assert outcome.state == "done"
    found = batch.get_batch(batch_id)
    assert (found.done, found.failed, found.state) == (3, 0, "finished")


def test_two_workers_racing_claim_and_render_each_item_once(app, three):
    batch_id, ids, _ = three
    start = threading.Barrier(2)
    finished, errors = {}, []
    renders = pdf.renders_in_process()

    def work(name):
        try:
            with app.app_context():
                start.wait(timeout=10)
                finished[name] = batch.run_pending(now=utcnow(), worker_id=name, limit=10)
                db.session.remove()
        except Exception as error:  # the assertion below names it
            errors.append(error)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and not any(t.is_alive() for t in threads)
    assert finished["w1"] + finished["w2"] == 3
    assert pdf.renders_in_process() - renders == 3
    events = events_by_patient()
    assert sorted(events) == sorted(ids) and all(len(e) == 1 for e in events.values())
    found = batch.get_batch(batch_id)
    assert (found.done, found.state) == (3, "finished")
    assert all(item.attempts == 1 for item in found.items)


def test_racing_claims_on_one_item_have_one_winner(app, three):
    _, _, items = three
    for item_id in items:
        start = threading.Barrier(2)
        won = []

        def grab(name, item_id=item_id, start=start, won=won):
            with app.app_context():
                start.wait(timeout=10)
                if batch.claim(item_id, now=utcnow(), worker_id=name):
                    won.append(name)
                db.session.remove()

        threads = [threading.Thread(target=grab, args=(name,)) for name in ("w1", "w2")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(won) == 1
        db.session.commit()
        item = db.session.get(ReportBatchItem, item_id)
        db.session.refresh(item)
        assert (item.state, item.claimed_by, item.attempts) == ("rendering", won[0], 1)


def test_folder_storage_is_atomic_and_never_replaces(tmp_path):
    storage = FolderStorage(tmp_path)
    assert storage.put("batch-1/a.pdf", b"first") is True
    assert storage.put("batch-1/a.pdf", b"second") is False
    with storage.open("batch-1/a.pdf") as file:
        assert file.read() == b"first"
    assert storage.exists("batch-1/a.pdf") and not storage.exists("batch-1/b.pdf")
    assert [p.name for p in (tmp_path / "batch-1").iterdir()] == ["a.pdf"]  # no temp left
    for key in ("../escape.pdf", "/etc/passwd", "batch-1/../../x", ""):
        with pytest.raises(ValueError):
            storage.put(key, b"x")
