"""``flask reports export``: every active patient's report, in worker processes, past a
failing patient, with a non-zero exit that names it; ``--resume`` finishes the batch without
rendering a done report again; ``--enqueue`` and ``flask reports status``."""

import gc
import hashlib
import re

import pytest
import sqlalchemy as sa
from factories import PatientFactory

from clinic.audit.models import AuditEvent
from clinic.database import utcnow
from clinic.extensions import db
from clinic.programs import services as programs
from clinic.reports.models import ReportBatch, ReportBatchItem
from reports.helpers import pdf_text


@pytest.fixture
def config_overrides(tmp_path):
    return {"REPORTS_DIR": str(tmp_path / "store")}


def _events():
    db.session.commit()
    return db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "report_export").order_by(AuditEvent.patient_id)).all()


def _batch_id(output):
    return int(re.search(r"[Bb]atch (\d+)", output).group(1))


@pytest.mark.slow
def test_batch_exports_every_active_patient_reports_a_failure_and_resumes(app, runner, record,
                                                                         tmp_path):
    second = PatientFactory(clinic=record.clinic, display_name="Second Person",
                            primary=record.therapist)
    failing = PatientFactory(clinic=record.clinic, display_name="Third Person",
                             primary=record.admin)
    PatientFactory(clinic=record.clinic, display_name="Gone Person", primary=record.therapist,
                   status="discharged", discharged_at=utcnow())
    db.session.commit()
    queued = runner.invoke(args=["reports", "export", "--clinic", "Harbour Clinic", "--enqueue"])
    assert queued.exit_code == 0, queued.output
    batch_id = _batch_id(queued.output)
    assert f"Batch {batch_id}: 3 report(s) queued" in queued.output
    folder = tmp_path / "store" / f"batch-{batch_id}"
    today = programs.clinic_today(record.patient.id)
    names = {p.id: f"liftclinic-report-{p.id}-{today:%Y%m%d}.pdf"
             for p in (record.patient, second, failing)}
    (folder / names[failing.id]).mkdir(parents=True)  # that file cannot be written

    result = runner.invoke(args=["reports", "export", "--resume", str(batch_id),
                                 "--workers", "2"])
    assert result.exit_code == 1, result.output
    assert f"2 of 3 report(s) written to {folder} (batch {batch_id})" in result.output
    assert f"failed: patient {failing.id}: IsADirectoryError" in result.output
    assert f"flask reports export --resume {batch_id}" in result.output
    written = sorted(p.name for p in folder.iterdir() if p.is_file())
    assert written == sorted([names[record.patient.id], names[second.id]])
    body = (folder / names[record.patient.id]).read_bytes()
    assert "Alex Example · HC-42" in pdf_text(body)
    assert "by LiftClinic batch export" in pdf_text(body)
    events = _events()
    assert [(e.patient_id, e.actor_kind, e.detail["batch"]) for e in events] == [
        (record.patient.id, "system", True), (second.id, "system", True)]
    assert events[0].detail["sha256"] == hashlib.sha256(body).hexdigest()
    # The warm-up froze this process for the forked workers; the caller gets its collector
    # back (a long-lived caller would otherwise stop collecting what it made before).
    assert gc.get_freeze_count() == 0

    status = runner.invoke(args=["reports", "status", str(batch_id)])
    assert status.exit_code == 0, status.output
    assert f"batch {batch_id}: 2 of 3 done, 1 failed, 0 to go (finished)" in status.output
    assert f"failed: patient {failing.id}: IsADirectoryError" in status.output

    # The operator clears the way and resumes: only the failed report is rendered.
    (folder / names[failing.id]).rmdir()
    before = {name: (folder / name).stat() for name in written}
    resumed = runner.invoke(args=["reports", "export", "--resume", str(batch_id)])
    assert resumed.exit_code == 0, resumed.output
    assert f"3 of 3 report(s) written to {folder}" in resumed.output
    for name, stat in before.items():  # the done files were not written again
        after = (folder / name).stat()
        assert (after.st_ino, after.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert [e.patient_id for e in _events()] == sorted(names)  # one event each, no second
    assert "3 of 3 done, 0 failed, 0 to go (finished)" in runner.invoke(
        args=["reports", "status", str(batch_id)]).output


@pytest.mark.slow
def test_batch_for_a_clinician_exports_their_caseload_only(app, runner, record, tmp_path):
    PatientFactory(clinic=record.clinic, display_name="Not Mine", primary=record.outsider)
    db.session.commit()
    patient_id, therapist_id = record.patient.id, record.therapist.id
    name = f"liftclinic-report-{patient_id}-{programs.clinic_today(patient_id):%Y%m%d}.pdf"
    result = runner.invoke(args=["reports", "export", "--clinician", "robin@harbour.test",
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    batch_id = _batch_id(result.output)
    folder = tmp_path / "out" / f"batch-{batch_id}"
    assert f"1 of 1 report(s) written to {folder}" in result.output
    assert [p.name for p in folder.iterdir()] == [name]
    [event] = _events()
    assert event.detail["requested_by"] == therapist_id
    batch = db.session.get(ReportBatch, batch_id)
    assert (batch.requested_by, batch.total, batch.done, batch.state) == (
        therapist_id, 1, 1, "finished")
    [item] = batch.items
    assert (item.state, item.attempts, item.file_key) == ("done", 1, f"batch-{batch_id}/{name}")


def test_batch_needs_exactly_one_scope(app, runner, tmp_path):
    result = runner.invoke(args=["reports", "export", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "exactly one of --clinician" in result.output


def test_enqueue_only_creates_the_batch(app, runner, record):
    patient_id = record.patient.id
    result = runner.invoke(args=["reports", "export", "--clinic", "Harbour Clinic",
                                 "--enqueue"])
    assert result.exit_code == 0, result.output
    db.session.commit()
    [item] = db.session.scalars(sa.select(ReportBatchItem)).all()
    assert (item.patient_id, item.state, item.attempts) == (patient_id, "pending", 0)
    assert _events() == []
    status = runner.invoke(args=["reports", "status", str(item.batch_id)])
    assert f"batch {item.batch_id}: 0 of 1 done, 0 failed, 1 to go (running)" in status.output


def test_enqueue_refuses_a_local_folder(app, runner, record, tmp_path):
    result = runner.invoke(args=["reports", "export", "--clinic", "Harbour Clinic",
                                 "--enqueue", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "leave out --out" in result.output
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReportBatch)) == 0


@pytest.mark.parametrize("command", [["reports", "status", "999"],
                                     ["reports", "export", "--resume", "999"]])
def test_an_unknown_batch_is_a_clear_usage_error(app, runner, command):
    result = runner.invoke(args=command)
    assert result.exit_code == 2
    assert "No report batch 999." in result.output
    assert "Traceback" not in result.output
