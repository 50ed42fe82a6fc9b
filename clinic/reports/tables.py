"""CSV exports as pure functions over loaded rows: item-level responses, set-level sessions, and
the clinic's pseudonymised outcome table for service evaluation.

Every cell goes through :func:`cell`: text that a spreadsheet would run as a formula (it starts
with = + - @, a tab or a carriage return) gets a leading apostrophe (OWASP "CSV injection").
Numbers are written as numbers, so a negative change stays a number. Text that a spreadsheet
would turn into a date or a number (a range of reps "10-15", an effort "5-6", "1/2", "12:30")
gets the same apostrophe, so it stays the text it is. Date and time columns name the clinic's
zone in their header.
"""

import csv
import hashlib
import hmac
import io
import re
from decimal import Decimal

from clinic.measures.instruments import get_instrument

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Short numbers joined by - or / ("10-15", "5-6", "1/2", "3-4-26") or a clock time ("12:30"):
# what spreadsheets turn into dates. Longer codes ("44250-9", a LOINC code) are left alone.
LOOKS_LIKE_DATE = re.compile(r"\s*\d{1,2}\s*[-/]\s*\d{1,2}(\s*[-/]\s*\d{1,4})?\s*"
                             r"|\s*\d{1,2}:\d{2}(:\d{2})?\s*")
PSEUDONYM_PURPOSE = b"liftclinic-service-evaluation-pseudonym\x00"

RESPONSE_COLUMNS = ("response_id", "instrument", "instrument_version", "completed_at", "source",
                    "total", "band", "prorated", "item", "item_loinc", "answer", "answer_label",
                    "answer_loinc", "item_score", "scored")
SESSION_COLUMNS = ("session_id", "program", "performed_on", "status", "low_energy",
                   "skip_reason", "duration_minutes", "rpe", "mood_before", "mood_after", "pain",
                   "pain_where", "note", "source", "as_planned", "exercise", "set_number", "reps",
                   "load_kg", "seconds", "target_sets", "target_reps", "target_load")
CLINIC_COLUMNS = ("pseudonym", "status", "instrument", "scores", "baseline_total",
                  "baseline_prorated", "latest_total", "latest_prorated", "change",
                  "reliable_change", "baseline_case", "latest_case", "recovery", "response",
                  "remission", "days_between", "paired_occasions", "paired_case_at_baseline",
                  "paired_recovered", "paired_reliable_improvement", "paired_reliable_recovery",
                  "paired_reliable_deterioration")
PAIRED_ROW = "paired PHQ-9 and GAD-7"


def cell(value):
    """One CSV cell: None as empty, numbers as they are, formula-like text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    if isinstance(value, str) and LOOKS_LIKE_DATE.fullmatch(text):
        return "'" + text  # a range or a fraction, not a date
    return text


def to_csv(columns, rows) -> bytes:
    """UTF-8 CSV with a header row; every cell through :func:`cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue().encode("utf-8")


def with_zone(columns, zone, dated):
    """The header with each of the ``dated`` columns naming the clinic's zone."""
    return tuple(f"{c} ({zone})" if c in dated else c for c in columns)


def response_rows(responses, zone=None):
    """One row per answered item (optional items included, marked unscored); the time it was
    completed on the clinic's clock (``zone``), its UTC offset kept."""
    for response in responses:
        instrument = get_instrument(response.instrument_code)
        completed = (response.completed_at.astimezone(zone) if zone is not None
                     else response.completed_at)
        head = (response.id, response.instrument_code, response.instrument_version,
                completed.isoformat(timespec="seconds"), response.source,
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
                session.pain, session.pain_where, session.note, session.source,
                session.as_planned)
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


def clinic_outcome_rows(patients, outcome_of, secret):
    """Per patient: one row per instrument of the current episode (baseline, latest, change,
    recovery, PHQ-9 response and remission), then one ``paired PHQ-9 and GAD-7`` row with the
    NHS Talking Therapies paired outcome (when the episode has a PHQ-9 or a GAD-7; its flags are
    empty below two paired occasions). ``outcome_of``: patient id -> ``EpisodeOutcome``, the
    same object the patient page, the PDF and the API print. No name, reference, date of birth
    or date: days between scores only. Empty cells are undefined, never false."""
    for patient in patients:
        outcome = outcome_of.get(patient.id)
        if outcome is None:
            continue
        head = (pseudonym(secret, patient.clinic_id, patient.id), patient.status)
        for item in outcome.instruments:
            change = item.classified
            yield (*head, item.code, item.scores, item.baseline.total, item.baseline.prorated,
                   item.latest.total, item.latest.prorated, item.raw_change, item.change,
                   change.baseline_case if change else None,
                   change.latest_case if change else None, item.recovery, item.response,
                   item.remission, (item.latest.date - item.baseline.date).days,
                   *(None,) * 6)
        if {"PHQ-9", "GAD-7"} & {item.code for item in outcome.instruments}:
            paired = outcome.paired
            days = ((paired.latest.date - paired.baseline.date).days if paired.computed
                    else None)
            yield (*head, PAIRED_ROW, *(None,) * 12, days, paired.occasions,
                   paired.case_at_baseline, paired.recovered, paired.reliable_improvement,
                   paired.reliable_recovery, paired.reliable_deterioration)
