"""The clinic outcome summary through the real app: which episodes and which responses count
(forms entered out of date order, a form dated before the episode, an active patient, a single
paired occasion), who sees which rows, and that the page, the PDF and the clinic CSV give the
same numbers for the same clinic."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from factories import (
    AssignmentFactory,
    ClinicFactory,
    PatientFactory,
    ResponseFactory,
    SessionFactory,
    UserFactory,
)
from helpers import rows, words_of

from clinic.audit.models import AuditEvent
from clinic.auth.models import Role
from clinic.patients.services import set_discharged
from clinic.programs import services as programs
from clinic.reports import outcome_summary
from clinic.reports.services import clinic_outcome_episodes, outcome_summary_of
from reports.helpers import csv_rows, pdf_text

PAIRED_ROW = "paired PHQ-9 and GAD-7"


def spread(total, items, top):
    answers = [0] * items
    for n in range(total):
        answers[n % items] += 1
    assert max(answers) <= top
    return answers


def phq9(total):
    return [*spread(total, 8, 3), 0]  # item 9 (risk) at 0


def gad7(total):
    return spread(total, 7, 3)


def occasion(actor, patient, days_ago, phq, gad):
    """A paper PHQ-9 and GAD-7 of the same clinical date: one paired occasion."""
    when = datetime.now(UTC) - timedelta(days=days_ago)
    ResponseFactory(
        actor=actor, patient=patient, code="PHQ-9", answers=phq9(phq), completed_at=when
    )
    ResponseFactory(
        actor=actor, patient=patient, code="GAD-7", answers=gad7(gad), completed_at=when
    )


def finished(actor, pairs, *, team=(), start_days_ago=60, discharge=True):
    """A patient of ``actor``'s with paired occasions ``pairs`` = [(days ago, phq, gad)] (in the
    order given, which is the order of entry), then discharged."""
    patient = PatientFactory(
        clinic=actor.clinic,
        primary=actor,
        team=list(team),
        episode_start=datetime.now(UTC) - timedelta(days=start_days_ago),
    )
    for days_ago, phq, gad in pairs:
        occasion(actor, patient, days_ago, phq, gad)
    if discharge:
        set_discharged(actor, patient.id, True)
    return patient


@pytest.fixture
def clinic_world(app):
    clinic = ClinicFactory(name="Harbour Clinic")
    admin = UserFactory(clinic=clinic, role=Role.ADMIN, email="ada@h.test", name="Ada Admin")
    ash = UserFactory(clinic=clinic, email="ash@h.test", name="Robin Ash")
    birch = UserFactory(clinic=clinic, email="birch@h.test", name="Kim Birch")
    trainer = UserFactory(clinic=clinic, role=Role.TRAINER, email="tom@h.test", name="Tom Lift")
    other_admin = UserFactory(clinic=ClinicFactory(), role=Role.ADMIN, email="a@o.test")
    # Robin Ash's six finished episodes (the hand-worked six of tests/unit): entered latest
    # first, so only the clinical dates can order them.
    a = finished(ash, [(5, 4, 3), (50, 15, 10)], team=[trainer])  # reliable recovery
    finished(ash, [(5, 8, 7), (50, 12, 9)])  # recovered, no reliable change (-4, -2)
    finished(ash, [(5, 12, 9), (50, 20, 14)])  # case at latest: reliable improvement only
    finished(ash, [(5, 18, 14), (50, 11, 9)])  # reliable deterioration (+7)
    finished(ash, [(5, 1, 1), (50, 8, 6)])  # not a case at baseline, reliable improvement
    finished(ash, [(5, 3, 2), (50, 5, 4)])  # not a case, no reliable change
    # Kim Birch: one reliable recovery whose pre-episode forms (dated before the episode,
    # entered last) would make it "not a case" if they counted as its baseline.
    finished(birch, [(5, 4, 3), (40, 16, 12), (70, 2, 1)], start_days_ago=45)
    # Not counted: an active patient, and a finished episode with one paired occasion.
    finished(birch, [(5, 4, 3), (40, 16, 12)], discharge=False)
    finished(birch, [(40, 16, 12)])
    # Robin Ash's first patient trained on a program: adherence counts over the episode.
    return {
        "clinic": clinic,
        "admin": admin,
        "ash": ash,
        "birch": birch,
        "trainer": trainer,
        "other_admin": other_admin,
        "first": a,
    }


def page_table(body, code):
    table = re.search(
        rf'<table class="table compact outcome-table" id="table-{code}">(.*?)'
        r"</table>",
        body,
        re.S,
    )
    assert table, f"no {code} table"
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        cells = [words_of(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells and not row.lstrip().startswith('<th scope="col"'):
            found[cells[0]] = cells[1:]
    return found


def test_the_selection_counts_finished_episodes_by_their_clinical_dates(clinic_world):
    results = clinic_outcome_episodes(clinic_world["admin"])
    assert len(results) == 7
    birch = [r for r in results if r.clinician == "Kim Birch"]
    # The form dated before the episode (entered last) is not its baseline: 16/12 -> 4/3.
    assert len(birch) == 1 and birch[0].case_at_baseline and birch[0].reliable_recovery
    summary = outcome_summary.outcome_summary(results)
    overall = summary.overall
    assert (overall.episodes, overall.cases) == (7, 5)
    assert overall.recovery.words == "3 of 5 (60%)"
    assert overall.reliable_improvement.words == "4 of 7 (57%)"
    assert overall.reliable_recovery.words == "2 of 7 (29%)"
    assert overall.reliable_deterioration.words == "1 of 7 (14%)"
    assert [(g.label, g.episodes) for g in summary.by_clinician] == [
        ("Kim Birch", 1),
        ("Robin Ash", 6),
    ]


def test_a_clinician_sees_their_caseload_an_admin_the_clinic(clinic_world):
    def overall(user):
        return outcome_summary_of(user)[0]

    assert overall(clinic_world["admin"]).overall.episodes == 7
    ash = overall(clinic_world["ash"])
    assert ash.overall.episodes == 6
    assert [g.label for g in ash.by_clinician] == ["Robin Ash"]
    assert overall(clinic_world["birch"]).overall.episodes == 1
    # The trainer is on one care team: that episode only, its rates withheld (1 < 5).
    trainer = overall(clinic_world["trainer"])
    assert trainer.overall.episodes == 1
    assert trainer.overall.reliable_improvement.words == "withheld: 1 episode, fewer than 5"
    assert overall(clinic_world["other_admin"]).overall.episodes == 0


def test_the_page_the_pdf_and_the_clinic_csv_give_the_same_numbers(client, auth, clinic_world):
    auth.login("ada@h.test")
    page = client.get("/reports/outcomes")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Descriptive, not causal." in body
    overall = page_table(body, "overall")
    [(_label, cells)] = overall.items()
    assert cells == ["7", "5", "3 of 5 (60%)", "4 of 7 (57%)", "2 of 7 (29%)", "1 of 7 (14%)"]
    by_clinician = page_table(body, "by_clinician")
    assert by_clinician["Robin Ash"][:2] == ["6", "4"]
    assert by_clinician["Kim Birch"][2] == "withheld: 1 episode, fewer than 5"
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in body and "<script" not in body

    text = pdf_text(auth.post("/reports/outcomes.pdf", data={}).data)
    assert "Outcome summary for a service review" in text
    assert "7 5 3 of 5 (60%) 4 of 7 (57%) 2 of 7 (29%) 1 of 7 (14%)" in text
    assert "Descriptive, not causal." in text
    assert rows(AuditEvent, AuditEvent.action == "outcome_summary_export")

    csv = csv_rows(auth.post("/reports/clinic/outcomes.csv", data={}).data)
    paired = [
        r
        for r in csv
        if r["instrument"] == PAIRED_ROW
        and r["status"] == "discharged"
        and r["paired_occasions"]
        and int(r["paired_occasions"]) >= 2
    ]
    cases = [r for r in paired if r["paired_case_at_baseline"] == "true"]
    counts = (
        len(paired),
        len(cases),
        sum(r["paired_recovered"] == "true" for r in cases),
        sum(r["paired_reliable_improvement"] == "true" for r in paired),
        sum(r["paired_reliable_recovery"] == "true" for r in paired),
        sum(r["paired_reliable_deterioration"] == "true" for r in paired),
    )
    assert counts == (7, 5, 3, 4, 2, 1)


def test_the_page_view_is_audited_and_names_no_patient(client, auth, clinic_world):
    auth.login("ash@h.test")
    body = client.get("/reports/outcomes").get_data(as_text=True)
    assert "your caseload" in body
    [event] = rows(AuditEvent, AuditEvent.action == "outcome_summary_view")
    assert event.patient_id is None and event.detail["episodes"] == 6
    for patient_name in re.findall(r"Patient \d+", body):
        pytest.fail(f"a patient is named on the page: {patient_name}")


def test_adherence_is_the_programs_over_the_complete_weeks_of_the_episode(app, clinic_world):
    ash = clinic_world["ash"]
    patient = finished(ash, [(5, 4, 3), (50, 15, 10)], discharge=False)
    today = programs.clinic_today(patient.id)
    start = today - timedelta(days=today.weekday() + 56)  # a Monday, 8 complete weeks ago
    assignment = AssignmentFactory(actor=ash, patient=patient, start_date=start)
    planned = assignment.snapshot["levels"][0]["sessions_per_week"]
    # Each complete week: as many partial sessions as planned (half credit each) -> 50 %;
    # and this week's (incomplete) sessions are left out.
    for week in range(8):
        for n in range(planned):
            SessionFactory(
                assignment=assignment,
                status="partial",
                performed_on=start + timedelta(days=7 * week + n),
            )
    SessionFactory(assignment=assignment, performed_on=today)
    set_discharged(ash, patient.id, True)
    mine = [r for r in clinic_outcome_episodes(ash) if r.adherence_percent is not None]
    assert [(r.program, r.adherence_percent) for r in mine] == [(assignment.name, 50)]
    summary = outcome_summary_of(ash)[0]
    assert {g.label: g.episodes for g in summary.by_adherence} == {
        outcome_summary.FROM_50_TO_79: 1,
        outcome_summary.NO_PROGRAM: 6,
    }
