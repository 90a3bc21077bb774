"""The respondent flow in a real browser on a phone-sized screen (headless Debian Chromium).

The app runs on a free 127.0.0.1 port in a background thread; Chromium opens the slip's QR URL
(`/s#CODE`), whose script moves the code from the fragment into a POST. Outside CI the tests skip
when /usr/bin/chromium is missing; in CI (`CI=true`, `.ci/run` installs it) they fail instead.
"""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from tests.conftest import count_rows

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONES = {"320": {"width": 320, "height": 640}, "360": {"width": 360, "height": 740}}
MIN_TAP = 44  # px: WCAG 2.5.5 / platform guidelines for touch targets
TIMEOUT_MS = 10_000


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason}; CI must provide it (.ci/run installs Debian's chromium)", pytrace=False)
    pytest.skip(f"{reason} (install with `apt-get install chromium`; in CI this fails instead)")


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_url(app) -> Iterator[str]:
    """The app served over real HTTP; PUBLIC_URL points at it, so slips issued afterwards do too."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["PUBLIC_URL"] = url
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server", daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class Phone:
    """A browser context with a phone's screen; records every request the pages make."""

    def __init__(self, browser, viewport: dict[str, int], *, javascript: bool = True) -> None:
        self.context = browser.new_context(
            viewport=viewport,
            is_mobile=True,
            has_touch=True,
            locale="de-DE",  # the browser's preference decides the first language
            java_script_enabled=javascript,
        )
        self.context.set_default_timeout(TIMEOUT_MS)
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()

    def foreign_requests(self) -> list[str]:
        return [url for url in self.requests if urlsplit(url).hostname != "127.0.0.1"]


@pytest.fixture
def phone(browser):
    """Opens phones; every phone's requests must stay on 127.0.0.1 (checked after the test as well)."""
    opened: list[Phone] = []

    def _open(width: str = "360", *, javascript: bool = True) -> Phone:
        opened.append(Phone(browser, PHONES[width], javascript=javascript))
        return opened[-1]

    yield _open
    for one in opened:
        one.context.close()
    foreign = [url for one in opened for url in one.foreign_requests()]
    assert not foreign, f"requests left 127.0.0.1: {foreign}"


@pytest.fixture
def slip(app, live_url, make_wave, issue_codes):
    """A fresh code of an open wave and its QR URL (as printed on the slip).

    The AGG questionnaire: its follow-up questions depend on the first answer, so it has several pages."""
    from survey.issuing import slip_url

    code = issue_codes(make_wave("agg-discrimination"), 1)[0]
    with app.app_context():
        url = slip_url(code)
    assert url == f"{live_url}/s#{code}"
    return code, url


# --- helpers ------------------------------------------------------------------------------------


def _path(page) -> str:
    return urlsplit(page.url).path


def _choose_language(page, name: str) -> None:
    """Open the language menu in the header and pick `name` (as the language calls itself)."""
    page.locator("details.langs > summary").click()
    with page.expect_navigation():
        page.locator("details.langs").get_by_role("link", name=name).click()


def _submit(page, name: str) -> None:
    with page.expect_navigation():
        page.locator(f'input[type=submit][name="{name}"]').click()


def _answer_first_page_then_submit(page, app) -> None:
    """From the welcome page: answer on page 1, forward, back (answer kept), forward to the end, submit."""
    assert _path(page) == "/welcome"
    with page.expect_navigation():
        page.get_by_role("link", name="Befragung beginnen").click()
    assert _path(page) == "/q/1"
    radio = page.locator('input[name="q_experienced_discrimination"][value="yes"]')
    page.locator("label.option", has=radio).tap()  # a finger on the label, not the small circle
    assert radio.is_checked()
    _submit(page, "next")
    assert _path(page) == "/q/2"
    _submit(page, "back")
    assert _path(page) == "/q/1"
    assert page.locator('input[name="q_experienced_discrimination"][value="yes"]').is_checked()
    for _ in range(10):
        if _path(page) == "/review":
            break
        _submit(page, "next")
    assert _path(page) == "/review"
    answer = page.locator("dt", has_text="Haben Sie in den letzten 24 Monaten bei der Arbeit").first.locator("xpath=following-sibling::dd[1]")
    assert answer.inner_text().startswith("Ja")
    with page.expect_navigation():
        page.get_by_role("button", name="Antworten absenden").click()
    assert _path(page) == "/thanks"
    assert page.locator("h1").inner_text() == "Vielen Dank!"
    assert count_rows(app, "pool") == 1


# --- tests --------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", PHONES)
def test_the_qr_link_starts_the_survey_and_hides_the_code(app, phone, slip, width):
    code, url = slip
    one = phone(width)
    page = one.page
    page.goto(url)
    page.wait_for_url(re.compile(r"/welcome$"))
    assert code not in page.url and "#" not in page.url
    assert page.evaluate("location.hash") == ""
    # Nor is it in the history: the step back from the welcome page shows no entry holding the code.
    page.go_back()
    assert code not in page.url
    page.go_forward()
    assert _path(page) == "/welcome"
    _answer_first_page_then_submit(page, app)
    assert all(code not in request for request in one.requests), "the code travelled in a URL"


@pytest.mark.parametrize("width", PHONES)
def test_without_javascript_the_code_is_typed_in(app, phone, slip, width):
    code, url = slip
    page = phone(width, javascript=False).page
    page.goto(url)  # the QR link without JavaScript: the start page and its form
    assert _path(page) == "/s"
    page.get_by_label("Ihr Code").fill(code.lower())
    with page.expect_navigation():
        page.get_by_role("button", name="Weiter").click()
    _answer_first_page_then_submit(page, app)


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _low_targets(page, selector: str) -> list[tuple[str, float]]:
    """Rendered elements matching `selector` lower than MIN_TAP px, as (start of their HTML, height)."""
    return page.evaluate(
        """([selector, min]) => [...document.querySelectorAll(selector)]
            .filter(el => el.getClientRects().length > 0)  // rendered: not in a closed menu
            .map(el => [el.outerHTML.slice(0, 90), el.getBoundingClientRect().height])
            .filter(([, height]) => height < min)""",
        [selector, MIN_TAP],
    )


TARGETS = "label.option, button:not(.default-submit), a.button, .langs summary, .footlinks a"


@pytest.fixture
def small_phone(phone, slip):
    """A 320 px phone whose code has been typed in: its page, on the welcome page."""
    code, url = slip
    page = phone("320").page
    page.goto(url.split("#")[0])
    page.get_by_label("Ihr Code").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Weiter").click()
    assert _path(page) == "/welcome"
    return page


def test_at_320_px_nothing_scrolls_sideways_and_targets_are_big_enough(small_phone, live_url):
    page = small_phone
    for path in ("/", "/q/1", "/review"):
        page.goto(live_url + path)
        assert _path(page) == path
        assert page.locator(TARGETS).count() >= (5 if path == "/q/1" else 3)
        width = _scroll_width(page)
        assert width <= 320, f"{path}: the page is {width} px wide and scrolls sideways at 320 px"
        low = _low_targets(page, TARGETS)
        assert not low, f"{path}: tap targets lower than {MIN_TAP} px: {low}"


def test_at_320_px_long_german_titles_do_not_widen_the_page(phone, app, make_wave, issue_codes, live_url):
    """The AGG title holds "Diskriminierungserfahrungen", wider than a 320 px screen on its own."""
    code = issue_codes(make_wave("agg-discrimination"), 1)[0]
    page = phone("320").page
    page.goto(f"{live_url}/s#{code}")
    page.wait_for_url("**/welcome")
    assert "Diskriminierungserfahrungen" in page.content()
    width = _scroll_width(page)
    assert width <= 320, f"/welcome: the page is {width} px wide and scrolls sideways at 320 px"


def test_the_next_button_looks_like_the_main_action(small_phone, live_url):
    page = small_phone
    page.goto(live_url + "/q/1")
    colours = page.evaluate(
        """() => ['next', 'back'].map(n => getComputedStyle(document.querySelector(`input[name=${n}]`)).backgroundColor)"""
    )
    assert colours[0] != colours[1] and colours[1] == "rgb(255, 255, 255)"


def test_at_320_px_the_question_pages_buttons_are_big_enough(small_phone, live_url):
    page = small_phone
    page.goto(live_url + "/q/1")
    assert page.locator("input[type=submit]").count() == 2
    low = _low_targets(page, "input[type=submit]")
    assert not low, f"/q/1: tap targets lower than {MIN_TAP} px: {low}"


def test_a_used_code_leads_in_like_any_other_and_english_is_one_tap_away(app, phone, slip, respond):
    """Whoever tries a code from a list learns nothing: a used code leads through the questionnaire
    to the thank-you page too, and its second answers are dropped."""
    code, url = slip
    assert respond(app.test_client(), code).headers["Location"].endswith("/thanks")
    page = phone("360").page
    page.goto(url)
    page.wait_for_url(re.compile(r"/welcome$"))  # the landing script posted the code, which let it in
    assert code not in page.url
    _choose_language(page, "English")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Voluntary and anonymous" in page.locator("footer").inner_text()
    with page.expect_navigation():
        page.get_by_role("link", name="Start the survey").click()
    for _ in range(10):
        if _path(page) == "/review":
            break
        _submit(page, "next")
    with page.expect_navigation():
        page.get_by_role("button", name="Submit answers").click()
    assert _path(page) == "/thanks"
    assert page.locator("h1").inner_text() == "Thank you!"
    assert "only the answers sent first are counted" in page.locator(".lead").inner_text()
    assert count_rows(app, "pool") == 1  # the first answers, not these
    page.goto(url.split("#")[0].replace("/s", "/"))
    assert page.locator("h1").inner_text() == "Welcome"
    assert page.get_by_label("Your code").is_visible()


def test_no_request_leaves_127_0_0_1(phone, slip, live_url):
    """Every kind of page the respondent sees, with its stylesheet and script, comes from the app itself."""
    _code, url = slip
    one = phone("360")
    page = one.page
    page.goto(url)
    page.wait_for_url(re.compile(r"/welcome$"))
    for path in ("/q/1", "/q/2", "/review", "/thanks", "/"):
        page.goto(live_url + path)
    page.get_by_label("Ihr Code").fill("ABCD-EFGH-JKMN-PQRS")
    with page.expect_navigation():
        page.get_by_role("button", name="Weiter").click()
    assert page.locator("h1").inner_text() == "Diesen Code kennen wir nicht"
    _choose_language(page, "English")
    assert page.locator("html").get_attribute("lang") == "en"
    # The stylesheet and the landing script are inline (one request a page on a slow network); the
    # only static file is the fingerprinted icon.
    static = {urlsplit(request).path for request in one.requests if "/static/" in urlsplit(request).path}
    assert static <= {"/static/favicon.svg"}, static
    assert {urlsplit(request).hostname for request in one.requests} == {"127.0.0.1"}, one.foreign_requests()
