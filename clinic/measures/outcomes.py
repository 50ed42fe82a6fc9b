"""The outcome of one episode of care, assembled once for every place that shows it.

The patient page, the PDF report, the clinic's outcome CSV and ``GET
/api/v1/patients/{id}/outcomes`` all print :func:`episode_outcome`'s result, so they cannot
disagree (shared/INSTRUMENTS.md, "Episodes of care and the clinical timeline" and "Change over
time"). Pure: plain data in (the per-instrument histories of the episode, each response
carrying ``id``, ``total``, ``completed_at``, ``prorated``, ``source`` and ``invitation_id``),
plain data out; no Flask, no database.

Per instrument: baseline is the earliest-dated response of the episode, latest the latest-dated;
their change, recovery and (PHQ-9, from a baseline that was a case) response and remission.

The paired NHS Talking Therapies outcome is judged on **paired occasions** only: a PHQ-9 and a
GAD-7 answered through the same invitation, or entered by a clinician with the same clinical
date. Its baseline is the first paired occasion and its latest the last; with fewer than two
occasions it is not computed (every flag None), and the surfaces say so in words.
"""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from clinic.measures.change import Change, PairedOutcome, classify_change, classify_paired
from clinic.measures.instruments import INSTRUMENT_CODES, get_instrument

MIN_PAIRED_OCCASIONS = 2
PAIRED_CODES = ("PHQ-9", "GAD-7")

# Recovery of one instrument, as every surface names it (the API's enum).
RECOVERED = "recovered"
RELIABLE_RECOVERY = "reliable_recovery"
NOT_RECOVERED = "not_recovered"
NOT_A_CASE_AT_BASELINE = "not_a_case_at_baseline"

# Words for people (page and PDF); the CSV and the API carry the codes.
CHANGE_WORDS = {
    "reliable_improvement": "Reliable improvement",
    "no_reliable_change": "No reliable change",
    "reliable_deterioration": "Reliable deterioration",
}
RECOVERY_WORDS = {
    RELIABLE_RECOVERY: "Reliable recovery",
    RECOVERED: "Recovered (not a reliable recovery)",
    NOT_RECOVERED: "Not recovered",
    NOT_A_CASE_AT_BASELINE: "Not a case at baseline",
}
NOT_APPLICABLE_NOT_A_CASE = "not applicable (baseline not a case)"


@dataclass(frozen=True)
class Score:
    """One total as a person sees it: on its clinical date in the clinic's zone."""

    total: int
    date: date
    prorated: bool


@dataclass(frozen=True)
class InstrumentOutcome:
    """Baseline, latest and their classified change for one instrument of the episode.

    ``change`` (the reliable-change code), ``recovery``, ``response`` and ``remission`` are None
    where undefined: one score only, no reliable-change index (RSES), no caseness, or (response
    and remission) an instrument without them or a baseline that was not a case.
    """

    instrument: object
    scores: int
    baseline: Score
    latest: Score
    classified: Change | None

    @property
    def code(self):
        return self.instrument.code

    @property
    def change(self) -> str | None:
        return self.classified.reliable if self.classified else None

    @property
    def raw_change(self) -> int | None:
        return self.classified.raw_change if self.classified else None

    @property
    def recovery(self) -> str | None:
        change = self.classified
        if change is None or change.baseline_case is None:
            return None
        if not change.baseline_case:
            return NOT_A_CASE_AT_BASELINE
        if change.reliable_recovery:
            return RELIABLE_RECOVERY
        return RECOVERED if change.recovery else NOT_RECOVERED

    @property
    def response(self) -> bool | None:
        return self.classified.response if self.classified else None

    @property
    def remission(self) -> bool | None:
        return self.classified.remission if self.classified else None

    @property
    def has_response_rule(self) -> bool:
        return self.instrument.response_rule is not None

    @property
    def response_words(self) -> str | None:
        """'Response, remission' and the like; the reason when undefined (None: no rule)."""
        if not self.has_response_rule:
            return None
        if self.classified is None:
            return "Response and remission: need two scores"
        if self.response is None or self.remission is None:
            return "Response and remission: " + NOT_APPLICABLE_NOT_A_CASE
        return ", ".join(("Response" if self.response else "No response",
                          "remission" if self.remission else "no remission"))


@dataclass(frozen=True)
class PairedOccasion:
    """A PHQ-9 and a GAD-7 of the same occasion, dated by the later of the two."""

    date: date
    phq9: object
    gad7: object


@dataclass(frozen=True)
class Paired:
    """The paired outcome of the episode, or the reason it has none (``occasions`` < 2)."""

    occasions: int
    baseline: PairedOccasion | None
    latest: PairedOccasion | None
    outcome: PairedOutcome | None

    @property
    def computed(self) -> bool:
        return self.outcome is not None

    @property
    def case_at_baseline(self) -> bool | None:
        return self.outcome.case_at_baseline if self.outcome else None

    @property
    def recovered(self) -> bool | None:
        return self.outcome.recovered if self.outcome else None

    @property
    def reliable_improvement(self) -> bool | None:
        return self.outcome.reliable_improvement if self.outcome else None

    @property
    def reliable_recovery(self) -> bool | None:
        return self.outcome.reliable_recovery if self.outcome else None

    @property
    def reliable_deterioration(self) -> bool | None:
        return self.outcome.reliable_deterioration if self.outcome else None

    @property
    def words(self) -> str:
        """The paired outcome in one plain sentence (page and PDF)."""
        if not self.computed:
            count = "no paired occasion" if self.occasions == 0 else (
                f"{self.occasions} paired occasion")
            return (f"Not computed: this episode has {count} (a PHQ-9 and a GAD-7 of the same "
                    f"questionnaire link or paper date); it needs at least "
                    f"{MIN_PAIRED_OCCASIONS}.")
        parts = []
        if not self.case_at_baseline:
            parts.append("Not a case at baseline (PHQ-9 below 10 and GAD-7 below 8): "
                         "recovery does not apply")
        elif self.reliable_recovery:
            parts.append("Recovered, reliable recovery")
        elif self.recovered:
            parts.append("Recovered (not a reliable recovery)")
        else:
            parts.append("Not recovered")
        if self.reliable_improvement:
            parts.append("reliable improvement")
        elif self.reliable_deterioration:
            parts.append("reliable deterioration")
        else:
            parts.append("no reliable change")
        return "; ".join(parts) + "."


@dataclass(frozen=True)
class EpisodeOutcome:
    start: date
    end: date | None
    instruments: tuple
    paired: Paired

    def instrument(self, code):
        """The outcome of one instrument, None when the episode has no score of it."""
        return next((item for item in self.instruments if item.code == code), None)

    def as_dict(self) -> dict:
        """The shape the API returns (and its tests compare with the other surfaces)."""
        return {
            "episode": {"start": self.start.isoformat(),
                        "end": self.end.isoformat() if self.end else None},
            "instruments": [
                {"instrument": item.code,
                 "baseline": _score_dict(item.baseline),
                 "latest": _score_dict(item.latest),
                 "change": item.change,
                 "recovery": item.recovery,
                 "response": item.response,
                 "remission": item.remission}
                for item in self.instruments
            ],
            "paired": {
                "occasions": self.paired.occasions,
                "case_at_baseline": self.paired.case_at_baseline,
                "recovered": self.paired.recovered,
                "reliable_improvement": self.paired.reliable_improvement,
                "reliable_recovery": self.paired.reliable_recovery,
                "reliable_deterioration": self.paired.reliable_deterioration,
            },
        }


def _score_dict(score):
    return {"total": score.total, "date": score.date.isoformat(), "prorated": score.prorated}


def clinical_date(moment: datetime, tz: ZoneInfo) -> date:
    """The day a response was completed, on the clinic's calendar."""
    return moment.astimezone(tz).date()


def episode_outcome(histories, start, end, tz, invitation_of=None) -> EpisodeOutcome:
    """The outcome of an episode from its histories.

    ``histories``: instrument code -> the episode's current responses, earliest-dated first
    (``episode_histories``). ``start``/``end``: the episode's dates. ``tz``: the clinic's zone.
    ``invitation_of``: response id -> the invitation a response answers, for corrections (a
    correction is clinician-entered but answers its original's invitation); by default each
    response's own ``invitation_id``.
    """
    instruments = []
    for code in INSTRUMENT_CODES:
        history = _by_clinical_time(histories.get(code) or [])
        if not history:
            continue
        instrument = get_instrument(code)
        first, last = history[0], history[-1]
        classified = (classify_change(instrument, first.total, last.total)
                      if len(history) > 1 else None)
        instruments.append(InstrumentOutcome(
            instrument=instrument, scores=len(history), baseline=_score(first, tz),
            latest=_score(last, tz), classified=classified))
    return EpisodeOutcome(start, end, tuple(instruments),
                          paired_outcome(histories, tz, invitation_of))


def paired_outcome(histories, tz, invitation_of=None) -> Paired:
    """The NHS Talking Therapies outcome over the episode's paired occasions."""
    occasions = paired_occasions(histories.get("PHQ-9") or [], histories.get("GAD-7") or [],
                                 tz, invitation_of)
    if len(occasions) < MIN_PAIRED_OCCASIONS:
        return Paired(len(occasions), None, None, None)
    first, last = occasions[0], occasions[-1]
    outcome = classify_paired(first.phq9.total, last.phq9.total, first.gad7.total,
                              last.gad7.total)
    return Paired(len(occasions), first, last, outcome)


def paired_occasions(phq9, gad7, tz, invitation_of=None) -> list:
    """The paired occasions of two histories, earliest first.

    Same invitation, or (neither from a link) the same clinical date. When one occasion holds
    two responses of an instrument (two paper forms on one day) the later-dated one counts.
    """
    invitation_of = invitation_of or {}

    def key(response):
        invitation = invitation_of.get(response.id, response.invitation_id)
        if invitation is not None:
            return ("invitation", invitation)
        return ("day", clinical_date(response.completed_at, tz))

    def latest_by_key(history):
        found = {}
        for response in _by_clinical_time(history):
            found[key(response)] = response
        return found

    phq_by_key, gad_by_key = latest_by_key(phq9), latest_by_key(gad7)
    occasions = []
    for occasion_key in phq_by_key.keys() & gad_by_key.keys():
        phq, gad = phq_by_key[occasion_key], gad_by_key[occasion_key]
        later = max(phq.completed_at, gad.completed_at)
        occasions.append((later, phq.id, PairedOccasion(clinical_date(later, tz), phq, gad)))
    occasions.sort(key=lambda item: (item[0], item[1]))
    return [occasion for _, _, occasion in occasions]


def _by_clinical_time(history):
    """Earliest-dated first whatever the order the forms were entered in."""
    return sorted(history, key=lambda response: (response.completed_at, response.id))


def _score(response, tz):
    return Score(response.total, clinical_date(response.completed_at, tz),
                 bool(response.prorated))

