"""The program page on a patient's phone (360 px), issue 17: errors that can be seen, a short
page, one entry a day that can be corrected, the session kept at the gym without signal, a
handout to print, and effort in words.

Every visit is a fresh browser context that opens the program link, as a patient does. The
program is the starter "Barbell basics", level "0 Learning the lifts": four barbell lifts of
2 sets of 8-10 at effort 3-4 out of 10, and one set of dead bugs.
"""

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from factories import AssignmentFactory, PatientFactory, starter_templates
from playwright.sync_api import expect

from clinic.extensions import db
from clinic.programs import services as programs
from e2e.conftest import PHONE, WEIGHTS
from e2e.flows import heading

SHOTS = Path("/work/notes/shots/pprogram")
DASH = "\u2013"  # as the pages print a range
EFFORT = f"effort 3{DASH}4 out of 10"  # the prescribed effort in words, never "rpe 3-4"
MAX_PATIENT_PAGE_BYTES = 60_000  # the patient pages' budget (test_patient_journeys.py)
# Measured on this page (Barbell basics, level 0, 360 px) before issue 17: every cue open, the
# form starting below the fold of three screens.
HEIGHT_BEFORE = 4414
FORM_TOP_BEFORE = 2260


@pytest.fixture
def program(staff):
    """(link, assignment id) of a new patient's "Barbell basics", starting today."""
    patient_id = PatientFactory(
        clinic=staff.clinic, primary=staff, display_name="Dana Whitfield"
    ).id
    template_id = starter_templates(staff.clinic, staff)["Barbell basics"]
    assignment = AssignmentFactory(
        actor=staff,
        patient=patient_id,
        template=template_id,
        start_date=programs.clinic_today(patient_id),
    )
    link = programs.program_link(assignment)
    db.session.commit()
    return link, assignment.id


def stored(assignment_id, *, counted_only=True):
    """The program's sessions as the database holds them now."""
    db.session.commit()
    db.session.expire_all()
    if counted_only:
        return programs.sessions_of(assignment_id)
    return db.session.scalars(
        db.select(programs.SessionLog)
        .where(programs.SessionLog.assignment_id == assignment_id)
        .order_by(programs.SessionLog.id)
    ).all()


def open_program(page, link):
    page.goto(link)
    expect(heading(page)).to_have_text("Your next session")
    return page


def shoot(e2e, page, name, **kwargs):
    """``e2e.check`` (screenshot and axe), with a copy of the screenshot for the report."""
    e2e.check(page, name, **kwargs)
    SHOTS.mkdir(parents=True, exist_ok=True)
    latest = sorted(e2e.folder.glob("*.png"))[-1]
    shutil.copy(latest, SHOTS / f"{e2e.folder.name[5:45]}-{latest.name}")


def save(page):
    page.get_by_role("button", name="Save session").click()


def status_text(page):
    return page.locator("p.saved[role=status]")


# Item 3: errors that can be seen ------------------------------------------------------------


@pytest.mark.parametrize("javascript", [False, True], ids=["without-js", "with-js"])
def test_a_failed_save_opens_at_the_error_summary_with_every_answer_kept(e2e, program, javascript):
    link, assignment_id = program
    page = open_program(e2e.page(phone=True, javascript=javascript), link)
    page.get_by_label("I skipped it").check()  # and no reason: refused
    page.get_by_label("How hard was it overall?").fill("11")
    page.get_by_label("Mood before").fill("3")
    page.get_by_label("Anything else?").fill("Too tired after work.")
    save(page)

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_in_viewport()  # the page opens at it, not three screens up
    expect(summary).to_be_focused()  # autofocus: with JavaScript or without
    assert page.evaluate("scrollY") < 200
    expect(summary.get_by_role("link")).to_have_text(
        [
            "Choose a reason; it helps your clinician help you.",
            "How hard: use a number from 0 to 10.",
        ]
    )
    expect(page.locator("#rpe-error")).to_have_text("How hard: use a number from 0 to 10.")
    expect(page.locator("#skip_reason-error")).to_contain_text("Choose a reason")
    # Every answer kept.
    expect(page.get_by_label("I skipped it")).to_be_checked()
    expect(page.get_by_label("How hard was it overall?")).to_have_value("11")
    expect(page.get_by_label("Mood before")).to_have_value("3")
    expect(page.get_by_label("Anything else?")).to_have_value("Too tired after work.")
    shoot(e2e, page, f"error-summary-{'js' if javascript else 'no-js'}", javascript=javascript)

    summary.get_by_role("link", name="How hard: use a number from 0 to 10.").click()
    expect(page.get_by_label("How hard was it overall?")).to_be_in_viewport()
    page.get_by_label("How hard was it overall?").fill("3")
    page.get_by_label("Fatigue").check()
    save(page)
    expect(status_text(page)).to_contain_text("Thanks for letting us know.")
    assert "Well done" not in page.locator("main").inner_text()
    [logged] = stored(assignment_id)
    assert (logged.status, logged.skip_reason, logged.rpe, logged.mood_before, logged.note) == (
        "skipped",
        "fatigue",
        3,
        3,
        "Too tired after work.",
    )


# Item 4: a shorter page --------------------------------------------------------------------


def test_the_page_is_short_the_targets_first_and_the_cues_folded(e2e, program):
    link, _ = program
    page = open_program(e2e.page(phone=True), link)
    height = page.evaluate("document.documentElement.scrollHeight")
    form_top = page.evaluate(
        "Math.round(document.querySelector('#session-form').getBoundingClientRect().top + scrollY)"
    )
    print(
        f"\nprogram page at 360 px: {height} px high (before: {HEIGHT_BEFORE}), "
        f"the log form starts at {form_top} px (before: {FORM_TOP_BEFORE})"
    )
    assert height < HEIGHT_BEFORE * 0.75 and form_top < FORM_TOP_BEFORE / 2

    # The first screen names every exercise's target and a link to the form.
    squat = page.locator("li.exercise").first
    expect(squat.locator(".prescription")).to_have_text(
        f"2 sets of 8{DASH}10 reps, {EFFORT} · rest 120 s"
    )
    expect(page.locator("main")).not_to_contain_text("rpe")
    jump = page.get_by_role("link", name="Log this session")
    expect(jump).to_be_in_viewport()
    shoot(e2e, page, "program-short")
    jump.click()
    expect(page.get_by_role("radio", name="I did it as planned")).to_be_in_viewport()

    # Cues are one tap away, with the easier option.
    cues = squat.locator("ul.cues")
    expect(cues).to_be_hidden()
    squat.get_by_text("How to do it").click()
    expect(cues).to_be_visible()
    expect(squat.locator(".easier")).to_contain_text("Easier option:")
    # The set fields say effort in words too.
    page.get_by_text('Sets (for "here are my sets"').click()
    expect(page.locator("fieldset.set-group legend").first).to_contain_text(EFFORT)
    shoot(e2e, page, "program-cues-open")


# Item 5: one entry a day, correctable ---------------------------------------------------------


def test_a_second_entry_asks_to_replace_and_todays_entry_can_be_removed(e2e, program):
    link, assignment_id = program
    page = open_program(e2e.page(phone=True), link)
    page.get_by_label("I did it as planned").check()
    save(page)
    expect(status_text(page)).to_have_text(
        "Saved. Well done for showing up. Your reps were not "
        "saved this time; when you feel like it, log your "
        "reps to let your progress count."
    )
    expect(page.locator("main")).to_contain_text("1 session so far")

    # The same day again: asked first, nothing stored until the patient chooses.
    page.get_by_label("I skipped it").check()
    page.get_by_label("Low mood").check()
    save(page)
    question = page.locator("#error-summary")
    expect(question.get_by_role("heading")).to_contain_text("You already logged a session for")
    expect(question).to_be_in_viewport()
    expect(question).to_be_focused()
    expect(page.get_by_label("Low mood")).to_be_checked()
    assert [s.status for s in stored(assignment_id)] == ["done"]
    shoot(e2e, page, "same-day-question")
    question.get_by_role("button", name="Replace it with this entry").click()
    expect(status_text(page)).to_contain_text("Thanks for letting us know.")
    expect(page.locator("main")).not_to_contain_text("Well done")
    assert [s.status for s in stored(assignment_id)] == ["skipped"]
    shoot(e2e, page, "skip-thanked")

    # Today's entry: change or remove it.
    page.get_by_role("link", name=re.compile("Change or remove")).click()
    expect(heading(page)).to_have_text("Change today\u2019s entry")
    shoot(e2e, page, "change-or-remove")
    page.get_by_role("button", name="Remove this entry").click()
    expect(status_text(page)).to_have_text("Your entry is removed: it no longer counts.")
    expect(page.locator("main")).to_contain_text("0 sessions so far")
    assert stored(assignment_id) == []
    assert [s.withdrawn_reason for s in stored(assignment_id, counted_only=False)] == [
        "replaced",
        "removed",
    ]


# Item 7: the gym with no signal ------------------------------------------------------------


def offline_context(e2e):
    """A phone whose browser lets the app's service worker run (the suite's contexts block
    service workers so that other tests see the network as it is)."""
    context = e2e._chromium.browser.new_context(
        base_url=e2e.base_url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="en-GB",
        timezone_id="Europe/London",
        service_workers="allow",
    )
    context.set_default_timeout(15_000)
    context.on("request", lambda request: e2e.requests.append((request.method, request.url)))
    e2e._contexts.append(context)
    return context


def kept_for_offline(page):
    """Wait until the worker controls the page's scope and the page is in its cache."""
    for _ in range(100):
        if page.evaluate("""async () => {
            const registration = await navigator.serviceWorker.ready;
            return Boolean(registration.active && navigator.serviceWorker.controller
                           && await caches.match('/p/', {ignoreVary: true}));
        }"""):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the page was not kept for offline use within 10 s")


def offline_status(page):
    return page.locator("#offline-status")


def test_the_session_opens_and_is_logged_offline_then_sent_once(e2e, program):
    link, assignment_id = program
    context = offline_context(e2e)
    page = open_program(context.new_page(), link)
    kept_for_offline(page)

    context.set_offline(True)
    response = page.reload()
    assert response.from_service_worker  # the page kept on the phone, not the network
    expect(heading(page)).to_have_text("Your next session")
    expect(page.locator("li.exercise").first).to_contain_text("Barbell back squat")
    page.get_by_label("I did it as planned").check()
    page.get_by_label("How hard was it overall?").fill("4")
    save(page)
    expect(offline_status(page)).to_contain_text("No signal: your session")
    expect(offline_status(page)).to_contain_text("kept on this phone")
    shoot(e2e, page, "offline-kept")
    queued = page.evaluate("localStorage.getItem('liftclinic.program.queue')")
    [item] = json.loads(queued)
    key = dict(item["fields"])["submission_key"]
    assert stored(assignment_id) == []

    context.set_offline(False)  # the 'online' event sends it
    expect(offline_status(page)).to_contain_text("is saved now. Thank you.")
    [logged] = stored(assignment_id)
    assert (logged.submission_key, logged.status, logged.rpe, logged.source) == (
        key,
        "done",
        4,
        "patient",
    )
    assert page.evaluate("localStorage.getItem('liftclinic.program.queue')") is None
    shoot(e2e, page, "offline-sent")

    # A retry of the same log (a response lost on the way back): still one session.
    page.evaluate("q => localStorage.setItem('liftclinic.program.queue', q)", queued)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(offline_status(page)).to_contain_text("is saved now")
    assert [s.submission_key for s in stored(assignment_id, counted_only=False)] == [key]


def test_a_log_made_offline_waits_when_the_link_is_gone_from_the_browser(e2e, program):
    """The browser session cookie is gone by the time there is signal (the phone was
    restarted): nothing is sent without a valid session and token; the log waits until the
    patient opens their link again, and is then sent once."""
    link, assignment_id = program
    context = offline_context(e2e)
    page = open_program(context.new_page(), link)
    kept_for_offline(page)
    context.set_offline(True)
    page.reload()
    page.get_by_label("Low-energy version").check()
    save(page)
    expect(offline_status(page)).to_contain_text("kept on this phone")

    context.clear_cookies()
    context.set_offline(False)
    expect(offline_status(page)).to_contain_text("open your program link from your message again")
    assert stored(assignment_id) == []
    shoot(e2e, page, "offline-link-needed")

    open_program(page, link)
    expect(offline_status(page)).to_contain_text("is saved now")
    [logged] = stored(assignment_id)
    assert (logged.status, logged.low_energy) == ("partial", True)


def test_without_javascript_nothing_is_kept_and_the_form_posts_as_before(e2e, program):
    link, assignment_id = program
    page = open_program(e2e.page(phone=True, javascript=False), link)
    page.get_by_label("I did it as planned").check()
    save(page)
    expect(status_text(page)).to_contain_text("Saved. Well done for showing up.")
    expect(offline_status(page)).to_be_hidden()
    expect(page.get_by_role("button", name="Print or keep your program")).to_be_hidden()
    assert len(stored(assignment_id)) == 1


# Item 8: a handout to print -------------------------------------------------------------------


def test_the_program_prints_as_a_handout(e2e, program):
    link, _ = program
    page = open_program(e2e.page(phone=True), link)
    expect(page.get_by_role("button", name="Print or keep your program")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#session-form")).to_be_hidden()
    expect(page.get_by_role("link", name="Log this session")).to_be_hidden()
    squat = page.locator("li.exercise").first
    expect(squat.locator("ul.cues")).to_be_visible()  # folded on screen, printed open
    expect(squat.locator(".prescription")).to_contain_text(EFFORT)
    shoot(e2e, page, "handout-print-media")
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(format="A4")
    (SHOTS / "handout.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")


# Item 9: the weight of the page with its script -------------------------------------------------


def test_the_program_page_with_its_script_stays_within_the_budget(e2e, program):
    link, _ = program
    page = e2e.page(phone=True)
    requests = []
    page.on("request", lambda request: requests.append(request))
    page.goto(link, wait_until="load")
    page.wait_for_load_state("networkidle")
    rows = []
    for request in requests:
        sizes = request.sizes()
        response = request.response()
        path = urlsplit(request.url).path
        rows.append(
            {
                "kind": request.resource_type,
                "status": response.status if response else None,
                "path": "/p/<token>" if request.url == link else path,
                # A file read from the browser's cache reports a negative size: 0 bytes.
                "body": max(sizes["responseBodySize"], 0),
                "headers": max(sizes["responseHeadersSize"], 0),
            }
        )
    assert all(urlsplit(r.url).hostname == "127.0.0.1" for r in requests)
    assert {"document", "stylesheet", "script"} <= {r["kind"] for r in rows}, rows
    weight = {
        "page": "/p/ Barbell basics level 0, with JavaScript",
        "requests": len(rows),
        "kinds": [f"{r['kind']} {r['path']} {r['body']} B" for r in rows],
        "body_bytes": sum(r["body"] for r in rows),
        "transfer_bytes": sum(r["body"] + r["headers"] for r in rows),
    }
    WEIGHTS.append(weight)
    print(
        f"\nweight of {weight['page']}: {weight['transfer_bytes']} bytes with headers, "
        f"{weight['requests']} requests ({', '.join(weight['kinds'])})"
    )
    assert weight["transfer_bytes"] < MAX_PATIENT_PAGE_BYTES, weight
