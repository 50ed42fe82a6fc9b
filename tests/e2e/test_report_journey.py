"""The last clinician journey: a therapist exports the PDF progress report in the browser.

The patient answers PHQ-9 and GAD-7 on their phone; the therapist opens "Reports and exports",
first asks for a period that ends tomorrow (refused, every value kept), then downloads the
report. The download is read back with pypdf: a valid PDF with the patient's scores in it.
"""

import io
from datetime import timedelta
from pathlib import Path

from factories import PatientFactory
from playwright.sync_api import expect
from pypdf import PdfReader

from clinic.extensions import db
from clinic.programs.services import clinic_today
from e2e.conftest import THERAPIST
from e2e.flows import (
    GAD7,
    PHQ9_CALM,
    answer_questionnaire,
    heading,
    log_in,
    make_link,
    open_patient,
    send_answers,
)


def test_therapist_exports_the_pdf_report(e2e, staff):
    patient = PatientFactory(clinic=staff.clinic, display_name="Noa Lindgren",
                             reference="RC-2002", primary=staff)
    db.session.commit()
    today = clinic_today(patient.id)
    page = e2e.page()
    log_in(page, THERAPIST)
    open_patient(page, "Noa Lindgren")
    link = make_link(page)
    phone = e2e.page(phone=True)
    phone.goto(link)
    answer_questionnaire(phone, {"PHQ-9": PHQ9_CALM, "GAD-7": GAD7})
    send_answers(phone)

    open_patient(page, "Noa Lindgren")
    page.get_by_role("link", name="Reports and exports").click()
    expect(heading(page)).to_contain_text("Reports and exports")
    expect(page.get_by_label("To")).to_have_value(today.isoformat())
    e2e.check(page, "report-export")

    summary = "Noa answers every week; mood steady. Plan: keep the weekly questionnaires."
    page.get_by_label("To").fill((today + timedelta(days=1)).isoformat())
    page.get_by_label("Summary for the case notes (optional)").fill(summary)
    page.get_by_role("button", name="Download the PDF report").click()
    expect(page.get_by_role("alert")).to_contain_text("The period cannot end after today.")
    expect(page.get_by_label("Summary for the case notes (optional)")).to_have_value(summary)
    e2e.check(page, "report-export-refused")

    page.get_by_label("To").fill(today.isoformat())
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the PDF report").click()
    download = download_info.value
    assert download.suggested_filename == (f"liftclinic-report-{patient.id}-"
                                           f"{today:%Y%m%d}.pdf")
    body = Path(download.path()).read_bytes()
    assert body.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(body))
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
    assert "Noa Lindgren · RC-2002" in text
    assert f"PHQ-9 1 score {sum(PHQ9_CALM)}, minimal" in text
    assert f"GAD-7 1 score {sum(GAD7)}, moderate" in text
    assert summary in text
    assert reader.metadata.title == "Progress report RC-2002"
    e2e.assert_local_only()
