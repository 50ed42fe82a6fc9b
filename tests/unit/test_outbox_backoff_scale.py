"""OUTBOX_BACKOFF_SCALE and OUTBOX_LEASE_SECONDS: the two outbox settings a test (the topology
test's mail outage and killed worker) shortens from the environment of its processes."""

from datetime import UTC, datetime, timedelta

import pytest

from clinic import config
from clinic.outbox.backoff import next_attempt

FAILED_AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_the_back_off_is_the_documented_one_unless_scaled():
    delays = [next_attempt(FAILED_AT, n) - FAILED_AT for n in range(1, 5)]
    assert delays == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                      timedelta(hours=2)]
    scaled = [next_attempt(FAILED_AT, n, 0.01) - FAILED_AT for n in range(1, 5)]
    assert scaled == [timedelta(seconds=0.6), timedelta(seconds=3), timedelta(seconds=18),
                      timedelta(seconds=72)]
    assert next_attempt(FAILED_AT, 5, 0.01) is None  # as many tries either way


def test_both_settings_come_from_the_environment():
    built = config.build(environ={"LIFTCLINIC_ENV": "testing", "OUTBOX_BACKOFF_SCALE": "0.01",
                                  "OUTBOX_LEASE_SECONDS": "3", "SMTP_TIMEOUT_SECONDS": "2"})
    assert (built["OUTBOX_BACKOFF_SCALE"], built["OUTBOX_LEASE_SECONDS"],
            built["SMTP_TIMEOUT_SECONDS"]) == (0.01, 3, 2)
    defaults = config.build(environ={"LIFTCLINIC_ENV": "testing"})
    assert (defaults["OUTBOX_BACKOFF_SCALE"], defaults["OUTBOX_LEASE_SECONDS"],
            defaults["SMTP_TIMEOUT_SECONDS"]) == (1.0, 300, 30)


@pytest.mark.parametrize("value", ["0", "-1", "2", "fast", "nan"])
def test_a_scale_outside_0_to_1_is_refused(value):
    with pytest.raises(config.ConfigError, match="OUTBOX_BACKOFF_SCALE"):
        config.build(environ={"LIFTCLINIC_ENV": "testing", "OUTBOX_BACKOFF_SCALE": value})
