"""CSV exports as pure functions over loaded rows: item-level responses, set-level sessions, and
the clinic's pseudonymised outcome table for service evaluation.

Every cell goes through :func:`cell`: text that a spreadsheet would run as a formula (it starts
with = + - @, a tab or a carriage return) gets a leading apostrophe (OWASP "CSV injection").
Numbers are written as numbers, so a negative change stays a number.
"""

import csv
import hashlib
import hmac
import io
from decimal import Decimal

from clinic.measures import episodes as timeline
from clinic.measures.change import change_between
from clinic.measures.instruments import get_instrument

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PSEUDONYM_PURPOSE = b"liftclinic-service-evaluation-pseudonym\x00"

RESPONSE_COLUMNS = ("response_id", "instrument", "instrument_version", "completed_at", "source",
                    "total", "band", "prorated", "item", "item_loinc", "answer", "answer_label",
                    "answer_loinc", "item_score", "scored")
SESSION_COLUMNS = ("session_id", "program", "performed_on", "status", "low_energy",
                   "skip_reason", "duration_minutes", "rpe", "mood_before", "mood_after", "pain",
                   "pain_where", "note", "source", "exercise", "set_number", "reps", "load_kg",
                   "seconds", "target_sets", "target_reps", "target_load")
CLINIC_COLUMNS = ("pseudonym", "status", "instrument", "scores", "baseline_total",
                  "latest_total", "change", "reliable_change", "baseline_case", "latest_case",
                  "recovery", "days_between")


def cell(value):
    """One CSV cell: None as empty, numbers as they are, formula-like text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(columns, rows) -> bytes:
    """UTF-8 CSV with a header row; every cell through :func:`cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue().encode("utf-8")


def response_rows(responses):
    """One row per answered item (optional items included, marked unscored)."""
    for response in responses:
        instrument = get_instrument(response.instrument_code)
        head = (response.id, response.instrument_code, response.instrument_version,
                response.completed_at.isoformat(timespec="seconds"), response.source,
                response.total, response.band, response.prorated)
        for item, raw in zip(instrument.items, response.answers, strict=True):
            yield (*head, *_item_cells(item, raw, item.score(raw) if raw is not None else None))
        for item in instrument.optional_items:
            raw = (response.extra_answers or {}).get(str(item.number))
            if raw is not None:
                yield (*head, *_item_cells(item, raw, None))


def _item_cells(item, raw, item_score):
    option = next((o for o in item.options if o.value == raw), None)
    return (item.number, item.loinc, raw, option.label if option else None,
            option.loinc_answer if option else None, item_score, item.scored)


def session_rows(sessions, program_names):
    """One row per logged set; a session without sets (a skip) is one row with empty sets."""
    for session in sessions:
        head = (session.id, program_names.get(session.assignment_id), session.performed_on,
                session.status, session.low_energy, session.skip_reason,
                session.duration_minutes, session.rpe, session.mood_before, session.mood_after,
                session.pain, session.pain_where, session.note, session.source)
        if not session.sets:
            yield (*head, *(None,) * 8)
        for s in session.sets:
            yield (*head, s.exercise.name, s.set_number, s.reps, s.load_kg, s.seconds,
                          s.target_sets, f"{s.target_reps_min}-{s.target_reps_max}",
                          s.target_load)


def pseudonym(secret: str, clinic_id: int, patient_id: int) -> str:
    """A stable pseudonym: HMAC-SHA256 of the ids under a key derived from the app's secret.

    The same patient gets the same pseudonym in every export; without SECRET_KEY nobody can
    go back from a pseudonym to an id (or test guesses of ids against it).
    """
    key = hmac.new(secret.encode(), PSEUDONYM_PURPOSE, hashlib.sha256).digest()
    digest = hmac.new(key, f"{clinic_id}:{patient_id}".encode(), hashlib.sha256).hexdigest()
    return "P-" + digest[:20]


def clinic_outcome_rows(patients, responses_by_patient, episodes_by_patient, zone, secret):
    """Per patient and instrument of the current episode (responses by clinical date, in the
    clinic's ``zone``): baseline, latest and the change classification. No name, reference,
    date of birth or date: days between scores only."""
    for patient in patients:
        episodes = episodes_by_patient.get(patient.id, [])
        histories = timeline.histories(responses_by_patient.get(patient.id, []),
                                       episodes[-1] if episodes else None, zone)
        for code, history in histories.items():
            instrument = get_instrument(code)
            first, last = history[0], history[-1]
            change = change_between(instrument, first, last)
            yield (pseudonym(secret, patient.clinic_id, patient.id), patient.status,
                   instrument.code,
                   len(history), first.total, last.total,
                   change.raw_change if change else None,
                   change.reliable if change else None,
                   change.baseline_case if change else None,
                   change.latest_case if change else None,
                   _recovery(change), (last.completed_at - first.completed_at).days)


def _recovery(change):
    if change is None or change.recovery is None:
        return None
    if change.reliable_recovery:
        return "reliable_recovery"
    return "recovery" if change.recovery else "not_recovered"
