"""The dashboard as a triage list: in order of need by default (open risk alerts, then
deterioration and not-on-track, then overdue questionnaires and missed sessions, then the
rest), sortable by its columns and filterable from the query string, in the same number of
SQL statements for 5, 50 and 500 patients."""

import re
import secrets
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from factories import (
    AssignmentFactory,
    ClinicFactory,
    SessionFactory,
    UserFactory,
    starter_templates,
)
from helpers import words_of

from clinic.alerts.models import Alert
from clinic.auth.models import Role
from clinic.database import utcnow
from clinic.extensions import db
from clinic.measures.models import Invitation, Response
from clinic.patients.models import CareTeamMember, Episode, Patient
from clinic.timefmt import days_ago

THERAPIST = "therapist@triage.test"
ADMIN = "admin@triage.test"
# Pattern of needs, by patient number modulo 5: what the row's need label says.
RISK, REVIEW, OVERDUE, ANSWERED, NEVER = range(5)
REVIEW_MARKER = (
    "Review Not on track: review the plan PHQ-9 18, week-4 cut point 17 (Schueller et al. 2015)"
)


@pytest.fixture
def clinic():
    return ClinicFactory(timezone="Pacific/Auckland")  # far from UTC: dates must be local


@pytest.fixture
def therapist(clinic):
    return UserFactory(clinic=clinic, email=THERAPIST, name="Dr Therapist")


def add_patients(clinic, therapist, numbers):
    """Patients with one need each (by number modulo 5), added in one transaction."""
    now = utcnow()
    today = clinic.today()
    made = {}
    for n in numbers:
        patient = Patient(
            clinic_id=clinic.id,
            display_name=f"Person {n:03d}",
            reference=f"TRI-{n:04d}",
            status="active",
        )
        patient.episodes.append(Episode(start=today - timedelta(days=90)))
        patient.care_team.append(CareTeamMember(user_id=therapist.id, is_primary=True))
        db.session.add(patient)
        db.session.flush()
        kind = n % 5
        if kind != NEVER:
            # Answered n % 17 days ago (ANSWERED today), at noon on the clinic's calendar.
            days = 0 if kind == ANSWERED else 3 + n % 17
            moment = datetime.combine(
                today - timedelta(days=days), time(12), tzinfo=clinic.zone
            ).astimezone(UTC)
            response = Response(
                patient_id=patient.id,
                instrument_code="PHQ-9",
                instrument_version="1",
                answers=[1] * 9,
                total=9,
                band="mild",
                is_case=False,
                flags=[],
                source="clinician",
                completed_at=moment,
            )
            db.session.add(response)
            db.session.flush()
            if kind in (RISK, REVIEW):
                db.session.add(
                    Alert(
                        clinic_id=clinic.id,
                        patient_id=patient.id,
                        kind="risk_item" if kind == RISK else "not_on_track",
                        response_id=response.id,
                        detail={
                            "instrument": "PHQ-9",
                            "week": 4,
                            "episode_week": 4,
                            "cut_point": 17,
                            "total": 18,
                            "source": "Schueller et al. 2015",
                        },
                    )
                )
            if kind == OVERDUE:
                db.session.add(
                    Invitation(
                        patient_id=patient.id,
                        instruments=["PHQ-9"],
                        kind="scheduled",
                        due_on=today - timedelta(days=1),
                        token_salt="s",
                        token_hash=secrets.token_hex(32),
                        created_at=now - timedelta(days=1),
                        expires_at=now - timedelta(hours=1),
                    )
                )
        made[patient.id] = n
    db.session.commit()
    return made


def give_program(therapist, patient_id, days_ago_done):
    template_id = starter_templates(therapist.clinic)["Home foundations"]
    assignment = AssignmentFactory(
        actor=therapist,
        patient=patient_id,
        template=template_id,
        start_date=therapist.clinic.today() - timedelta(days=14),
    )
    level = assignment.snapshot["levels"][0]
    sets = {
        i: [{"reps": item["reps_min"], "load_kg": None, "seconds": None}] * item["sets"]
        for i, item in enumerate(level["exercises"])
    }
    SessionFactory(
        assignment=assignment,
        submission_key=f"tri-{patient_id}",
        sets=sets,
        performed_on=therapist.clinic.today() - timedelta(days=days_ago_done),
    )
    return assignment


def table(body):
    """[(patient name, {column: words})] in the order shown."""
    tbody = re.search(r"<tbody>(.*?)</tbody>", body, re.S)
    if not tbody:
        return []
    shown = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", tbody.group(1), re.S):
        lines = re.findall(
            r'<div class="(?:need-line|last-seen)" data-label="([^"]+)">(.*?)</div>', row, re.S
        )
        cells = {
            label: words_of(cell)
            for label, cell in re.findall(r'<td data-label="([^"]+)">(.*?)</td>', row, re.S)
        }
        # The need line, and "Last answer: ..." / "Last session: ..." without their label.
        cells.update(
            {label: words_of(cell).removeprefix(f"{label}:").strip() for label, cell in lines}
        )
        name = re.search(r'<a class="patient-name" href="/patients/\d+">(.*?)</a>', row).group(1)
        shown.append((name, cells))
    return shown


def names(body):
    return [name for name, _ in table(body)]


def statements_of(client, url):
    seen = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    assert response.status_code == 200
    return response.get_data(as_text=True), seen


@pytest.mark.slow
def test_the_same_statements_for_5_50_and_500_patients(app, client, auth, clinic, therapist):
    made = add_patients(clinic, therapist, range(5))
    first = min(made)
    give_program(therapist, first, 2)
    auth.login(THERAPIST)
    client.get("/")
    counts = {}
    for size, more in ((5, None), (50, range(5, 50)), (500, range(50, 500))):
        if more is not None:
            added = add_patients(clinic, therapist, more)
            if size == 500:  # the stalest risk row, first on the need order's first page
                give_program(therapist, next(p for p, n in added.items() if n == 50), 2)
        for url in (
            "/",
            "/?sort=name",
            "/?sort=last_answer&unanswered=1",
            "/?sort=alerts&open_alerts=1",
        ):
            body, seen = statements_of(client, url)
            counts.setdefault(url, {})[size] = len(seen)
        body, _ = statements_of(client, "/")
        shown = table(body)
        assert len(shown) == min(size, app.config["PER_PAGE"])
        assert shown[0][1]["Need"] == "Risk alert"  # need first, whatever the size
    print("\ndashboard statements by caseload size:", counts)
    for url, by_size in counts.items():
        assert by_size[5] == by_size[50] == by_size[500], (url, by_size)


def test_need_orders_risk_then_review_then_overdue_then_the_rest(
    app, client, auth, clinic, therapist
):
    add_patients(clinic, therapist, range(10))
    auth.login(THERAPIST)
    shown = table(client.get("/").get_data(as_text=True))
    assert [cells["Need"] for _, cells in shown] == [
        "Risk alert",
        "Risk alert",
        REVIEW_MARKER,
        REVIEW_MARKER,
        "Overdue",
        "Overdue",
        "",
        "",
        "",
        "",
    ]
    # The rest: never answered first (the stalest), then oldest answer first.
    assert [name for name, _ in shown[6:]] == [
        "Person 004",
        "Person 009",
        "Person 003",
        "Person 008",
    ]


def test_the_columns_say_when_each_patient_last_answered_and_trained(
    app, client, auth, clinic, therapist
):
    made = add_patients(clinic, therapist, range(5))
    by_number = {n: pid for pid, n in made.items()}
    give_program(therapist, by_number[ANSWERED], 1)
    auth.login(THERAPIST)
    cells = dict(table(client.get("/?sort=name").get_data(as_text=True)))
    assert cells["Person 000"]["Last answer"] == "3 days ago"
    assert cells["Person 001"]["Last answer"] == "4 days ago"
    assert cells["Person 003"]["Last answer"] == "today"
    assert cells["Person 004"]["Last answer"] == "never"
    assert cells["Person 003"]["Last session"] == "yesterday"
    assert cells["Person 000"]["Last session"] == "none"
    assert cells["Person 000"]["Alerts"] == "1 open 1 risk"
    assert cells["Person 001"]["Alerts"] == "1 open 1 review"
    assert days_ago(clinic.today(), clinic.today()) == "today"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sort=name", ["Person 000", "Person 001", "Person 002", "Person 003", "Person 004"]),
        (
            "sort=name&dir=desc",
            ["Person 004", "Person 003", "Person 002", "Person 001", "Person 000"],
        ),
        # Oldest answer first, never answered before everyone; newest first the other way.
        (
            "sort=last_answer",
            ["Person 004", "Person 002", "Person 001", "Person 000", "Person 003"],
        ),
        (
            "sort=last_answer&dir=desc",
            ["Person 003", "Person 000", "Person 001", "Person 002", "Person 004"],
        ),
        ("sort=alerts", ["Person 000", "Person 001", "Person 002", "Person 003", "Person 004"]),
        (
            "sort=need&dir=desc",
            ["Person 004", "Person 003", "Person 002", "Person 001", "Person 000"],
        ),
        (
            "sort=nonsense&dir=sideways",
            ["Person 000", "Person 001", "Person 002", "Person 004", "Person 003"],
        ),
    ],
)
def test_sorted_by_each_column(app, client, auth, clinic, therapist, query, expected):
    add_patients(clinic, therapist, range(5))
    auth.login(THERAPIST)
    assert names(client.get(f"/?{query}").get_data(as_text=True)) == expected


def test_sorted_by_last_session(app, client, auth, clinic, therapist):
    made = add_patients(clinic, therapist, range(3))
    by_number = {n: pid for pid, n in made.items()}
    give_program(therapist, by_number[0], 1)
    give_program(therapist, by_number[1], 9)
    auth.login(THERAPIST)
    assert names(client.get("/?sort=last_session").get_data(as_text=True)) == [
        "Person 002",
        "Person 001",
        "Person 000",
    ]
    assert names(client.get("/?sort=last_session&dir=desc").get_data(as_text=True)) == [
        "Person 000",
        "Person 001",
        "Person 002",
    ]


def test_filters_each_and_together(app, client, auth, clinic, therapist):
    made = add_patients(clinic, therapist, range(5))
    by_number = {n: pid for pid, n in made.items()}
    give_program(therapist, by_number[RISK], 1)
    auth.login(THERAPIST)

    def shown(query):
        return sorted(names(client.get(f"/?{query}").get_data(as_text=True)))

    this_week_start = clinic.today().weekday()  # days since Monday
    unanswered = {"Person 004"} | {
        f"Person {n:03d}" for n, days in ((0, 3), (1, 4), (2, 5)) if days > this_week_start
    }
    assert set(shown("unanswered=1")) == unanswered
    assert shown("open_alerts=1") == ["Person 000", "Person 001"]
    assert shown("no_program=1") == ["Person 001", "Person 002", "Person 003", "Person 004"]
    assert shown("open_alerts=1&no_program=1") == ["Person 001"]
    body = client.get("/?unanswered=1&open_alerts=1&no_program=1&sort=name").get_data(as_text=True)
    assert 'name="unanswered" value="1" checked' in body  # the form shows the state it came in
    assert '<option value="name" selected>' in body


def test_not_answered_this_week_is_on_the_clinics_calendar(app, client, auth, clinic, therapist):
    """Monday 00:30 in Auckland is Sunday in UTC: a form then counts for this week."""
    made = add_patients(clinic, therapist, [4])  # never answered
    (patient_id,) = made
    today = clinic.today()
    monday = today - timedelta(days=today.weekday())
    early = datetime.combine(monday, time(0, 30), tzinfo=clinic.zone).astimezone(UTC)
    assert early.date() < monday  # the UTC calendar says it was last week
    db.session.add(
        Response(
            patient_id=patient_id,
            instrument_code="PHQ-9",
            instrument_version="1",
            answers=[0] * 9,
            total=0,
            band="minimal",
            is_case=False,
            flags=[],
            source="clinician",
            completed_at=early,
        )
    )
    db.session.commit()
    auth.login(THERAPIST)
    assert names(client.get("/?unanswered=1").get_data(as_text=True)) == []
    late = datetime.combine(monday, time(0), tzinfo=clinic.zone) - timedelta(minutes=1)
    db.session.add(
        Response(
            patient_id=patient_id,
            instrument_code="GAD-7",
            instrument_version="1",
            answers=[0] * 7,
            total=0,
            band="minimal",
            is_case=False,
            flags=[],
            source="clinician",
            completed_at=late.astimezone(UTC),
        )
    )
    db.session.commit()
    assert names(client.get("/?unanswered=1").get_data(as_text=True)) == []  # the latest counts


def test_an_admin_filters_by_clinician_and_a_therapist_cannot(app, client, auth, clinic, therapist):
    admin = UserFactory(clinic=clinic, email=ADMIN, role=Role.ADMIN, name="Ada Admin")
    colleague = UserFactory(clinic=clinic, name="Dr Colleague")
    add_patients(clinic, therapist, range(2))
    add_patients(clinic, colleague, range(2, 4))
    auth.login(ADMIN)
    assert len(names(client.get("/").get_data(as_text=True))) == 4
    body = client.get(f"/?clinician={colleague.id}&sort=name").get_data(as_text=True)
    assert names(body) == ["Person 002", "Person 003"]
    assert f'<option value="{colleague.id}" selected>' in body
    assert names(client.get("/?clinician=abc&sort=name").get_data(as_text=True)) == [
        "Person 000",
        "Person 001",
        "Person 002",
        "Person 003",
    ]
    auth.logout()
    auth.login(THERAPIST)
    body = client.get(f"/?clinician={colleague.id}&sort=name").get_data(as_text=True)
    assert names(body) == ["Person 000", "Person 001"]  # ignored: their own caseload
    assert 'name="clinician"' not in body
    assert admin.name not in body


def test_pages_keep_the_sort_and_filters(app, client, auth, clinic, therapist):
    add_patients(clinic, therapist, range(25))
    auth.login(THERAPIST)
    body = client.get("/?sort=name&dir=desc&no_program=1").get_data(as_text=True)
    assert names(body)[0] == "Person 024"
    nxt = re.search(r'<a href="([^"]+)" rel="next">', body).group(1).replace("&amp;", "&")
    assert "sort=name" in nxt and "dir=desc" in nxt and "no_program=1" in nxt
    assert names(client.get(nxt).get_data(as_text=True)) == [
        f"Person {n:03d}" for n in range(4, -1, -1)
    ]
    header = re.search(r'<th scope="col" aria-sort="descending"><a href="([^"]+)"', body)
    assert "dir=" not in header.group(1) or "dir=asc" in header.group(1)  # flips the order
