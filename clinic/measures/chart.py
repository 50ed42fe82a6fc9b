"""An instrument's history as an SVG chart: severity bands shaded, cutoff and reference lines."""

from clinic import charts


def instrument_chart_svg(instrument, responses, timezone_name=None):
    """The SVG document for one instrument's responses (oldest first)."""
    bands = charts.severity_bands(
        [(b.low, b.high, b.label, b.severity_rank) for b in instrument.bands]
    )
    lines = [charts.ReferenceLine(line.value, line.label) for line in instrument.chart_lines]
    if instrument.caseness is not None and not any(
        line.value == instrument.caseness.cutoff for line in instrument.chart_lines
    ):
        lines.append(charts.ReferenceLine(instrument.caseness.cutoff,
                                          f"cutoff {instrument.caseness.cutoff}"))
    points = [charts.Point(r.completed_at.date(), r.total) for r in responses]
    latest_prorated = bool(responses) and bool(responses[-1].prorated)
    latest = f"; latest {responses[-1].total}" if responses else ""
    if latest_prorated:
        latest += " (prorated)"
    prorated = sum(1 for r in responses if r.prorated)
    if prorated:
        latest += (f"; {prorated} prorated total(s): clinician-entered with items missing, "
                   "marked in the table")
    geometry = charts.line_chart(
        points, y_min=instrument.min_total, y_max=instrument.max_total, bands=bands,
        reference_lines=lines, title=f"{instrument.code} scores over time",
        description=(f"{len(responses)} {instrument.code} score(s) from "
                     f"{instrument.min_total} to {instrument.max_total}{latest}. "
                     "The table beside the chart lists every score."),
        latest_note="prorated" if latest_prorated else "",
    )
    return charts.render_svg(geometry)
