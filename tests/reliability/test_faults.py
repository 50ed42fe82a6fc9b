"""Crashes and failures leave nothing half-written, on the suite's database (SQLite or PostgreSQL).

1. A writer process (the app's real services; ``world.run_writer``) is killed with SIGKILL at
   50 random moments. After each kill the database passes SQLite's ``integrity_check`` and
   ``foreign_key_check`` (SQLite), holds no partial patient, assignment, session or response
   (``world.check_world`` defines that precisely) and every row the writer reported committed.
   The moments come from a seeded generator; the seed is printed (``-s`` shows it) and
   ``LIFTCLINIC_CRASH_SEED`` replays a run.
2. Inside a multi-row operation (submit a questionnaire, assign a program), a failure raised
   after the k-th flush, for every k the operation has, leaves every table's row count as it
   was: no response, alert, session, event or audit row survives a failure.
"""

import os
import random
import secrets
import signal
import sqlite3
import time
from contextlib import closing

import pytest
import sqlalchemy as sa
from conftest import make_config
from factories import InvitationFactory
from sqlalchemy import event
from sqlalchemy.orm import Session

from clinic.auth.models import User
from clinic.extensions import db
from clinic.measures import services as measures
from clinic.measures.models import Invitation
from clinic.patients import services as patients
from clinic.programs import services as programs
from reliability.world import (
    check_world,
    committed_rows_missing,
    read_report,
    table_counts,
    wait_until_ready,
)

TRIALS = 50
WRITE_KINDS = ("patient", "assignment", "session", "invitation", "submitted")
LONGEST_RUN = 0.3  # seconds a writer may run before it is killed: several rounds of writes


def sqlite_checks(database_url):
    """(integrity_check rows, foreign_key_check rows) of a SQLite file; None on PostgreSQL."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    with closing(sqlite3.connect(url.database)) as connection:
        return (connection.execute("PRAGMA integrity_check").fetchall(),
                connection.execute("PRAGMA foreign_key_check").fetchall())


def test_a_writer_killed_at_random_moments_leaves_only_whole_committed_rows(
        app, world, writer_forks, database_url, tmp_path):
    seed = int(os.environ.get("LIFTCLINIC_CRASH_SEED") or secrets.randbelow(2**32))
    print(f"crash trials: seed {seed} (LIFTCLINIC_CRASH_SEED={seed} replays this run)")
    rng = random.Random(seed)
    config = make_config(database_url)
    db.session.commit()
    reported, cut_short = [], 0
    longest_run = LONGEST_RUN
    trial = -1
    while True:
        trial += 1
        # At least TRIALS kills; on a loaded machine the writers do less before each kill, so
        # a few more (at most TRIALS more) until every kind of write has been cut into.
        if trial >= TRIALS and (trial >= 2 * TRIALS or writes_cover_every_kind(reported)):
            break
        report_path = tmp_path / f"writer-{trial}.txt"
        pid = writer_forks.spawn(config, world, report_path, seed=trial * 10**6 + rng.randrange(
            10**6))
        wait_until_ready(report_path, writer_forks)
        time.sleep(rng.uniform(0, longest_run))
        os.kill(pid, signal.SIGKILL)
        status = writer_forks.reap(pid)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
            f"trial {trial}: the writer ended by itself\n{writer_forks.stderr()}")
        report = read_report(report_path)
        reported += report
        if sum(words[0] != "ready" for words in report) < 2:
            # A loaded machine (PostgreSQL, other tests) writes slower: widen the window so
            # that the kills still fall across several rounds of writes, not all in the first.
            longest_run = min(longest_run * 1.5, 10 * LONGEST_RUN)
        cut_short += report[-1][0] in ("patient", "invitation")  # between an op's 2 commits
        where = f"trial {trial} of seed {seed}"
        checks = sqlite_checks(database_url)
        if checks is not None:
            assert checks == ([("ok",)], []), where
        assert check_world(world["clinic_id"]) == [], where
        assert committed_rows_missing(reported) == [], where
    kinds = [words[0] for words in reported]
    print(f"crash trials: {trial} kills, {len(kinds) - kinds.count('ready')} commits "
          f"reported, {cut_short} kills between the two commits of a step, 0 partial rows")
    assert len(kinds) - kinds.count("ready") >= TRIALS, kinds  # the writers did real work,
    for kind in WRITE_KINDS:
        assert kind in kinds, kinds  # of every kind


def writes_cover_every_kind(reported):
    kinds = [words[0] for words in reported]
    return (len(kinds) - kinds.count("ready") >= TRIALS
            and all(kind in kinds for kind in WRITE_KINDS))


# Failures injected after each flush --------------------------------------------------------


class InjectedFault(Exception):
    """Raised by the test inside a flush; nothing the operation wrote may remain."""


def fail_after_each_flush(operation):
    """Run ``operation`` with a failure after its 1st flush, then its 2nd, ... until it runs
    with fewer flushes than that; each failed run must leave every table as it was.

    Returns the number of flushes of the run that succeeded.
    """
    before = table_counts()
    k = 0
    while True:
        k += 1
        flushes = 0

        def fail_at_k(session, flush_context, k=k):
            nonlocal flushes
            flushes += 1
            if flushes == k:
                raise InjectedFault(f"after flush {k}")

        event.listen(Session, "after_flush", fail_at_k)
        try:
            operation()
        except InjectedFault:
            after = table_counts()
            changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
            assert changed == {}, f"a failure after flush {k} left rows behind: {changed}"
            continue
        finally:
            event.remove(Session, "after_flush", fail_at_k)
        assert table_counts() != before  # the run without a failure did write
        return k - 1


@pytest.fixture
def therapist(world):
    return db.session.get(User, world["therapist_id"])


def test_a_questionnaire_submission_is_all_or_nothing_at_every_flush(app, world, therapist):
    patient = patients.create_patient(therapist, {"display_name": "Ida", "reference": "F-1"})
    invitation = InvitationFactory(actor=therapist, patient=patient, codes=["PHQ-9", "GAD-7"])
    answers = {"PHQ-9": [2, 2, 2, 2, 2, 2, 2, 2, 1], "GAD-7": [3, 3, 3, 3, 3, 3, 3]}

    flushes = fail_after_each_flush(
        lambda: measures.submit_link_answers(invitation.id, answers, {}))

    assert flushes >= 3  # responses, their alerts, the completed link and the audit row
    print(f"submit a questionnaire: a failure after each of its {flushes} flushes, 0 partial")
    db.session.rollback()
    assert db.session.get(Invitation, invitation.id).completed_at is not None
    assert check_world(world["clinic_id"]) == []


def test_assigning_a_program_is_all_or_nothing_at_every_flush(app, world, therapist):
    patient = patients.create_patient(therapist, {"display_name": "Ian", "reference": "F-2"})

    flushes = fail_after_each_flush(lambda: programs.assign_program(
        therapist, patient.id, world["template_id"], programs.clinic_today(patient.id)))

    assert flushes >= 2  # the assignment, then its event and audit row
    print(f"assign a program: a failure after each of its {flushes} flushes, 0 partial")
    assert len(programs.assignments_of(patient.id)) == 1
    assert check_world(world["clinic_id"]) == []
