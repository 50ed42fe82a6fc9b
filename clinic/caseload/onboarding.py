"""Adding a patient in one form: the details, the episode start, the default questionnaire
schedule and, optionally, a starter program, written in one transaction.

It lives in ``caseload`` because it writes to three areas (patients, measures, programs),
which do not import one another; each part runs the area's own service body (``within``), so
the rules and the audit events are the ones those services already have.
"""

from datetime import date

from clinic.database import within, write_transaction
from clinic.measures import services as measures
from clinic.measures.schedule import DEFAULT_SCHEDULE
from clinic.patients import services as patients
from clinic.programs import services as programs


def care_start(episode_start, today):
    """The day schedules and a starter program begin: the episode's start, or today if the
    episode began earlier (a back-dated referral must not make overdue questionnaires)."""
    return max(episode_start, today)


@write_transaction
def onboard_patient(
    actor, data, *, primary_clinician_id=None, schedule_codes=(), weekday=0, template_id=None
):
    """Add a patient with the ticked default schedules and an optional starter program.

    One transaction: a failure in any part (a taken reference, an archived program...) raises
    the part's ``ServiceError`` and nothing at all is written.
    """
    patient = within(patients.create_patient)(actor, data, primary_clinician_id)
    episode = patients.current_episode(patient)
    start = care_start(episode.start if episode else date.min, actor.clinic.today())
    every = dict(DEFAULT_SCHEDULE)
    for code in [code for code, _weeks in DEFAULT_SCHEDULE if code in set(schedule_codes)]:
        within(measures.save_schedule)(
            actor,
            patient.id,
            measures.ScheduleInput(
                instrument_code=code, every_weeks=every[code], weekday=weekday, starts_on=start
            ),
            within_window=True,
        )
    if template_id:
        within(programs.assign_program)(actor, patient.id, template_id, start)
    return patient
