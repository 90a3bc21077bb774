"""WCAG 2.1 AA on every respondent page in every language, checked by axe-core in Chromium.

Each language walks the whole flow as a respondent would (start, QR landing, a mistyped code, the
welcome page, every question page of both questionnaires, a page with an error, the review, the
thank-you page, "received" after going back, the trust pages, 404 and 405) and axe-core checks
every page at 320 and at 768 px. The problem pages that need a broken server or a flood of wrong
codes to appear (wait, not yet open, ended, expired form, too much data, invalid answers, failure)
are rendered by the app exactly as it would send them and checked the same way.

axe-core comes from the npm registry, pinned by version and hash (`make test` fetches it into
tests/vendor/). Outside CI these tests skip without it or without Chromium; in CI they fail.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from survey.i18n import LANGUAGES
from tests.survey.test_browser import TIMEOUT_MS, _path, _unavailable, browser, live_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
WIDTHS = (320, 768)
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""
#: Problem pages reached only through a broken server, a flood of wrong codes or a forged request.
RENDERED_PROBLEMS = ("throttled", "not_open", "closed", "expired", "csrf", "too_large", "invalid", "failed")


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        _unavailable(f"{AXE} is missing (run `make test`, which fetches axe-core)")
    return AXE.read_text(encoding="utf-8")


class Checked:
    """A phone-sized page that runs axe-core at every width on whatever it shows."""

    def __init__(self, browser, axe_source: str, language: str) -> None:
        self.context = browser.new_context(viewport={"width": WIDTHS[0], "height": 700}, locale="de-DE")
        self.context.set_default_timeout(TIMEOUT_MS)
        # Loaded into every document by the DevTools protocol, so the page's own CSP stays in force.
        self.context.add_init_script(script=axe_source)
        self.page = self.context.new_page()
        self.axe_source = axe_source
        self.language = language
        self.checked: list[str] = []
        self.violations: list[str] = []

    def check(self, name: str) -> None:
        page = self.page
        assert page.locator("html").get_attribute("lang") == self.language, (name, page.url)
        if not page.evaluate("typeof axe !== 'undefined'"):  # set_content writes into a document of its own
            page.evaluate(self.axe_source)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 700})
            for violation in page.evaluate(RUN_AXE):
                self.violations.append(f"{self.language} {name} @{width}px: {violation}")
        page.set_viewport_size({"width": WIDTHS[0], "height": 700})
        self.checked.append(name)

    def goto(self, url: str, name: str) -> None:
        self.page.goto(url)
        self.check(name)

    def click(self, locator, name: str) -> None:
        with self.page.expect_navigation():
            locator.click()
        self.check(name)


def _walk_questionnaire(checked: Checked, live: str, code: str, questionnaire: str) -> None:
    page = checked.page
    page.goto(f"{live}/")
    page.locator("#code").fill(code)
    checked.click(page.locator("#code-form button[type=submit]"), f"{questionnaire}: welcome")
    with page.expect_navigation():
        page.locator("main a.button.primary").click()
    number = 0
    while _path(page).startswith("/q/"):
        number += 1
        checked.check(f"{questionnaire}: question page {_path(page)}")
        if number == 1:
            page.locator("input[type=radio][value=yes]").first.check()
        with page.expect_navigation():
            page.locator("input[type=submit][name=next]").click()
        assert number < 12
    assert _path(page) == "/review"
    checked.check(f"{questionnaire}: review")


def test_every_respondent_page_passes_axe_in_every_language(browser, axe_source, app, live_url, make_wave, issue_codes, language):
    agg = issue_codes(make_wave("agg-discrimination"), 1)[0]
    migration = issue_codes(make_wave("migration-background"), 1)[0]
    checked = Checked(browser, axe_source, language)
    page = checked.page
    try:
        checked.goto(f"{live_url}/?lang={language}", "start")
        checked.goto(f"{live_url}/s", "QR landing")
        page.locator("#code").fill("ABCD-EFGH-JKMN-PQRS")
        checked.click(page.locator("#code-form button[type=submit]"), "unknown code")
        assert page.locator("#code").input_value() == "ABCD-EFGH-JKMN-PQRS"  # what was typed is kept
        checked.goto(f"{live_url}/q/1", "expired (no code yet)")
        checked.goto(f"{live_url}/no-such-page", "404")
        checked.goto(f"{live_url}/submit", "405")
        for name in ("accessibility", "privacy", "imprint", "contact"):
            checked.goto(f"{live_url}/{name}", name)

        _walk_questionnaire(checked, live_url, migration, "migration-background")
        _walk_questionnaire(checked, live_url, agg, "agg-discrimination")
        # A tampered answer: the page comes back with the error summary and the field marked.
        page.goto(f"{live_url}/q/1")
        page.evaluate("document.querySelector('input[type=radio]').value = 'forged'")
        page.locator("input[type=radio]").first.check()
        checked.click(page.locator("input[type=submit][name=next]"), "page with an error")
        assert page.locator(".error-summary").is_visible()
        assert page.evaluate("document.activeElement.id") == "error-summary"
        assert page.locator("fieldset.invalid input[aria-invalid=true]").count() >= 1
        page.goto(f"{live_url}/review")
        checked.click(page.locator("main form button[type=submit]"), "thanks")
        checked.goto(f"{live_url}/review", "received (back after submitting)")

        from flask import render_template

        from survey.i18n import choose_language
        from survey.respond.forms import CodeForm

        for kind in RENDERED_PROBLEMS:
            with app.test_request_context("/"):
                choose_language(language)
                html = render_template("respond/problem.html", kind=kind, form=CodeForm() if kind == "unknown" else None)
            page.set_content(html)
            checked.check(f"problem page {kind}")
    finally:
        checked.context.close()
    assert not checked.violations, "\n".join(checked.violations)
    assert len(checked.checked) >= 28, checked.checked


@pytest.fixture(params=LANGUAGES)
def language(request) -> str:
    return request.param


def test_axe_reports_what_it_should(browser, axe_source):
    """Guards the guard: on a page with known faults axe-core does report them."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content('<html><body><img src="x.png"><a href="/"></a><input type="text"></body></html>')
        page.evaluate(axe_source)
        found = {violation["id"] for violation in page.evaluate(RUN_AXE)}
    finally:
        context.close()
    assert {"html-has-lang", "image-alt", "link-name", "label"} <= found, found
