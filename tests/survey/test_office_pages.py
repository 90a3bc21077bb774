"""The Statistics Office's console: a wave from an uploaded strata file, the approval gate on the
page, code batches that reach the browser once and the server never, participation that cannot
time one answer, and releases run, read and downloaded in the browser."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import StaffLogEntry, Token, Wave
from tests.conftest import PASSPHRASE, STRATA, count_rows, csrf_of
from tests.survey.test_auth import code_of, login, make_account, now  # noqa: F401  (fixtures)


@pytest.fixture
def office(app, make_account, now):
    secret = make_account("olga", "office")
    client = app.test_client()
    assert login(client, "olga", code=code_of(secret, now)).status_code == 302
    return client


def _new_wave(client, strata: str | bytes, button: str, *, filename: str = "strata.csv", **fields):
    page = client.get("/staff/office/waves/new")
    data = {"csrf_token": csrf_of(page.text), "questionnaire": "migration-background", "name": "Welle 2027",
            "message_de": "Machen Sie mit!", "message_en": "", "min_count": "5", "min_stratum_size": "20",
            button: "x", **fields}
    payload = strata.encode("utf-8") if isinstance(strata, str) else strata
    data["strata_file"] = (io.BytesIO(payload), filename)
    return client.post("/staff/office/waves/new", data=data, content_type="multipart/form-data")


def _waves(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Wave))


def test_a_wave_is_previewed_from_its_strata_file_then_created(app, office):
    preview = _new_wave(office, STRATA, "preview")
    assert preview.status_code == 200
    assert "3 Schichten, 77 Beschäftigte" in preview.text
    assert "senior, 32 (12)" in preview.text  # below the minimum of 20: named before anything is created
    assert _waves(app) == 0
    carried = re.search(r'<textarea[^>]*name="strata_text"[^>]*>\s*([^<]*)</textarea>', preview.text).group(1)
    assert "medium,32,40" in carried
    created = office.post("/staff/office/waves/new", data={
        "csrf_token": csrf_of(preview.text), "questionnaire": "migration-background", "name": "Welle 2027",
        "message_de": "Machen Sie mit!", "min_count": "7", "min_stratum_size": "20",
        "strata_text": carried, "strata_name": "strata.csv", "create": "x"})
    assert created.status_code == 302
    with app.app_context():
        wave = db.session.scalars(select(Wave)).one()
        assert (wave.name, wave.min_count, wave.messages, len(wave.strata)) == ("Welle 2027", 7, {"de": "Machen Sie mit!"}, 3)
        entry = db.session.scalars(select(StaffLogEntry).where(StaffLogEntry.action == "wave created")).one()
        assert entry.actor == "olga"
    page = office.get(created.headers["Location"])
    assert "Entwurf" in page.text and "has not been approved" in page.text


@pytest.mark.parametrize("strata, reason", [
    ("group,headcount\nmedium,40\nmedium,30\n", "line 3: the stratum group=medium appears twice"),
    ("group,headcount\nmedium,forty\n", "line 2: headcount 'forty' is not a whole number"),
    ("group,size\nmedium,40\n", "needs a 'headcount' column"),
])
def test_a_bad_strata_file_is_refused_with_file_line_and_reason(app, office, strata, reason):
    for button in ("preview", "create"):
        refused = _new_wave(office, strata, button, filename="personal.csv")
        assert refused.status_code == 400
        assert "personal.csv" in refused.text and reason in refused.text.replace("&#39;", "'")
    assert _waves(app) == 0


def test_the_upload_page_takes_a_city_sized_strata_file_while_respondent_pages_stay_small(app, office):
    rows = "".join(f"group{i % 7},department{i},{20 + i % 50}\n" for i in range(3000))
    strata = "group,department,headcount\n" + rows
    assert len(strata) > 40 * 1024
    preview = _new_wave(office, strata, "preview")
    assert preview.status_code == 200 and "3000 Schichten" in preview.text
    big = app.test_client().post("/", data={"code": "x" * (40 * 1024)})
    assert big.status_code == 413


def _approve(app, wave_id: int) -> None:
    from survey.council.operations import decide

    with app.app_context():
        decide(wave_id, "clara", approve=True)


def _post_button(client, path: str, page: str):
    return client.post(path, data={"csrf_token": csrf_of(client.get(page).text)})


def test_opening_needs_the_councils_approval_of_the_configuration_as_it_is(app, office, make_wave):
    wave = make_wave(open_=False)
    page = f"/staff/office/waves/{wave}"
    refused = _post_button(office, f"{page}/open", page)
    assert refused.status_code == 409 and "has not been approved" in refused.text
    _approve(app, wave)
    edit = office.get(f"{page}/edit")
    assert 'value="Test wave"' in edit.text and "Hallo" in edit.text
    changed = office.post(f"{page}/edit", data={
        "csrf_token": csrf_of(edit.text), "name": "Test wave", "message_de": "Neue Botschaft", "message_en": "",
        "min_count": "5", "min_stratum_size": "20"})
    assert changed.status_code == 302
    refused = _post_button(office, f"{page}/open", page)
    assert refused.status_code == 409 and "configuration has changed since" in refused.text
    _approve(app, wave)
    assert _post_button(office, f"{page}/open", page).status_code == 302
    assert "offen" in office.get(page).text
    with app.app_context():
        actions = [(e.actor, e.action) for e in db.session.scalars(select(StaffLogEntry).order_by(StaffLogEntry.id))]
    assert ("olga", "wave changed") in actions and ("olga", "wave opened") in actions
    assert _post_button(office, f"{page}/close", page).status_code == 302
    assert "geschlossen" in office.get(page).text


def test_a_change_below_the_floors_is_refused_and_changes_nothing(app, office, make_wave):
    wave = make_wave(open_=False)
    edit = office.get(f"/staff/office/waves/{wave}/edit")
    refused = office.post(f"/staff/office/waves/{wave}/edit", data={
        "csrf_token": csrf_of(edit.text), "name": "Test wave", "message_de": "Hallo", "min_count": "5",
        "min_stratum_size": "3"})
    assert refused.status_code == 400 and "is below this instance" in refused.text
    with app.app_context():
        assert db.session.get(Wave, wave).min_stratum_size == 20


def _download(client, wave: int, count: int, fmt: str, stratum_label: str = "department=32,group=medium"):
    page = client.get(f"/staff/office/waves/{wave}/codes")
    stratum = re.search(rf'<option[^>]*value="(\d+)"[^>]*>{re.escape(stratum_label)} ', page.text).group(1)
    return client.post(f"/staff/office/waves/{wave}/codes", data={
        "csrf_token": csrf_of(page.text), "stratum": stratum, "count": str(count), "format": fmt})


def test_a_code_batch_reaches_the_browser_once_and_the_server_keeps_no_copy(app, office, make_wave, respond, tmp_path):
    wave = make_wave()
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    pdf = _download(office, wave, 8, "pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Cache-Control"] == "no-store"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    sheet = _download(office, wave, 3, "csv")
    codes = [row["token"] for row in csv.DictReader(io.StringIO(sheet.data.decode("utf-8")))]
    assert len(codes) == 3 and sheet.headers["Cache-Control"] == "no-store"
    assert count_rows(app, "tokens") == 11
    # Nothing new on the server's disk holds a code: the database keeps HMACs, the files are gone.
    for path in {p for p in tmp_path.rglob("*") if p.is_file()} - before:
        content = path.read_bytes()
        assert not any(code.encode() in content for code in codes), path
    with app.app_context():
        entries = db.session.scalars(select(StaffLogEntry).where(StaffLogEntry.action == "code batch issued")).all()
    assert [json.loads(e.details_json)["count"] for e in entries] == [8, 3]
    assert all(e.actor == "olga" and not any(c in e.details_json for c in codes) for e in entries)
    assert respond(app.test_client(), codes[0]).status_code == 302  # the codes work


def test_a_batch_beyond_the_headcount_is_refused_and_issues_nothing(app, office, make_wave):
    wave = make_wave()
    refused = _download(office, wave, 41, "pdf")
    assert refused.status_code == 400 and "would exceed its headcount" in refused.text
    small = _download(office, wave, 1, "pdf", "department=32,group=senior")
    assert small.status_code == 400 and "fewer than the minimum stratum size" in small.text
    assert count_rows(app, "tokens") == 0


def test_participation_moves_in_steps_of_five_at_most_once_an_hour(app, office, make_wave, issue_codes, respond, now):
    wave = make_wave()
    codes = issue_codes(wave, 12)
    page = f"/staff/office/waves/{wave}"

    def shown() -> tuple[str, ...]:
        text = office.get(page).text
        row = re.search(r"<td>department=32,group=medium</td>((?:<td>[^<]*</td>\s*)+)</tr>", text).group(1)
        return tuple(re.findall(r"<td>([^<]*)</td>", row))

    def an_hour_later() -> None:
        for _ in range(3):  # the login ends after 30 idle minutes; the overview page keeps it
            now.t += 1200
            assert office.get("/staff/").status_code == 200

    assert shown() == ("40", "12", "0", "0 %")
    for code in codes[:2]:
        respond(app.test_client(), code)
    an_hour_later()
    assert shown() == ("40", "12", "0", "0 %")  # two answers round to 0
    respond(app.test_client(), codes[2])
    assert shown() == ("40", "12", "0", "0 %")  # within the hour: the snapshot holds
    an_hour_later()
    assert shown() == ("40", "12", "5", "42 %")  # three round to 5
    for code in codes[3:9]:
        respond(app.test_client(), code)
    assert shown()[2] == "5"
    an_hour_later()
    assert shown()[2] == "10"  # nine round to 10
    listing = office.get("/staff/office/").text
    assert re.search(r"<td>12</td>\s*<td>10</td>", listing)
    with app.app_context():
        stored = db.session.execute(select(Token.used)).scalars().all()
    assert sum(stored) == 9  # the exact number exists only in the codes' flags


def _release(client, wave: int, passphrase: str = PASSPHRASE, **fields):
    page = client.get(f"/staff/office/waves/{wave}/release")
    return client.post(f"/staff/office/waves/{wave}/release", data={
        "csrf_token": csrf_of(page.text), "passphrase": passphrase, "lang": "de", **fields})


def _answered_wave(app, make_wave, issue_codes, respond, n: int = 12) -> int:
    from survey.waves import close_wave

    app.config["POOL_FLUSH_THRESHOLD"] = 5
    wave = make_wave()
    for i, code in enumerate(issue_codes(wave, n)):
        respond(app.test_client(), code, {"own_citizenship_at_birth": "yes" if i % 3 else "no"})
    with app.app_context():
        close_wave(wave)
    return wave


def test_a_release_runs_in_the_browser_and_its_files_download_as_logged(app, office, make_wave, issue_codes, respond):
    wave = _answered_wave(app, make_wave, issue_codes, respond)
    wrong = _release(office, wave, passphrase="not the passphrase")
    assert wrong.status_code == 400 and "Passphrase öffnet den Schlüssel" in wrong.text
    assert "not the passphrase" not in wrong.text
    assert count_rows(app, "releases") == 0
    done = _release(office, wave)
    assert done.status_code == 302
    view = office.get(done.headers["Location"])
    assert view.status_code == 200
    assert "12 Antworten von 77 Beschäftigten" in view.text
    assert "<table>" in view.text and 'class="chart"' in view.text
    with app.app_context():
        from survey.models import Release

        release = db.session.scalars(select(Release)).one()
        files = json.loads(release.files_json)
    assert {"release.json", "release.xlsx"} <= set(files)
    for name, digest in files.items():
        with office.get(f"/staff/office/releases/{release.id}/files/{name}") as got:
            assert got.status_code == 200 and hashlib.sha256(got.data).hexdigest() == digest, name
    assert office.get(f"/staff/office/releases/{release.id}/files/..%2Fconfig.py").status_code == 404
    listing = office.get("/staff/office/releases").text
    assert f"/staff/office/releases/{release.id}" in listing
    with app.app_context():
        from survey.audit import run_audit

        failed = [check.name for check in run_audit(app).checks if not check.ok]
    assert failed == []  # the release folder in the instance is private like everything else there
    # A file changed on the server is neither served nor shown as the release.
    folder = Path(app.config["RELEASES_DIR"]) / f"release-{release.id}"
    (folder / "release.json").write_text("{}", encoding="utf-8")
    assert office.get(f"/staff/office/releases/{release.id}/files/release.json").status_code == 404
    assert "Prüfsumme stimmt nicht" in office.get(f"/staff/office/releases/{release.id}").text
    # Nothing new: a second release is refused and leaves no folder behind.
    again = _release(office, wave)
    assert again.status_code == 400 and count_rows(app, "releases") == 1
    assert sorted(p.name for p in Path(app.config["RELEASES_DIR"]).iterdir()) == [f"release-{release.id}"]


def test_the_preview_shows_every_question_in_every_language(app, office, make_wave):
    from questionnaires import load_builtin

    wave = make_wave(open_=False)
    questionnaire = load_builtin()["migration-background"]
    for lang in questionnaire.languages:
        page = office.get(f"/staff/office/waves/{wave}/preview?language={lang}")
        assert page.status_code == 200
        for section in questionnaire.sections:
            for question in section.questions:
                assert f'name="q_{question.id}"' in page.text
                assert questionnaire.text(question.text, lang).replace("'", "&#39;") in page.text, (lang, question.id)
        assert "disabled" in page.text and "<form" not in page.text.split('<main id="main" tabindex="-1">')[1].split("</main>")[0]


def test_a_wave_takes_a_message_and_a_results_notice_in_every_language(app, office):
    page = office.get("/staff/office/waves/new").text
    for field in ("message_de", "message_de_x_ls", "message_en", "message_tr", "message_ar", "message_uk",
                  "message_ru", "message_pl", "results_date", "results_where"):
        assert f'name="{field}"' in page, field
    created = _new_wave(office, "group,department,headcount\nmedium,32,40\n", "create",
                        message_ar="شاركوا!", results_date="2027-03-31", results_where="Intranet")
    assert created.status_code == 302
    with app.app_context():
        wave = db.session.scalars(select(Wave).order_by(Wave.id.desc())).first()
        assert wave.messages == {"de": "Machen Sie mit!", "ar": "شاركوا!"}
        assert wave.results == {"date": "2027-03-31", "where": "Intranet"}
    shown = office.get(created.headers["Location"]).text
    assert "2027-03-31" in shown and "Intranet" in shown
