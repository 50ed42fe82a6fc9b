"""Scoring a questionnaire from the raw answers, as pure functions.

Totals are always computed here from the stored raw values, never taken from a client. Answers
are raw option values in item order for the scored items; ``None`` marks an item left blank,
which only a clinician-entered paper form may do, and only within the instrument's
missing-item rule. No float and no ``round()`` touch a clinical number: proration is exact
integer arithmetic rounded half up.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from clinic.measures.instruments.base import Band, Instrument


class InvalidAnswers(ValueError):
    """The answers cannot be scored; ``errors`` maps item number to a message for that item."""

    def __init__(self, errors: dict[int, str]):
        self.errors = dict(sorted(errors.items()))
        detail = "; ".join(f"item {number}: {message}" for number, message in self.errors.items())
        super().__init__(f"Invalid answers: {detail}")


@dataclass(frozen=True)
class Score:
    """A scored response. ``risk_flags`` holds flag codes such as ``risk_item``.

    ``percentage`` is set only where the instrument has a percentage scale (WHO-5),
    ``clusters`` only where it reports cluster sums (PCL-5), and ``prorated`` is true when
    missing items were filled in by the instrument's missing-item rule.
    """

    instrument_code: str
    instrument_version: str
    answers: tuple[int | None, ...]
    item_scores: tuple[int | None, ...]
    total: int
    band: Band | None
    is_case: bool | None
    percentage: int | None
    risk_flags: tuple[str, ...]
    flagged_items: tuple[int, ...]
    clusters: dict[str, int] | None
    prorated: bool


def score(
    instrument: Instrument, answers: Sequence[int | None], *, allow_missing: bool = False
) -> Score:
    """Score raw answers; raises InvalidAnswers with a message per offending item.

    ``allow_missing`` is for clinician-entered forms only; the patient link requires every item.
    """
    answers = _validated(instrument, answers, allow_missing)
    item_scores = tuple(
        None if raw is None else item.score(raw)
        for item, raw in zip(instrument.items, answers, strict=True)
    )
    answered = [value for value in item_scores if value is not None]
    prorated = len(answered) < len(item_scores)
    total = sum(answered)
    if prorated:
        total = _prorated_total(total, len(answered), len(item_scores))
    risk_flags, flagged_items = _flags(instrument, answers)
    return Score(
        instrument_code=instrument.code,
        instrument_version=instrument.version,
        answers=answers,
        item_scores=item_scores,
        total=total,
        band=_band(instrument, total),
        is_case=None if instrument.caseness is None else instrument.caseness.is_case(total),
        percentage=(
            None if instrument.percentage_factor is None else total * instrument.percentage_factor
        ),
        risk_flags=risk_flags,
        flagged_items=flagged_items,
        clusters=_clusters(instrument, item_scores) if instrument.clusters else None,
        prorated=prorated,
    )


def band_for(instrument: Instrument, total: int) -> Band | None:
    """The band a total falls in, or None for an instrument without bands (RSES)."""
    if isinstance(total, bool) or not isinstance(total, int):
        raise ValueError(f"{instrument.code} total must be a whole number, not {total!r}")
    if not instrument.min_total <= total <= instrument.max_total:
        raise ValueError(
            f"{instrument.code} total must be {instrument.min_total}-{instrument.max_total}, "
            f"not {total}"
        )
    return _band(instrument, total)


def _band(instrument: Instrument, total: int) -> Band | None:
    for band in instrument.bands:
        if band.low <= total <= band.high:
            return band
    return None


def _prorated_total(answered_sum: int, answered_count: int, item_count: int) -> int:
    """Each missing item counts as the mean of the answered items; the total rounds half up.

    The exact total is answered_sum * item_count / answered_count; adding half the divisor
    before integer division rounds a non-negative fraction half up (4.5 -> 5, unlike round()).
    """
    numerator = answered_sum * item_count
    return (2 * numerator + answered_count) // (2 * answered_count)


def _validated(
    instrument: Instrument, answers: Sequence[int | None], allow_missing: bool
) -> tuple[int | None, ...]:
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise TypeError(f"answers must be a sequence of raw values, not {type(answers).__name__}")
    items = instrument.items
    errors: dict[int, str] = {}
    missing: list[int] = []
    for position, item in enumerate(items):
        if position >= len(answers):
            errors[item.number] = (
                f"No answer: {instrument.code} needs {len(items)} answers, got {len(answers)}."
            )
            continue
        raw = answers[position]
        if raw is None:
            missing.append(item.number)
        elif type(raw) is not int:
            # bool is an int subclass and floats such as 1.0 would compare equal; neither is
            # a raw option value, so only a plain int passes.
            errors[item.number] = f"{raw!r} is not a whole number; expected {_choices(item)}."
        elif raw not in item.values:
            errors[item.number] = f"{raw} is not an option here; expected {_choices(item)}."
    for position in range(len(items), len(answers)):
        errors[position + 1] = (
            f"Unexpected answer: {instrument.code} has {len(items)} scored items, "
            f"got {len(answers)} answers."
        )
    if missing:
        errors.update(_missing_errors(instrument, missing, allow_missing))
    if errors:
        raise InvalidAnswers(errors)
    return tuple(answers)


def _missing_errors(
    instrument: Instrument, missing: list[int], allow_missing: bool
) -> dict[int, str]:
    rule = instrument.missing_rule
    if not allow_missing:
        message = "Answer required."
    elif rule is None:
        message = f"Answer required: {instrument.code} allows no missing items."
    elif len(missing) > rule.max_missing:
        message = (
            f"Answer required: at most {rule.max_missing} items may be missing on a "
            f"{instrument.code}, {len(missing)} are."
        )
    else:
        return {}
    return dict.fromkeys(missing, message)


def _choices(item) -> str:
    return "one of " + ", ".join(str(value) for value in sorted(item.values))


def _flags(
    instrument: Instrument, answers: tuple[int | None, ...]
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    codes: list[str] = []
    items: set[int] = set()
    for rule in instrument.flag_rules:
        raised = unanswered = False
        for number in rule.items:
            raw = answers[number - 1]
            if raw is None:
                if rule.unanswered_code:
                    unanswered = True
                    items.add(number)
            elif rule.raised_by(raw):
                raised = True
                items.add(number)
        if raised:
            codes.append(rule.code)
        if unanswered:
            codes.append(rule.unanswered_code)
    return tuple(codes), tuple(sorted(items))


def _clusters(instrument: Instrument, item_scores: tuple[int | None, ...]) -> dict[str, int]:
    return {
        cluster.key: sum(item_scores[number - 1] for number in cluster.items)
        for cluster in instrument.clusters
    }
