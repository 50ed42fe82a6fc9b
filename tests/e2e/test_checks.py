"""The checks themselves can fail: axe runs under the app's CSP and reports what it finds."""

from playwright.sync_api import expect

from e2e.flows import heading


def test_axe_runs_under_the_apps_csp_and_finds_a_missing_label(e2e):
    page = e2e.page()
    response = page.goto("/login")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    expect(heading(page)).to_have_text("Log in")
    assert e2e.axe(page) == []

    page.evaluate("document.querySelector('label[for=email]').remove()")
    violations = {v["id"]: v for v in e2e.axe(page)}
    assert violations["label"]["impact"] == "critical"
    assert violations["label"]["nodes"][0]["target"] == "#email"
