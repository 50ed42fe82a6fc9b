"""The program page on a patient's phone (360 px): errors that can be seen, a short page, one
entry a day that can be corrected, the session kept at the gym without signal, and a handout.

Every visit is a fresh browser context that opens the program link, as a patient does.
"""

import shutil
from pathlib import Path

import pytest
from factories import AssignmentFactory, PatientFactory, starter_templates
from playwright.sync_api import expect

from clinic.extensions import db
from clinic.programs import services as programs
from e2e.conftest import WEIGHTS
from e2e.flows import heading

SHOTS = Path("/work/notes/shots/pprogram")
HEIGHTS = {}


@pytest.fixture
def program_link(staff):
    """A patient on the starter "Barbell basics" (five exercises, loads by effort 3-4)."""
    patient_id = PatientFactory(clinic=staff.clinic, primary=staff,
                                display_name="Dana Whitfield").id
    template_id = starter_templates(staff.clinic, staff)["Barbell basics"]
    assignment = AssignmentFactory(actor=staff, patient=patient_id, template=template_id,
                                   start_date=programs.clinic_today(patient_id))
    link = programs.program_link(assignment)
    db.session.commit()
    return link, assignment.id


def open_program(e2e, link, **context):
    page = e2e.page(phone=True, **context)
    page.goto(link)
    expect(heading(page)).to_have_text("Your next session")
    return page


def shoot(e2e, page, name, **kwargs):
    """e2e.check (screenshot + axe), with a copy of the screenshot for the report."""
    e2e.check(page, name, **kwargs)
    SHOTS.mkdir(parents=True, exist_ok=True)
    latest = sorted(e2e.folder.glob("*.png"))[-1]
    shutil.copy(latest, SHOTS / latest.name.split("-", 1)[1])


def test_page_height_at_360_px(e2e, program_link):
    link, _ = program_link
    page = open_program(e2e, link)
    height = page.evaluate("document.documentElement.scrollHeight")
    form_top = page.evaluate(
        "document.querySelector('form.session-form').getBoundingClientRect().top + scrollY")
    print(f"\nprogram page at 360 px: {height} px high, log form starts at {form_top} px")
    HEIGHTS["page"] = height
