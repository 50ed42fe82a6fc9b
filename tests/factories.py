"""factory-boy factories: plain rows (clinics, users, patients) through the Flask-SQLAlchemy
session, and records a service owns (programs, assignments, sessions, links, responses) through
that service. Every factory commits, so requests (in their own sessions) see its rows."""

import functools
import itertools
import secrets
from datetime import UTC, datetime, timedelta

import factory
import sqlalchemy as sa
from factory.alchemy import SQLAlchemyModelFactory
from flask import current_app, has_app_context

from clinic.auth.models import Clinic, Role, User
from clinic.auth.passwords import hash_password
from clinic.catalogue import services as catalogue  # the catalogue: exercises, templates, levels
from clinic.catalogue.models import Exercise, ProgramTemplate
from clinic.database import write_transaction
from clinic.extensions import db
from clinic.measures import services as measures
from clinic.measures.models import Invitation, Response
from clinic.patients.models import CareTeamMember, Episode, Patient
from clinic.programs import services as programs  # what belongs to a patient: assignments...
from clinic.programs.entry import SessionEntry
from clinic.programs.models import Assignment, SessionLog

TEST_PASSWORD = "correct horse battery staple"


def test_password_hash():
    """One real Argon2id hash per run and password profile: hashing is deliberately slow, and a
    hash of another profile would be upgraded (rehashed) at every login."""
    profile = (current_app.config.get("PASSWORD_HASH_PROFILE", "standard")
               if has_app_context() else "standard")
    return _password_hash_for(profile)


@functools.cache
def _password_hash_for(profile):
    return hash_password(TEST_PASSWORD)  # with the current app's profile, which is ``profile``


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class ClinicFactory(BaseFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clinic {n}")


class UserFactory(BaseFactory):
    class Meta:
        model = User

    clinic = factory.SubFactory(ClinicFactory)
    email = factory.Sequence(lambda n: f"clinician{n}@clinic.test")
    name = factory.Sequence(lambda n: f"Clinician {n}")
    role = Role.THERAPIST
    password_hash = factory.LazyFunction(test_password_hash)


_references = itertools.count(1000)


class PatientFactory(BaseFactory):
    """A patient; pass ``primary=user`` (and ``team=[...]``) to build the care team."""

    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    display_name = factory.Sequence(lambda n: f"Patient {n}")
    reference = factory.LazyFunction(lambda: f"REF-{next(_references)}")
    status = "active"

    @factory.post_generation
    def episode_start(self, create, start, **kwargs):
        """The first episode of care, as ``create_patient`` opens it: from ``episode_start``
        (a date, or an aware datetime taken on the clinic's calendar), by default today."""
        if isinstance(start, datetime):
            start = start.astimezone(self.clinic.zone).date()
        start = start or self.clinic.today()
        end = kwargs.get("end")
        if end is None and self.status == "discharged" and self.discharged_at is not None:
            end = max(start, self.discharged_at.astimezone(self.clinic.zone).date())
        self.episodes.append(Episode(start=start, end=end))
        db.session.commit()

    @factory.post_generation
    def primary(self, create, user, **kwargs):
        if user is not None:
            self.care_team.append(CareTeamMember(user=user, is_primary=True))
            db.session.commit()

    @factory.post_generation
    def team(self, create, users, **kwargs):
        for user in users or ():
            self.care_team.append(CareTeamMember(user=user, is_primary=False))
        if users:
            db.session.commit()


# Records owned by a service ---------------------------------------------------------------------
#
# These go through the real services, as a clinician (or the patient) would make them: assigning
# a program writes its snapshot, saving a level bumps the template's version, a response raises
# its alerts, and each writes its audit row. The defaults build the smallest valid world: one
# clinician, one patient, one clinic exercise, one level (no built-in library unless asked for).
# The kit imports the program catalogue's services (exercises, templates, levels, starter
# programs) here only, as ``catalogue``: when the catalogue moves to a package of its own, the
# kit changes in that one import line.


class ServiceFactory(factory.Factory):
    """A factory whose ``create`` calls a service; there is no unsaved ``build``."""

    class Meta:
        abstract = True

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        raise TypeError(f"{cls.__name__} makes its rows through a service: use create()")


def builtin_library():
    """The built-in exercise library, as ``flask programs sync-library`` inserts it; the number
    of rows added (0 when it is there already)."""
    return write_transaction(catalogue.sync_builtin_exercises)()


def builtin(slug):
    """A built-in exercise by slug (the library is synced first if the tables are empty)."""
    query = sa.select(Exercise).where(Exercise.clinic_id.is_(None), Exercise.slug == slug)
    found = db.session.scalar(query)
    if found is None and builtin_library():
        found = db.session.scalar(query)
    return found


def starter_templates(clinic, actor=None):
    """The built-in library and the starter programs, as a new clinic gets them;
    {template name: template id}."""
    builtin_library()
    write_transaction(catalogue.install_starters)(clinic.id, actor)
    return {t.name: t.id for t in catalogue.templates_of(clinic.id)}


class ExerciseFactory(ServiceFactory):
    """A clinic's own exercise, added by ``actor`` through the library service."""

    class Meta:
        model = Exercise

    actor = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Step-up {n}")
    pattern = "squat"
    setting = "home"
    equipment = "low box"
    measure = "bodyweight_reps"
    ladder_step = 2
    cues = ("Step up with your whole foot on the box.",)
    easier_tip = None

    @classmethod
    def _create(cls, model_class, actor, cues, **data):
        return catalogue.create_exercise(actor, {**data, "cues": list(cues)})


def level_row(exercise, **fields):
    """One exercise row of a level as the level editor's service takes it (2 x 8-12 at body
    weight, 90 s rest, a key exercise unless ``fields`` say otherwise)."""
    row = {"exercise_id": getattr(exercise, "id", exercise), "sets": 2, "reps_min": 8,
           "reps_max": 12, "load_kind": "bodyweight", "load_target": "", "rest_seconds": 90,
           "is_key": True}
    return {**row, **fields}


def level(*rows, name="Getting started", min_weeks=2, sessions_per_week=2, criteria=""):
    """A level of a ``TemplateFactory``: its settings and its exercise rows (``level_row``)."""
    return {"data": {"name": name, "min_weeks": min_weeks,
                     "sessions_per_week": sessions_per_week, "criteria": criteria},
            "rows": list(rows)}


class TemplateFactory(ServiceFactory):
    """A clinic's program made as the editor makes it: ``create_template``, then each of
    ``levels`` (see ``level``) saved by ``save_level``, the second on added by ``add_level``.

    By default one level with one new exercise of the clinic. ``levels=[]`` leaves the empty
    first level that ``create_template`` makes.
    """

    class Meta:
        model = ProgramTemplate

    actor = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    description = ""
    levels = factory.LazyAttribute(
        lambda o: [level(level_row(ExerciseFactory(actor=o.actor)))])

    @classmethod
    def _create(cls, model_class, actor, name, description, levels):
        template = catalogue.create_template(actor, name, description)
        for index, spec in enumerate(levels):
            level_id = (template.levels[0].id if index == 0
                        else catalogue.add_level(actor, template.id).id)
            catalogue.save_level(actor, template.id, level_id, spec["data"], spec["rows"])
        return template


class AssignmentFactory(ServiceFactory):
    """A patient's program, assigned by ``actor`` through ``assign_program`` (which writes the
    snapshot, the first event, the link's salt and the audit row). By default a new patient of
    the actor's, a one-level program of the clinic, starting today in the clinic."""

    class Meta:
        model = Assignment

    actor = factory.SubFactory(UserFactory)
    patient = factory.LazyAttribute(
        lambda o: PatientFactory(clinic=o.actor.clinic, primary=o.actor))
    template = factory.LazyAttribute(lambda o: TemplateFactory(actor=o.actor))
    start_date = None

    @classmethod
    def _create(cls, model_class, actor, patient, template, start_date):
        if start_date is None:
            start_date = programs.clinic_today(getattr(patient, "id", patient))
        return programs.assign_program(actor, getattr(patient, "id", patient),
                                       getattr(template, "id", template), start_date)


def program_token(assignment):
    """The token of the assignment's program link (the last part of its URL)."""
    return programs.program_link(assignment).rsplit("/", 1)[1]


def session_entry(performed_on, **values):
    """A parsed session entry, as the session forms hand it to ``log_session``: done, one set of
    8 at body weight on the first exercise, unless ``values`` say otherwise."""
    defaults = {"status": "done", "low_energy": False, "skip_reason": None,
                "duration_minutes": 30, "rpe": 4, "mood_before": 5, "mood_after": 6, "pain": 0,
                "pain_where": None, "note": None, "submission_key": secrets.token_hex(8),
                "sets": {0: [{"reps": 8, "load_kg": None, "seconds": None}]}}
    return SessionEntry(performed_on=performed_on, **{**defaults, **values})


class SessionFactory(ServiceFactory):
    """A session logged through ``log_session`` (alerts and audit row included): by the
    patient through the link unless ``actor`` is given; today in the clinic by default; any
    other keyword goes into the ``session_entry``."""

    class Meta:
        model = SessionLog

    assignment = factory.SubFactory(AssignmentFactory)
    performed_on = None
    source = "patient"
    actor = None

    @classmethod
    def _create(cls, model_class, assignment, performed_on, source, actor, **values):
        if performed_on is None:
            performed_on = programs.clinic_today(assignment.patient_id)
        assignment_id = getattr(assignment, "id", assignment)
        return programs.log_session(assignment_id, session_entry(performed_on, **values),
                                    source=source, actor=actor)


class InvitationFactory(ServiceFactory):
    """An ad-hoc questionnaire link made by ``actor`` now, through ``create_adhoc_invitation``
    (PHQ-9 for a new patient of the actor's by default). Its token: ``link_token(invitation)``.
    """

    class Meta:
        model = Invitation

    actor = factory.SubFactory(UserFactory)
    patient = factory.LazyAttribute(
        lambda o: PatientFactory(clinic=o.actor.clinic, primary=o.actor))
    codes = ("PHQ-9",)

    @classmethod
    def _create(cls, model_class, actor, patient, codes):
        return measures.create_adhoc_invitation(actor, getattr(patient, "id", patient),
                                                list(codes))


def link_token(invitation):
    """The token of a questionnaire link (the last part of its URL)."""
    return measures.link_token(invitation)


class ResponseFactory(ServiceFactory):
    """A questionnaire the clinician entered from paper, through ``record_clinician_response``
    (scored, its alerts raised): a PHQ-9 of all zeros an hour ago by default."""

    class Meta:
        model = Response

    actor = factory.SubFactory(UserFactory)
    patient = factory.LazyAttribute(
        lambda o: PatientFactory(clinic=o.actor.clinic, primary=o.actor))
    code = "PHQ-9"
    answers = (0,) * 9
    completed_at = factory.LazyFunction(lambda: datetime.now(UTC) - timedelta(hours=1))
    extra = None

    @classmethod
    def _create(cls, model_class, actor, patient, code, answers, completed_at, extra):
        return measures.record_clinician_response(actor, getattr(patient, "id", patient), code,
                                                  list(answers), completed_at, extra)
