"""Safe progression and honest logs, told as dated timelines (issue 13, part C, items 6, 7, 9).

Each test logs what a patient did on which day, then reads what the clinician's program page,
the progression suggestion and the JSON API say. The world is the smallest that shows it: one
clinic, one therapist, one patient, a two-level program of a goblet squat (loaded, 2 x 8-12,
40 kg) and a push-up (body weight, 2 x 8-12). The program started on the Monday two weeks
before this week's Monday.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine
from conftest import csrf_token
from factories import (
    AssignmentFactory,
    ClinicFactory,
    ExerciseFactory,
    PatientFactory,
    SessionFactory,
    TemplateFactory,
    UserFactory,
    level,
    level_row,
    program_token,
    session_entry,
)
from helpers import fresh, make_token, open_link, text, unescaped, words_of
from html_forms import form_of

from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.programs import progress_review, services
from clinic.programs.models import Assignment, SessionLog
from clinic.timefmt import format_day

THERAPIST = "thea@harbour.test"
SQUAT, PUSH = 0, 1


@dataclass
class World:
    therapist: object
    patient: object
    assignment_id: int
    start: object  # the program's first Monday
    today: object
    token: str

    def day(self, offset):
        """The program's day ``offset`` (0 is its first Monday)."""
        return self.start + timedelta(days=offset)

    @property
    def base(self):
        return f"/api/v1/assignments/{self.assignment_id}"


@pytest.fixture
def world(app):
    clinic = ClinicFactory(name="Harbour Clinic")
    therapist = UserFactory(clinic=clinic, role=Role.THERAPIST, email=THERAPIST, name="Thea")
    patient = PatientFactory(clinic=clinic, primary=therapist, display_name="Ada Vale")
    squat = ExerciseFactory(actor=therapist, name="Goblet squat", pattern="squat",
                            measure="load_reps", equipment="dumbbell")
    push = ExerciseFactory(actor=therapist, name="Push-up", pattern="push_horizontal",
                           measure="bodyweight_reps", equipment="none")
    template = TemplateFactory(actor=therapist, name="Home to gym", levels=[
        level(level_row(squat, load_kind="kg"), level_row(push), name="Home",
              sessions_per_week=2),
        level(level_row(squat, load_kind="kg"), level_row(push), name="Gym",
              sessions_per_week=3),
    ])
    today = services.clinic_today(patient.id)
    start = today - timedelta(days=today.weekday() + 14)
    assignment = AssignmentFactory(actor=therapist, patient=patient, template=template,
                                   start_date=start)
    services.change_target(therapist, assignment.id, SQUAT, {"load_kg": Decimal("40")},
                           "Starting load agreed in session.")
    return World(therapist, patient, assignment.id, start, today, program_token(assignment))


def log(world, offset, *, squat=(12, 12), squat_kg="40", push=(12, 12), pain=0, rpe=5,
        **values):
    """The patient logs day ``offset``: each number is one set's reps."""
    sets = {SQUAT: [{"reps": r, "load_kg": Decimal(squat_kg), "seconds": None} for r in squat],
            PUSH: [{"reps": r, "load_kg": None, "seconds": None} for r in push]}
    return SessionFactory(assignment=fresh(Assignment, world.assignment_id),
                          performed_on=world.day(offset), pain=pain, rpe=rpe, sets=sets,
                          **values)


def skip(world, offset, reason, pain=None, **values):
    return SessionFactory(assignment=fresh(Assignment, world.assignment_id),
                          performed_on=world.day(offset), status="skipped", skip_reason=reason,
                          pain=pain, rpe=None, sets={}, **values)


def suggestion(world, index=SQUAT):
    db.session.expire_all()
    found = progress_review.suggestion_for(fresh(Assignment, world.assignment_id), index)
    return found.suggestion if found else None


def program_page(client, auth, world):
    auth.login(THERAPIST)
    page = client.get(f"/programs/assignments/{world.assignment_id}")
    assert page.status_code == 200
    return words_of(text(page))


def api(client, world):
    return {"Authorization": f"Bearer {make_token(world.therapist)}"}


def audited(action):
    db.session.commit()
    return db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).all()


# Item 6: pain holds every increase, until a clinician reviews --------------------------------


def test_a_session_skipped_for_knee_pain_holds_the_squat_increase_until_reviewed(
        world, client, auth):
    """Mon and Thu of week 1: every set at the top, pain 0. Mon of week 2: skipped for knee
    pain (6/10). The squat would earn more load, but the skip holds it; a review lifts it."""
    log(world, 0)
    log(world, 3)
    assert suggestion(world).kind == "increase_load"  # 40 -> 42.5 kg on the logs alone
    skip(world, 7, "pain", pain=6, pain_where="left knee")

    held = suggestion(world)
    assert held.kind == "hold" and held.new_load_kg == Decimal("40")
    assert "pain of 6/10" in held.reason and "(skipped for pain)" in held.reason
    push = suggestion(world, PUSH)  # the push-up earned a set: held too, whatever was skipped
    assert push.kind == "hold" and push.new_sets == 2
    page = program_page(client, auth, world)
    assert "Safety hold." in page and "until a clinician reviews" in page
    headers = api(client, world)
    assignment = client.get(world.base, headers=headers).get_json()
    assert "pain of 6/10" in assignment["progression_hold"]
    listed = client.get(f"{world.base}/suggestions", headers=headers).get_json()
    assert {s["kind"] for s in listed} == {"hold"}

    # The review needs a note: the page comes back with the message and nothing saved.
    url = f"/programs/assignments/{world.assignment_id}/hold/review"
    refused = client.post(url, data={"csrf_token": csrf_token(client, url.rsplit("/", 2)[0]),
                                     "note": "  "})
    assert refused.status_code == 422 and "Say what the review found." in unescaped(refused)
    assert not audited("program_hold_review")
    reviewed = client.post(url, data={"csrf_token": csrf_token(client, url.rsplit("/", 2)[0]),
                                      "note": "Knee settled; physio cleared squats."})
    assert reviewed.status_code == 303
    assert len(audited("program_hold_review")) == 1
    assert suggestion(world).kind == "increase_load"
    assert client.get(world.base, headers=headers).get_json()["progression_hold"] is None

    # Pain reported after the review holds again.
    log(world, 10, pain=5)
    assert suggestion(world).kind == "hold"


def test_a_skip_for_pain_without_a_number_holds_and_an_older_pain_does_not(world):
    """Week 1: a skip for pain with no pain number (not recorded is not zero) holds. Two
    pain-free sessions later, it is no longer among the last two and nothing holds."""
    log(world, 0)
    skip(world, 2, "pain")
    log(world, 3)
    hold = progress_review.hold_reason(fresh(Assignment, world.assignment_id))
    assert "a session skipped for pain" in hold
    log(world, 7)
    log(world, 10)
    assert progress_review.hold_reason(fresh(Assignment, world.assignment_id)) is None
    assert suggestion(world).kind == "increase_load"


def test_pain_not_recorded_holds_an_automatic_increase_like_a_missing_rpe(world, client):
    """Two sessions at the top of the range with the pain question left blank: no increase."""
    log(world, 0, pain=None)
    log(world, 3, pain=None)
    held = suggestion(world)
    assert held.kind == "hold" and "pain was not recorded" in held.reason
    listed = client.get(f"{world.base}/suggestions", headers=api(client, world)).get_json()
    squat = next(s for s in listed if s["index"] == SQUAT)
    assert squat["kind"] == "hold" and squat["load_kg"] == 40.0


def test_a_stall_is_judged_at_the_load_actually_lifted(world):
    """Three sessions at 45 kg (above the 40 kg prescribed) with 6 reps: not a reason to go
    lighter than prescribed. Three at 40 kg with 6 reps are."""
    for offset in (0, 3, 7):
        log(world, offset, squat=(6, 6), squat_kg="45")
    assert suggestion(world) is None
    for offset in (8, 10, 14):
        log(world, offset, squat=(6, 6), squat_kg="40")
    lighter = suggestion(world)
    assert lighter.kind == "decrease_load" and lighter.new_load_kg < Decimal("40")


def test_each_week_is_planned_with_the_level_in_force_at_its_start(world, client, auth):
    """Level 2 (3 a week) from Wednesday of week 2: week 2 stays planned at 2 sessions (the
    level it began with); week 3 is planned at 3."""
    wednesday = datetime.combine(world.day(9), time(12, 0), tzinfo=UTC)
    with time_machine.travel(wednesday, tick=False):
        services.change_level(world.therapist, world.assignment_id, 1, "Ready for the gym.")
    summary = services.progress(fresh(Assignment, world.assignment_id))
    planned = {week.week_start: week.planned for week in summary["weeks"]}
    assert planned[world.day(0)] == 2 and planned[world.day(7)] == 2
    assert planned[world.day(14)] == 3
    page = program_page(client, auth, world)
    assert f"{format_day(world.day(7))} 2 " in page  # days as pages write them
    assert f"{format_day(world.day(14))} 3 " in page


def test_the_patients_equipment_sets_the_next_load(world, client, auth):
    """At 40 kg the usual step gives 42.5 kg; the patient's own dumbbells make 40 and 44 only:
    the next load is 44 kg (+10%). Recorded on the page, changed by the API, audited."""
    log(world, 0)
    log(world, 3)
    assert suggestion(world).new_load_kg == Decimal("42.5")
    auth.login(THERAPIST)
    url = f"/programs/assignments/{world.assignment_id}/equipment"
    page = f"/programs/assignments/{world.assignment_id}"
    bad = client.post(url, data={"csrf_token": csrf_token(client, page),
                                 "equipment": "40, heavy", "reason": "Home set"})
    assert bad.status_code == 422
    text = unescaped(bad)
    assert "“heavy”: Enter a load in kg" in text and 'value="40, heavy"' in text
    assert 'value="Home set"' in text
    saved = client.post(url, data={"csrf_token": csrf_token(client, page),
                                   "equipment": "44, 40", "reason": "Home set"})
    assert saved.status_code == 303
    assert fresh(Assignment, world.assignment_id).equipment_loads == ["40", "44"]
    step = suggestion(world)
    assert step.kind == "increase_load" and step.new_load_kg == Decimal("44")
    assert 'value="40, 44"' in unescaped(client.get(page))

    headers = api(client, world)
    refused = client.post(f"{world.base}/equipment", headers=headers,
                          json={"loads_kg": [40, 44.123]})
    assert refused.status_code == 422 and "loads_kg" in refused.get_json()["fields"]
    changed = client.post(f"{world.base}/equipment", headers=headers,
                          json={"loads_kg": [40, 50], "reason": "Bought a heavier pair"})
    assert changed.status_code == 200
    assert changed.get_json()["equipment_loads_kg"] == [40.0, 50.0]
    # 50 kg is +25%: the range grows first (PROGRAMS.md), no jump without confirmation.
    assert suggestion(world).kind == "extend_range"
    assert len(audited("program_equipment_change")) == 2


# Item 7: honest logs -------------------------------------------------------------------------


def test_the_quick_log_stores_no_reps_and_is_no_evidence_for_progress(world, client, auth):
    """Mon and Thu of week 1 the patient taps "I did it as planned". Both count for adherence
    (2 of 2), but no reps were given: nothing stored as reps, no load suggestion, no e1RM."""
    phone = client.application.test_client()
    page = open_link(phone, world.token)
    assert page.status_code == 200
    assert "log your reps (“here are my sets”) to let your progress count" in words_of(
        text(page))
    for offset in (0, 3):
        form = {**form_of(phone.get("/p/")).values, "path": "as_prescribed",
                "performed_on": world.day(offset).isoformat(), "rpe": "5", "pain": "0"}
        assert phone.post("/p/", data=form).status_code == 303
    saved = phone.get("/p/?saved=1")
    assert "log your reps to let your progress count" in words_of(text(saved))

    db.session.expire_all()
    logged = db.session.scalars(sa.select(SessionLog).order_by(SessionLog.id)).all()
    assert [s.as_planned for s in logged] == [True, True]
    assert {(s.reps, s.seconds) for session in logged for s in session.sets} == {(None, None)}
    assert {s.load_kg for session in logged for s in session.sets if s.exercise_id
            == logged[0].sets[0].exercise_id} == {Decimal("40")}
    summary = services.progress(fresh(Assignment, world.assignment_id))
    week1 = summary["weeks"][0]
    assert (week1.planned, week1.credited) == (2, 2)
    assert suggestion(world) is None
    assert progress_review.strength_rows(fresh(Assignment, world.assignment_id)) == []
    page = program_page(client, auth, world)
    assert "done as planned: reps not counted" in page


def test_a_quick_log_breaks_a_run_at_the_top_of_the_range(world):
    """Top of the range on Monday, then the quick log on Thursday: two sessions in a row at
    the top were not shown, so no increase."""
    log(world, 0)
    SessionFactory(assignment=fresh(Assignment, world.assignment_id),
                   performed_on=world.day(3), as_planned=True,
                   sets={SQUAT: [{"reps": None, "load_kg": Decimal("40"), "seconds": None}] * 2})
    assert suggestion(world) is None


def test_the_api_reads_done_without_sets_as_the_quick_log(world, client):
    """A supervised session posted as ``done`` with no sets: every prescribed set at the
    prescribed load, reps null, marked as planned, and a whole session for adherence."""
    headers = api(client, world)
    posted = client.post(f"{world.base}/sessions", headers=headers, json={
        "performed_on": world.day(1).isoformat(), "status": "done", "rpe": 5, "pain": 0})
    assert posted.status_code == 201, posted.get_json()
    body = posted.get_json()
    assert body["as_planned"] is True and body["status"] == "done"
    assert len(body["sets"]) == 4 and {s["reps"] for s in body["sets"]} == {None}
    assert {s["load_kg"] for s in body["sets"]} == {40.0, None}
    week1 = services.progress(fresh(Assignment, world.assignment_id))["weeks"][0]
    assert week1.credited == 1
    listed = client.get(f"{world.base}/sessions", headers=headers).get_json()
    assert listed["items"][0]["as_planned"] is True


# Issue 17: one entry a day; a removed or replaced entry counts nowhere ---------------------


def replace(world, offset, **values):
    """The patient logs day ``offset`` again and chooses to replace the earlier entry."""
    entry = session_entry(world.day(offset), **{"pain": 0, "rpe": 5, **values})
    return services.log_session(world.assignment_id, entry, source="patient", replace=True)


def week1(world):
    db.session.expire_all()
    return services.progress(fresh(Assignment, world.assignment_id))["weeks"][0]


def test_a_replaced_entry_no_longer_earns_the_increase(world, client, auth):
    """Mon and Thu of week 1 at the top of the range earn 40 -> 42.5 kg. The patient then
    replaces Thursday's entry (they had logged it wrongly: 9 and 8 reps): no two sessions at
    the top any more, no increase; adherence still counts Thursday once."""
    log(world, 0)
    thursday = log(world, 3)
    assert suggestion(world).kind == "increase_load"
    with pytest.raises(services.SameDayEntry):  # a second entry for Thursday asks first
        log(world, 3, squat=(9, 8))
    replace(world, 3, sets={SQUAT: [{"reps": 9, "load_kg": Decimal("40"), "seconds": None},
                                    {"reps": 8, "load_kg": Decimal("40"), "seconds": None}],
                            PUSH: [{"reps": 12, "load_kg": None, "seconds": None}] * 2})

    assert suggestion(world) is None
    assert (week1(world).planned, week1(world).credited) == (2, 2)
    assert fresh(SessionLog, thursday.id).withdrawn_reason == "replaced"
    page = program_page(client, auth, world)
    assert "2 sessions so far" in page
    listed = client.get(f"{world.base}/sessions", headers=api(client, world)).get_json()
    assert listed["total"] == 2 and thursday.id not in {s["id"] for s in listed["items"]}


def test_a_removed_entry_no_longer_counts_for_adherence_or_progress(world, client, auth):
    """Mon and Thu of week 1 at the top of the range; the patient removes Thursday's entry
    (logged by mistake) the same day: 1 of 2 credited, and no increase on Monday alone."""
    log(world, 0)
    thursday = log(world, 3)
    assert week1(world).credited == 2
    services.withdraw_own_session(world.assignment_id, thursday.id)

    assert week1(world).credited == 1
    assert suggestion(world) is None
    assert progress_review.strength_rows(fresh(Assignment, world.assignment_id))
    page = program_page(client, auth, world)
    assert "1 session so far" in page
    [event] = audited("session_withdraw")
    assert (event.actor_kind, event.object_id, event.detail) == (
        "link", thursday.id, {"reason": "removed"})


def test_a_skip_replacing_a_painful_entry_lifts_nothing_the_pain_held(world):
    """Thursday logged with pain 6 holds the increase; replaced by the right entry (pain 0,
    it was a typing slip), the hold goes: the replaced entry is no evidence either way."""
    log(world, 0)
    log(world, 3, pain=6)
    assert suggestion(world).kind == "hold"
    replace(world, 3, sets={SQUAT: [{"reps": 12, "load_kg": Decimal("40"), "seconds": None}] * 2,
                            PUSH: [{"reps": 12, "load_kg": None, "seconds": None}] * 2})
    assert suggestion(world).kind == "increase_load"
