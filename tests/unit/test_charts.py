"""Chart geometry and SVG output, without an app: what a clinician sees must match the data."""

import ast
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from clinic import charts
from clinic.charts import (
    SEVERITY_FILLS,
    Band,
    Point,
    ReferenceLine,
    line_chart,
    render_svg,
    severity_bands,
    tick_step,
)

SVG = "{http://www.w3.org/2000/svg}"
PHQ9_BANDS = severity_bands(
    [
        (0, 4, "minimal", 0),
        (5, 9, "mild", 1),
        (10, 14, "moderate", 2),
        (15, 19, "moderately severe", 3),
        (20, 27, "severe", 4),
    ]
)
START = date(2025, 1, 6)


def weekly(*scores):
    return [(START + timedelta(weeks=i), s) for i, s in enumerate(scores)]


def chart(points, **kw):
    kw.setdefault("y_min", 0)
    kw.setdefault("y_max", 27)
    kw.setdefault("title", "PHQ-9")
    kw.setdefault("description", "PHQ-9 total by week")
    return line_chart(points, **kw)


def full_chart(points=None, **kw):
    return chart(
        weekly(19, 18, 17, 15, 16, 13, 12, 11, 9, 10, 8, 7) if points is None else points,
        bands=PHQ9_BANDS,
        reference_lines=[ReferenceLine(10, "case threshold 10")],
        **kw,
    )


def parse(svg):
    return ET.fromstring(svg)  # noqa: S314 -- our own output, not untrusted input


def test_range_maximum_at_top_and_minimum_at_bottom():
    g = chart(weekly(27, 3, 0))
    top, mid, bottom = g.markers
    assert top.y == g.plot.top
    assert bottom.y == g.plot.bottom
    assert g.plot.top < mid.y < g.plot.bottom


def test_higher_scores_are_drawn_higher():
    g = chart(weekly(5, 20))
    assert g.markers[1].y < g.markers[0].y


def test_x_increases_with_date_even_if_points_arrive_unsorted():
    g = chart([(START + timedelta(days=14), 3), (START, 1), (START + timedelta(days=7), 2)])
    assert [m.value for m in g.markers] == [1, 2, 3]
    xs = [m.x for m in g.markers]
    assert xs == sorted(xs) and len(set(xs)) == 3


def test_x_is_proportional_to_days_between_responses():
    g = chart(
        [Point(START, 5), Point(START + timedelta(days=1), 6), Point(START + timedelta(days=14), 7)]
    )
    a, b, c = (m.x for m in g.markers)
    assert (c - b) / (b - a) == pytest.approx(13)


def test_markers_stay_inside_the_plot():
    g = chart(weekly(0, 27, 13))
    for m in g.markers:
        assert g.plot.left < m.x < g.plot.right
        assert g.plot.top <= m.y <= g.plot.bottom


def test_out_of_range_values_are_pinned_to_the_plot_edge():
    g = chart(weekly(-3, 40))
    assert g.markers[0].y == g.plot.bottom
    assert g.markers[1].y == g.plot.top


def test_bands_cover_exactly_their_range_inside_the_plot():
    g = full_chart()
    assert len(g.bands) == 5
    for band, rect in zip(PHQ9_BANDS, g.bands, strict=True):
        assert rect.y == pytest.approx(g.plot.y_for(band.high))
        assert rect.y + rect.height == pytest.approx(g.plot.y_for(band.low))
        assert rect.x == g.plot.left and rect.x + rect.width == g.plot.right
        assert g.plot.top <= rect.y and rect.y + rect.height <= g.plot.bottom
        assert rect.fill == band.fill


def test_bands_are_clipped_to_the_range_and_dropped_outside_it():
    g = chart([], y_max=10, bands=[Band(5, 30, "high"), Band(40, 50, "off the scale")])
    (rect,) = g.bands
    assert rect.y == g.plot.top
    assert rect.y + rect.height == pytest.approx(g.plot.y_for(5))


def test_band_labels_sit_in_the_right_margin_without_overlapping():
    g = chart([], y_max=80, bands=[Band(0, 1, "a"), Band(1, 2, "b"), Band(2, 3, "c")])
    ys = sorted(r.label.y for r in g.bands)
    assert all(r.label.x > g.plot.right for r in g.bands)
    assert all(later - earlier >= 11 for earlier, later in pairwise(ys))


def test_severity_bands_touch_halfway_between_integer_scores():
    edges = [(b.low, b.high) for b in PHQ9_BANDS]
    assert edges == [(0, 4.5), (4.5, 9.5), (9.5, 14.5), (14.5, 19.5), (19.5, 27)]
    assert [b.fill for b in PHQ9_BANDS] == list(SEVERITY_FILLS)


def test_band_fill_must_be_a_plain_colour():
    with pytest.raises(ValueError, match="fill"):
        chart([], bands=[Band(0, 5, "x", "url(https://example.com/x)")])


@pytest.mark.parametrize(("span", "step"), [(27, 5), (21, 5), (80, 10), (4, 1), (100, 20)])
def test_tick_step(span, step):
    assert tick_step(span) == step


@pytest.mark.parametrize(
    ("y_min", "y_max", "values"),
    [
        (0, 27, [0, 5, 10, 15, 20, 25]),
        (0, 80, [0, 10, 20, 30, 40, 50, 60, 70, 80]),
        (10, 50, [10, 15, 20, 25, 30, 35, 40, 45, 50]),
    ],
)
def test_value_ticks_are_integers_within_range(y_min, y_max, values):
    g = chart([], y_min=y_min, y_max=y_max)
    assert [t.label.text for t in g.y_ticks] == [str(v) for v in values]
    for t in g.y_ticks:
        assert g.plot.top <= t.pos <= g.plot.bottom


def test_date_ticks_keep_first_and_last_and_do_not_crowd():
    g = full_chart()
    xs = [t.pos for t in g.x_ticks]
    assert xs[0] == g.markers[0].x and xs[-1] == g.markers[-1].x
    assert all(b - a >= 40 for a, b in pairwise(xs))
    assert g.x_ticks[0].label.text == "6 Jan 2025"
    assert g.x_ticks[-1].label.text == "24 Mar"


def test_reference_line_spans_plot_at_its_value():
    g = full_chart()
    (line,) = g.reference_lines
    assert line.y == pytest.approx(g.plot.y_for(10))
    assert line.label.text == "case threshold 10"


def test_reference_label_sits_above_the_line_at_the_right_when_clear():
    g = full_chart(weekly(25, 24, 22))
    line = g.reference_lines[0]
    assert (line.label.x, line.label.anchor) == (g.plot.right - 4, "end")
    assert line.label.y < line.y


def test_reference_label_avoids_points_near_its_line():
    g = full_chart(weekly(20, 18, 16, 14, 12, 10, 11, 10, 11, 10))
    label = g.reference_lines[0].label
    width = len(label.text) * 11 * 0.6
    x0 = label.x - width if label.anchor == "end" else label.x
    assert not any(x0 <= m.x <= x0 + width and label.y - 11 <= m.y <= label.y for m in g.markers)


def test_last_value_is_labelled_above_its_marker():
    g = full_chart()
    last = g.markers[-1]
    assert g.value_label.text == "7"
    assert g.value_label.x == last.x and g.value_label.y < last.y


def test_zero_points_draw_axes_bands_and_a_message():
    g = full_chart([])
    assert g.markers == () and g.value_label is None and g.x_ticks == ()
    assert g.message.text == "No data yet"
    assert g.plot.left < g.message.x < g.plot.right
    root = parse(render_svg(g))
    assert root.find(f".//{SVG}polyline") is None
    assert root.find(f".//{SVG}circle") is None
    assert len(root.findall(f".//{SVG}rect")) == 1 + 5  # background + bands
    assert "No data yet" in render_svg(g)


def test_one_point_is_a_centred_marker_without_a_line():
    g = full_chart(weekly(14))
    (m,) = g.markers
    assert m.x == pytest.approx((g.plot.left + g.plot.right) / 2)
    assert g.message is None
    root = parse(render_svg(g))
    assert root.find(f".//{SVG}polyline") is None
    assert len(root.findall(f".//{SVG}circle")) == 1


def test_svg_is_an_accessible_standalone_image():
    root = parse(render_svg(full_chart()))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == "0 0 640 240"
    ids = root.get("aria-labelledby").split()
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert ids == [title.get("id"), desc.get("id")]
    assert title.text == "PHQ-9" and desc.text == "PHQ-9 total by week"
    assert len(root.findall(f".//{SVG}circle")) == 12
    assert len(root.find(f".//{SVG}polyline").get("points").split()) == 12


def test_svg_uses_only_presentation_attributes_and_nothing_external():
    svg = render_svg(full_chart())
    root = parse(svg)
    allowed = {"svg", "g", "title", "desc", "rect", "line", "polyline", "circle", "text"}
    assert {el.tag.removeprefix(SVG) for el in root.iter()} <= allowed
    for needle in ("<script", "<style", "style=", "href", "url(", "foreignObject"):
        assert needle not in svg


def test_coordinates_have_one_decimal_place():
    root = parse(render_svg(full_chart()))
    for el in root.iter(f"{SVG}circle"):
        for attr in ("cx", "cy"):
            assert len(el.get(attr).split(".")[1]) == 1


def test_hostile_text_is_escaped():
    hostile = '<script>alert("x")</script> & co'
    g = chart(
        weekly(3, 4),
        title=hostile,
        description=hostile,
        bands=[Band(0, 5, hostile)],
        reference_lines=[ReferenceLine(4, hostile)],
    )
    svg = render_svg(g)
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg and "&amp; co" in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == hostile
    assert root.find(f"{SVG}desc").text == hostile
    assert [t.text for t in root.iter(f"{SVG}text")].count(hostile) == 2


def test_output_is_deterministic():
    assert render_svg(full_chart()) == render_svg(full_chart())
    assert full_chart() == full_chart()


def test_y_range_must_not_be_empty():
    with pytest.raises(ValueError, match="y_max"):
        chart([], y_min=10, y_max=10)


def test_module_needs_only_the_standard_library():
    """Pure module: web pages, PDFs and workers can all draw charts without an app."""
    tree = ast.parse(Path(charts.__file__).read_text())
    imported = {
        (n.module if isinstance(n, ast.ImportFrom) else n.names[0].name).split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
    }
    assert imported <= {"dataclasses", "datetime", "html", "itertools", "math", "re", "typing"}
