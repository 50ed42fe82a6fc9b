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
