"""'What I have done' in a real browser on a 360 px phone: the therapist releases the PHQ-9 to
the patient, the patient reads their page without JavaScript, its weight, and the page as it
prints (print media emulated, then a real PDF from Chromium read back with pypdf).
"""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from factories import (
    AssignmentFactory,
    PatientFactory,
    ResponseFactory,
    SessionFactory,
    TemplateFactory,
    builtin,
    level,
    level_row,
)
from playwright.sync_api import expect
from pypdf import PdfReader

from clinic.extensions import db
from clinic.programs import services as programs
from e2e.conftest import THERAPIST, WEIGHTS
from e2e.flows import flash, heading, log_in

MAX_PATIENT_PAGE_BYTES = 60_000
NAME = "Dana Whitfield"


def _world(staff):
    """A patient 20 days into a two-level home program, with two PHQ-9s from paper."""
    clinic = staff.clinic
    today = clinic.today()
    patient = PatientFactory(
        clinic=clinic, primary=staff, display_name=NAME, episode_start=today - timedelta(days=30)
    )
    template = TemplateFactory(
        actor=staff,
        name="Home first",
        levels=[
            level(
                level_row(builtin("wall_push_up")),
                level_row(builtin("goblet_squat"), load_kind="kg", load_target="10"),
                name="Getting started at home",
            ),
            level(level_row(builtin("kneeling_push_up")), name="Home with light weights"),
        ],
    )
    start = today - timedelta(days=20)
    assignment = AssignmentFactory(
        actor=staff, patient=patient, template=template, start_date=start
    )
    for days, wall, squats in ((0, 8, 10), (7, 11, 12), (12, 10, 12)):
        SessionFactory(
            assignment=assignment,
            performed_on=start + timedelta(days=days),
            sets={
                0: [{"reps": wall, "load_kg": None, "seconds": None}],
                1: [{"reps": squats, "load_kg": Decimal(10), "seconds": None}],
            },
        )
    SessionFactory(
        assignment=assignment,
        performed_on=start + timedelta(days=3),
        status="skipped",
        skip_reason="fatigue",
        sets={},
    )
    programs.change_level(staff, assignment.id, 1, "Ready for the next step.")
    SessionFactory(
        assignment=assignment,
        performed_on=today,
        sets={0: [{"reps": 6, "load_kg": None, "seconds": None}]},
    )
    for days, answers in ((15, [3, 3, 2, 2, 2, 1, 1, 1, 0]), (1, [1, 1, 1, 1, 1, 0, 0, 0, 1])):
        ResponseFactory(
            actor=staff,
            patient=patient.id,
            code="PHQ-9",
            answers=answers,
            completed_at=datetime.now(UTC) - timedelta(days=days),
        )
    link = programs.program_link(assignment)
    db.session.commit()
    return patient.id, link


def _weigh_progress(e2e, cookies):
    """/p/progress in a fresh phone context without JavaScript (empty cache, only the link's
    session cookie): every request it made, summed and checked."""
    context = e2e.context(phone=True, javascript=False)
    context.add_cookies(cookies)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request))
    page.goto("/p/progress", wait_until="load")
    page.wait_for_load_state("networkidle")
    rows = []
    for request in requests:
        sizes = request.sizes()
        rows.append(
            {
                "path": urlsplit(request.url).path,
                "kind": request.resource_type,
                "host": urlsplit(request.url).hostname,
                "body": sizes["responseBodySize"],
                "headers": sizes["responseHeadersSize"],
            }
        )
    assert all(r["host"] == "127.0.0.1" for r in rows), rows
    assert [r["kind"] for r in rows].count("document") == 1, rows
    assert {r["path"] for r in rows} >= {"/p/progress", "/static/css/portal.css"}, rows
    weight = {
        "page": "/p/progress What I have done",
        "requests": len(rows),
        "kinds": [f"{r['kind']} {r['path']} {r['body']} B" for r in rows],
        "body_bytes": sum(r["body"] for r in rows),
        "transfer_bytes": sum(r["body"] + r["headers"] for r in rows),
    }
    WEIGHTS.append(weight)
    print(f"\nweight of /p/progress: {weight}")
    assert weight["transfer_bytes"] < MAX_PATIENT_PAGE_BYTES, weight
    return page


def test_what_i_have_done_on_a_phone_released_scores_and_print(e2e, staff):
    patient_id, link = _world(staff)

    # The therapist, on a phone too, releases the PHQ-9 from the patient's page.
    clinician = e2e.page(phone=True)
    log_in(clinician, THERAPIST)
    clinician.goto(f"/patients/{patient_id}")
    expect(heading(clinician)).to_contain_text(NAME)
    sharing = clinician.locator("#sharing")
    expect(sharing.get_by_role("heading", name="Scores the patient sees")).to_be_visible()
    expect(sharing).to_contain_text("PHQ-9: not shown")
    sharing.scroll_into_view_if_needed()
    e2e.check(clinician, "release-switch-off")
    sharing.get_by_role("button", name="Show PHQ-9 scores to the patient").click()
    expect(flash(clinician)).to_have_text(
        "The patient can now see their PHQ-9 scores on their progress page."
    )
    expect(clinician.locator("#sharing")).to_contain_text("PHQ-9: shown to the patient")
    expect(
        clinician.locator("#sharing").get_by_role(
            "button", name="Stop showing PHQ-9 scores to the patient"
        )
    ).to_be_visible()
    e2e.check(clinician, "release-switch-on")
    # The switch alone, to look at without scrolling a whole patient page.
    clinician.locator("#sharing").screenshot(path=str(e2e.folder / "release-switch-section.png"))

    # The patient, on a phone without JavaScript: from the program page to their progress.
    phone_context = e2e.context(phone=True, javascript=False)
    phone = phone_context.new_page()
    phone.goto(link)
    expect(heading(phone)).to_have_text("Your next session")
    phone.get_by_role("link", name="What I have done so far").click()
    assert phone.url == f"{e2e.base_url}/p/progress"
    expect(heading(phone)).to_have_text("What I have done")
    assert phone.evaluate("document.scripts.length") == 0
    main = phone.get_by_role("main")
    expect(main).to_contain_text("4 sessions done since")
    expect(main).to_contain_text("Push: From wall push-up to kneeling push-up")
    expect(main).to_contain_text("First time: 12 reps of goblet squat at 10 kg")
    expect(main).to_contain_text("Level 2: Home with light weights")
    expect(main).to_contain_text("PHQ-9, about low mood")
    expect(main).to_contain_text("lower than when you started")
    for absent in (NAME, "risk", "streak", "%", "skipped"):
        expect(main).not_to_contain_text(absent)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways on a 360 px phone ({width} px)"
    e2e.check(phone, "what-i-have-done-without-javascript", javascript=False)

    _weigh_progress(e2e, phone_context.cookies())

    # As it prints: no links to follow, black on white, every part still there.
    phone.emulate_media(media="print")
    styles = phone.evaluate("""() => ({
      back: getComputedStyle(document.querySelector('.no-print')).display,
      hint: getComputedStyle(document.querySelector('.print-hint')).display,
      body: getComputedStyle(document.body).color,
      bodyBg: getComputedStyle(document.body).backgroundColor,
      header: getComputedStyle(document.querySelector('.portal-header')).backgroundColor,
      small: getComputedStyle(document.querySelector('.small')).color,
    })""")
    assert styles == {
        "back": "none",
        "hint": "none",
        "body": "rgb(0, 0, 0)",
        "bodyBg": "rgb(255, 255, 255)",
        "header": "rgba(0, 0, 0, 0)",
        "small": "rgb(0, 0, 0)",
    }, styles
    e2e.check(phone, "what-i-have-done-print", javascript=False)

    # A real handout: Chromium's own PDF of the page (print media), read back.
    pdf = PdfReader(io.BytesIO(phone.pdf(format="A4")))
    printed = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    for expected in (
        "What I have done",
        "4 sessions done since",
        "Personal records",
        "From wall push-up to kneeling push-up",
        "PHQ-9, about low mood",
    ):
        assert expected in printed, printed
    assert "Back to your next session" not in printed
    assert len(pdf.pages) <= 2, len(pdf.pages)
