"""Writing and reading the audit trail.

``record`` adds the event to the current session without committing: it lands in the same
transaction as the change it describes, or not at all.
"""

import csv
import io
import json
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import g, has_request_context, request

from clinic.audit import chain
from clinic.audit.models import AuditEvent, audit_key
from clinic.database import write_transaction
from clinic.extensions import db


def record(action, *, actor=None, actor_kind=None, clinic_id=None, obj=None, patient_id=None,
           outcome="success", **detail):
    """Add one audit event for ``action`` to the current transaction."""
    if obj is not None and obj.id is None:
        db.session.flush()  # the new object needs its id before the event can name it
    if actor_kind is None:
        actor_kind = "user" if actor is not None else "anonymous"
    event = AuditEvent(
        clinic_id=clinic_id if clinic_id is not None else getattr(actor, "clinic_id", None),
        actor_kind=actor_kind,
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=obj.__tablename__ if obj is not None else None,
        object_id=obj.id if obj is not None else None,
        patient_id=patient_id,
        outcome=outcome,
        detail=detail,
    )
    if has_request_context():
        event.ip = request.remote_addr
        event.request_id = g.get("request_id")
    db.session.add(event)
    return event


@write_transaction
def record_read(action, *, actor, obj=None, patient_id=None, **detail):
    """Audit a read of patient data, in a small transaction of its own (the page writes nothing
    else). Call it once the record is known to be in the reader's scope: a refusal reads nothing.
    """
    record(action, actor=actor, obj=obj, patient_id=patient_id, **detail)


# Pages that embed a patient's charts as images: their one read row covers those images.
CHART_PAGES = ("patient_view", "assignment_view")


def covered_by_page_view(actor, patient_id, page_view):
    """Whether ``page_view`` (the request id a page put in its chart's URL) names a page view of
    ``actor``'s of this patient that embeds charts: the chart image is then part of that view and
    writes no row of its own. A chart opened on its own (no or another marker) is a read."""
    if not page_view or len(page_view) > 64:
        return False
    return db.session.scalar(sa.select(sa.exists().where(
        AuditEvent.request_id == page_view, AuditEvent.actor_id == actor.id,
        AuditEvent.patient_id == patient_id, AuditEvent.outcome == "success",
        AuditEvent.action.in_(CHART_PAGES))))


def record_api_read(actor, operation, patient_id=None, **detail):
    """Audit an API request that read patient data, as the event ``api.<operation>``."""
    record_read(f"api.{operation}", actor=actor, patient_id=patient_id, **detail)


# URL arguments that name a patient or one of their records: a route with one is patient-scoped.
PATIENT_SCOPED_ARGUMENTS = frozenset({"patient_id", "member_id", "schedule_id", "invitation_id",
                                      "response_id", "alert_id", "assignment_id"})


def record_refusal(status):
    """Audit a 403/404 answer to a signed-in clinician (page login or API token) on a
    patient-scoped route, as ``access_denied`` with outcome ``denied``.

    The row holds only what the caller sent: the route, the method and the URL's arguments as
    they came. No patient id is looked up, so a refusal says nothing the caller did not know.
    """
    from flask_login import current_user  # here: the audit package sits below auth

    view_args = request.view_args or {}
    if request.url_rule is None or not view_args.keys() & PATIENT_SCOPED_ARGUMENTS:
        return
    actor = g.get("api_user")
    if actor is None and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if actor is None:
        return
    db.session.rollback()  # the refused request's own reads (or a failed statement) end here
    write_transaction(record)(
        "access_denied", actor=actor, outcome="denied", route=request.endpoint,
        method=request.method, status=status,
        sent={name: str(value) for name, value in view_args.items()})


def _day_start(day):
    return datetime.combine(day, time(0), tzinfo=UTC)


def events_for_clinic(clinic_id, *, user_id=None, user_email=None, patient_id=None,
                      patient_reference=None, date_from=None, date_to=None):
    """A select of a clinic's events, newest first, filtered by user, patient and UTC dates
    (both days included) if asked."""
    query = sa.select(AuditEvent).where(AuditEvent.clinic_id == clinic_id)
    if date_from is not None:
        query = query.where(AuditEvent.at >= _day_start(date_from))
    if date_to is not None:
        query = query.where(AuditEvent.at < _day_start(date_to + timedelta(days=1)))
    if user_id is not None:
        query = query.where(AuditEvent.actor_id == user_id)
    if user_email:
        query = query.where(AuditEvent.actor.has(email=user_email.strip().lower()))
    if patient_id is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    if patient_reference:
        query = query.where(AuditEvent.patient.has(reference=patient_reference.strip()))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


# Export ----------------------------------------------------------------------------------------

CSV_COLUMNS = ("id", "seq", "at_utc", "actor_kind", "actor_id", "actor_email", "action",
               "object_type", "object_id", "patient_id", "patient_reference", "outcome", "ip",
               "request_id", "detail", "hash")


@write_transaction
def record_export(actor, filters):
    """The export of the trail is itself audited: which filters, never their values' PHI."""
    used = sorted(name for name, value in filters.items() if value not in (None, ""))
    plain = {name: filters[name] for name in ("user_id", "patient_id") if filters.get(name)}
    dates = {name: filters[name].isoformat() for name in ("date_from", "date_to")
             if filters.get(name)}
    record("audit_export", actor=actor, filters=used, **plain, **dates)


def _cell(value):
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def export_csv(query):
    """The selected events as CSV text lines, oldest first, streamed in batches."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    query = query.order_by(None).order_by(AuditEvent.id)
    for event in db.session.scalars(query.execution_options(yield_per=500)):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(_cell(v) for v in (
            event.id, event.seq, event.at.isoformat(timespec="microseconds"), event.actor_kind,
            event.actor_id, event.actor.email if event.actor else None, event.action,
            event.object_type, event.object_id, event.patient_id,
            event.patient.reference if event.patient else None, event.outcome, event.ip,
            event.request_id, json.dumps(event.detail, sort_keys=True), event.hash))
        yield buffer.getvalue()


# Verification ----------------------------------------------------------------------------------


def verify_chain():
    """Recompute the whole chain, in id order; a :class:`chain.Verdict` naming the first problem.

    Reads plain rows (Core, not the ORM) so nothing the app layers on top can hide a change.
    """
    table = AuditEvent.__table__
    connection = db.session.connection()

    def row_id_of_seq(seq):
        return connection.execute(sa.select(table.c.id).where(table.c.seq == seq)).scalar()

    result = connection.execute(
        sa.select(table).order_by(table.c.id).execution_options(yield_per=1000))
    try:
        return chain.verify(audit_key(), result.mappings(), row_id_of_seq)
    finally:
        result.close()  # the verdict may come before the last row: free the server cursor


def hash_at_seq(seq):
    """The stored hash of the row numbered ``seq`` (None if there is no such row)."""
    table = AuditEvent.__table__
    return db.session.connection().execute(
        sa.select(table.c.hash).where(table.c.seq == seq)).scalar()


def make_checkpoint(verdict, at=None):
    """A signed checkpoint of an intact chain's head (a dict, one JSON line in the file)."""
    at = (at or datetime.now(UTC)).isoformat(timespec="microseconds")
    return chain.checkpoint(audit_key(), verdict.head_seq, verdict.head_hash, at)


def check_checkpoints(verdict, lines):
    """Problems (texts) of the chain measured against checkpoint ``lines`` (JSON, one each).

    Each checkpoint must carry a valid signature, its seq must still be in the chain (not past
    its end: the end was cut off) and the row there must still have the recorded hash.
    """
    problems, seen = [], 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        seen += 1
        try:
            record = json.loads(line)
            seq, head_hash = int(record["seq"]), str(record["hash"])
        except (ValueError, TypeError, KeyError):
            problems.append(f"checkpoint line {number} is not a checkpoint record")
            continue
        if not chain.checkpoint_signature_ok(audit_key(), record):
            problems.append(f"checkpoint line {number} (seq {seq}): its signature is wrong "
                            "(forged, altered, or made with another AUDIT_KEY)")
        elif seq > verdict.head_seq:
            problems.append(
                f"checkpoint line {number} (seq {seq}, {record['at']}): rows after seq "
                f"{verdict.head_seq} are missing, the chain's end was cut off")
        elif seq > 0 and hash_at_seq(seq) != head_hash:
            problems.append(f"checkpoint line {number} (seq {seq}): the row at seq {seq} "
                            "differs from the checkpoint's")
    if not seen:
        problems.append("the checkpoint file holds no checkpoint")
    return problems
