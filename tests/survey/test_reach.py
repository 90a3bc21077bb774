"""Reach without a browser: page weight, language choice and switching, "received" after going back,
the results notice, styled error pages, cached static files and the trust pages' facts."""
from __future__ import annotations

import gzip
import re

import pytest

from survey.i18n import LANGUAGES
from tests.conftest import csrf_of

LIMIT = 30 * 1024
STATIC_REF = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def _weight(client, html: str) -> tuple[int, int]:
    """Bytes a first visit loads for a page: the HTML and every static file it refers to, as sent
    and gzip-compressed (what a proxy puts on the wire)."""
    raw, packed = len(html.encode()), len(gzip.compress(html.encode()))
    for url in set(STATIC_REF.findall(html)):
        with client.get(url) as response:
            body = response.data
        raw, packed = raw + len(body), packed + len(gzip.compress(body))
    return raw, packed


def _walk(client, code: str, language: str) -> dict[str, str]:
    """Every respondent page's HTML, in `language`, from start to "received"."""
    pages = {"start": client.get(f"/?lang={language}").text, "landing": client.get("/s").text}
    pages["unknown"] = client.post("/", data={"code": "ABCD-EFGH-JKMN-PQRS", "csrf_token": csrf_of(pages["start"])}).text
    pages["404"] = client.get("/no-such-page").text
    pages["405"] = client.get("/submit").text
    for name in ("accessibility", "privacy", "imprint", "contact"):
        pages[name] = client.get(f"/{name}").text
    client.post("/", data={"code": code, "csrf_token": csrf_of(pages["start"])})
    pages["welcome"] = client.get("/welcome").text
    number = 1
    while True:
        page = client.get(f"/q/{number}")
        if page.status_code != 200:
            break
        pages[f"q{number}"] = page.text
        data = {"csrf_token": csrf_of(page.text), "next": "1"}
        if number == 1:
            data["q_experienced_discrimination"] = "yes"
        client.post(f"/q/{number}", data=data)
        number += 1
    pages["review"] = client.get("/review").text
    client.post("/submit", data={"csrf_token": csrf_of(pages["review"])})
    pages["thanks"] = client.get("/thanks").text
    pages["received"] = client.get("/review").text
    return pages


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_respondent_page_weighs_under_30_kb(app, make_wave, issue_codes, language):
    code = issue_codes(make_wave("agg-discrimination"), 1)[0]
    client = app.test_client()
    pages = _walk(client, code, language)
    assert {"q1", "q2", "q3", "review", "thanks", "received"} <= set(pages)
    heavy = {}
    for name, html in pages.items():
        raw, packed = _weight(client, html)
        assert packed < raw
        if raw >= LIMIT:  # uncompressed, so it holds even behind a proxy that does not compress
            heavy[name] = raw
    assert not heavy, f"pages of {LIMIT} bytes or more: {heavy}"


def test_the_weight_check_counts_static_files(app):
    client = app.test_client()
    html = '<link rel="icon" href="/static/favicon.svg?v=x"><p>x</p>'
    raw, _packed = _weight(client, html)
    assert raw > len(html) + 100  # the icon was fetched and counted


def test_static_files_are_fingerprinted_and_cached_for_a_year(app):
    client = app.test_client()
    html = client.get("/").text
    icon = re.search(r'href="(/static/favicon\.svg\?v=[0-9a-f]{12})"', html).group(1)
    with client.get(icon) as cached:
        assert cached.status_code == 200 and "max-age=31536000" in cached.headers["Cache-Control"]
        assert "immutable" in cached.headers["Cache-Control"]
    with client.get("/static/favicon.svg?v=000000000000") as stale:
        assert "max-age=31536000" not in stale.headers.get("Cache-Control", "")
    assert client.get("/favicon.ico").headers["Location"].endswith(icon.split("/static/")[1])
    # The stylesheet is inside the page, allowed by its hash and nothing else inline.
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in csp and csp.count("'sha256-") == 2
    assert "<style>" in html and "/static/css/" not in html


def test_the_browser_preference_decides_first_and_staff_pages_stay_german_or_english(app):
    client = app.test_client()
    assert '<html lang="tr" dir="ltr">' in client.get("/", headers={"Accept-Language": "tr-TR,tr;q=0.9"}).text
    assert '<html lang="ar" dir="rtl">' in client.get("/", headers={"Accept-Language": "ar-SY"}).text
    assert '<html lang="de"' in client.get("/", headers={"Accept-Language": "fr-FR"}).text
    client.get("/?lang=uk")
    assert '<html lang="uk"' in client.get("/accessibility").text  # the choice is kept
    staff = client.get("/staff/login")
    assert '<html lang="de"' in staff.text  # staff pages speak German and English only
    assert '<html lang="en"' in app.test_client().get("/staff/login", headers={"Accept-Language": "en"}).text


def test_every_language_is_offered_by_its_own_name(app):
    html = app.test_client().get("/?lang=de").text
    for name, tag in (("Leichte Sprache", "de-x-ls"), ("Türkçe", "tr"), ("العربية", "ar"), ("Українська", "uk"),
                      ("Русский", "ru"), ("Polski", "pl"), ("English", "en")):
        assert f'lang="{tag}"' in html and name in html


def test_switching_language_without_javascript_keeps_the_page_s_answers(app, make_wave, issue_codes):
    code = issue_codes(make_wave("agg-discrimination"), 1)[0]
    client = app.test_client()
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    page = client.get("/q/1").text
    assert 'name="switch_lang" value="ar"' in page
    switched = client.post("/q/1", data={"csrf_token": csrf_of(page), "q_experienced_discrimination": "unsure",
                                         "switch_lang": "ar"})
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/q/1")
    again = client.get("/q/1").text
    assert '<html lang="ar" dir="rtl">' in again
    assert re.search(r'value="unsure" checked', again)
    # An unknown language changes nothing but still keeps the answer and moves on as "next".
    moved = client.post("/q/1", data={"csrf_token": csrf_of(again), "q_experienced_discrimination": "no",
                                      "switch_lang": "xx"})
    assert moved.headers["Location"].endswith("/q/3")


def test_back_after_submitting_says_received_and_the_thanks_page_tells_where_results_appear(app, make_wave, issue_codes):
    from survey.waves import update_wave

    wave = make_wave("agg-discrimination", open_=False)
    with app.app_context():
        update_wave(wave, name="Test wave", messages={"de": "Hallo"}, min_count=5, min_stratum_size=20,
                    results={"date": "2027-03-31", "where": "intranet.example/wir"})
        from survey.council.operations import decide
        from survey.waves import open_wave

        decide(wave, "test council", approve=True)
        open_wave(wave)
    code = issue_codes(wave, 1)[0]
    client = app.test_client()
    pages = _walk(client, code, "de")
    assert "31. März 2027" in pages["thanks"] and "intranet.example/wir" in pages["thanks"]
    assert "Ihre Antworten sind eingegangen" in pages["received"]
    assert "abgelaufen" not in pages["received"]
    english = app.test_client()
    english.get("/?lang=en")
    with english.session_transaction() as session:
        session["sent"] = wave
    assert "March 31, 2027" in english.get("/thanks").text
    # A new code afterwards starts afresh: no "received" for it.
    assert "sent" not in _session_after_new_code(app, issue_codes(make_wave("agg-discrimination"), 1)[0], client)


def _session_after_new_code(app, code, client) -> dict:
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    with client.session_transaction() as session:
        return dict(session)


def test_results_notice_is_checked(app, make_wave):
    from survey.waves import WaveError, update_wave

    wave = make_wave(open_=False)
    with app.app_context():
        with pytest.raises(WaveError, match="not a date"):
            update_wave(wave, name="x", messages={}, min_count=5, min_stratum_size=20, results={"date": "31.3.2027"})
        with pytest.raises(WaveError, match="unknown field"):
            update_wave(wave, name="x", messages={}, min_count=5, min_stratum_size=20, results={"who": "me"})


@pytest.mark.parametrize("language", ["de", "en", "ar"])
def test_404_and_405_are_the_site_s_own_translated_pages(app, language):
    client = app.test_client()
    client.get(f"/?lang={language}")
    missing, method = client.get("/nope"), client.get("/submit")
    assert missing.status_code == 404 and method.status_code == 405 and "POST" in method.headers["Allow"]
    for response in (missing, method):
        assert f'<html lang="{language}"' in response.text and 'class="skip-link"' in response.text
    assert ("Diese Seite gibt es nicht" in missing.text) == (language == "de")


def test_trust_pages_carry_the_instance_s_facts(app):
    app.config.update(CONTACT_EMAIL="umfrage@hannover-stadt.example", OPERATOR="Stadt Musterstadt, Statistik")
    client = app.test_client()
    for path in ("/accessibility", "/privacy", "/imprint", "/contact"):
        page = client.get(path)
        assert page.status_code == 200
        assert "umfrage@hannover-stadt.example" in page.text
    assert "Stadt Musterstadt, Statistik" in client.get("/imprint").text
    assert "Schlichtungsstelle" in client.get("/accessibility").text
    app.config["CONTACT_EMAIL"] = ""
    assert "im Anschreiben" in client.get("/contact").text


def test_the_welcome_message_speaks_the_respondent_s_language_or_german_marked_as_such(app, tmp_path, issue_codes):
    from questionnaires import load_builtin
    from survey.council.operations import decide
    from survey.waves import create_wave, open_wave, read_strata_csv
    from tests.conftest import STRATA

    strata = tmp_path / "strata.csv"
    strata.write_text(STRATA, encoding="utf-8")
    with app.app_context():
        wave = create_wave(load_builtin()["migration-background"], "Wave", read_strata_csv(strata),
                           {"de": "Machen Sie mit!", "tr": "Katılın!"}).id
        decide(wave, "test council", approve=True)
        open_wave(wave)
    for language, expected in (("tr", '<blockquote class="message" lang="tr">Katılın!'),
                               ("pl", '<blockquote class="message" lang="de">Machen Sie mit!')):
        client = app.test_client()
        client.get(f"/?lang={language}")
        code = issue_codes(wave, 1)[0]
        client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
        assert expected in client.get("/welcome").text
