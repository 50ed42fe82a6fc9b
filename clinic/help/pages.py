"""Which docs/ files the app serves as help pages, and turning one into HTML (no Flask here).

The pages are a fixed table: a URL names a page, never a file path, so nothing outside this
table can be read through /help. The Markdown is the repository's own (reviewed like code),
so its HTML is trusted; links between the pages are rewritten from ``x.md`` (right on the
repository host) to ``x`` (right under /help).
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import markdown

DOCS_DIR = Path(__file__).resolve().parent.parent.parent / "docs"
GUIDE_IMAGES = DOCS_DIR / "guide" / "img"
IMAGE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.png$")
MARKDOWN_LINK = re.compile(r'href="(?![a-z]+:|/|#)([^"#]*?)\.md(#[^"]*)?"')


@dataclass(frozen=True)
class Page:
    slug: str  # the URL under /help/
    source: str  # the file under docs/
    title: str
    summary: str


PAGES = (
    Page("clinical", "clinical.md", "Questionnaires and scores",
         "PHQ-9, GAD-7, RSES, WHO-5, PCL-5: scoring, bands, reliable change, recovery, "
         "not on track, and their sources."),
    Page("training", "training.md", "Graded strength training",
         "Ladders, levels, progression suggestions, safety holds, adherence and the strength "
         "trend, and their sources."),
    # The guide's pages keep their folder in the URL (guide/ for its README), so the relative
    # links between them and to img/ resolve here as they do on the repository host.
    Page("guide/", "guide/README.md", "A clinician's guide",
         "A working day with pictures: the therapist, the trainer, the admin and the patient."),
    Page("guide/therapist", "guide/therapist.md", "The therapist's day",
         "The dashboard, onboarding a patient, scores and change, questionnaire links, "
         "alerts, reports."),
    Page("guide/trainer", "guide/trainer.md", "The trainer's day",
         "A patient's program, progression suggestions, approving a change."),
    Page("guide/admin", "guide/admin.md", "The admin's day",
         "Two-step login, users, the audit log."),
    Page("guide/patient", "guide/patient.md", "What the patient sees",
         "The questionnaire and the next session on a phone."),
)
BY_SLUG = {page.slug: page for page in PAGES}


def find(slug):
    """The page at /help/<slug>, or None."""
    return BY_SLUG.get(slug)


@lru_cache(maxsize=32)
def _render(path, modified):
    text = path.read_text(encoding="utf-8")
    html = markdown.markdown(text, extensions=["tables", "toc", "sane_lists"],
                             extension_configs={"toc": {"permalink": False}})
    return MARKDOWN_LINK.sub(lambda m: f'href="{m.group(1)}{m.group(2) or ""}"', html)


def render(page):
    """The page's HTML (cached until its file changes)."""
    path = DOCS_DIR / page.source
    return _render(path, path.stat().st_mtime_ns)


def image_path(name):
    """A guide screenshot's file, or None: plain names of existing PNGs only."""
    if not IMAGE_NAME.match(name):
        return None
    path = GUIDE_IMAGES / name
    return path if path.is_file() else None
