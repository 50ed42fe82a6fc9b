"""The caseload (search, status filter, pages) and creating, editing and discharging patients."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from factories import ClinicFactory, PatientFactory, UserFactory
from helpers import audit_events, see_commits

from clinic.auth.models import Role
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.timefmt import format_in_zone

VALID = {"display_name": "Zoë O'Brien & <Co>", "reference": "CASE-77",
         "email": "zoe.obrien@example.org", "date_of_birth": "1990-05-17"}


class FormFields(HTMLParser):
    """Input values, selected options and attributes of a rendered form, by field name."""

    def __init__(self, body):
        super().__init__()
        self.values, self.attrs, self._select = {}, {}, None
        self.feed(body)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select") and attrs.get("name"):
            self.attrs[attrs["name"]] = attrs
            if tag == "input":
                self.values[attrs["name"]] = attrs.get("value", "")
            else:
                self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.values[self._select] = attrs.get("value")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def field_error(body, field):
    """The error message shown beside ``field`` (None if there is none)."""
    match = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', body, re.S)
    if not match:
        return None
    return " ".join(html.unescape(m) for m in re.findall(r"<span>(.*?)</span>", match.group(1)))


def table_rows(body):
    tbody = re.search(r"<tbody>(.*?)</tbody>", body, re.S)
    if not tbody:
        return []
    return [html.unescape(name) for name in
            re.findall(r'<td><a href="/patients/\d+">(.*?)</a></td>', tbody.group(1))]


def names_found(client, **query):
    response = client.get("/patients", query_string=query)
    assert response.status_code == 200
    return set(table_rows(response.get_data(as_text=True)))


def patient_count():
    see_commits()
    return db.session.scalar(sa.select(sa.func.count(Patient.id)))


@pytest.fixture
def therapist():
    return UserFactory(role=Role.THERAPIST, email="therapist@a.test", name="Theo Therapist")


# Search, filter, pages -------------------------------------------------------------------------


def test_search_by_name_is_case_insensitive(client, auth, therapist):
    for name in ("Alice Smith", "alicia Keys", "Bob Jones"):
        PatientFactory(clinic=therapist.clinic, primary=therapist, display_name=name)
    auth.login(therapist.email)
    assert names_found(client, q="ALIC") == {"Alice Smith", "alicia Keys"}
    assert names_found(client, q="smith") == {"Alice Smith"}
    assert names_found(client, q="  jones  ") == {"Bob Jones"}
    assert names_found(client, q="nobody") == set()
    assert "No patients match" in client.get("/patients?q=nobody").get_data(as_text=True)


def test_search_by_reference(client, auth, therapist):
    for name, reference in (("Ann", "KX-200"), ("Ben", "KX-300")):
        PatientFactory(clinic=therapist.clinic, primary=therapist, display_name=name,
                       reference=reference)
    auth.login(therapist.email)
    assert names_found(client, q="KX-200") == {"Ann"}
    assert names_found(client, q="kx-3") == {"Ben"}
    assert names_found(client, q="KX") == {"Ann", "Ben"}


def test_percent_underscore_and_backslash_in_the_search_are_literal(client, auth, therapist):
    for name, reference in (("100% Sure", "AA-1"), ("Under_score", "AA-2"),
                            ("Room 101", "AA-3"), ("Morris Rosa", "AA-4"),
                            ("Back\\slash", "AA-5"), ("Plain", "AA-6")):
        PatientFactory(clinic=therapist.clinic, primary=therapist, display_name=name,
                       reference=reference)
    auth.login(therapist.email)
    assert names_found(client, q="%") == {"100% Sure"}
    assert names_found(client, q="0%") == {"100% Sure"}  # a wildcard would also find Room 101
    assert names_found(client, q="_") == {"Under_score"}
    assert names_found(client, q="r_s") == {"Under_score"}  # a wildcard would find Morris
    assert names_found(client, q="A_-") == set()  # a wildcard would find every AA- reference
    assert names_found(client, q="\\") == {"Back\\slash"}


def test_status_filter(client, auth, therapist):
    PatientFactory(clinic=therapist.clinic, primary=therapist, display_name="Active Al")
    PatientFactory(clinic=therapist.clinic, primary=therapist, display_name="Gone Gail",
                   status="discharged", discharged_at=datetime.now(UTC))
    auth.login(therapist.email)
    assert names_found(client) == {"Active Al"}
    assert names_found(client, status="active") == {"Active Al"}
    assert names_found(client, status="discharged") == {"Gone Gail"}
    assert names_found(client, status="all") == {"Active Al", "Gone Gail"}
    assert names_found(client, status="bogus") == {"Active Al"}
    body = client.get("/patients?status=discharged").get_data(as_text=True)
    assert FormFields(body).values["status"] == "discharged"


def test_pagination_keeps_search_and_status(app, client, auth, therapist):
    assert app.config["PER_PAGE"] == 20
    for n in range(1, 26):
        PatientFactory(clinic=therapist.clinic, primary=therapist, display_name=f"Pager {n:02}",
                       status="discharged" if n % 3 == 0 else "active")
    for n in range(3):
        PatientFactory(clinic=therapist.clinic, primary=therapist, display_name=f"Zed {n}")
    auth.login(therapist.email)

    first = client.get("/patients?q=pager&status=all").get_data(as_text=True)
    assert table_rows(first) == [f"Pager {n:02}" for n in range(1, 21)]
    assert "25 patients." in first
    next_link = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert next_link, "no link to page 2"
    next_url = html.unescape(next_link.group(1))
    query = parse_qs(urlsplit(next_url).query)
    assert query["page"] == ["2"] and query["q"] == ["pager"] and query["status"] == ["all"]
    assert 'rel="prev"' not in first

    second = client.get(next_url).get_data(as_text=True)
    assert table_rows(second) == [f"Pager {n:02}" for n in range(21, 26)]
    prev_link = re.search(r'<a href="([^"]+)" rel="prev">', second)
    assert prev_link, "no link back to page 1"
    query = parse_qs(urlsplit(html.unescape(prev_link.group(1))).query)
    assert query["page"] == ["1"] and query["q"] == ["pager"] and query["status"] == ["all"]
    assert 'rel="next"' not in second

    # The status filter applies on every page: 17 active Pager patients, one page only.
    active = client.get("/patients?q=pager&status=active").get_data(as_text=True)
    assert len(table_rows(active)) == 17 and 'rel="next"' not in active


# Creating a patient ----------------------------------------------------------------------------


def test_therapist_creates_a_patient_and_becomes_primary(client, auth, therapist):
    auth.login(therapist.email)
    form = client.get("/patients/new").get_data(as_text=True)
    assert "primary_clinician" not in FormFields(form).attrs  # a therapist is the primary
    response = auth.post("/patients/new", {**VALID, "email": "Zoe.OBrien@Example.org"},
                         token_page="/patients/new")
    assert response.status_code == 303
    patient_id = int(re.fullmatch(r"/patients/(\d+)", response.headers["Location"]).group(1))

    see_commits()
    patient = db.session.get(Patient, patient_id)
    assert (patient.display_name, patient.reference, patient.email, patient.date_of_birth) == (
        VALID["display_name"], "CASE-77", "zoe.obrien@example.org", date(1990, 5, 17))
    assert patient.clinic_id == therapist.clinic_id and patient.status == "active"
    assert patient.created_by_id == therapist.id
    assert [(m.user_id, m.is_primary) for m in patient.care_team] == [(therapist.id, True)]
    [event] = audit_events("patient_create")
    assert (event.actor_id, event.patient_id, event.object_type, event.object_id) == (
        therapist.id, patient_id, "patient", patient_id)

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert VALID["display_name"] in html.unescape(page) and "has been added" in page


def test_admin_must_choose_a_primary_clinician(client, auth):
    clinic = ClinicFactory()
    admin = UserFactory(clinic=clinic, role=Role.ADMIN, email="admin@a.test")
    trainer = UserFactory(clinic=clinic, role=Role.TRAINER, name="Tess Trainer")
    UserFactory(clinic=clinic, role=Role.THERAPIST, name="Theo Therapist")
    outsider = UserFactory(role=Role.THERAPIST, name="Other Clinic")
    auth.login(admin.email)

    form = client.get("/patients/new").get_data(as_text=True)
    assert "Tess Trainer" in form and "Theo Therapist" in form
    assert "Other Clinic" not in form
    assert admin.name not in re.search(r"<select.*?</select>", form, re.S).group(0)

    for choice in ("0", None, str(outsider.id), str(admin.id)):
        data = dict(VALID) if choice is None else {**VALID, "primary_clinician": choice}
        response = auth.post("/patients/new", data, token_page="/patients/new")
        body = response.get_data(as_text=True)
        assert response.status_code == 422, choice
        assert field_error(body, "primary_clinician"), f"no error beside the field ({choice})"
        assert all(field_error(body, f) is None for f in VALID)
        kept = FormFields(body).values
        assert {f: kept[f] for f in VALID} == VALID
    assert patient_count() == 0
    assert audit_events("patient_create") == []

    response = auth.post("/patients/new", {**VALID, "primary_clinician": str(trainer.id)},
                         token_page="/patients/new")
    assert response.status_code == 303
    see_commits()
    patient = db.session.scalar(sa.select(Patient))
    assert [(m.user_id, m.is_primary) for m in patient.care_team] == [(trainer.id, True)]
    assert patient.created_by_id == admin.id
    [event] = audit_events("patient_create")
    assert event.actor_id == admin.id and event.patient_id == patient.id


def test_trainer_cannot_create_patients(client, auth):
    trainer = UserFactory(role=Role.TRAINER)
    auth.login(trainer.email)
    assert client.get("/patients/new").status_code == 403
    assert auth.post("/patients/new", VALID).status_code == 403
    assert "Add a patient" not in client.get("/patients").get_data(as_text=True)
    assert patient_count() == 0


TOMORROW = (date.today() + timedelta(days=1)).isoformat()

INVALID = {
    "empty name": ("display_name", "", "Enter the name the patient goes by."),
    "empty reference": ("reference", "", "Enter the clinic's reference (case number)."),
    "reference over 40": ("reference", "R" * 41, "Use at most 40 characters."),
    "bad email": ("email", "zoe@@example", "Enter an email address like name@example.org."),
    "birth in future": ("date_of_birth", TOMORROW, "The date of birth cannot be in the future."),
    "birth before 1900": ("date_of_birth", "1899-12-31", "Use a date between 1900 and 2100."),
    "duplicate reference": ("reference", "DUP-1",
                            "Another patient of this clinic already has this reference."),
}


@pytest.mark.parametrize("case", INVALID)
def test_create_validation_keeps_every_typed_value(client, auth, therapist, case):
    field, value, message = INVALID[case]
    PatientFactory(clinic=therapist.clinic, primary=therapist, reference="DUP-1",
                   display_name="Existing")
    auth.login(therapist.email)
    typed = {**VALID, field: value}
    response = auth.post("/patients/new", typed, token_page="/patients/new")
    body = response.get_data(as_text=True)

    assert response.status_code == 422
    assert field_error(body, field) == message
    attrs = FormFields(body).attrs[field]
    assert attrs.get("aria-invalid") == "true"
    assert f"{field}-error" in attrs.get("aria-describedby", "").split()
    assert f'href="#{field}"' in body  # the error summary links to the field
    others = [f for f in VALID if f != field]
    assert all(field_error(body, f) is None for f in others)
    kept = FormFields(body).values
    assert {f: kept[f] for f in VALID} == typed
    assert patient_count() == 1
    assert audit_events("patient_create") == []


@pytest.mark.parametrize("field", ["display_name", "reference"])
@pytest.mark.parametrize("page", ["create", "edit"])
def test_a_name_or_reference_of_only_spaces_is_refused(client, auth, therapist, field, page):
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist, display_name="Kept",
                             reference="KEPT-1")
    patient_id = patient.id
    url = "/patients/new" if page == "create" else f"/patients/{patient_id}/edit"
    auth.login(therapist.email)
    response = auth.post(url, {**VALID, field: "   "}, token_page=url)
    assert response.status_code == 422, f"{page}: a {field} of only spaces was accepted"
    assert field_error(response.get_data(as_text=True), field)
    assert patient_count() == 1
    patient = db.session.get(Patient, patient_id)
    assert (patient.display_name, patient.reference) == ("Kept", "KEPT-1")


def test_the_same_reference_in_another_clinic_is_allowed(client, auth, therapist):
    PatientFactory(clinic=ClinicFactory(), reference=VALID["reference"])
    auth.login(therapist.email)
    response = auth.post("/patients/new", VALID, token_page="/patients/new")
    assert response.status_code == 303
    see_commits()
    references = db.session.execute(sa.select(Patient.clinic_id, Patient.reference)).all()
    assert sorted(r.reference for r in references) == ["CASE-77", "CASE-77"]
    assert len({r.clinic_id for r in references}) == 2


# Editing, discharging --------------------------------------------------------------------------


def test_edit_saves_changes(client, auth, therapist):
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist, display_name="Old",
                             reference="OLD-1")
    patient_id = patient.id
    auth.login(therapist.email)
    form = client.get(f"/patients/{patient_id}/edit").get_data(as_text=True)
    assert FormFields(form).values["display_name"] == "Old"
    response = auth.post(f"/patients/{patient_id}/edit", VALID,
                         token_page=f"/patients/{patient_id}/edit")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/patients/{patient_id}"
    see_commits()
    patient = db.session.get(Patient, patient_id)
    assert (patient.display_name, patient.reference, patient.email, patient.date_of_birth) == (
        VALID["display_name"], "CASE-77", "zoe.obrien@example.org", date(1990, 5, 17))


@pytest.mark.parametrize("case", INVALID)
def test_edit_keeps_input_on_error(client, auth, therapist, case):
    field, value, message = INVALID[case]
    PatientFactory(clinic=therapist.clinic, primary=therapist, reference="DUP-1")
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist, display_name="Before",
                             reference="BEFORE-1", email="before@example.org")
    patient_id = patient.id
    auth.login(therapist.email)
    typed = {**VALID, field: value}
    response = auth.post(f"/patients/{patient_id}/edit", typed,
                         token_page=f"/patients/{patient_id}/edit")
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(body, field) == message
    kept = FormFields(body).values
    assert {f: kept[f] for f in VALID} == typed
    see_commits()
    patient = db.session.get(Patient, patient_id)
    assert (patient.display_name, patient.reference, patient.email) == (
        "Before", "BEFORE-1", "before@example.org")
    assert audit_events("patient_update") == []


def test_primary_clinician_discharges_and_reactivates(client, auth, therapist):
    patient_id = PatientFactory(clinic=therapist.clinic, primary=therapist).id
    auth.login(therapist.email)

    before = datetime.now(UTC)
    response = auth.post(f"/patients/{patient_id}/discharge")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/patients/{patient_id}"
    see_commits()
    patient = db.session.get(Patient, patient_id)
    assert patient.status == "discharged"
    assert before - timedelta(seconds=1) <= patient.discharged_at <= datetime.now(UTC)
    page = client.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert "The patient has been discharged." in page
    zone = patient.clinic.zone  # the day on the clinic's calendar, the zone named
    assert (f"Discharged on {format_in_zone(patient.discharged_at, zone, with_time=False)} "
            f"({patient.clinic.timezone})") in page
    assert names_found(client) == set()
    assert len(names_found(client, status="discharged")) == 1

    # Discharging again changes nothing and records nothing more.
    assert auth.post(f"/patients/{patient_id}/discharge").status_code == 303
    [event] = audit_events("patient_discharge")
    assert (event.actor_id, event.patient_id) == (therapist.id, patient_id)

    assert auth.post(f"/patients/{patient_id}/reactivate").status_code == 303
    see_commits()
    patient = db.session.get(Patient, patient_id)
    assert patient.status == "active" and patient.discharged_at is None
    [event] = audit_events("patient_reactivate")
    assert (event.actor_id, event.patient_id) == (therapist.id, patient_id)
    assert len(audit_events("patient_discharge")) == 1


def test_care_team_member_who_is_not_primary_cannot_discharge(client, auth, therapist):
    trainer = UserFactory(clinic=therapist.clinic, role=Role.TRAINER)
    patient_id = PatientFactory(clinic=therapist.clinic, primary=therapist, team=[trainer]).id
    auth.login(trainer.email)
    page = client.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert "Discharge patient" not in page  # no button they cannot use
    assert auth.post(f"/patients/{patient_id}/discharge").status_code == 403
    see_commits()
    assert db.session.get(Patient, patient_id).status == "active"
    assert audit_events("patient_discharge") == []
