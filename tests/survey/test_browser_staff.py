"""The staff's whole story in a real browser (headless Debian Chromium), each person in their own
browser context: the Statistics Office creates a wave from a strata file, the staff council
approves it, a changed message withdraws the approval, the office opens the wave and downloads a
batch, respondents answer, the office closes the wave and releases it in the browser, and the
council reads the audit, the release log and the staff log. No staff page ever shows a code."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pyotp
import pytest

from tests.conftest import PASSPHRASE, STRATA
from tests.survey.test_auth import PASSWORD, make_account  # noqa: F401  (fixture)
from tests.survey.test_browser import TIMEOUT_MS, browser, live_url  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


class Desk:
    """One staff member at a desktop browser; keeps the text of every page they were shown."""

    def __init__(self, browser, base: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE",
                                           accept_downloads=True)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.base = base
        self.seen: list[str] = []
        self.page.on("load", lambda page: self.seen.append(page.content()))

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def click(self, role: str, name: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role(role, name=name).first.click()

    def login(self, name: str, secret: str) -> None:
        self.go("/staff/login")
        self.page.get_by_label("Benutzername").fill(name)
        self.page.get_by_label("Passwort").fill(PASSWORD)
        self.page.get_by_label("Einmalcode").fill(pyotp.TOTP(secret).now())
        self.click("button", "Anmelden")
        assert self.page.locator("h1").inner_text() == f"Angemeldet als {name}"

    def text(self) -> str:
        return self.page.locator("main").inner_text()


def _approve(council: Desk, wave_path: str) -> None:
    council.go("/staff/council/")
    council.click("link", "Welle 2027")
    assert council.page.url.endswith(wave_path)
    council.page.get_by_label("Kommentar").fill("Geprüft: k, Schichten und Botschaften passen.")
    council.click("button", "Freigeben")
    assert "approved by clara" in council.text()


def test_the_staff_story_from_strata_file_to_release(app, browser, live_url, make_account, respond, tmp_path):
    app.config["POOL_FLUSH_THRESHOLD"] = 5
    office_secret = make_account("olga", "office")
    council_secret = make_account("clara", "council")
    office, council = Desk(browser, live_url), Desk(browser, live_url)
    strata = tmp_path / "schichten.csv"
    strata.write_text(STRATA, encoding="utf-8")
    try:
        # The office logs in with its second factor and creates a wave from a strata file.
        office.login("olga", office_secret)
        office.click("link", "Konsole der Statistikstelle")
        office.click("link", "Neue Befragung anlegen")
        office.page.get_by_label("Fragebogen").select_option("migration-background")
        office.page.get_by_label("Name der Befragung").fill("Welle 2027")
        office.page.get_by_label("Schichten").set_input_files(str(strata))
        office.page.get_by_label("Botschaft auf Deutsch").fill("Machen Sie mit!")
        office.click("button", "Vorschau")
        assert "3 Schichten, 77 Beschäftigte" in office.text()
        office.click("button", "Befragung anlegen")
        wave_path = re.search(r"/staff/office/waves/\d+$", office.page.url).group(0)
        council_path = wave_path.replace("/office/", "/council/")

        # It previews the questionnaire, and cannot open the wave yet.
        office.click("link", "Fragebogen ansehen")
        assert office.page.locator('input[name="q_own_citizenship_at_birth"]').count() > 0
        office.go(wave_path)
        office.click("button", "Befragung öffnen")
        assert "has not been approved" in office.text()

        # The council reviews and approves it.
        council.login("clara", council_secret)
        _approve(council, council_path)

        # A changed message withdraws the approval; opening is refused again.
        office.go(wave_path)
        office.click("link", "Botschaften und Schutzparameter ändern")
        office.page.get_by_label("Botschaft auf Deutsch").fill("Machen Sie bitte mit!")
        office.click("button", "Änderungen speichern")
        office.click("button", "Befragung öffnen")
        assert "configuration has changed since" in office.text()
        council.go(council_path)
        assert "configuration has changed since" in council.text()

        # The council approves again; the office opens the wave and downloads a PDF batch.
        _approve(council, council_path)
        office.go(wave_path)
        office.click("button", "Befragung öffnen")
        assert "offen" in office.page.locator("main p").first.inner_text()
        office.click("link", "Codes ausgeben")
        office.page.get_by_label("Schicht").select_option(label="department=32,group=medium (40)")
        office.page.get_by_label("Anzahl der Codes").fill("16")
        with office.page.expect_download() as pdf:
            office.page.get_by_role("button", name="Codes erzeugen und herunterladen").click()
        pdf_path = tmp_path / "slips.pdf"
        pdf.value.save_as(pdf_path)
        assert pdf_path.read_bytes().startswith(b"%PDF")
        office.page.get_by_label("Anzahl der Codes").fill("12")
        office.page.get_by_label("CSV").check()
        with office.page.expect_download() as sheet:
            office.page.get_by_role("button", name="Codes erzeugen und herunterladen").click()
        sheet_path = tmp_path / "codes.csv"
        sheet.value.save_as(sheet_path)
        codes = [row["token"] for row in csv.DictReader(io.StringIO(sheet_path.read_text(encoding="utf-8")))]
        assert len(codes) == 12

        # Respondents answer.
        for i, code in enumerate(codes):
            assert respond(app.test_client(), code, {"own_citizenship_at_birth": "no" if i % 4 else "yes"}).status_code == 302

        # The office closes the wave and runs a release in the browser.
        office.go(wave_path)
        office.click("button", "Befragung schließen")
        assert "geschlossen" in office.page.locator("main p").first.inner_text()
        office.click("link", "Ergebnisse veröffentlichen")
        office.page.get_by_label("Passphrase").fill("falsch geraten")
        office.click("button", "Veröffentlichung erstellen")
        assert "Passphrase öffnet den Schlüssel der Statistikstelle nicht" in office.text()
        office.page.get_by_label("Passphrase").fill(PASSPHRASE)
        office.click("button", "Veröffentlichung erstellen")
        assert "12 Antworten von 77 Beschäftigten" in office.text()
        assert office.page.locator("table").count() >= 1
        chart = office.page.locator("img.chart").first
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
        with office.page.expect_download() as workbook:
            office.page.get_by_role("link", name="release.xlsx").click()
        assert workbook.value.suggested_filename == "release.xlsx"

        # The council reads the audit page, the release log and the staff log.
        council.go("/staff/council/audit")
        assert "Alle Prüfungen bestanden." in council.text()
        assert "waves_approved" in council.text()
        council.click("link", "Veröffentlichungen")
        assert re.search(r"\b12\b", council.page.locator("tbody").inner_text())
        council.click("link", "Protokoll der Beschäftigten")
        log = council.text()
        for action in ("wave created", "wave approved", "wave changed", "wave opened", "code batch issued",
                       "wave closed", "release published"):
            assert action in log, action
        assert "olga" in log and "clara" in log

        # Nothing the staff were shown carries a code.
        shown = "\n".join(office.seen + council.seen)
        assert not [code for code in codes if code in shown]
    finally:
        office.context.close()
        council.context.close()
