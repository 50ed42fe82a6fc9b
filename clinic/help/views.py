"""/help: the guide and the references, for logged-in clinicians (deny by default applies)."""

from flask import Blueprint, Response, abort, render_template
from markupsafe import Markup

from clinic.help import pages

bp = Blueprint("help", __name__, url_prefix="/help")


@bp.get("/")
def index():
    """The list of help pages."""
    return render_template("help/index.html", pages=pages.PAGES)


@bp.get("/guide/img/<name>")
def guide_image(name):
    """A screenshot of the guide (docs/guide/img, taken by tests/e2e/test_guide_screenshots.py)."""
    path = pages.image_path(name)
    if path is None:
        abort(404)
    # Small files, read whole: no open file handle outlives the request.
    return Response(path.read_bytes(), mimetype="image/png")


@bp.get("/<path:page>")
def page(page):
    """One help page, rendered from its Markdown file in docs/."""
    found = pages.find(page)
    if found is None:
        abort(404)
    # The HTML of docs/*.md, the repository's own Markdown reviewed like code: no user data.
    body = Markup(pages.render(found))  # noqa: S704  # nosec B704  # our own docs
    return render_template("help/page.html", page=found, body=body)
