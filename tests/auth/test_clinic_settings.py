"""A clinic admin sets the clinic's time zone, link timings and crisis text."""

import pytest
import sqlalchemy as sa
from conftest import reload
from factories import ClinicFactory, UserFactory

from clinic.audit.models import AuditEvent
from clinic.auth.models import DEFAULT_CRISIS_TEXT, Role
from clinic.extensions import db

GOOD = {"name": "Riverside", "timezone": "America/New_York", "link_expiry_days": "7",
        "reminder_after_days": "3", "crisis_text": "Call 988 (US) or 911 now if in danger."}


@pytest.fixture
def admin(app):
    return UserFactory(role=Role.ADMIN, email="admin@clinic.test", clinic=ClinicFactory())


def test_a_new_clinic_shows_the_default_crisis_text_and_timings(admin):
    clinic = admin.clinic
    assert clinic.crisis_text == DEFAULT_CRISIS_TEXT
    assert "not watched in real time" in clinic.crisis_text
    assert (clinic.link_expiry_days, clinic.reminder_after_days) == (4, 2)


def test_admin_changes_the_settings_and_the_change_is_audited(client, auth, admin):
    auth.login(admin.email)
    response = auth.post("/admin/clinic", GOOD, token_page="/admin/clinic")
    assert response.status_code == 303
    clinic = reload(admin.clinic)
    assert (clinic.timezone, clinic.link_expiry_days, clinic.reminder_after_days) == (
        "America/New_York", 7, 3)
    assert clinic.crisis_text == GOOD["crisis_text"]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "clinic_update"))
    assert event.actor_id == admin.id
    assert "crisis_text" in event.detail["fields"]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("timezone", "Mars/Olympus", "Enter a time zone like Europe/London"),
    ("link_expiry_days", "0", "from 1 to 30"),
    ("link_expiry_days", "abc", "Not a valid integer value."),
    ("reminder_after_days", "7", "before the link expires"),
    ("crisis_text", "   ", "Patients must always be shown where to get urgent help."),
])
def test_bad_settings_are_refused_at_their_field_and_input_is_kept(
        client, auth, admin, field, value, message):
    auth.login(admin.email)
    response = auth.post("/admin/clinic", {**GOOD, field: value}, token_page="/admin/clinic")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'value="Riverside"' in page  # everything typed is kept
    assert reload(admin.clinic).timezone == "Europe/London"  # nothing saved


def test_only_admins_reach_the_clinic_settings(client, auth, admin):
    UserFactory(clinic=admin.clinic, email="t@clinic.test")
    auth.login("t@clinic.test")
    assert client.get("/admin/clinic").status_code == 403
    assert auth.post("/admin/clinic", GOOD).status_code == 403
    assert reload(admin.clinic).timezone == "Europe/London"
