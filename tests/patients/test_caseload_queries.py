"""The caseload page reads a fixed number of statements whatever the page holds: each row's
primary clinician comes from one eager load of the care teams, not one query per row."""

import sqlalchemy as sa
from factories import ClinicFactory, PatientFactory, UserFactory

from clinic.auth.models import Role
from clinic.extensions import db


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


def test_the_caseload_takes_the_same_statements_for_a_page_of_3_and_of_20(app, client, auth):
    clinic = ClinicFactory()
    admin = UserFactory(clinic=clinic, role=Role.ADMIN, email="admin@caseload.test")

    def add(count, start):
        for n in range(start, start + count):  # each patient with a primary of their own
            PatientFactory(clinic=clinic, display_name=f"Patient {n:02d}",
                           primary=UserFactory(clinic=clinic, name=f"Dr Primary {n:02d}"))

    add(3, 0)
    auth.login(admin.email)
    client.get("/patients")  # anything done once per login session happens here
    body, three = statements_of(client, "/patients")
    assert body.count("Dr Primary") == 3
    add(22, 3)
    body, twenty = statements_of(client, "/patients")
    assert body.count("Dr Primary") == 20  # a full page of 20, each naming its primary
    assert len(twenty) == len(three), "\n".join(twenty)


def test_the_caseload_takes_the_same_statements_for_5_50_and_500_patients(app, client, auth):
    """Pages of 5, 20 and 20 rows out of 5, 50 and 500 patients: the same statements."""
    from clinic.patients.models import CareTeamMember, Episode, Patient

    clinic = ClinicFactory()
    admin = UserFactory(clinic=clinic, role=Role.ADMIN, email="admin@caseload.test")
    primaries = [UserFactory(clinic=clinic, name=f"Dr Primary {n:02d}") for n in range(10)]

    def add(numbers):
        for n in numbers:
            patient = Patient(clinic_id=clinic.id, display_name=f"Patient {n:03d}",
                              reference=f"CQ-{n:04d}", status="active")
            patient.episodes.append(Episode(start=clinic.today()))
            patient.care_team.append(CareTeamMember(user_id=primaries[n % 10].id,
                                                    is_primary=True))
            db.session.add(patient)
        db.session.commit()

    auth.login(admin.email)
    counts = {}
    for size, numbers in ((5, range(5)), (50, range(5, 50)), (500, range(50, 500))):
        add(numbers)
        client.get("/patients")
        body, seen = statements_of(client, "/patients")
        assert body.count("Dr Primary") == min(size, 20)
        counts[size] = len(seen)
    print("\ncaseload page statements by caseload size:", counts)
    assert counts[5] == counts[50] == counts[500], counts
