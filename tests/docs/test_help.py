"""/help serves the clinical and training references (docs/*.md) to logged-in clinicians,
rendered on the server with no script and no external asset, and the pages where a clinician
meets a rule link to it with an "i"."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from factories import PatientFactory, ResponseFactory, UserFactory
from markupsafe import escape

from clinic.help import pages

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
HELP_LINK = re.compile(r'help_link\("([a-z/]+)", "([a-z0-9-]+)"')


@pytest.fixture
def therapist():
    return UserFactory(email="help-therapist@example.test")


def test_the_help_index_lists_every_page(client, auth, therapist):
    auth.login(therapist.email)
    body = client.get("/help/").get_data(as_text=True)
    for page in pages.PAGES:
        assert f'href="/help/{page.slug}"' in body and str(escape(page.title)) in body


def test_a_reference_is_rendered_from_its_markdown_without_outside_assets(client, auth,
                                                                          therapist):
    auth.login(therapist.email)
    response = client.get("/help/clinical")
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h2 id="reliable-change-and-recovery">Reliable change and recovery</h2>' in body
    assert "<table>" in body or "<td>" in body or "Bands: 0-4 minimal" in body
    assert 'href="training"' in body  # training.md on the repository host, /help/training here
    assert "<script" not in body
    assert not re.search(r'(src|href)="(https?:)?//', body), "an external asset or link target"


@pytest.mark.parametrize("path", ["/help/nothing", "/help/../README", "/help/clinical.md",
                                  "/help/%2e%2e/pyproject.toml", "/help/operations"])
def test_only_the_pages_of_the_table_are_served(client, auth, therapist, path):
    auth.login(therapist.email)
    assert client.get(path).status_code == 404


def test_nobody_logged_out_reads_help(client):
    response = client.get("/help/clinical")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_every_i_link_of_the_templates_points_at_a_heading_that_exists(client, auth, therapist):
    auth.login(therapist.email)
    used = [match for path in TEMPLATES.rglob("*.html")
            for match in HELP_LINK.findall(path.read_text())]
    assert {page for page, _anchor in used} >= {"clinical", "training"}
    for page, anchor in used:
        body = client.get(f"/help/{page}").get_data(as_text=True)
        assert f'id="{anchor}"' in body, f"/help/{page}#{anchor} leads nowhere"


def test_the_change_label_on_the_patient_page_has_its_i_link(client, auth, therapist):
    now = datetime.now(UTC)
    patient = PatientFactory(clinic=therapist.clinic, primary=therapist,
                             episode_start=now - timedelta(days=30))
    ResponseFactory(actor=therapist, patient=patient, answers=[2, 2, 2, 2, 2, 2, 2, 2, 0],
                    completed_at=now - timedelta(days=14))
    ResponseFactory(actor=therapist, patient=patient, answers=[1, 1, 1, 1, 1, 1, 1, 1, 0],
                    completed_at=now - timedelta(days=1))
    auth.login(therapist.email)
    body = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "Reliable improvement." in body
    assert 'href="/help/clinical#reliable-change-and-recovery"' in body
    assert "How change is worked out" in body  # what a screen reader says


def test_the_guide_is_served_with_its_pictures_and_relative_links(client, auth, therapist):
    auth.login(therapist.email)
    index = client.get("/help/guide/").get_data(as_text=True)
    assert 'href="therapist"' in index and 'href="../clinical"' in index
    page = client.get("/help/guide/therapist").get_data(as_text=True)
    images = re.findall(r'<img alt="[^"]+" src="(img/[a-z0-9-]+\.png)"', page)
    assert "img/therapist-dashboard.png" in images
    for image in images:
        response = client.get(f"/help/guide/{image}")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data.startswith(b"\x89PNG")


@pytest.mark.parametrize("name", ["nothing.png", "..%2fREADME.md", "therapist.md", ".png"])
def test_only_the_guides_png_files_are_served(client, auth, therapist, name):
    auth.login(therapist.email)
    assert client.get(f"/help/guide/img/{name}").status_code == 404
