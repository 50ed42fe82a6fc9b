"""Web PDF exports take one of the process's render slots (one per core): while every slot is
taken they wait a few seconds, then get a calm 503 with Retry-After; the pages stay served."""

import os
import threading
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from clinic.audit.models import AuditEvent
from clinic.extensions import db
from clinic.reports import pdf


@pytest.fixture
def config_overrides():
    return {"PDF_RENDER_WAIT_SECONDS": 0.3}


@contextmanager
def every_slot_taken():
    """What a burst of renders in other threads would hold: every slot of this process."""
    slots = os.cpu_count() or 1
    for _ in range(slots):
        assert pdf.RENDER_SLOTS.acquire(timeout=5)
    try:
        yield slots
    finally:
        for _ in range(slots):
            pdf.RENDER_SLOTS.release()


def exports():
    db.session.commit()
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action.in_(("report_export", "outcome_summary_export"))))


def test_a_busy_process_answers_503_with_retry_after_and_the_pages_still_work(app, client,
                                                                            auth, record):
    auth.login(record.therapist.email)
    url = f"/patients/{record.patient.id}/reports/pdf"
    renders = pdf.renders_in_process()
    with every_slot_taken():
        busy = auth.post(url)
        assert busy.status_code == 503
        # At least ours (10 s); Flask-Limiter's headers make it the export limit's window
        # reset when that is later.
        assert int(busy.headers["Retry-After"]) >= 10
        page = busy.get_data(as_text=True)
        assert "Busy just now" in page and "Nothing was lost" in page
        assert "Traceback" not in page
        assert auth.post("/reports/outcomes.pdf").status_code == 503
        # Pages need no slot.
        assert client.get(f"/patients/{record.patient.id}/reports").status_code == 200
    assert pdf.renders_in_process() == renders and exports() == 0  # nothing rendered, audited
    done = auth.post(url)
    assert done.status_code == 200 and done.mimetype == "application/pdf"
    assert done.data.startswith(b"%PDF-")
    assert pdf.renders_in_process() == renders + 1 and exports() == 1


@pytest.mark.parametrize("config_overrides", [{"PDF_RENDER_WAIT_SECONDS": 10}])
def test_an_export_waits_for_a_slot_to_come_free(app, client, auth, record):
    auth.login(record.therapist.email)
    with every_slot_taken():
        pdf.RENDER_SLOTS.release()  # give one back after a moment, as a finished render does
        assert pdf.RENDER_SLOTS.acquire(timeout=5)
        later = threading.Timer(0.5, pdf.RENDER_SLOTS.release)
        later.start()
        response = auth.post(f"/patients/{record.patient.id}/reports/pdf")
        later.join()
        assert response.status_code == 200 and response.data.startswith(b"%PDF-")
        assert pdf.RENDER_SLOTS.acquire(timeout=5)  # every_slot_taken gives back all it took
