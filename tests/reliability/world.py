"""What the reliability tests write, the writer process they kill, and the checks they make.

The writer (``run_writer``) is the app's real services in a loop, in a seeded random order: add
a patient and assign a program, log a session with every prescribed set, or make a
questionnaire link and submit it.
After each commit it appends one line to a report file with ``os.write`` (one system call, no
buffer a kill could lose), so the file lists exactly what the writer saw committed:

    patient <id>
    assignment <id>
    session <id> <number of sets>
    invitation <id>
    submitted <invitation id> <response id> <response id>

``check_world`` then states what "nothing half-written" means, as queries over the whole
database (see its docstring), and ``committed_rows_missing`` that every reported row is there.
"""

import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import sqlalchemy as sa

PROJECT_DIR = Path(__file__).resolve().parents[2]
INSTRUMENTS = ("PHQ-9", "GAD-7")
MAX_WRITER_SECONDS = 60  # a writer nobody kills (a crashed test) stops by itself


# The world ------------------------------------------------------------------------------------


def build_world():
    """A clinic, a therapist, the starter programs and a patient with a program (all made by
    the services, audit rows included), committed for other processes to use."""
    from factories import AssignmentFactory, ClinicFactory, UserFactory, starter_templates

    from clinic.auth.models import Role
    from clinic.extensions import db
    from clinic.patients import services as patients

    clinic = ClinicFactory(name="Reliability Clinic")
    therapist = UserFactory(clinic=clinic, role=Role.THERAPIST, email="writer@clinic.test")
    template_id = min(starter_templates(clinic, therapist).values())
    patient = patients.create_patient(therapist, {"display_name": "First", "reference": "W-0"})
    assignment = AssignmentFactory(actor=therapist, patient=patient, template=template_id)
    world = {"clinic_id": clinic.id, "therapist_id": therapist.id, "template_id": template_id,
             "patient_id": patient.id, "assignment_id": assignment.id}
    db.session.commit()
    return world


# The writer (runs in a child process) ----------------------------------------------------------


def run_writer(config, world, report_path, seed, max_seconds=MAX_WRITER_SECONDS):
    """Write through the services until killed; report each commit on its own line."""
    from clinic.app import create_app
    from clinic.auth.models import User
    from clinic.extensions import db
    from clinic.measures import services as measures
    from clinic.patients import services as patients
    from clinic.programs import services as programs
    from clinic.programs.entry import SessionEntry

    rng = random.Random(seed)
    report_fd = os.open(report_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def report(*words):
        os.write(report_fd, (" ".join(str(w) for w in words) + "\n").encode())

    app = create_app(config)
    with app.app_context():
        therapist = db.session.get(User, world["therapist_id"])
        report("ready")
        patient_id, assignment_id = world["patient_id"], world["assignment_id"]
        deadline = time.monotonic() + max_seconds
        count = 0
        while time.monotonic() < deadline:
            count += 1
            step = rng.choice(("patient", "session", "questionnaire"))
            if step == "patient":  # a new patient with a program: two commits
                patient = patients.create_patient(therapist, {
                    "display_name": f"Writer {seed}-{count}", "reference": f"W{seed}-{count}"})
                patient_id = patient.id
                report("patient", patient_id)
                assignment = programs.assign_program(
                    therapist, patient_id, world["template_id"], programs.clinic_today(patient_id))
                assignment_id = assignment.id
                report("assignment", assignment_id)
            elif step == "session":  # one session with every prescribed set
                assignment = db.session.get(programs.Assignment, assignment_id)
                level = assignment.snapshot["levels"][assignment.level_position]
                sets = {index: [{"reps": item["reps_min"], "load_kg": None, "seconds": None}
                                for _ in range(item["sets"])]
                        for index, item in enumerate(level["exercises"])}
                entry = SessionEntry(
                    performed_on=programs.clinic_today(patient_id), status="done",
                    low_energy=False, skip_reason=None, duration_minutes=40,
                    rpe=rng.randint(3, 7), mood_before=rng.randint(2, 8),
                    mood_after=rng.randint(2, 8), pain=0, pain_where=None, note=None,
                    submission_key=programs.new_submission_key(), sets=sets)
                # A second session the same day replaces the first (the patient's one entry a
                # day); the replaced row and its sets stay in the database.
                logged = programs.log_session(assignment_id, entry, source="patient",
                                              replace=True)
                report("session", logged.id, sum(len(rows) for rows in sets.values()))
            else:  # a questionnaire link, then the patient's answers: two commits
                invitation = measures.create_adhoc_invitation(therapist, patient_id,
                                                              list(INSTRUMENTS))
                report("invitation", invitation.id)
                answers = {"PHQ-9": [rng.randint(0, 3) for _ in range(9)],
                           "GAD-7": [rng.randint(0, 3) for _ in range(7)]}
                stored = measures.submit_link_answers(invitation.id, answers, {})
                report("submitted", invitation.id, *(response.id for response in stored.responses))
    os.close(report_fd)


def read_report(path):
    """Complete lines of a writer's report, as lists of words (a torn last line is dropped)."""
    if not Path(path).exists():
        return []
    text = Path(path).read_text()
    lines = text.split("\n")[:-1]  # whatever follows the last newline was never finished
    return [line.split() for line in lines]


class WriterForks:
    """A fork server: one process imports the app once, then forks a writer per trial.

    Starting a fresh interpreter costs about 0.8 s here; a fork costs milliseconds, so fifty
    crash trials stay quick. The server itself never opens the database: each forked writer
    builds its own app, engine and connections.
    """

    def __init__(self, folder):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_DIR), str(PROJECT_DIR / "tests")])
        self.stderr_path = Path(folder) / "writer-forks.stderr"
        self._stderr = open(self.stderr_path, "w")  # noqa: SIM115 (open for the server's life)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "reliability.zygote"], cwd=PROJECT_DIR, env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True)

    def _ask(self, line):
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        answer = self._process.stdout.readline()
        assert answer, f"the fork server stopped:\n{self.stderr()}"
        return int(answer)

    def spawn(self, config, world, report_path, seed):
        """Fork a writer; its pid."""
        import json

        return self._ask("spawn " + json.dumps({"config": config, "world": world,
                                                "report_path": str(report_path),
                                                "seed": seed}))

    def reap(self, pid):
        """Wait for a writer to end; its wait status (see os.waitstatus_to_exitcode)."""
        return self._ask(f"wait {pid}")

    def stderr(self):
        self._stderr.flush()
        return self.stderr_path.read_text()

    def close(self):
        self._process.stdin.close()
        self._process.wait(timeout=30)
        self._process.stdout.close()
        self._stderr.close()


def wait_until_ready(report_path, forks, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ["ready"] in read_report(report_path):
            return
        time.sleep(0.01)
    raise AssertionError(f"the writer never started:\n{forks.stderr()}")


# The checks -----------------------------------------------------------------------------------


def check_world(clinic_id):
    """Every way the writer's data could be half-written, as a list of problems (empty: none).

    In the current app's database, for the clinic ``clinic_id``:

    - each patient, assignment, questionnaire link and session has its audit row (patient_create,
      program_assign, invitation_create, session_log), and each of those audit rows its object;
    - each patient has their care team (one primary clinician);
    - each assignment has exactly one "assigned" event;
    - each session has every prescribed set of its level (the writer logs them all);
    - a completed link has exactly one response per instrument it asked for, each with every
      answer and the total those answers score, and one response_submit audit row; a link that
      is not completed has no response and no response_submit row.
    """
    from clinic.audit.models import AuditEvent
    from clinic.extensions import db
    from clinic.measures.instruments import get_instrument
    from clinic.measures.models import Invitation, Response
    from clinic.measures.scoring import score
    from clinic.patients.models import CareTeamMember, Patient
    from clinic.programs.models import Assignment, AssignmentEvent, SessionLog, SetLog

    db.session.rollback()  # a fresh snapshot: the writer committed in its own process
    problems = []
    execute = db.session.execute
    patient_ids = set(db.session.scalars(sa.select(Patient.id).where(
        Patient.clinic_id == clinic_id)))
    mine = {
        "patient": patient_ids,
        "assignment": set(db.session.scalars(sa.select(Assignment.id).where(
            Assignment.patient_id.in_(patient_ids)))),
        "invitation": set(db.session.scalars(sa.select(Invitation.id).where(
            Invitation.patient_id.in_(patient_ids)))),
    }
    mine["session_log"] = set(db.session.scalars(sa.select(SessionLog.id).where(
        SessionLog.assignment_id.in_(mine["assignment"]))))
    audited = defaultdict(list)
    for action, object_id in execute(sa.select(AuditEvent.action, AuditEvent.object_id).where(
            AuditEvent.clinic_id == clinic_id)):
        audited[action].append(object_id)
    for table, action in (("patient", "patient_create"), ("assignment", "program_assign"),
                          ("invitation", "invitation_create"), ("session_log", "session_log")):
        rows, events = mine[table], Counter(audited[action])
        if set(events) != rows or any(n != 1 for n in events.values()):
            problems.append(f"{table} rows {sorted(rows)} against {action} audit rows "
                            f"{sorted(events.elements())}")

    primaries = Counter(db.session.scalars(sa.select(CareTeamMember.patient_id).where(
        CareTeamMember.patient_id.in_(patient_ids), CareTeamMember.is_primary.is_(True))))
    problems += [f"patient {p} has {primaries[p]} primary clinicians"
                 for p in patient_ids if primaries[p] != 1]

    assigned = Counter(db.session.scalars(sa.select(AssignmentEvent.assignment_id).where(
        AssignmentEvent.kind == "assigned",
        AssignmentEvent.assignment_id.in_(mine["assignment"]))))
    problems += [f"assignment {a} has {assigned[a]} 'assigned' events"
                 for a in mine["assignment"] if assigned[a] != 1]

    set_counts = dict(execute(sa.select(SetLog.session_id, sa.func.count()).where(
        SetLog.session_id.in_(mine["session_log"])).group_by(SetLog.session_id)).all())
    for session_id, position, snapshot in execute(
            sa.select(SessionLog.id, SessionLog.level_position, Assignment.snapshot)
            .join(Assignment, Assignment.id == SessionLog.assignment_id)
            .where(SessionLog.id.in_(mine["session_log"]))):
        prescribed = sum(item["sets"] for item in snapshot["levels"][position]["exercises"])
        if set_counts.get(session_id, 0) != prescribed:
            problems.append(f"session {session_id} has {set_counts.get(session_id, 0)} of "
                            f"{prescribed} sets")

    responses = defaultdict(list)
    for response in db.session.scalars(sa.select(Response).where(
            Response.patient_id.in_(patient_ids))):
        responses[response.invitation_id].append(response)
    submitted = Counter(audited["response_submit"])
    for invitation in db.session.scalars(sa.select(Invitation).where(
            Invitation.id.in_(mine["invitation"]))):
        got = responses.pop(invitation.id, [])
        if invitation.completed_at is None:
            if got or submitted[invitation.id]:
                problems.append(f"open link {invitation.id} has {len(got)} responses and "
                                f"{submitted[invitation.id]} response_submit rows")
            continue
        if sorted(r.instrument_code for r in got) != sorted(invitation.instruments):
            problems.append(f"completed link {invitation.id} has responses "
                            f"{sorted(r.instrument_code for r in got)}")
        if submitted[invitation.id] != 1:
            problems.append(f"completed link {invitation.id} has {submitted[invitation.id]} "
                            "response_submit rows")
        for response in got:
            instrument = get_instrument(response.instrument_code)
            if (len(response.answers) != len(instrument.items)
                    or score(instrument, response.answers).total != response.total):
                problems.append(f"response {response.id} has answers {response.answers} and "
                                f"total {response.total}")
    problems += [f"responses {[r.id for r in rs]} belong to no link of this clinic"
                 for rs in responses.values()]
    db.session.rollback()
    return problems


def committed_rows_missing(report):
    """The report lines whose rows the current database does not hold (whole: sets included)."""
    from clinic.extensions import db
    from clinic.measures.models import Invitation, Response
    from clinic.patients.models import Patient
    from clinic.programs.models import Assignment, SessionLog, SetLog

    def ids(kind):
        return {int(words[1]) for words in report if words[0] == kind}

    db.session.rollback()
    present = {
        kind: set(db.session.scalars(sa.select(model.id).where(model.id.in_(ids(kind)))))
        for kind, model in (("patient", Patient), ("assignment", Assignment),
                            ("invitation", Invitation), ("session", SessionLog))
    }
    set_counts = dict(db.session.execute(
        sa.select(SetLog.session_id, sa.func.count()).where(SetLog.session_id.in_(ids("session")))
        .group_by(SetLog.session_id)).all())
    completed = set(db.session.scalars(sa.select(Invitation.id).where(
        Invitation.id.in_(ids("submitted")), Invitation.completed_at.is_not(None))))
    responses = defaultdict(set)
    for response_id, invitation_id in db.session.execute(
            sa.select(Response.id, Response.invitation_id).where(
                Response.invitation_id.in_(ids("submitted")))):
        responses[invitation_id].add(response_id)
    db.session.rollback()
    def whole(kind, numbers):
        if kind in present and numbers[0] not in present[kind]:
            return False
        if kind == "session":
            return set_counts.get(numbers[0], 0) == numbers[1]
        if kind == "submitted":
            return numbers[0] in completed and responses[numbers[0]] == set(numbers[1:])
        return True

    missing = [words for words in report
               if not whole(words[0], [int(word) for word in words[1:]])]
    return missing


def table_counts():
    """Rows in every table of the current app's database."""
    from clinic.extensions import db

    db.session.rollback()
    counts = {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
              for table in db.metadata.sorted_tables}
    db.session.rollback()
    return counts
