"""``flask reports export``: every active patient's report, in worker processes, past a
failing patient, with a non-zero exit that names it."""

import gc
import hashlib

import pytest
import sqlalchemy as sa
from factories import PatientFactory

from clinic.audit.models import AuditEvent
from clinic.database import utcnow
from clinic.extensions import db
from clinic.programs import services as programs
from reports.helpers import pdf_text


@pytest.mark.slow
def test_batch_exports_every_active_patient_and_reports_a_failure(app, runner, record,
                                                                  tmp_path):
    second = PatientFactory(clinic=record.clinic, display_name="Second Person",
                            primary=record.therapist)
    failing = PatientFactory(clinic=record.clinic, display_name="Third Person",
                             primary=record.admin)
    PatientFactory(clinic=record.clinic, display_name="Gone Person", primary=record.therapist,
                   status="discharged", discharged_at=utcnow())
    db.session.commit()
    today = programs.clinic_today(record.patient.id)
    names = {p.id: f"liftclinic-report-{p.id}-{today:%Y%m%d}.pdf"
             for p in (record.patient, second, failing)}
    (tmp_path / names[failing.id]).mkdir()  # the file cannot be written: that patient fails

    result = runner.invoke(args=["reports", "export", "--clinic", "Harbour Clinic",
                                 "--out", str(tmp_path), "--workers", "2"])
    assert result.exit_code == 1, result.output
    assert "2 of 3 report(s) written" in result.output
    assert f"failed: patient {failing.id}: IsADirectoryError" in result.output
    written = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert written == sorted([names[record.patient.id], names[second.id]])
    body = (tmp_path / names[record.patient.id]).read_bytes()
    assert "Alex Example · HC-42" in pdf_text(body)
    assert "by LiftClinic batch export" in pdf_text(body)
    db.session.commit()
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "report_export").order_by(AuditEvent.patient_id)).all()
    assert [(e.patient_id, e.actor_kind, e.detail["batch"]) for e in events] == [
        (record.patient.id, "system", True), (second.id, "system", True)]
    assert events[0].detail["sha256"] == hashlib.sha256(body).hexdigest()
    # The warm-up froze this process for the forked workers; the caller gets its collector
    # back (a long-lived caller would otherwise stop collecting what it made before).
    assert gc.get_freeze_count() == 0


@pytest.mark.slow
def test_batch_for_a_clinician_exports_their_caseload_only(app, runner, record, tmp_path):
    PatientFactory(clinic=record.clinic, display_name="Not Mine", primary=record.outsider)
    db.session.commit()
    result = runner.invoke(args=["reports", "export", "--clinician", "robin@harbour.test",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == [
        f"liftclinic-report-{record.patient.id}-"
        f"{programs.clinic_today(record.patient.id):%Y%m%d}.pdf"]
    db.session.commit()
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "report_export"))
    assert event.detail["requested_by"] == record.therapist.id


def test_batch_needs_exactly_one_scope(app, runner, tmp_path):
    result = runner.invoke(args=["reports", "export", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "exactly one of --clinician" in result.output

