"""Entry-order independence (shared/INSTRUMENTS.md, "Episodes of care and the clinical
timeline"): entering the same dated forms, and the same corrections, in any order gives the
same baseline, latest, change class and recovery.

A property over random timelines: a few PHQ-9 paper forms on days around the episode start
(some before it, some on the same day), some of them corrected; each example enters them for
two fresh patients in two different orders, through the services, and compares what the
patient page's summary says with each other and with the rule worked out by hand here.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from factories import PatientFactory, UserFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic.auth.models import Role
from clinic.measures import services
from clinic.measures.change import classify_change
from clinic.measures.instruments import get_instrument

PHQ9 = get_instrument("PHQ-9")
START_BACK = 30  # the episode began 30 days ago


@dataclass(frozen=True)
class Form:
    day: int  # days after the episode start (negative: before it)
    total: int
    corrected_to: int | None  # the total after a correction, if the form is corrected
    correct_at_once: bool  # the correction straight after the form, else after every form


def answers_for(total):
    values = [0] * 9
    for i in range(total):
        values[i % 8] += 1
    return values


forms = st.builds(
    Form,
    day=st.integers(-6, START_BACK - 1),  # not today: a form of today is stored at entry
    total=st.integers(0, 24),
    corrected_to=st.one_of(st.none(), st.integers(0, 24)),
    correct_at_once=st.booleans(),
)
timelines = st.lists(forms, min_size=1, max_size=5).flatmap(
    lambda items: st.tuples(st.just(items), st.permutations(range(len(items)))))


def enter(therapist, timeline, order, today):
    """A fresh patient, the forms entered in ``order``; returns the PHQ-9 summary."""
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist,
                             episode_start=today - timedelta(days=START_BACK))
    start = today - timedelta(days=START_BACK)
    pending = []

    def correct(index, response):
        services.correct_response(therapist, patient.id, response.id,
                                  answers_for(timeline[index].corrected_to), reason="Misread")

    for index in order:
        form = timeline[index]
        moment = datetime.combine(start + timedelta(days=form.day), time(12), tzinfo=UTC)
        response = services.record_clinician_response(
            therapist, patient.id, "PHQ-9", answers_for(form.total), moment)
        if form.corrected_to is not None:
            if form.correct_at_once:
                correct(index, response)
            else:
                pending.append((index, response))
    for index, response in pending:
        correct(index, response)
    return next(s for s in services.summaries(patient) if s.instrument.code == "PHQ-9")


def outcome(summary):
    change = summary.change
    return (
        summary.baseline and (summary.baseline.completed_at, summary.baseline.total),
        (summary.latest.completed_at, summary.latest.total),
        change and (change.reliable, change.recovery, change.reliable_recovery),
    )


def by_hand(timeline):
    """The rule, worked out without the app: current totals of forms dated in the episode,
    earliest (then lowest total) first."""
    current = sorted((form.day, form.corrected_to if form.corrected_to is not None
                      else form.total) for form in timeline if form.day >= 0)
    if not current:
        return None
    (_, baseline), (_, latest) = current[0], current[-1]
    if len(current) == 1:
        return baseline, latest, None
    change = classify_change(PHQ9, baseline, latest)
    return baseline, latest, (change.reliable, change.recovery, change.reliable_recovery)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(example=timelines)
def test_baseline_latest_and_change_do_not_depend_on_the_order_of_entry(app, example):
    timeline, order = example
    therapist = UserFactory(role=Role.THERAPIST)
    today = therapist.clinic.today()
    as_dated = enter(therapist, timeline, sorted(range(len(timeline)),
                                                 key=lambda i: timeline[i].day), today)
    shuffled = enter(therapist, timeline, list(order), today)
    assert outcome(as_dated) == outcome(shuffled)

    expected = by_hand(timeline)
    if expected is None:
        assert as_dated.baseline is None and as_dated.change is None
    else:
        baseline, latest, change = expected
        assert (as_dated.baseline.total, as_dated.latest.total) == (baseline, latest)
        assert outcome(as_dated)[2] == change
