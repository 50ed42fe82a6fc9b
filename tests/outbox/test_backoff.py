"""The outbox's back-off: 1 min, 5 min, 30 min, 2 h after the 1st to 4th failure, then dead."""

from datetime import UTC, datetime, timedelta

import pytest

from clinic.outbox.backoff import MAX_ATTEMPTS, next_attempt

FAILED_AT = datetime(2026, 3, 29, 0, 59, tzinfo=UTC)  # the night the UK clocks go forward


@pytest.mark.parametrize(("attempts", "wait"), [
    (1, timedelta(minutes=1)),
    (2, timedelta(minutes=5)),
    (3, timedelta(minutes=30)),
    (4, timedelta(hours=2)),
])
def test_each_failure_waits_longer(attempts, wait):
    assert next_attempt(FAILED_AT, attempts) == FAILED_AT + wait


def test_the_fifth_failure_is_the_last():
    assert MAX_ATTEMPTS == 5
    assert next_attempt(FAILED_AT, 5) is None
    assert next_attempt(FAILED_AT, 6) is None  # a message taken over in doubt counts on


def test_no_failure_has_no_back_off():
    with pytest.raises(ValueError):
        next_attempt(FAILED_AT, 0)


def test_the_wait_is_counted_in_utc_whatever_the_clocks_do():
    assert next_attempt(FAILED_AT, 4).isoformat() == "2026-03-29T02:59:00+00:00"
