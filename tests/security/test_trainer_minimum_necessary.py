"""Minimum necessary for clinical trainers (HIPAA 164.502(b), DESIGN.md's role table), on the
pages: a trainer on the care team sees symptom totals, bands, change and that a risk alert is
open (with "tell the therapist"), and all training data; never item-level answers, no paper-form
entry or correction, no acknowledging symptom or risk alerts, no answer CSV or FHIR export. The
PDF report (totals, bands, change, no answers) and the sessions CSV stay theirs. A trainer off
the care team still gets 404, as anyone does. The route access table covers every endpoint
with an empty form; here the refusals hold with valid input, and the pages hide the buttons.
"""

from datetime import date

import pytest
import sqlalchemy as sa
from conftest import csrf_token
from factories import UserFactory
from helpers import count, fresh, training_alert
from test_route_access import build_world

from clinic.alerts.models import Alert
from clinic.auth.models import Role
from clinic.extensions import db
from clinic.measures.models import Response

PHQ9_FORM = {f"PHQ-9:{n}": "0" for n in range(1, 10)}


@pytest.fixture
def world(app):
    return build_world()


def page(client, auth, user, url):
    auth.login(user.email)
    return client.get(url)


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/account/password"), **data})


def test_the_patient_page_shows_a_trainer_totals_without_answers(client, auth, world):
    url = f"/patients/{world.patient.id}"
    answers_link = f"/patients/{world.patient.id}/responses/{world.response_id}"
    body = page(client, auth, world.trainer, url).get_data(as_text=True)
    assert "PHQ-9 scores" in body and "<td>9</td>" in body  # the total is there
    assert answers_link not in body and "Enter a paper form" not in body
    assert "the answers and paper forms are the therapist" in body
    auth.logout()
    body = page(client, auth, world.therapist, url).get_data(as_text=True)
    assert answers_link in body and "Enter a paper form" in body


def test_a_trainer_cannot_see_enter_or_correct_answers(client, auth, world):
    base = f"/patients/{world.patient.id}/responses"
    auth.login(world.trainer.email)
    refused = client.get(f"{base}/{world.response_id}")
    assert refused.status_code == 403
    assert "Clinical trainers cannot see item-level questionnaire answers" in refused.get_data(
        as_text=True)
    assert client.get(f"{base}/new?instrument=PHQ-9").status_code == 403
    assert client.get(f"{base}/{world.response_id}/correct").status_code == 403
    before = count(Response)
    assert post(client, f"{base}/new?instrument=PHQ-9", completed_on=date.today().isoformat(),
                **PHQ9_FORM).status_code == 403
    assert post(client, f"{base}/{world.response_id}/correct",
                completed_on=date.today().isoformat(), reason="typo",
                **PHQ9_FORM).status_code == 403
    assert count(Response) == before
    # The same valid paper form from the therapist is stored.
    auth.logout()
    auth.login(world.therapist.email)
    assert post(client, f"{base}/new?instrument=PHQ-9", completed_on=date.today().isoformat(),
                **PHQ9_FORM).status_code == 303
    assert count(Response) == before + 1


def test_a_trainer_off_the_care_team_still_gets_404(client, auth, world):
    outsider = UserFactory(clinic=db.session.get(type(world.patient), world.patient.id).clinic,
                           role=Role.TRAINER, email="trainer2@a.test")
    auth.login(outsider.email)
    base = f"/patients/{world.patient.id}"
    for url in (f"{base}/responses/{world.response_id}", f"{base}/responses/new?instrument=PHQ-9",
                f"/alerts/{world.alert_id}"):
        assert client.get(url).status_code == 404, url
    assert post(client, f"{base}/exports/responses.csv").status_code == 404
    assert post(client, f"/alerts/{world.alert_id}", note="seen").status_code == 404


def test_a_trainer_sees_an_open_risk_alert_and_is_told_to_tell_the_therapist(
        client, auth, world):
    url = f"/alerts/{world.alert_id}"
    body = page(client, auth, world.trainer, url).get_data(as_text=True)
    assert "Risk item answered" in body and "(total 9)" in body
    assert "Tell the therapist." in body
    assert "Acknowledge</button>" not in body
    assert f"/responses/{world.response_id}" not in body  # no way to the answers
    refused = post(client, url, note="I told Robin")
    assert refused.status_code == 403
    assert "cannot acknowledge symptom or risk alerts" in refused.get_data(as_text=True)
    assert fresh(Alert, world.alert_id).acknowledged_at is None
    auth.logout()
    body = page(client, auth, world.therapist, url).get_data(as_text=True)
    assert "Acknowledge</button>" in body and "Tell the therapist." not in body
    assert post(client, url, note="Called the patient").status_code == 303
    assert fresh(Alert, world.alert_id).acknowledged_by_id == world.therapist.id


def test_a_trainer_acknowledges_a_training_alert(client, auth, world):
    alert_id = training_alert(db.session.get(type(world.patient), world.patient.id))
    body = page(client, auth, world.trainer, f"/alerts/{alert_id}").get_data(as_text=True)
    assert "Acknowledge</button>" in body and "Tell the therapist." not in body
    assert post(client, f"/alerts/{alert_id}", note="Lighter load next time").status_code == 303
    assert fresh(Alert, alert_id).acknowledged_by_id == world.trainer.id


def test_a_trainer_exports_the_report_and_sessions_but_not_answers(client, auth, world):
    base = f"/patients/{world.patient.id}"
    body = page(client, auth, world.trainer, f"{base}/reports").get_data(as_text=True)
    assert f"{base}/reports/pdf" in body and f"{base}/exports/sessions.csv" in body
    assert f"{base}/exports/responses.csv" not in body and f"{base}/exports/fhir.json" not in body
    assert post(client, f"{base}/exports/responses.csv").status_code == 403
    assert post(client, f"{base}/exports/fhir.json").status_code == 403
    pdf = post(client, f"{base}/reports/pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert post(client, f"{base}/exports/sessions.csv").status_code == 200
    actions = db.session.scalars(sa.text(
        "SELECT action FROM audit_event WHERE action LIKE '%export%'")).all()
    assert "responses_export" not in actions and "fhir_export" not in actions
    auth.logout()
    body = page(client, auth, world.therapist, f"{base}/reports").get_data(as_text=True)
    assert f"{base}/exports/responses.csv" in body and f"{base}/exports/fhir.json" in body
