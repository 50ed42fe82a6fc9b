"""Use cases of outcome measures: schedules, links, responses, change and alerts.

Every writing function is one transaction (``write_transaction``) with its audit events. A
response, the alerts it raises and the completion of its link commit together or not at all.
"""

import functools
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, defer

from clinic import limits, tokens
from clinic.alerts.models import NOT_ON_TRACK, Alert
from clinic.alerts.services import raise_alert
from clinic.audit.services import covered_by_page_view, record
from clinic.auth.models import Clinic
from clinic.database import UTCDateTime, child_of_patient, utcnow, write_transaction
from clinic.errors import NotFound, ServiceError
from clinic.extensions import db
from clinic.measures import episodes as timeline
from clinic.measures import on_track, outcomes
from clinic.measures import schedule as schedule_rules
from clinic.measures.change import change_between
from clinic.measures.instruments import INSTRUMENT_CODES, get_instrument
from clinic.measures.models import Invitation, MeasureSchedule, Response, ScoreRelease
from clinic.measures.scoring import InvalidAnswers, score
from clinic.patients.models import Patient
from clinic.patients.scope import require_item_access, visible_patient
from clinic.patients.services import current_episode, episodes_of
from clinic.portal import parts as part_rules

# ``current_episode`` and ``episodes_of`` are the patients area's; callers of the timeline
# reach them here, beside ``episode_histories``.

ALERT_FOR_FLAG = {
    "risk_item": "risk_item",
    "risk_item_unanswered": "risk_item_unanswered",
    "review_item": "review_item",
}


class AlreadySubmitted(ServiceError):
    """The link's answers are already stored (double tap, second tab, retry)."""


class LinkUnusable(ServiceError):
    """The link is completed, revoked or expired; ``state`` says which."""

    def __init__(self, state):
        super().__init__(f"This link is {state}.")
        self.state = state


def _instruments(codes):
    unknown = [code for code in codes if code not in INSTRUMENT_CODES]
    if unknown or not codes:
        raise ServiceError("Choose at least one questionnaire.", field="instruments")
    return [get_instrument(code) for code in INSTRUMENT_CODES if code in codes]


# Links ------------------------------------------------------------------------------------


def link_token(invitation):
    """The token of an invitation's link (derived again, never stored)."""
    return tokens.link_token(tokens.QUESTIONNAIRE, invitation.token_salt)


def link_url(invitation):
    """The patient's link, built from BASE_URL (never from the request's Host header)."""
    return tokens.link_url(tokens.QUESTIONNAIRE, link_token(invitation))


def invitation_mail_link(invitation_id, now):
    """The link for an invitation mail at its delivery (the outbox stores no token); None once
    the link is used, revoked or expired, or its patient discharged: nothing left to ask."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.state(now) != "open":
        return None
    if not db.session.get(Patient, invitation.patient_id).is_active:
        return None
    return link_url(invitation)


def _new_invitation(patient, codes, *, kind, due_on=None, created_by=None, now=None):
    now = now or utcnow()
    clinic = db.session.get(Clinic, patient.clinic_id)
    link = tokens.mint_link(tokens.QUESTIONNAIRE)
    invitation = Invitation(
        patient_id=patient.id, instruments=list(codes), kind=kind, due_on=due_on,
        token_salt=link.salt, token_hash=link.token_hash,
        created_by_id=getattr(created_by, "id", None), created_at=now,
        expires_at=now + timedelta(days=clinic.link_expiry_days),
    )
    db.session.add(invitation)
    return invitation


@write_transaction
def create_adhoc_invitation(actor, patient_id, codes):
    """A link for the instruments a clinician picks now (to send, or to hand over in the room)."""
    patient = visible_patient(actor, patient_id)
    if not patient.is_active:
        raise ServiceError("This patient is discharged: reactivate them to send questionnaires.")
    instruments = _instruments(codes)
    invitation = _new_invitation(patient, [i.code for i in instruments], kind="adhoc",
                                 created_by=actor)
    record("invitation_create", actor=actor, obj=invitation, patient_id=patient.id,
           instruments=invitation.instruments)
    return invitation


def invitation_of(actor, patient_id, invitation_id):
    """One of a patient's links, if ``actor`` may see the patient.

    :raises NotFound: the patient is out of scope, or the link is missing or another patient's.
    """
    patient = visible_patient(actor, patient_id)
    return child_of_patient(Invitation, invitation_id, patient.id)


@write_transaction
def open_invitation(actor, patient_id, invitation_id):
    """A link for its page, recording that ``actor`` viewed it (the link opens the record)."""
    invitation = invitation_of(actor, patient_id, invitation_id)
    record("invitation_view", actor=actor, obj=invitation, patient_id=invitation.patient_id)
    return invitation


@write_transaction
def revoke_invitation(actor, patient_id, invitation_id):
    """Stop a link from working; a completed one stays completed."""
    invitation = invitation_of(actor, patient_id, invitation_id)
    if invitation.completed_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        invitation.draft_answers = None  # a stopped link keeps no half-finished answers
        record("invitation_revoke", actor=actor, obj=invitation, patient_id=patient_id)
    return invitation


def invitations_of(patient, limit=10):
    """A patient's latest links, newest first (the patient page and the API list them)."""
    return db.session.scalars(
        sa.select(Invitation).where(Invitation.patient_id == patient.id)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc()).limit(limit)
    ).all()


# Schedules --------------------------------------------------------------------------------


@dataclass
class ScheduleInput:
    instrument_code: str
    every_weeks: int
    weekday: int
    starts_on: object
    ends_on: object = None


def schedules_of(patient_id):
    """A patient's questionnaire schedules, one per instrument, in the order they were made."""
    return db.session.scalars(
        sa.select(MeasureSchedule).where(MeasureSchedule.patient_id == patient_id)
        .order_by(MeasureSchedule.id)
    ).all()


@write_transaction
def save_schedule(actor, patient_id, data, *, within_window=False):
    """Create or change the schedule of one instrument for a patient.

    ``within_window`` (the page and the API ask for it): a new start date must be in the
    window of ``clinic.limits.schedule_start_problem`` (the episode start to a year ahead).
    The seeding and the tests' factories write back-dated schedules without it.
    """
    patient = visible_patient(actor, patient_id)
    instrument = _instruments([data.instrument_code])[0]
    if data.every_weeks not in schedule_rules.FREQUENCIES:
        raise ServiceError("Choose weekly, every 2 weeks or every 4 weeks.", field="every_weeks")
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise ServiceError("The end date must be on or after the start date.", field="ends_on")
    existing = db.session.scalar(sa.select(MeasureSchedule).where(
        MeasureSchedule.patient_id == patient.id,
        MeasureSchedule.instrument_code == instrument.code))
    if within_window and (existing is None or existing.starts_on != data.starts_on):
        # (an unchanged start stays, as after a reactivation moved the episode start)
        episode = current_episode(patient)
        problem = limits.schedule_start_problem(
            data.starts_on, episode.start if episode else patient.clinic.today(),
            patient.clinic.today())
        if problem:
            raise ServiceError(problem, field="starts_on")
    if existing is None:
        existing = MeasureSchedule(patient_id=patient.id, instrument_code=instrument.code,
                                   created_by_id=actor.id)
        db.session.add(existing)
    existing.every_weeks = data.every_weeks
    existing.weekday = data.weekday
    existing.starts_on = data.starts_on
    existing.ends_on = data.ends_on
    db.session.flush()
    record("schedule_save", actor=actor, obj=existing, patient_id=patient.id,
           instrument=instrument.code, every_weeks=data.every_weeks, weekday=data.weekday)
    return existing


@write_transaction
def stop_schedule(actor, patient_id, schedule_id):
    """End a schedule today: no more invitations for that instrument."""
    patient = visible_patient(actor, patient_id)
    item = child_of_patient(MeasureSchedule, schedule_id, patient.id)
    today = patient.clinic.today()
    record("schedule_stop", actor=actor, obj=item, patient_id=patient.id,
           instrument=item.instrument_code)
    if item.starts_on >= today:
        db.session.delete(item)  # it never sent anything: nothing to keep
        return None
    item.ends_on = today - timedelta(days=1)  # the last sending day was yesterday
    return item


# Responses --------------------------------------------------------------------------------


def store_response(patient, instrument, result, **fields):
    """Add a scored response and the alerts it raises to the current transaction.

    ``fields``: ``source`` and ``completed_at``, and optionally ``invitation``, ``entered_by``,
    ``extra``, ``supersedes`` and ``reason``.
    """
    return _store_scored(patient, instrument, result, **fields)[0]


def _store_scored(patient, instrument, result, *, source, completed_at, invitation=None,
                  entered_by=None, extra=None, supersedes=None, reason=None, judge=True,
                  episodes=None):
    """(response, the alerts it raised), both added to the current transaction (``episodes``:
    the patient's, earliest first, when the caller stores several responses at once)."""
    response = Response(
        patient_id=patient.id, invitation_id=getattr(invitation, "id", None),
        instrument_code=instrument.code, instrument_version=instrument.version,
        answers=list(result.answers), extra_answers=extra or {}, total=result.total,
        band=result.band.label if result.band else None, is_case=result.is_case,
        flags=list(result.risk_flags), prorated=result.prorated, source=source,
        completed_at=completed_at, entered_by_id=getattr(entered_by, "id", None),
        supersedes_id=getattr(supersedes, "id", None), correction_reason=reason,
    )
    db.session.add(response)
    db.session.flush()
    return response, (_raise_alerts(patient, instrument, response, episodes) if judge else [])


def current_responses(patient_id, instrument_code=None, *, load=()):
    """Responses not superseded by a correction, oldest first (``load``: loader options)."""
    newer = aliased(Response)
    query = sa.select(Response).options(*load).where(
        Response.patient_id == patient_id,
        ~sa.exists().where(newer.supersedes_id == Response.id),
    )
    if instrument_code:
        query = query.where(Response.instrument_code == instrument_code)
    return db.session.scalars(query.order_by(Response.completed_at, Response.id)).all()


def episode_histories(patient, episode=None, *, responses=None, episodes=None):
    """{instrument code: the current responses of ``episode``, earliest-dated first}.

    The one rule every page, report and export uses: a response belongs to the episode whose
    dates contain its clinical date (``completed_at`` on the clinic's calendar), never to the
    one in which it was entered; baseline is ``history[0]`` and latest ``history[-1]``.
    ``episode`` defaults to the patient's current (latest) episode. ``responses`` (current
    ones) and ``episodes`` spare the queries when the caller has loaded them already.
    """
    if episode is None:
        episode = current_episode(patient, episodes)
    if responses is None:
        responses = current_responses(patient.id)
    return timeline.histories(responses, episode, patient.clinic.zone)


def _episode_ends(patient, instrument_code, episode):
    """(baseline, latest) of one instrument in ``episode``: one statement of two indexed
    one-row lookups (``ix_response_patient_instrument``), not the patient's whole history
    (issue 18).

    The episode's days become UTC bounds (midnight of its first day and of the day after its
    last, on the clinic's clock), so "completed in the episode" is the clinical-date rule of
    ``clinic.measures.episodes``; the order is ``clinical_order``'s.
    """
    zone = patient.clinic.zone
    ends_at = (OPEN_EPISODE_END if episode.end is None
               else datetime.combine(episode.end + timedelta(days=1), time(0), tzinfo=zone))
    ends = sorted(db.session.scalars(_episode_ends_statement(), {
        "patient_id": patient.id, "code": instrument_code,
        "starts": datetime.combine(episode.start, time(0), tzinfo=zone), "ends": ends_at,
    }).unique(), key=lambda response: (response.completed_at, response.total, response.id))
    return (ends[0], ends[-1]) if ends else (None, None)


# The end of an open episode in :func:`_episode_ends_statement`: later than any answer.
OPEN_EPISODE_END = datetime(9000, 1, 1, tzinfo=UTC)


@functools.lru_cache(maxsize=1)
def _episode_ends_statement():
    """:func:`_episode_ends`'s statement, built once (bound parameters ``patient_id``, ``code``,
    ``starts``, ``ends``): the ids of the first and the last (each an indexed LIMIT 1), then
    the (at most two) rows, without their answers (JSON decoded for nothing: alerts need
    totals, ids and dates); which is which is the same order applied to them in Python."""
    newer = aliased(Response)
    ids = sa.select(Response.id).where(
        Response.patient_id == sa.bindparam("patient_id", type_=sa.Integer),
        Response.instrument_code == sa.bindparam("code", type_=sa.String),
        Response.completed_at >= sa.bindparam("starts", type_=UTCDateTime()),
        Response.completed_at < sa.bindparam("ends", type_=UTCDateTime()),
        ~sa.exists().where(newer.supersedes_id == Response.id))
    first = ids.order_by(Response.completed_at, Response.total, Response.id).limit(1).subquery()
    last = ids.order_by(Response.completed_at.desc(), Response.total.desc(),
                        Response.id.desc()).limit(1).subquery()
    return (sa.select(Response).options(defer(Response.answers), defer(Response.extra_answers))
            .where(Response.id.in_(sa.union_all(sa.select(first.c.id), sa.select(last.c.id)))))


def baseline_response(patient, instrument_code, episode=None):
    """The earliest-dated current response of an instrument in the episode (default: the
    current one), or None."""
    episode = episode if episode is not None else current_episode(patient)
    return _episode_ends(patient, instrument_code, episode)[0] if episode is not None else None


def _judged_alerts(patient, instrument, response, episodes=None):
    """{alert kind: detail} that ``response`` meets, judged now.

    Risk and review items raise whatever the date: someone must look. Reliable deterioration
    is judged only for the latest-dated response of the instrument in its episode, against the
    episode's baseline (a form for an earlier week changes the history, not today's status).
    """
    judged = {}
    for flag in response.flags:
        kind = ALERT_FOR_FLAG.get(flag)
        if kind:
            judged[kind] = {"instrument": instrument.code, "flag": flag}
    day = timeline.clinical_date(response, patient.clinic.zone)
    episode = timeline.episode_of_day(episodes if episodes is not None else episodes_of(patient),
                                      day)
    if episode is None:
        return judged
    baseline, latest = _episode_ends(patient, instrument.code, episode)
    if latest is not None and latest.id == response.id:
        change = change_between(instrument, baseline, response)
        if change is not None and change.alert == "reliable_deterioration":
            judged["reliable_deterioration"] = {
                "instrument": instrument.code, "baseline": baseline.total,
                "latest": response.total, "baseline_response_id": baseline.id}
    return judged


def _raise_alerts(patient, instrument, response, episodes=None):
    """Alerts in the same transaction as the response that raised them; returns them."""
    episodes = episodes if episodes is not None else episodes_of(patient)
    raised = [raise_alert(patient, kind, response=response, **detail)
              for kind, detail in _judged_alerts(patient, instrument, response,
                                                 episodes).items()]
    db.session.flush()
    if instrument.code == ON_TRACK_CODE:
        episode = timeline.episode_of_day(episodes,
                                          timeline.clinical_date(response, patient.clinic.zone))
        raised += settle_not_on_track(None, patient, episode)
    return raised


ON_TRACK_CODE = "PHQ-9"  # the only instrument with published not-on-track cut points


def _phq9_history(patient, episode):
    """(day, total, response id) of the episode's current PHQ-9s, in the clinical order."""
    zone = patient.clinic.zone
    newer = aliased(Response)
    query = sa.select(Response.completed_at, Response.total, Response.id).where(
        Response.patient_id == patient.id, Response.instrument_code == ON_TRACK_CODE,
        Response.completed_at >= datetime.combine(episode.start, time(0), tzinfo=zone),
        ~sa.exists().where(newer.supersedes_id == Response.id))
    if episode.end is not None:
        after = datetime.combine(episode.end + timedelta(days=1), time(0), tzinfo=zone)
        query = query.where(Response.completed_at < after)
    rows = db.session.execute(query.order_by(Response.completed_at, Response.total,
                                             Response.id)).all()
    return [(completed_at.astimezone(zone).date(), total, response_id)
            for completed_at, total, response_id in rows]


def settle_not_on_track(actor, patient, episode, *, correction=None, reason=None):
    """Bring the episode's not-on-track review prompts in line with its PHQ-9 history.

    Each window (weeks 4-5, 9-10, 14-15) is judged on its latest-dated PHQ-9
    (``clinic.measures.on_track``), whatever the order the forms came in: one prompt per window
    and episode. A window judged not on track gets a prompt on its deciding response: an open
    one raised by another response of the window moves to it (audited); one already
    acknowledged is not raised again (the plan was reviewed for that window). An open prompt
    whose window is now on track, or empty, closes: resolved by ``correction`` when a
    correction decided it, else by the later answer. Returns the prompts raised anew.
    """
    if episode is None:
        return []
    judged = on_track.verdicts(_phq9_history(patient, episode))
    prompts = {}
    for alert in db.session.scalars(sa.select(Alert).where(
            Alert.patient_id == patient.id, Alert.kind == NOT_ON_TRACK).order_by(Alert.id)):
        if alert.detail.get("episode_id") == episode.id:
            prompts.setdefault(alert.detail.get("week"), []).append(alert)
    raised, now = [], utcnow()
    for week in sorted(set(judged) | set(prompts)):
        verdict, existing = judged.get(week), prompts.get(week, [])
        open_ones = [alert for alert in existing if alert.is_open]
        if verdict is not None and verdict.not_on_track:
            detail = {**verdict.detail, "episode_id": episode.id}
            if any(alert.response_id == verdict.decider for alert in existing):
                continue
            if open_ones:
                alert = open_ones[0]
                moved = [*alert.detail.get("moved_from_response_ids", []), alert.response_id]
                record("alert_move", actor=actor, actor_kind=None if actor else "system",
                       clinic_id=patient.clinic_id, obj=alert, patient_id=patient.id,
                       kind=alert.kind, from_response=alert.response_id,
                       to_response=verdict.decider)
                alert.detail = {**detail, "moved_from_response_ids": moved}
                alert.response_id = verdict.decider
            elif not existing:
                raised.append(raise_alert(patient, NOT_ON_TRACK,
                                          response=db.session.get(Response, verdict.decider),
                                          **detail))
            continue
        for alert in open_ones:
            if correction is not None:
                alert.resolve_by_correction(actor, now, correction, reason)
                action = "alert_resolve_by_correction"
            else:
                alert.resolve_by_later_answer(actor, now, verdict and verdict.decider)
                action = "alert_resolve_by_later_answer"
            record(action, actor=actor, actor_kind=None if actor else "system",
                   clinic_id=patient.clinic_id, obj=alert, patient_id=patient.id,
                   kind=alert.kind)
    db.session.flush()
    return raised


MEASURE_ALERT_KINDS = ("risk_item", "risk_item_unanswered", "review_item",
                       "reliable_deterioration")


def _settle_alerts(actor, patient, instrument, original, corrected, reason):
    """Judge again the alerts ``original`` raised, now that ``corrected`` supersedes it.

    One the corrected answers still meet moves to the correction (quoting its total); an open
    one they no longer meet is closed as resolved by correction (kept in history); one they
    newly meet is raised. Returns the alerts raised anew. Each move and closure is audited.
    """
    judged = _judged_alerts(patient, instrument, corrected)
    earlier = db.session.scalars(sa.select(Alert).where(
        Alert.response_id == original.id, Alert.kind.in_(MEASURE_ALERT_KINDS))
        .order_by(Alert.id)).all()
    now = utcnow()
    for alert in earlier:
        if alert.kind in judged:
            detail = judged.pop(alert.kind)
            moved = [*alert.detail.get("moved_from_response_ids", []), original.id]
            alert.detail = {**alert.detail, **detail, "total": corrected.total,
                            "moved_from_response_ids": moved}
            alert.response_id = corrected.id
            record("alert_move", actor=actor, obj=alert, patient_id=patient.id,
                   kind=alert.kind, from_response=original.id, to_response=corrected.id)
        elif alert.is_open:
            alert.resolve_by_correction(actor, now, corrected, reason)
            record("alert_resolve_by_correction", actor=actor, obj=alert,
                   patient_id=patient.id, kind=alert.kind, response=corrected.id)
    db.session.flush()
    raised = [raise_alert(patient, kind, response=corrected, **detail)
              for kind, detail in judged.items()]
    db.session.flush()
    if instrument.code == ON_TRACK_CODE:
        episode = timeline.episode_of_day(episodes_of(patient),
                                          timeline.clinical_date(corrected, patient.clinic.zone))
        raised += settle_not_on_track(actor, patient, episode, correction=corrected,
                                      reason=reason)
    return raised


def link_invitation(token):
    """The invitation behind a token, whatever its state, or None for an unknown token."""
    if not tokens.looks_like_token(token):
        return None
    return db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == tokens.token_hash(token))
    )


def invitation_for_portal(invitation_id, token_hash):
    """The invitation a portal session holds: its id and the hash of the link's token.

    The token already left the URL; the session keeps the hash beside the id, so a session
    that names only an invitation id (a cookie forged with the app's key) finds nothing.
    """
    if not isinstance(invitation_id, int) or not isinstance(token_hash, str):
        return None
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or not hmac.compare_digest(invitation.token_hash, token_hash):
        return None
    return invitation


RISK_ALERTS = frozenset({"risk_item", "risk_item_unanswered"})


@dataclass(frozen=True)
class LinkSubmission:
    """What a patient's answers did, read inside the transaction that stored them.

    ``alert_ids`` are the alerts the answers raised (their mails were queued with them);
    ``risk_flagged`` says a risk item was answered positively or left blank, so the patient
    sees the clinic's crisis text.
    """

    responses: tuple
    alert_ids: tuple
    risk_flagged: bool
    clinic_id: int


@write_transaction
def submit_link_answers(invitation_id, answers_by_code, extras_by_code):
    """Store a patient's answers to every instrument of a link, or nothing at all.

    Returns a :class:`LinkSubmission`: the stored responses and the alerts they raised.

    :raises InvalidAnswersByInstrument: answers missing or invalid (nothing stored).
    :raises LinkUnusable: the link expired or was revoked meanwhile.
    :raises AlreadySubmitted: these answers are already stored.
    """
    invitation = db.session.get(Invitation, invitation_id)
    now = utcnow()
    state = invitation.state(now)
    if state == "completed":
        raise AlreadySubmitted("Your answers are already saved.")
    if state != "open":
        raise LinkUnusable(state)
    results = score_all(invitation.instruments, answers_by_code)
    patient = db.session.get(Patient, invitation.patient_id)
    episodes = episodes_of(patient)  # once for every instrument's alerts
    stored, raised = [], []
    try:
        for code in invitation.instruments:
            response, alerts = _store_scored(
                patient, get_instrument(code), results[code], source="link", completed_at=now,
                invitation=invitation, extra=extras_by_code.get(code) or {}, episodes=episodes,
            )
            stored.append(response)
            raised.extend(alerts)
        invitation.completed_at = now
        invitation.draft_answers = None  # the answers now live in the responses
        db.session.flush()
    except IntegrityError as error:
        # Another request stored them first: the unique (invitation, instrument) said no.
        raise AlreadySubmitted("Your answers are already saved.") from error
    record("response_submit", actor_kind="link", clinic_id=patient.clinic_id, obj=invitation,
           patient_id=patient.id, instruments=invitation.instruments)
    return LinkSubmission(
        responses=tuple(stored), alert_ids=tuple(alert.id for alert in raised),
        risk_flagged=any(alert.kind in RISK_ALERTS for alert in raised),
        clinic_id=patient.clinic_id)


@write_transaction
def save_link_part(invitation_id, code, answers, extras):
    """Keep the answers of one finished part of a link until the whole set is sent.

    The part is checked as the whole set will be (so the patient fixes it now), but nothing is
    scored, stored as a response, or judged for alerts: that happens only in
    :func:`submit_link_answers`, with every part.

    :raises InvalidAnswersByInstrument: answers missing or invalid (nothing kept).
    :raises LinkUnusable: the link expired or was revoked meanwhile.
    :raises AlreadySubmitted: the link is already completed.
    """
    invitation = db.session.get(Invitation, invitation_id, with_for_update=True)
    state = invitation.state(utcnow())
    if state == "completed":
        raise AlreadySubmitted("Your answers are already saved.")
    if state != "open":
        raise LinkUnusable(state)
    if code not in invitation.instruments:
        raise ServiceError("This questionnaire is not part of the link.")
    score_all([code], {code: answers})  # validation only: the result is not kept
    invitation.draft_answers = part_rules.with_part(invitation.draft_answers, code, answers,
                                                    extras)
    record("invitation_part_save", actor_kind="link", clinic_id=invitation.patient.clinic_id,
           obj=invitation, patient_id=invitation.patient_id, instrument=code)
    return invitation


class InvalidAnswersByInstrument(ServiceError):
    """``errors`` maps instrument code to {item number: message}."""

    def __init__(self, errors):
        super().__init__("Some answers are missing or not valid.")
        self.errors = errors


def score_all(codes, answers_by_code, allow_missing=False):
    """Score each instrument's answers; every instrument's errors are collected, not the first.

    :raises InvalidAnswersByInstrument: any answers missing or invalid.
    """
    results, errors = {}, {}
    for code in codes:
        try:
            results[code] = score(get_instrument(code), answers_by_code.get(code) or [],
                                  allow_missing=allow_missing)
        except InvalidAnswers as error:
            errors[code] = error.errors
    if errors:
        raise InvalidAnswersByInstrument(errors)
    return results


def _paper_moment(patient, completed_at):
    """A paper form's date may be today in the clinic's zone, never later; never after now."""
    now = utcnow()
    clinic = db.session.get(Clinic, patient.clinic_id)
    if completed_at.date() > schedule_rules.local_now(now, clinic.timezone).date():
        raise ServiceError("The date cannot be in the future.", field="completed_at")
    return min(completed_at, now)


@write_transaction
def record_clinician_response(actor, patient_id, code, answers, completed_at, extra=None):
    """A paper form entered by a clinician: marked as such, with the date it was filled in."""
    patient = answering_patient(actor, patient_id)
    instrument = _instruments([code])[0]
    completed_at = _paper_moment(patient, completed_at)
    result = score_all([code], {code: answers}, allow_missing=True)[code]
    response = store_response(patient, instrument, result, source="clinician",
                               completed_at=completed_at, entered_by=actor, extra=extra)
    record("response_enter", actor=actor, obj=response, patient_id=patient.id,
           instrument=code)
    return response


@write_transaction
def correct_response(actor, patient_id, response_id, answers, completed_at=None, reason="",
                     extra=None):
    """Supersede a response with a corrected one; both stay, and the audit trail says why.

    The correction keeps the clinical date, and so the episode, of what it corrects: its
    ``completed_at`` is the original's (a ``completed_at`` on another day of the clinic's
    calendar is refused: that is a different form). The alerts the original raised are judged
    again (``_settle_alerts``).
    """
    patient = answering_patient(actor, patient_id, "correct questionnaires")
    original = child_of_patient(Response, response_id, patient.id)
    if db.session.scalar(sa.select(Response.id).where(Response.supersedes_id == original.id)):
        raise ServiceError("This response has already been corrected; correct the newer one.")
    if not (reason or "").strip():
        raise ServiceError("Say why the response is being corrected.", field="reason")
    zone = patient.clinic.zone
    day = timeline.clinical_date(original, zone)
    if completed_at is not None and completed_at.astimezone(zone).date() != day:
        raise ServiceError(f"A correction keeps the date of the form it corrects ({day:%d %b %Y}"
                           "); a form of another day is entered as a new one.",
                           field="completed_at")
    instrument = get_instrument(original.instrument_code)
    result = score_all([instrument.code], {instrument.code: answers}, allow_missing=True)
    try:
        corrected, _ = _store_scored(
            patient, instrument, result[instrument.code], source="clinician",
            completed_at=original.completed_at, entered_by=actor, supersedes=original,
            reason=reason.strip(), extra=extra, judge=False,
        )
    except IntegrityError as error:
        raise ServiceError("This response has already been corrected.") from error
    record("response_correct", actor=actor, obj=corrected, patient_id=patient.id,
           supersedes=original.id)
    _settle_alerts(actor, patient, instrument, original, corrected, reason.strip())
    return corrected


def superseded_by(response):
    """The correction that replaced ``response``, or None while it is current."""
    return db.session.scalar(sa.select(Response).where(Response.supersedes_id == response.id))


def answering_patient(actor, patient_id, what="enter questionnaires"):
    """The patient, if ``actor`` may see them and their item-level answers.

    :raises NotFound: the patient is out of scope.
    :raises NotAllowed: ``actor`` is a clinical trainer on the care team (minimum necessary).
    """
    patient = visible_patient(actor, patient_id)
    require_item_access(actor, what)
    return patient


def response_of(actor, patient_id, response_id):
    """One of a patient's responses with its answers, if ``actor`` may see them.

    :raises NotFound: the patient is out of scope, or the response is missing or another
        patient's.
    :raises NotAllowed: ``actor`` is a clinical trainer (they see totals, not answers).
    """
    patient = answering_patient(actor, patient_id, "see item-level questionnaire answers")
    return child_of_patient(Response, response_id, patient.id)


@write_transaction
def open_response(actor, patient_id, response_id, **detail):
    """A response for its page (every answer), recording that ``actor`` viewed it."""
    response = response_of(actor, patient_id, response_id)
    record("response_view", actor=actor, obj=response, patient_id=response.patient_id,
           **detail)
    return response


# Change over time ---------------------------------------------------------------------------


@dataclass
class InstrumentSummary:
    instrument: object
    responses: list  # every current response, earliest-dated first (the whole history)
    baseline: object  # of the current episode, or None
    latest: object  # of the current episode, else the latest-dated response of all
    change: object
    episode: object = None
    before_episode: frozenset = frozenset()  # ids dated before the current episode began

    def is_before_episode(self, response):
        return response.id in self.before_episode


@write_transaction
def _record_chart_view(actor, patient_id, code, page_view):
    patient = visible_patient(actor, patient_id)
    if not covered_by_page_view(actor, patient.id, page_view):
        record("chart_view", actor=actor, obj=patient, patient_id=patient.id, instrument=code)


def chart_responses(actor, patient_id, code, page_view=None):
    """The current responses to one instrument, for its chart; the view of them is audited.

    :raises NotFound: an unknown instrument, or a patient outside ``actor``'s scope.
    """
    if code not in INSTRUMENT_CODES:
        raise NotFound("instrument")
    _record_chart_view(actor, patient_id, code, page_view)
    return current_responses(patient_id, code)


def summaries(patient, responses=None, episodes=None):
    """Per instrument with responses: history, the current episode's baseline, latest and
    classified change, and which responses are dated before the episode."""
    responses = current_responses(patient.id) if responses is None else responses
    episode = current_episode(patient, episodes)
    zone = patient.clinic.zone
    in_episode = timeline.histories(responses, episode, zone)
    by_code = {}
    for response in responses:
        by_code.setdefault(response.instrument_code, []).append(response)
    result = []
    for code in INSTRUMENT_CODES:
        if code not in by_code:
            continue
        instrument = get_instrument(code)
        history = sorted(by_code[code], key=timeline.clinical_order)
        current = in_episode.get(code, [])
        baseline = current[0] if current else None
        latest = current[-1] if current else history[-1]
        before = frozenset(r.id for r in history if timeline.before_episode(r, episode, zone))
        result.append(InstrumentSummary(instrument, history, baseline, latest,
                                        change_between(instrument, baseline, latest),
                                        episode, before))
    return result




def original_invitations(responses):
    """Response id -> the invitation its original answered, for corrections of link answers.

    A correction is clinician-entered and carries no invitation of its own, yet it answers the
    same occasion as the response it supersedes (the paired outcome pairs by occasion). One
    query for the patient's superseded rows, whatever the number of corrections.
    """
    corrections = [r for r in responses if r.supersedes_id is not None]
    if not corrections:
        return {}
    patient_ids = {r.patient_id for r in corrections}
    rows = {row.id: row for row in db.session.execute(
        sa.select(Response.id, Response.supersedes_id, Response.invitation_id)
        .where(Response.patient_id.in_(patient_ids), Response.id.in_(
            sa.select(Response.supersedes_id).where(Response.patient_id.in_(patient_ids))))
    )}
    found = {}
    for correction in corrections:
        previous = rows.get(correction.supersedes_id)
        while previous is not None and previous.invitation_id is None:
            previous = rows.get(previous.supersedes_id)
        if previous is not None:
            found[correction.id] = previous.invitation_id
    return found


def episode_outcome_of(patient):
    """The outcome of the patient's current episode of care (``clinic.measures.outcomes``):
    the one source of the patient page's, the PDF's, the clinic CSV's and the API's figures.

    Reads only; the caller audits the view it is part of (page view, export, API read).
    """
    episode = current_episode(patient)
    histories = episode_histories(patient, episode)
    responses = [r for history in histories.values() for r in history]
    return outcomes.episode_outcome(histories, episode.start, episode.end, patient.clinic.zone,
                                    original_invitations(responses))


# Scores released to the patient ---------------------------------------------------------------


def released_codes(patient_id):
    """The instruments whose totals the patient may see on their own page, in the standard
    order of instruments (none until a clinician releases one)."""
    codes = set(db.session.scalars(sa.select(ScoreRelease.instrument_code)
                                   .where(ScoreRelease.patient_id == patient_id)))
    return [code for code in INSTRUMENT_CODES if code in codes]


@write_transaction
def set_score_release(actor, patient_id, code, released):
    """Show (or stop showing) the patient their own totals of one instrument; audited.

    A therapist's or admin's decision: a clinical trainer, who does not handle questionnaires,
    cannot make it. Setting what is already set writes nothing. Returns whether it changed.

    :raises NotFound: for a patient out of scope or an unknown instrument.
    """
    patient = visible_patient(actor, patient_id)
    require_item_access(actor, "choose which scores a patient sees")
    if code not in INSTRUMENT_CODES:
        raise NotFound("instrument")
    existing = db.session.scalar(sa.select(ScoreRelease).where(
        ScoreRelease.patient_id == patient.id, ScoreRelease.instrument_code == code))
    if released and existing is None:
        row = ScoreRelease(patient_id=patient.id, instrument_code=code, released_by_id=actor.id)
        db.session.add(row)
        record("score_release", actor=actor, obj=row, patient_id=patient.id, instrument=code)
        return True
    if not released and existing is not None:
        record("score_release_withdraw", actor=actor, obj=existing, patient_id=patient.id,
               instrument=code)
        db.session.delete(existing)
        return True
    return False


def released_stories(patient, codes):
    """{code: (instrument, the current episode's current responses)} of released instruments,
    totals only: what the patient's own page words in plain language."""
    if not codes:
        return {}
    histories = episode_histories(patient)
    return {code: (get_instrument(code), histories[code]) for code in codes if code in histories}
