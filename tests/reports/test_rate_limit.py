"""Exports are rate-limited together (RATELIMIT_EXPORTS): a PDF is seconds of CPU."""

import pytest


@pytest.fixture
def config_overrides():
    return {"RATELIMIT_EXPORTS": "2 per minute"}


def test_the_third_export_in_a_minute_is_refused(app, client, auth, record):
    auth.login(record.therapist.email)
    base = f"/patients/{record.patient.id}"
    assert auth.post(f"{base}/exports/responses.csv").status_code == 200
    assert auth.post(f"{base}/exports/fhir.json").status_code == 200
    refused = auth.post(f"{base}/reports/pdf")
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers
    assert client.get(f"{base}/reports").status_code == 200  # the page itself is not limited
