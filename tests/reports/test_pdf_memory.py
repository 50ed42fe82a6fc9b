"""A process that renders report after report keeps its memory (the per-render freeze leak).

Freezing the collector around each render once left every render's garbage uncollectable:
about 8 MB a report, 1.7 GB after 200 exports in one gunicorn worker. Twenty renders of a
one-page table in this process must grow its resident memory by less than 1 MB a render.
"""

import gc

from clinic.reports import pdf


def resident_mib():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def test_repeated_renders_do_not_grow_the_process():
    rows = "".join(f"<tr><td>Week {i}</td><td>{i % 27}</td><td>moderate</td></tr>"
                   for i in range(100))
    html = ('<!doctype html><html lang="en"><body><h1>Report</h1>'
            f"<table>{rows}</table></body></html>")
    for _ in range(3):  # fonts, caches and the allocator's first arenas
        pdf.render_pdf(html)
    before = resident_mib()
    renders = 20
    for _ in range(renders):
        assert pdf.render_pdf(html).startswith(b"%PDF-")
    growth = (resident_mib() - before) / renders
    print(f"\nresident memory growth: {growth:.2f} MiB per render over {renders} renders")
    assert growth < 1.0
    assert gc.get_freeze_count() == 0  # render_pdf leaves the collector as it found it


def test_warm_up_freezes_once_and_renders_stay_collectable():
    try:
        pdf.warm_up_and_freeze()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        pdf.render_pdf('<!doctype html><html lang="en"><p>again</p></html>')
        assert gc.get_freeze_count() <= frozen  # a render freezes nothing more
    finally:
        gc.unfreeze()
