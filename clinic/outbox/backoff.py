"""When a failed message is tried again: pure, no clock and no database."""

from datetime import timedelta

# The wait after the 1st, 2nd, 3rd and 4th failure; the 5th failure makes the message dead.
DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_ATTEMPTS = len(DELAYS) + 1


def next_attempt(failed_at, attempts, scale=1.0):
    """The time of the next try after ``attempts`` failures (counting the one at
    ``failed_at``), or None when that was the last one (the message is dead). ``scale``
    (OUTBOX_BACKOFF_SCALE) shortens the delays for tests that live through an outage."""
    if attempts < 1:
        raise ValueError("attempts counts the failure just made: at least 1")
    if attempts >= MAX_ATTEMPTS:
        return None
    return failed_at + DELAYS[attempts - 1] * scale
