"""Score-over-time line charts as standalone SVG, one source for web pages and PDFs.

Geometry (plain numbers, unit-tested) is kept apart from drawing (a string). The SVG uses
presentation attributes only: CSP ``style-src 'self'`` drops <style> and style="" on web pages,
and WeasyPrint draws attributes faithfully. No script, no foreignObject, nothing external.
"""

import math
import re
from dataclasses import dataclass
from datetime import date
from html import escape
from itertools import pairwise
from typing import NamedTuple

# Light tints for severity ranks 0..4. Luminance falls as rank rises, so the order survives
# greyscale printing and colour-blind eyes; the band labels carry the meaning, not the hue.
SEVERITY_FILLS = ("#eef5f9", "#e2ecf2", "#f3e6cc", "#efd6c4", "#e6cbd8")
INK = "#263238"  # text: at least 6:1 against every tint
MUTED = "#455a64"  # secondary text: at least 4.5:1 against every tint
LINE = "#1f4e79"
AXIS = "#607d8b"  # non-text contrast of 3:1 against white

FONT_SIZE = 11
_CHAR_WIDTH = 0.6 * FONT_SIZE  # rough sans-serif advance, enough to keep labels apart
_INSET = 12.0  # keeps first/last markers off the axis and their labels inside the plot
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_COLOUR = re.compile(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-z]+")


class Point(NamedTuple):
    """One score on one day; plain ``(date, value)`` tuples work too."""

    when: date
    value: float


@dataclass(frozen=True)
class Band:
    """A shaded score range [low, high] in data units, drawn behind the line."""

    low: float
    high: float
    label: str
    fill: str = SEVERITY_FILLS[0]


@dataclass(frozen=True)
class ReferenceLine:
    """A dashed horizontal line at a cutoff (e.g. caseness), with its label."""

    value: float
    label: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    anchor: str = "start"  # SVG text-anchor: start, middle or end


@dataclass(frozen=True)
class BandRect:
    x: float
    y: float
    width: float
    height: float
    fill: str
    label: Text


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    when: date
    value: float


@dataclass(frozen=True)
class Tick:
    pos: float  # y for value ticks, x for date ticks
    label: Text


@dataclass(frozen=True)
class HLine:
    y: float  # spans the plot's width
    label: Text


@dataclass(frozen=True)
class Plot:
    """The plotting area in pixels and the score range it shows."""

    left: float
    top: float
    right: float
    bottom: float
    y_min: float
    y_max: float

    def y_for(self, value: float) -> float:
        """Pixel row of a score; values outside the range are pinned to the plot edge."""
        value = min(max(value, self.y_min), self.y_max)
        frac = (value - self.y_min) / (self.y_max - self.y_min)
        return self.bottom - frac * (self.bottom - self.top)


@dataclass(frozen=True)
class ChartGeometry:
    """Every coordinate the SVG needs, in pixels from the top-left corner."""

    width: int
    height: int
    plot: Plot
    title: str
    description: str
    bands: tuple[BandRect, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]
    reference_lines: tuple[HLine, ...]
    markers: tuple[Marker, ...]
    value_label: Text | None  # the latest score, printed by its marker
    message: Text | None  # "No data yet" when there are no points


def severity_bands(ranges) -> tuple[Band, ...]:
    """Chart bands from inclusive integer bands ``(low, high, label, severity_rank)``.

    Scores are integers, so 0-4 and 5-9 leave a gap on a continuous axis; the shared edge goes
    halfway (4.5) so that every score sits inside its own band, never on a border.
    """
    ranges = sorted(ranges)
    bands = []
    for i, (low, high, label, rank) in enumerate(ranges):
        lo = low if i == 0 else (ranges[i - 1][1] + low) / 2
        hi = high if i == len(ranges) - 1 else (high + ranges[i + 1][0]) / 2
        bands.append(Band(lo, hi, label, SEVERITY_FILLS[rank]))
    return tuple(bands)


def tick_step(span: float) -> int:
    """Smallest 1-2-5 step giving at most 8 intervals: 5 for PHQ-9's 27, 10 for 80."""
    step = 1
    while True:
        for base in (1, 2, 5):
            if span / (base * step) <= 8:
                return base * step
        step *= 10


def line_chart(
    points, *, y_min, y_max, bands=(), reference_lines=(), title, description, width=640,
    height=240, latest_note="",
) -> ChartGeometry:
    """Lay out scores against dates; higher scores are drawn higher.

    ``latest_note`` follows the latest score's printed value (e.g. "prorated").

    The x axis is proportional to days, not evenly spaced by response: a missed fortnight must
    look like a gap, or a patient's pace of change is misread.
    """
    if y_max <= y_min:
        raise ValueError("y_max must be greater than y_min")
    for band in bands:
        if not _COLOUR.fullmatch(band.fill):  # a url(...) fill would fetch something
            raise ValueError(f"band fill must be a hex or named colour: {band.fill!r}")
    points = sorted((Point(*p) for p in points), key=lambda p: p.when)
    # Band labels live in the right margin, sized to the longest (the plot keeps two thirds).
    label_room = max((len(b.label) * _CHAR_WIDTH + 16 for b in bands), default=24.0)
    right = width - min(label_room, width / 3)
    plot = Plot(40.0, 20.0, right, height - 30.0, y_min, y_max)

    shown = [b for b in bands if min(b.high, y_max) > max(b.low, y_min)]
    tops = [plot.y_for(b.high) for b in shown]
    bottoms = [plot.y_for(b.low) for b in shown]
    label_ys = [(t + b) / 2 + FONT_SIZE / 3 for t, b in zip(tops, bottoms, strict=True)]
    order = sorted(range(len(shown)), key=label_ys.__getitem__)
    for above, i in pairwise(order):  # push crowded labels apart, top to bottom
        label_ys[i] = max(label_ys[i], label_ys[above] + FONT_SIZE + 1)
    band_rects = tuple(
        BandRect(plot.left, t, right - plot.left, b - t, band.fill, Text(right + 6, ly, band.label))
        for band, t, b, ly in zip(shown, tops, bottoms, label_ys, strict=True)
    )

    step = tick_step(y_max - y_min)
    y_ticks = tuple(
        Tick(plot.y_for(v), Text(plot.left - 6, plot.y_for(v) + FONT_SIZE / 3, _num(v), "end"))
        for v in range(math.ceil(y_min / step) * step, math.floor(y_max) + 1, step)
    )

    xs = _date_xs(points, plot)
    markers = tuple(
        Marker(x, plot.y_for(p.value), p.when, p.value) for p, x in zip(points, xs, strict=True)
    )
    value_label = message = None
    taken = [(m.x - 4, m.y - 4, m.x + 4, m.y + 4) for m in markers]
    if markers:
        value = _num(markers[-1].value) + (f" ({latest_note})" if latest_note else "")
        value_label = Text(markers[-1].x, markers[-1].y - 8, value, "middle")
        taken.append(_box(value_label))
    else:
        message = Text(
            (plot.left + right) / 2, (plot.top + plot.bottom) / 2, "No data yet", "middle"
        )
    lines = []
    for ref in reference_lines:
        y = plot.y_for(ref.value)
        label = _place_label(ref.label, y, plot, taken)
        taken.append(_box(label))
        lines.append(HLine(y, label))

    return ChartGeometry(
        width, height, plot, title, description, band_rects, y_ticks,
        _date_ticks(markers, width, plot), tuple(lines), markers, value_label, message,
    )  # fmt: skip


def _date_xs(points, plot):
    if not points:
        return []
    span = (points[-1].when - points[0].when).days
    if span == 0:
        return [(plot.left + plot.right) / 2] * len(points)
    usable = plot.right - plot.left - 2 * _INSET
    return [plot.left + _INSET + (p.when - points[0].when).days / span * usable for p in points]


def _date_ticks(markers, width, plot):
    """Label dates left to right, skipping any that would touch the previous; keep the last."""
    kept = []  # (marker, label text)
    for m in markers:
        text = _date_label(m.when, kept[-1][0].when if kept else None)
        if not kept or m.x - kept[-1][0].x >= (len(kept[-1][1]) + len(text)) * _CHAR_WIDTH / 2 + 8:
            kept.append((m, text))
        elif m is markers[-1] and len(kept) > 1:
            kept[-1] = (m, _date_label(m.when, kept[-2][0].when))
    ticks = []
    for m, text in kept:
        half = len(text) * _CHAR_WIDTH / 2  # nudged inwards rather than clipped at the edges
        x = min(max(m.x, half + 2), width - half - 2)
        ticks.append(Tick(m.x, Text(x, plot.bottom + FONT_SIZE + 6, text, "middle")))
    return tuple(ticks)


def _date_label(d, previous):
    """Day and month ("3 Mar"), with the year on the first label and wherever it changes."""
    text = f"{d.day} {_MONTHS[d.month - 1]}"  # not %b: the output must not depend on locale
    return text if previous and previous.year == d.year else f"{text} {d.year}"


def _box(t: Text):
    w = len(t.text) * _CHAR_WIDTH
    x0 = {"start": t.x, "middle": t.x - w / 2, "end": t.x - w}[t.anchor]
    return (x0, t.y - FONT_SIZE, x0 + w, t.y + 2)


def _place_label(text, y, plot, taken):
    """Put a cutoff label above or below its line, at whichever end hides fewest points."""
    ends = ((plot.right - 4, "end"), (plot.left + 4, "start"))
    candidates = [Text(x, y_, text, a) for y_ in (y - 4, y + FONT_SIZE + 2) for x, a in ends]

    def clashes(t):
        x0, y0, x1, y1 = _box(t)
        return sum(a < x1 and x0 < c and b < y1 and y0 < d for a, b, c, d in taken)

    return min(candidates, key=clashes)  # min keeps the first of equals: stable output


def _num(v) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _f(x: float) -> str:
    return f"{round(x, 1) + 0.0:.1f}"  # + 0.0 turns -0.0 into 0.0


def _el(tag, text=None, **attrs) -> str:
    """One element; floats get one decimal, everything else is escaped, text included."""
    parts = "".join(
        f' {k.replace("_", "-")}="{_f(v) if isinstance(v, float) else escape(str(v))}"'
        for k, v in attrs.items()
    )
    return f"<{tag}{parts}/>" if text is None else f"<{tag}{parts}>{escape(text)}</{tag}>"


def _text(t: Text, **attrs) -> str:
    return _el("text", t.text, x=t.x, y=t.y, text_anchor=t.anchor, **attrs)


def render_svg(g: ChartGeometry) -> str:
    """The chart as a standalone SVG document; the same geometry gives byte-identical output.

    The ids are fixed: the chart is meant to be its own document (an <img> source), not inlined.
    """
    p = g.plot
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{g.width}" height="{g.height}" '
        f'viewBox="0 0 {g.width} {g.height}" role="img" aria-labelledby="chart-title chart-desc" '
        f'font-family="sans-serif" font-size="{FONT_SIZE}" fill="{INK}">',
        _el("title", g.title, id="chart-title"),
        _el("desc", g.description, id="chart-desc"),
        _el("rect", x=0, y=0, width=g.width, height=g.height, fill="#ffffff"),
    ]
    for b in g.bands:
        out += [_el("rect", x=b.x, y=b.y, width=b.width, height=b.height, fill=b.fill)]
        out += [_text(b.label)]
    out.append(f'<g stroke="{AXIS}" stroke-width="1">')
    out.append(_el("line", x1=p.left, y1=p.top, x2=p.left, y2=p.bottom))
    out.append(_el("line", x1=p.left, y1=p.bottom, x2=p.right, y2=p.bottom))
    out += [_el("line", x1=p.left - 4, y1=t.pos, x2=p.left, y2=t.pos) for t in g.y_ticks]
    out += [_el("line", x1=t.pos, y1=p.bottom, x2=t.pos, y2=p.bottom + 4) for t in g.x_ticks]
    out.append("</g>")
    out += [_text(t.label) for t in (*g.y_ticks, *g.x_ticks)]
    for r in g.reference_lines:
        dash = {"stroke": MUTED, "stroke_width": 1.5, "stroke_dasharray": "6 4"}
        out.append(_el("line", x1=p.left, y1=r.y, x2=p.right, y2=r.y, **dash))
        out.append(_text(r.label, fill=MUTED))
    if len(g.markers) > 1:
        pts = " ".join(f"{_f(m.x)},{_f(m.y)}" for m in g.markers)
        out.append(_el("polyline", points=pts, fill="none", stroke=LINE, stroke_width=2.0))
    for m in g.markers:
        ring = {"stroke": "#ffffff", "stroke_width": 1.5}
        out.append(_el("circle", cx=m.x, cy=m.y, r=3.5, fill=LINE, **ring))
    if g.value_label:
        out.append(_text(g.value_label, font_weight="bold", fill=LINE))
    if g.message:
        out.append(_text(g.message, font_size=14, fill=MUTED))
    out.append("</svg>\n")
    return "\n".join(out)


# Rate bars (the clinic outcome summary) ---------------------------------------------------

RATE_FILLS = ("#1f4e79", "#2e7d32", "#5d4037", "#a3262a")  # each >= 4.5:1 against white


def rate_bars_svg(groups, *, title, description, width=640, prefix="rates") -> str:
    """Horizontal bars, one group of rates per row of a summary: ``groups`` is a list of
    ``(label, [(rate name, percent or None, words)])``. A withheld rate (None) draws no bar,
    only its words, so small numbers never turn into a picture. Meant to be inlined: ``prefix``
    makes its ids unique on the page."""
    name_width, value_room, bar_h, gap, head_h = 150.0, 190.0, 12.0, 4.0, 20.0
    left = name_width + 8
    plot_w = width - left - value_room
    height = 8.0 + sum(head_h + len(rates) * (bar_h + gap) + 8 for _, rates in groups)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{_f(height)}" '
        f'viewBox="0 0 {width} {_f(height)}" role="img" '
        f'aria-labelledby="{prefix}-title {prefix}-desc" font-family="sans-serif" '
        f'font-size="{FONT_SIZE}" fill="{INK}">',
        _el("title", title, id=f"{prefix}-title"),
        _el("desc", description, id=f"{prefix}-desc"),
        _el("rect", x=0, y=0, width=width, height=height, fill="#ffffff"),
    ]
    y = 8.0
    for label, rates in groups:
        out.append(_el("text", label, x=4.0, y=y + 14, font_weight="bold"))
        y += head_h
        out.append(_el("line", x1=left, y1=y - 2, x2=left,
                       y2=y + len(rates) * (bar_h + gap) - gap + 2, stroke=AXIS,
                       stroke_width=1.0))
        for index, (name, percent, words) in enumerate(rates):
            out.append(_el("text", name, x=name_width, y=y + bar_h - 2, text_anchor="end"))
            length = plot_w * percent / 100 if percent is not None else 0.0
            if percent is not None:
                out.append(_el("rect", x=left, y=y, width=max(length, 1.0), height=bar_h,
                               fill=RATE_FILLS[index % len(RATE_FILLS)]))
            out.append(_el("text", words, x=left + length + 6, y=y + bar_h - 2,
                           fill=INK if percent is not None else MUTED))
            y += bar_h + gap
        y += 8
    out.append("</svg>\n")
    return "\n".join(out)
