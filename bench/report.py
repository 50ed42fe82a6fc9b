"""Benchmark of the PDF progress report (prints figures; never a timed test).

    .venv/bin/python bench/report.py [--runs 7]

A synthetic patient in a throwaway SQLite database: 52 weeks of weekly PHQ-9 and GAD-7, RSES
every 4 weeks and 100 logged sessions. Printed, all from this one run and process:

- the median time of a whole export (``export_report_pdf``: scope, queries, summaries, charts,
  Jinja, WeasyPrint, hashing, the audit write);
- the median time WeasyPrint alone needs for the same final HTML, and the ratio of the two
  (goal: at most 1.25);
- the median time of the naive 6-page report of shared/PERFORMANCE.md (a 52-row weekly table,
  a 150-row session table, three inline SVG charts) and our export's share of it (goal: at
  most one half);
- peak memory (maximum resident set size of the process).
"""

import argparse
import gc
import io
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jinja2 import Environment
from pypdf import PdfReader

WEEKS = 52
SESSIONS = 100


def build_patient(app):
    """The synthetic record, made by the real services; (clinician, patient id)."""
    import sqlalchemy as sa

    from clinic.auth.models import Clinic, Role, User
    from clinic.catalogue import services as catalogue
    from clinic.catalogue.models import Exercise
    from clinic.database import write_transaction
    from clinic.extensions import db
    from clinic.measures import services as measures
    from clinic.patients.models import CareTeamMember, Episode, Patient
    from clinic.programs import services as programs
    from clinic.programs.entry import SessionEntry

    rng = random.Random(5)  # noqa: S311 (synthetic data, not security)
    now = datetime.now(UTC)
    clinic = Clinic(name="Bench Clinic")
    user = User(clinic=clinic, email="bench@clinic.test", name="Bench Therapist",
                role=Role.THERAPIST, password_hash="unusable")  # noqa: S106
    patient = Patient(clinic=clinic, display_name="Synthetic Patient", reference="B-1")
    patient.episodes.append(Episode(start=(now - timedelta(weeks=WEEKS, days=1)).date()))
    patient.care_team.append(CareTeamMember(user=user, is_primary=True))
    db.session.add_all([clinic, user, patient])
    db.session.commit()

    def answers(n_items, level, top=3):
        return [max(0, min(top, level + rng.choice((-1, 0, 0, 1)))) for _ in range(n_items)]

    for week in range(WEEKS):
        when = now - timedelta(weeks=WEEKS - week)
        level = 2 if week < 20 else 1 if week < 40 else 0
        phq9 = [*answers(8, level), 0]  # item 9 (the risk item) stays at 0: no alert flood
        measures.record_clinician_response(user, patient.id, "PHQ-9", phq9, when)
        measures.record_clinician_response(user, patient.id, "GAD-7", answers(7, level), when)
        if week % 4 == 0:
            measures.record_clinician_response(user, patient.id, "RSES",
                                               answers(10, 1 + week // 20), when)

    write_transaction(catalogue.sync_builtin_exercises)()
    ids = {e.slug: e.id for e in db.session.scalars(
        sa.select(Exercise).where(Exercise.clinic_id.is_(None)))}
    template = catalogue.create_template(user, "Bench program", "")
    row = {"sets": 3, "reps_min": 8, "reps_max": 12, "rest_seconds": 90, "is_key": True}
    catalogue.save_level(user, template.id, template.levels[0].id,
                         {"name": "Strength", "min_weeks": 2, "sessions_per_week": 2,
                          "criteria": ""},
                         [{**row, "exercise_id": ids["dumbbell_floor_press"], "load_kind": "kg",
                           "load_target": ""},
                          {**row, "exercise_id": ids["sit_to_stand"],
                           "load_kind": "bodyweight", "load_target": ""}])
    today = programs.clinic_today(patient.id)
    start = today - timedelta(weeks=WEEKS)
    assignment = programs.assign_program(user, patient.id, template.id, start)
    for n in range(SESSIONS):
        day = start + timedelta(days=n * (WEEKS * 7 - 1) // SESSIONS)
        load = Decimal(10 + n // 10)
        sets = {0: [{"reps": 10, "load_kg": load, "seconds": None}] * 3,
                1: [{"reps": 12, "load_kg": None, "seconds": None}] * 3}
        programs.log_session(assignment.id, SessionEntry(
            performed_on=day, status="done", low_energy=False, skip_reason=None,
            duration_minutes=45, rpe=6, mood_before=rng.randint(3, 6),
            mood_after=rng.randint(5, 8), pain=0, pain_where=None, note=None,
            submission_key=f"b{n}", sets=sets), source="patient")
    return user.id, patient.id


NAIVE = Environment(autoescape=True).from_string("""<!doctype html><html lang="en"><head>
<meta charset="utf-8"><title>Naive report</title><style>
@page { size: A4; margin: 18mm 15mm;
  @bottom-right { content: "Page " counter(page) " of " counter(pages); }
  @bottom-left { content: "Confidential"; } }
html { font-family: "DejaVu Sans", sans-serif; font-size: 8.5pt; }
.head { display: flex; justify-content: space-between; }
.head dl { display: grid; grid-template-columns: auto auto; gap: 2mm 6mm; }
table { border-collapse: collapse; width: 100%; margin-bottom: 6mm; }
th, td { border: 0.5pt solid #999; padding: 0.8mm 1.5mm; }
thead { display: table-header-group; }
tr:nth-child(even) td { background: #f2f2f2; }
</style></head><body>
<div class="head"><h1>Progress report</h1><dl><dt>Patient</dt><dd>Synthetic Patient</dd>
<dt>Reference</dt><dd>B-1</dd><dt>Period</dt><dd>52 weeks</dd></dl></div>
<table><thead><tr><th>Measure</th><th>Baseline</th><th>Latest</th><th>Change</th></tr></thead>
<tbody>{% for m in summary %}<tr><td>{{ m[0] }}</td><td>{{ m[1] }}</td><td>{{ m[2] }}</td>
<td>{{ m[3] }}</td></tr>{% endfor %}</tbody></table>
{% for svg in charts %}<div>{{ svg|safe }}</div>{% endfor %}
<table><thead><tr><th>Week</th><th>PHQ-9</th><th>Band</th><th>GAD-7</th><th>Band</th>
<th>RSES</th><th>Sessions</th></tr></thead><tbody>{% for w in weeks %}<tr>{% for c in w %}
<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>
<table><thead><tr><th>Date</th><th>Status</th><th>Exercise</th><th>Sets</th><th>Reps</th>
<th>Load</th><th>RPE</th><th>Mood before</th><th>Mood after</th></tr></thead><tbody>
{% for s in sessions %}<tr>{% for c in s %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table></body></html>""")


def naive_html():
    """The reference report of shared/PERFORMANCE.md §1.1, with the app's own chart code."""
    from clinic import charts

    start = date(2025, 1, 6)
    rng = random.Random(7)  # noqa: S311
    bands = charts.severity_bands([(0, 4, "minimal", 0), (5, 9, "mild", 1),
                                   (10, 14, "moderate", 2), (15, 19, "moderately severe", 3),
                                   (20, 27, "severe", 4)])
    svgs = [charts.render_svg(charts.line_chart(
        [(start + timedelta(weeks=w), rng.randint(0, 27)) for w in range(WEEKS)], y_min=0,
        y_max=27, bands=bands, title=f"Chart {n}", description="52 weekly scores"))
        for n in range(3)]
    weeks = [(str(start + timedelta(weeks=w)), rng.randint(0, 27), "moderate",
              rng.randint(0, 21), "mild", rng.randint(0, 30), 2) for w in range(WEEKS)]
    sessions = [(str(start + timedelta(days=2 * n)), "done", "Dumbbell floor press", 3, 10,
                 "12.5 kg", 6, 4, 7) for n in range(150)]
    summary = [("PHQ-9", 17, 7, -10), ("GAD-7", 13, 6, -7), ("RSES", 12, 20, 8)]
    return NAIVE.render(summary=summary, charts=svgs, weeks=weeks, sessions=sessions)


def timed_rounds(functions, runs):
    """{name: [seconds, ...]}, the functions taking turns in each round (in a rotating order)
    so that a change in the machine's load (it is shared) falls on all of them alike."""
    times = {name: [] for name in functions}
    names = list(functions)
    for run in range(runs):
        for name in names[run % len(names):] + names[:run % len(names)]:  # rotate the order
            function = functions[name]
            gc.collect()  # each starts from a clean heap, not the previous one's garbage
            started = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - started)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="liftclinic-bench-")
    os.environ.pop("DATABASE_URL", None)
    from clinic.app import create_app
    from clinic.auth.models import User
    from clinic.extensions import db
    from clinic.reports import pdf, services

    app = create_app({"ENV_NAME": "testing", "TESTING": True,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite",
                      "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        user_id, patient_id = build_patient(app)
        print(f"synthetic patient built in {time.perf_counter() - started:.1f} s: "
              f"{WEEKS} weeks of PHQ-9 and GAD-7, RSES every 4 weeks, {SESSIONS} sessions")
        user = db.session.get(User, user_id)

        render_in_export = []  # WeasyPrint's time inside each timed export
        plain_render = pdf.render_pdf

        def render_timed(html, **options):
            started = time.perf_counter()
            try:
                return plain_render(html, **options)
            finally:
                render_in_export.append(time.perf_counter() - started)

        def export():
            pdf.render_pdf = render_timed  # services call pdf.render_pdf: time that part too
            try:
                return services.export_report_pdf(user, patient_id)
            finally:
                pdf.render_pdf = plain_render

        body = export().body  # warm-up: first-render initialisation, caches
        patient = services.visible_patient(user, patient_id)
        html = services.report_html(patient, services.report_period(patient),
                                    generated_by=user.name)
        reference = naive_html()
        pdf.render_pdf(reference)  # warm-up

        def build_html():
            db.session.expire_all()  # read the rows again, as a fresh request would
            fresh = services.visible_patient(user, patient_id)
            return services.report_html(fresh, services.report_period(fresh),
                                        generated_by=user.name)

        times = timed_rounds({"export": export, "weasy": lambda: pdf.render_pdf(html),
                              "naive": lambda: pdf.render_pdf(reference),
                              "html": build_html}, args.runs)
        inside = [whole / render for whole, render
                  in zip(times["export"], render_in_export[-args.runs:], strict=True)]
        export_all, weasy_all, naive_all = times["export"], times["weasy"], times["naive"]
        export_s, weasy_s, naive_s, html_s = (statistics.median(t) for t in times.values())

        pages = len(PdfReader(io.BytesIO(body)).pages)
        naive_pages = len(PdfReader(io.BytesIO(pdf.render_pdf(reference))).pages)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def line(name, median, runs):
        spread = ", ".join(f"{t * 1000:.0f}" for t in sorted(runs))
        print(f"{name:<44} median {median * 1000:7.0f} ms   (runs, ms: {spread})")

    print(f"our report: {pages} pages, {len(body) / 1024:.0f} KB; "
          f"naive reference: {naive_pages} pages")
    line("export (export_report_pdf, whole)", export_s, export_all)
    line("WeasyPrint alone, same final HTML", weasy_s, weasy_all)
    line("naive 6-page reference, WeasyPrint", naive_s, naive_all)
    line("HTML alone (scope, queries, summaries, charts)", html_s, times["html"])
    print(f"ratio export / WeasyPrint alone: {export_s / weasy_s:.2f}   (goal <= 1.25)")
    print(f"  per export, export / its own WeasyPrint call: median {statistics.median(inside):.2f}"
          f" (min {min(inside):.2f}, max {max(inside):.2f}); steadier on a busy machine")
    print(f"export / naive reference:        {export_s / naive_s:.2f}   (goal <= 0.50)")
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
