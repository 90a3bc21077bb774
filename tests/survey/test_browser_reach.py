"""Reach in a real browser: Arabic right to left at 320 px, switching language mid-page, a focus
ring one can see, text spacing and zoom without loss, and every page usable on slow 3G.

Screenshots of the Arabic flow are written to test-artifacts/rtl/ (kept by CI as artefacts).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.survey.test_browser import TIMEOUT_MS, _path, browser, live_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
#: Chrome DevTools' "Slow 3G": 400 kbit/s each way (x0.8) and 2 s of latency per request.
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 500 * 1000 / 8 * 0.8,
           "uploadThroughput": 500 * 1000 / 8 * 0.8}
#: WCAG 2.1 success criterion 1.4.12's text spacing.
TEXT_SPACING = """* { line-height: 1.5 !important; letter-spacing: .12em !important; word-spacing: .16em !important; }
p { margin-bottom: 2em !important; }"""


def _context(browser, width: int = 320, **options):
    context = browser.new_context(viewport={"width": width, "height": 640}, is_mobile=True, has_touch=True,
                                  locale="de-DE", **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _next(page) -> None:
    with page.expect_navigation():
        page.locator("input[type=submit][name=next]").click()


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def _enter(page, live_url: str, code: str) -> None:
    page.locator("#code").fill(code)
    with page.expect_navigation():
        page.locator("#code-form button[type=submit]").click()
    assert _path(page) == "/welcome"


def _to_page_two(page, live_url: str, code: str) -> None:
    """Enter the code and answer "yes" on page 1, so that page 2 applies and is shown, not skipped."""
    page.goto(f"{live_url}/")
    _enter(page, live_url, code)
    page.goto(f"{live_url}/q/1")
    page.locator("input[name=q_experienced_discrimination][value=yes]").check()
    _next(page)
    assert _path(page) == "/q/2"


def test_an_arabic_flow_reads_right_to_left_at_320_px(browser, app, live_url, make_wave, issue_codes):
    from tests.conftest import count_rows

    code = issue_codes(make_wave("agg-discrimination"), 1)[0]
    shots = ARTIFACTS / "rtl"
    shots.mkdir(parents=True, exist_ok=True)
    context = _context(browser)
    try:
        page = context.new_page()
        page.goto(f"{live_url}/?lang=ar")
        steps = []

        def look(name: str) -> None:
            assert page.locator("html").get_attribute("dir") == "rtl", name
            assert page.locator("html").get_attribute("lang") == "ar", name
            width = _scroll_width(page)
            assert width <= 320, f"{name}: {width} px wide at 320 px, it scrolls sideways"
            page.screenshot(path=str(shots / f"{len(steps) + 1:02d}-{name}.png"), full_page=True)
            steps.append(name)

        look("start")
        # The code is typed left to right inside the right-to-left page.
        assert page.locator("#code").evaluate("el => getComputedStyle(el).direction") == "ltr"
        _enter(page, live_url, code)
        look("welcome")
        with page.expect_navigation():
            page.locator("main a.button.primary").click()
        look("question-1")
        option = page.locator("label.option").first
        box, text = option.locator("input").bounding_box(), option.locator("span").bounding_box()
        assert box["x"] > text["x"], "the radio button stands right of its text, where an Arabic line begins"
        progress = page.locator(".progress progress").bounding_box()
        assert progress["x"] < page.locator(".progress span").bounding_box()["x"], "the progress reads right to left"
        option.locator("input").check()
        next_button = page.locator("input[type=submit][name=next]").bounding_box()
        assert next_button["width"] > 200  # full width on a phone, whichever way the page reads
        _next(page)
        while _path(page).startswith("/q/"):
            look(f"question-{_path(page).rsplit('/', 1)[1]}")
            _next(page)
        assert _path(page) == "/review"
        look("review")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        assert _path(page) == "/thanks"
        look("thanks")
    finally:
        context.close()
    assert count_rows(app, "pool") == 1
    assert len(list(shots.glob("*.png"))) >= len(steps) >= 6


def test_switching_language_on_a_question_page_keeps_the_ticks(browser, app, live_url, make_wave, issue_codes):
    code = issue_codes(make_wave("agg-discrimination"), 1)[0]
    context = _context(browser)
    try:
        page = context.new_page()
        _to_page_two(page, live_url, code)
        grounds = page.locator("input[name=q_grounds]")
        grounds.nth(0).check()
        grounds.nth(2).check()
        ticked = page.eval_on_selector_all("input:checked", "els => els.map(el => el.name + '=' + el.value)")
        page.locator("details.langs > summary").click()
        with page.expect_navigation():
            page.locator("details.langs button", has_text="Türkçe").click()
        assert _path(page) == "/q/2" and page.locator("html").get_attribute("lang") == "tr"
        assert page.eval_on_selector_all("input:checked", "els => els.map(el => el.name + '=' + el.value)") == ticked
        # And back a page: the first page's answer is there too, now in Turkish.
        with page.expect_navigation():
            page.locator("input[type=submit][name=back]").click()
        assert page.locator("input[name=q_experienced_discrimination][value=yes]").is_checked()
        # Enter in the form means "next", never a language button.
        page.locator("input[name=q_experienced_discrimination][value=yes]").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert _path(page) == "/q/2" and page.locator("html").get_attribute("lang") == "tr"
    finally:
        context.close()


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


FOCUS_STATE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  let node = el.parentElement, background = 'rgba(0, 0, 0, 0)';
  while (node && (background === 'rgba(0, 0, 0, 0)' || background === 'transparent')) {
    background = getComputedStyle(node).backgroundColor; node = node.parentElement;
  }
  return {tag: el.tagName + '.' + el.className, outline: style.outlineStyle, width: parseFloat(style.outlineWidth),
          color: style.outlineColor, background};
}"""


def _rgb(css: str) -> tuple[float, float, float]:
    numbers = [float(part) for part in css[css.index("(") + 1:css.index(")")].replace(",", " ").split()[:3]]
    return numbers[0], numbers[1], numbers[2]


def test_the_focus_ring_is_visible_everywhere_with_3_to_1_contrast(browser, live_url, make_wave, issue_codes):
    code = issue_codes(make_wave("agg-discrimination"), 1)[0]
    context = _context(browser, width=768)
    try:
        page = context.new_page()
        page.goto(f"{live_url}/")
        _enter(page, live_url, code)
        seen = []
        for path in ("/", "/q/1", "/review"):
            page.goto(live_url + path)
            for _ in range(14):
                page.keyboard.press("Tab")
                state = page.evaluate(FOCUS_STATE)
                if state["tag"].startswith("BODY"):
                    continue
                assert state["outline"] != "none" and state["width"] >= 2, (path, state)
                ratio = _contrast(_rgb(state["color"]), _rgb(state["background"]))
                assert ratio >= 3, f"{path}: focus ring on {state['tag']} has contrast {ratio:.2f}:1 ({state})"
                seen.append(state["tag"])
        assert any(tag.startswith("SUMMARY") for tag in seen) and any(tag.startswith("INPUT") for tag in seen)
        # The first Tab reaches the skip link, which leads to the main content.
        page.goto(f"{live_url}/q/1")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
    finally:
        context.close()


CLIPPED = """() => [...document.querySelectorAll('body *')].filter(el => {
  const s = getComputedStyle(el);
  if (el.getClientRects().length === 0 || el.classList.contains('visually-hidden')) return false;
  const hides = ['hidden', 'clip'].includes(s.overflowX) || ['hidden', 'clip'].includes(s.overflowY);
  return hides && (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1);
}).map(el => el.outerHTML.slice(0, 80))"""


@pytest.mark.parametrize("setting", ["text spacing at 320 px", "text at 200 % at 640 px"])
def test_text_spacing_and_zoom_lose_nothing(browser, live_url, make_wave, issue_codes, setting):
    code = issue_codes(make_wave("agg-discrimination"), 1)[0]
    width = 320 if setting.startswith("text spacing") else 640
    style = TEXT_SPACING if setting.startswith("text spacing") else "html { font-size: 200% !important; }"
    context = _context(browser, width=width, bypass_csp=True)  # to add the test's own style sheet
    try:
        page = context.new_page()
        page.goto(f"{live_url}/?lang=de")
        _enter(page, live_url, code)
        for path in ("/", "/welcome", "/q/1", "/q/2", "/review", "/accessibility"):
            page.goto(live_url + path)
            page.add_style_tag(content=style)
            assert _scroll_width(page) <= width, f"{setting}: {path} scrolls sideways"
            assert page.evaluate(CLIPPED) == [], f"{setting}: {path} clips text"
    finally:
        context.close()


def test_every_page_is_usable_within_3_s_on_slow_3g(browser, live_url, make_wave, issue_codes):
    """First visit: an empty cache, every request pays 2 s of latency, 50 kB/s."""
    code = issue_codes(make_wave("agg-discrimination"), 1)[0]
    context = _context(browser)
    try:
        page = context.new_page()
        _to_page_two(page, live_url, code)
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        timings = {}
        for path in ("/", "/s", "/welcome", "/q/1", "/q/2", "/q/3", "/review", "/accessibility", "/no-such-page"):
            page.goto(live_url + path, wait_until="load", timeout=20_000)
            timings[path] = page.evaluate(
                "() => { const n = performance.getEntriesByType('navigation')[0]; return n.loadEventEnd - n.startTime; }")
        slow = {path: round(ms) for path, ms in timings.items() if ms >= 3000}
        assert not slow, f"pages taking 3 s or more on slow 3G (ms): {slow}; all: {timings}"
        assert min(timings.values()) >= 2000  # the throttling was in force
    finally:
        context.close()
