"""The shape of an outcome-measure instrument, as plain frozen data.

Instruments are versioned code in the repository, not database rows: a stored response names
its instrument code and version, and its total can always be recomputed from these definitions.
Every clinical number lives in the per-instrument modules; this module holds only the shapes
and the checks that keep a definition self-consistent.
"""

import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from itertools import pairwise

_COMPARISONS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
}


def _check_comparison(comparison: str) -> None:
    if comparison not in _COMPARISONS:
        raise ValueError(f"comparison must be one of {', '.join(_COMPARISONS)}, not {comparison!r}")


@dataclass(frozen=True)
class Option:
    """One answer choice: ``value`` is what the patient chose and what is stored."""

    value: int
    label: str
    loinc_answer: str | None = None


@dataclass(frozen=True)
class Item:
    """One question. ``reverse`` belongs to the item, never to its position on a page."""

    number: int
    text: str
    options: tuple[Option, ...]
    reverse: bool = False
    scored: bool = True
    loinc: str | None = None

    def __post_init__(self):
        values = [option.value for option in self.options]
        if not values or len(set(values)) != len(values):
            raise ValueError(f"item {self.number}: option values must be present and distinct")

    @cached_property
    def values(self) -> frozenset[int]:
        """The raw values a valid answer may take."""
        return frozenset(option.value for option in self.options)

    def score(self, raw: int) -> int:
        """The item's contribution to the total: reversed items count from the other end."""
        if self.reverse:
            return min(self.values) + max(self.values) - raw
        return raw


@dataclass(frozen=True)
class Band:
    """A labelled total range, inclusive at both ends.

    ``severity_rank`` grows with clinical concern whatever the instrument's direction (0 is the
    least concerning band), so charts and lists can colour bands consistently; ``key`` is a
    stable identifier for CSS classes and exports.
    """

    low: int
    high: int
    label: str
    severity_rank: int
    key: str
    note: str | None = None

    def contains(self, total: int) -> bool:
        return self.low <= total <= self.high


@dataclass(frozen=True)
class Caseness:
    """The clinical cutoff as data: a total is a case when ``total <comparison> cutoff``."""

    comparison: str
    cutoff: int
    label: str

    def __post_init__(self):
        _check_comparison(self.comparison)

    def is_case(self, total: int) -> bool:
        return _COMPARISONS[self.comparison](total, self.cutoff)


@dataclass(frozen=True)
class FlagRule:
    """An item-level rule that needs a human to look, whatever the total.

    The flag ``code`` is raised when any of ``items`` has a raw answer ``<comparison> value``.
    ``unanswered_code`` (if set) is raised when one of those items is missing on a
    clinician-entered form: an unanswered risk item is not reassurance.
    """

    code: str
    items: tuple[int, ...]
    comparison: str
    value: int
    description: str
    unanswered_code: str | None = None
    unanswered_description: str | None = None

    def __post_init__(self):
        _check_comparison(self.comparison)

    def raised_by(self, raw: int) -> bool:
        return _COMPARISONS[self.comparison](raw, self.value)


@dataclass(frozen=True)
class MissingItemRule:
    """How many items a clinician-entered paper form may leave blank.

    Each missing item is replaced by the mean of the answered items' scores and the total is
    rounded half up. Forms completed through the patient link never use this rule.
    """

    max_missing: int
    source: str


@dataclass(frozen=True)
class ResponseRule:
    """Response and remission as data (PHQ-9 only).

    Response: the latest total is at most ``response_percent_of_baseline`` percent of the
    baseline total. Remission: the latest total is below ``remission_below``.
    """

    response_percent_of_baseline: int
    remission_below: int


@dataclass(frozen=True)
class Cluster:
    """A named subset of items whose sum is reported beside the total."""

    key: str
    items: tuple[int, ...]
    label: str


@dataclass(frozen=True)
class ChartLine:
    """A reference line a chart may draw; it is never used for classification."""

    value: int
    label: str


@dataclass(frozen=True)
class Instrument:
    """A complete, versioned questionnaire definition.

    ``reliable_change`` is in the instrument's own total units (WHO-5: raw points, so 2.5);
    ``percentage_factor`` converts a raw total to the percentage scale where one exists.
    ``decisions`` repeats, in words, every rule that ``shared/INSTRUMENTS.md`` marks as a
    project decision rather than a published one, so a clinic can review them in one list.
    """

    code: str
    version: str
    title: str
    measures: str
    instructions: str
    stem: str | None
    recall_period: str | None
    items: tuple[Item, ...]
    higher_is_worse: bool
    bands: tuple[Band, ...]
    caseness: Caseness | None
    reliable_change: int | Decimal | None
    flag_rules: tuple[FlagRule, ...]
    default_frequency_weeks: int
    suggested_frequencies_weeks: tuple[int, ...]
    loinc_panel: str | None
    loinc_total: str | None
    source: str
    attribution: str
    permission: str
    show_attribution_with_scale: bool = False
    missing_rule: MissingItemRule | None = None
    response_rule: ResponseRule | None = None
    optional_items: tuple[Item, ...] = ()
    clusters: tuple[Cluster, ...] = ()
    percentage_factor: int | None = None
    chart_lines: tuple[ChartLine, ...] = ()
    decisions: tuple[str, ...] = ()

    def __post_init__(self):
        self._check_items()
        self._check_bands()
        numbers = {item.number for item in self.items}
        for rule in self.flag_rules:
            if not set(rule.items) <= numbers:
                raise ValueError(f"{self.code}: flag rule {rule.code} names an unknown item")
        if self.clusters and self.missing_rule:
            raise ValueError(f"{self.code}: cluster sums need every item answered")
        if self.clusters:
            clustered = [number for cluster in self.clusters for number in cluster.items]
            if sorted(clustered) != sorted(numbers):
                raise ValueError(f"{self.code}: clusters must cover every item exactly once")
        if self.default_frequency_weeks not in self.suggested_frequencies_weeks:
            raise ValueError(f"{self.code}: the default frequency must be one of the suggested")

    def _check_items(self):
        expected = list(range(1, len(self.items) + 1))
        if [item.number for item in self.items] != expected:
            raise ValueError(f"{self.code}: items must be numbered 1..{len(self.items)} in order")
        if not all(item.scored for item in self.items):
            raise ValueError(f"{self.code}: unscored items belong in optional_items")
        if any(item.scored for item in self.optional_items):
            raise ValueError(f"{self.code}: optional items are never scored")

    def _check_bands(self):
        if not self.bands:
            return
        if self.bands[0].low != self.min_total or self.bands[-1].high != self.max_total:
            raise ValueError(f"{self.code}: bands must cover {self.min_total}-{self.max_total}")
        for lower, upper in pairwise(self.bands):
            if upper.low != lower.high + 1:
                raise ValueError(f"{self.code}: bands must be contiguous and in order")

    @cached_property
    def min_total(self) -> int:
        return sum(min(item.score(value) for value in item.values) for item in self.items)

    @cached_property
    def max_total(self) -> int:
        return sum(max(item.score(value) for value in item.values) for item in self.items)

    @property
    def higher_is_better(self) -> bool:
        return not self.higher_is_worse

    def item(self, number: int) -> Item:
        """The scored or optional item with this number."""
        for item in (*self.items, *self.optional_items):
            if item.number == number:
                return item
        raise KeyError(f"{self.code} has no item {number}")
