"""Storage (DESIGN.md section 6): atomic single use, the mix pool, sealed answers, nothing that links.

Several tests play an attacker with what that attacker could hold: the print list (which code
went to whom), the instance folder with the pepper, and copies of the database file.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from scipy.stats import kendalltau
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from survey.crypto import PAD_BLOCK, WrongPassphrase, info_for, open_sealed
from survey.extensions import db
from survey.keys import key_files
from survey.models import ANONYMOUS_COLUMNS, Response, Token, Wave
from survey.pool import unpack
from tests.conftest import PASSPHRASE, count_rows, csrf_of, open_waiting

BIG_AND_SMALL = "group,department,headcount\nmedium,32,400\nsenior,50,20\n"


def _at_review(app, code: str):
    client = app.test_client()
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    return client, csrf_of(client.get("/review").text)


def _database_copy(app, into: Path) -> sqlite3.Connection:
    """A byte-for-byte copy of the SQLite file, as a backup or a thief would have it."""
    source = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    into.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, into)
    return sqlite3.connect(into)


def test_racing_submits_with_one_code_store_exactly_one(app, make_wave, issue_codes):
    wave = make_wave()
    code = issue_codes(wave, 1)[0]
    contenders = [_at_review(app, code) for _ in range(6)]
    barrier = threading.Barrier(len(contenders))
    statuses: list[int] = []

    def submit(client, token):
        barrier.wait()
        statuses.append(client.post("/submit", data={"csrf_token": token}).status_code)

    threads = [threading.Thread(target=submit, args=c) for c in contenders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [302] * 6  # every contender sees the thank-you page...
    assert count_rows(app, "pool") + count_rows(app, "responses") == 1  # ...and exactly one answer is kept
    with app.app_context():
        assert db.session.execute(text("SELECT first, repeated FROM submit_counts")).all() == [(1, 5)]


def test_a_full_batch_moves_to_the_store_shuffled_and_the_audit_reconciles(app, runner, make_wave, issue_codes, respond):
    app.config["POOL_FLUSH_THRESHOLD"] = 4
    wave = make_wave()
    codes = issue_codes(wave, 5)
    for i, code in enumerate(codes[:3]):
        respond(app.test_client(), code, {"born_in_germany": "yes" if i % 2 else "no"})
    assert count_rows(app, "pool") == 3 and count_rows(app, "responses") == 0
    respond(app.test_client(), codes[3])  # completes the batch; it waits for the wave's next submit
    assert count_rows(app, "pool") == 4 and count_rows(app, "responses") == 0
    with app.app_context():
        waiting = set(unpack(db.session.scalar(text("SELECT entries FROM pool"))))
    respond(app.test_client(), codes[4])
    assert count_rows(app, "pool") == 1 and count_rows(app, "responses") == 4
    with app.app_context():
        stored = list(db.session.scalars(select(Response)))
    assert waiting == {r.sealed for r in stored}  # the ciphertexts moved as they were: no key re-sealed them
    assert all(r.id.version == 4 for r in stored)
    result = runner.invoke(args=["audit", "--json"])
    assert result.exit_code == 0, result.output
    import json

    report = json.loads(result.output)
    assert report["ok"] is True
    assert report["counts"] == {"issued": 5, "used": 5, "pooled": 1, "stored": 4}


def test_a_full_batch_moves_with_the_next_submit_whether_it_stores_or_drops(app, make_wave, issue_codes, respond):
    """The flush takes time. Were it run by the submit that fills a batch, which is always a first
    submit, a slow thank-you page would tell the holder of a print list that a code had not been used."""
    app.config["POOL_FLUSH_THRESHOLD"] = 2
    wave = make_wave()
    first, second = issue_codes(wave, 2)
    respond(app.test_client(), first)
    respond(app.test_client(), second)
    assert count_rows(app, "pool") == 2 and count_rows(app, "responses") == 0
    respond(app.test_client(), first)  # a used code: its answers are dropped, the full batch moves
    assert count_rows(app, "pool") == 0 and count_rows(app, "responses") == 2


def test_pool_flush_moves_only_full_batches(app, runner, make_wave, issue_codes, respond):
    wave = make_wave()
    for code in issue_codes(wave, 3):
        respond(app.test_client(), code)
    result = runner.invoke(args=["pool", "flush"])
    assert result.exit_code == 0, result.output
    assert "0 answers mixed" in result.output and count_rows(app, "pool") == 3
    app.config["POOL_FLUSH_THRESHOLD"] = 3  # lowered since: the command catches up
    assert "3 answers mixed" in runner.invoke(args=["pool", "flush"]).output
    assert count_rows(app, "pool") == 0 and count_rows(app, "responses") == 3


def test_a_flush_racing_a_submit_neither_loses_nor_doubles_an_answer(app, make_wave, issue_codes, respond,
                                                                    monkeypatch):
    """The operator's `pool flush` (for a lowered threshold) reads the pool; a submit lands before the
    flush has written anything. Whatever order the engine lets them run in, every used code keeps
    exactly one answer: the flush must not store what it read and then empty a pool the submit added to."""
    import survey.pool as pool

    app.config["POOL_FLUSH_THRESHOLD"] = 50
    wave = make_wave()
    codes = issue_codes(wave, 4)
    for code in codes[:3]:
        respond(app.test_client(), code)
    real_take, read = pool._take, threading.Event()

    def take_then_pause(wave_id, *args, **kwargs):
        entries = real_take(wave_id, *args, **kwargs)
        if threading.current_thread().name == "flush":
            read.set()
            threading.Event().wait(1.0)  # the submit arrives while the flush holds what it read
        return entries

    monkeypatch.setattr(pool, "_take", take_then_pause)

    def operator():
        with app.app_context():
            pool.flush(minimum=2)

    flush = threading.Thread(target=operator, name="flush")
    flush.start()
    assert read.wait(10)
    respond(app.test_client(), codes[3])
    flush.join(30)
    with app.app_context():
        used = db.session.execute(text("SELECT count(*) FROM tokens WHERE used")).scalar()
        stored = db.session.execute(text("SELECT count(*) FROM responses")).scalar()
        assert used == 4 and pool.waiting() + stored == 4


def test_closing_a_wave_keeps_a_small_batch_sealed_in_the_pool(app, runner, make_wave, issue_codes, respond):
    wave = make_wave()
    respond(app.test_client(), issue_codes(wave, 1)[0], {"born_in_germany": "no"})
    result = runner.invoke(args=["waves", "close", str(wave)])
    assert result.exit_code == 0, result.output
    assert "fewer than a batch: 1." in result.output
    assert count_rows(app, "pool") == 1 and count_rows(app, "responses") == 0
    assert open_waiting(app, wave)[0]["answers"] == {"born_in_germany": "no"}


def test_a_small_wave_beside_a_large_one_is_mixed_only_with_its_own_answers(app, make_wave, issue_codes, respond):
    """Finding 4: 19 answers in a large wave and 1 in a small one once triggered one shared flush, and
    two copies around it linked the small wave's single answer to its code.

    The attacker here holds a copy of the database after every single submit (far more than two
    around a flush), so it knows the order in which codes were used and how many answers of each
    wave wait. A batch holds the answers that waited: the codes used since the wave's previous batch,
    less the newest ones whose answers still wait. Every stored answer must hide among at least the
    threshold of such codes."""
    from survey.pool import waiting

    app.config["POOL_FLUSH_THRESHOLD"] = 5
    large, small = make_wave(), make_wave()
    large_codes, small_codes = issue_codes(large, 9), issue_codes(small, 6)
    order = [*large_codes[:4], small_codes[0], large_codes[4], *small_codes[1:5], *large_codes[5:9], small_codes[5]]
    copies = []  # after each submit: used codes, stored answers, waiting answers per wave
    for code in order:
        respond(app.test_client(), code)
        with app.app_context():
            used = {(t.digest, t.wave_id) for t in db.session.scalars(select(Token).where(Token.used.is_(True)))}
            stored = {(r.id, r.wave_id) for r in db.session.scalars(select(Response))}
            copies.append((used, stored, {w: waiting(w) for w in (large, small)}))
    in_order_of_use: dict[int, list[bytes]] = {large: [], small: []}
    accounted = {large: 0, small: 0}
    candidates_per_answer = []
    previous_used: set = set()
    previous_stored: set = set()
    for used, stored, still_waiting in copies:
        for digest, wave_id in used - previous_used:
            in_order_of_use[wave_id].append(digest)
        new = stored - previous_stored
        for wave_id in {w for _, w in new}:
            batch = sum(1 for _, w in new if w == wave_id)
            unaccounted = in_order_of_use[wave_id][accounted[wave_id]:]
            candidates = unaccounted[: len(unaccounted) - still_waiting[wave_id]]
            assert len(candidates) == batch  # the attacker's reading of the copies is consistent
            candidates_per_answer += [len(candidates)] * batch
            accounted[wave_id] += batch
        previous_used, previous_stored = used, stored
    assert len(candidates_per_answer) == 10  # one full batch per wave is stored; the rest waits
    assert min(candidates_per_answer) >= 5


def test_a_stratum_with_one_used_code_does_not_name_its_answer(app, tmp_path, make_wave, issue_codes, respond):
    """Finding 3: codes and answers both carried the stratum in clear, so with the print list, the pepper
    and one database copy, the one answer of a stratum in which one code was used was that person's.

    The attacker holds the print list and the instance configuration, and copies the database. Nothing
    beside an answer may equal or name the stratum; the stratum still reaches releases, sealed."""
    app.config["POOL_FLUSH_THRESHOLD"] = 3
    wave = make_wave("migration-background", strata=BIG_AND_SMALL)
    senior = {"group": "senior", "department": "50"}
    (lonely,) = issue_codes(wave, 1, senior)
    respond(app.test_client(), lonely, {"own_citizenship_at_birth": "no"})
    for code in issue_codes(wave, 4, {"group": "medium", "department": "32"}):
        respond(app.test_client(), code, {"own_citizenship_at_birth": "yes"})
    with app.app_context():
        senior_id = next(s.id for s in db.session.get(Wave, wave).strata if s.attributes == senior)
    copy = _database_copy(app, tmp_path / "copy" / "db.sqlite")
    in_clear = {table: {row[1] for row in copy.execute(f"PRAGMA table_info({table})")} - {"sealed", "entries"}
                for table in ("pool", "responses")}
    assert in_clear == {"pool": {"wave_id"}, "responses": {"id", "wave_id"}}
    # The stratum with one used code is visible from the codes (participation is counted there) ...
    assert copy.execute("SELECT count(*) FROM tokens WHERE used AND stratum_id = ?", (senior_id,)).fetchone() == (1,)
    # ... but among this wave's answers nothing in clear sets one apart from the others.
    rows = copy.execute("SELECT wave_id, length(sealed) FROM responses").fetchall()
    assert len(rows) == 3 and len(set(rows)) == 1
    with app.app_context():
        private = key_files().load_statistics_private(PASSPHRASE)
        opened = [open_sealed(s, private, info_for(wave)) for s in db.session.scalars(select(Response.sealed))]
    opened += open_waiting(app, wave)
    assert sorted(p["stratum"] for p in opened).count(senior_id) == 1


def test_a_backup_opens_no_answer_and_keeps_no_order_of_arrival(app, tmp_path, make_wave, issue_codes, respond):
    """Finding 5: the pool key lay unencrypted in the instance folder, so a backup read every waiting
    answer, and the pool rows' pages gave their order of arrival.

    The thief holds the database file and the whole instance folder (keys and configuration). No key
    in it opens a waiting or stored answer. The waiting answers' order in the copy is compared with
    their true order of arrival (which only this test, holding the passphrase, can know): over several
    rounds the rank correlation stays near zero, where rows appended in arrival order give 1."""
    app.config["POOL_FLUSH_THRESHOLD"] = 100
    questions = ("own_citizenship_at_birth", "mother_citizenship_at_birth", "father_citizenship_at_birth",
                 "born_in_germany", "mother_immigrated", "father_immigrated")
    taus = []
    for round_ in range(6):
        wave = make_wave()
        arrival = []
        for n, code in enumerate(issue_codes(wave, 8)):
            answers = {q: "yes" if n >> bit & 1 else "no" for bit, q in enumerate(questions[:3])}
            respond(app.test_client(), code, answers)
            arrival.append(answers)
        copy = _database_copy(app, tmp_path / f"backup-{round_}" / "db.sqlite")
        (value,) = copy.execute("SELECT entries FROM pool WHERE wave_id = ?", (wave,)).fetchone()
        in_copy = unpack(value)
        with app.app_context():
            private = key_files().load_statistics_private(PASSPHRASE)
            ranks = [arrival.index(open_sealed(e, private, info_for(wave))["answers"]) for e in in_copy]
        taus.append(kendalltau(range(len(ranks)), ranks).statistic)
    assert abs(sum(taus) / len(taus)) < 0.5

    app.config["POOL_FLUSH_THRESHOLD"] = 8  # the last wave's next submit moves its 8 answers to the store
    respond(app.test_client(), issue_codes(wave, 1)[0])
    copy = _database_copy(app, tmp_path / "backup-store" / "db.sqlite")
    stored = [row[0] for row in copy.execute("SELECT sealed FROM responses WHERE wave_id = ?", (wave,))]
    (value,) = copy.execute("SELECT entries FROM pool WHERE wave_id = ?", (wave,)).fetchone()
    assert len(stored) == 8 and len(unpack(value)) == 1
    instance_keys = [
        path for path in Path(app.config["KEYS_DIR"]).iterdir() if b"PRIVATE KEY" in path.read_bytes()
    ]
    opened = 0
    for path in instance_keys:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (TypeError, ValueError):
            continue  # passphrase-protected: useless to the thief
        for entry in [*stored, *unpack(value)]:
            try:
                open_sealed(entry, key, info_for(wave))
                opened += 1
            except Exception:
                pass
    assert instance_keys and opened == 0


def test_a_stored_answer_opens_only_with_the_passphrase_and_only_in_its_wave(app, make_wave, issue_codes, respond):
    app.config["POOL_FLUSH_THRESHOLD"] = 1
    wave = make_wave()
    first, second = issue_codes(wave, 2)
    respond(app.test_client(), first, {"own_citizenship_at_birth": "no", "father_immigrated": "yes"})
    respond(app.test_client(), second)  # the wave's next submit moves the full batch to the store
    with app.app_context():
        response = db.session.scalars(select(Response)).one()
        with pytest.raises(WrongPassphrase):
            key_files().load_statistics_private("not the passphrase")
        private = key_files().load_statistics_private(PASSPHRASE)
        payload = open_sealed(response.sealed, private, info_for(response.wave_id))
        with pytest.raises(Exception):  # bound to its wave: moved to another, it no longer opens
            open_sealed(response.sealed, private, info_for(response.wave_id + 1))
    assert payload["answers"] == {"own_citizenship_at_birth": "no", "father_immigrated": "yes"}
    assert set(os.listdir(app.config["KEYS_DIR"])) == {"statistics-office.pub", "statistics-office.key"}


def test_ciphertext_size_does_not_tell_how_much_was_answered(app, make_wave, issue_codes, respond):
    wave = make_wave("agg-discrimination")
    silent, talkative = issue_codes(wave, 2)
    respond(app.test_client(), silent, {})
    respond(
        app.test_client(),
        talkative,
        {
            "experienced_discrimination": "yes",
            "grounds": ["ethnic_origin", "gender", "religion_belief", "age"],
            "forms": ["remarks", "exclusion", "harassment"],
            "by_whom": ["supervisor", "colleagues"],
            "used_complaints_office": "no",
            "reasons_not_used": ["fear_consequences", "no_help_expected"],
            "observed_discrimination": "yes",
            "respect_climate": "poor",
        },
    )
    with app.app_context():
        sizes = {len(e) for e in unpack(db.session.scalar(text("SELECT entries FROM pool")))}
    assert len(sizes) == 1 and (sizes.pop() - 48) % PAD_BLOCK == 0


def test_no_stored_column_gives_time_order_or_token(app, make_wave, issue_codes, respond):
    app.config["POOL_FLUSH_THRESHOLD"] = 2
    wave = make_wave()
    codes = issue_codes(wave, 3)
    for code in codes:
        respond(app.test_client(), code)
    with app.app_context():
        from sqlalchemy import inspect

        inspector = inspect(db.engine)
        for table, allowed in ANONYMOUS_COLUMNS.items():
            columns = {c["name"]: c for c in inspector.get_columns(table)}
            assert set(columns) == allowed
            assert all(fk["referred_table"] in ("waves", "strata") for fk in inspector.get_foreign_keys(table))
            with pytest.raises(OperationalError):  # WITHOUT ROWID: no hidden insertion counter
                db.session.execute(text(f"SELECT rowid FROM {table}"))
            db.session.rollback()
        assert "INT" not in str(next(c["type"] for c in inspector.get_columns("responses") if c["name"] == "id"))
        digests = {t.digest for t in db.session.scalars(select(Token))}
        for table in ("pool", "responses"):
            for row in db.session.execute(text(f"SELECT * FROM {table}")):
                for value in row:
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    assert not any(d in raw for d in digests)


@pytest.fixture
def usual_umask():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_files_holding_codes_or_answers_are_readable_by_their_owner_only(usual_umask, app, tmp_path, runner,
                                                                         make_wave):
    """Finding 9: under a usual umask the database and the print files were created world-readable."""
    from survey.issuing import issue_tokens

    wave = make_wave()
    with app.app_context():
        for suffix in ("csv", "pdf"):
            issue_tokens(wave, {"group": "medium", "department": "32"}, 2, tmp_path / f"slips.{suffix}")
    assert runner.invoke(args=["init"]).exit_code == 0
    instance, keys = Path(app.instance_path), Path(app.config["KEYS_DIR"])
    database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    for path in (tmp_path / "slips.csv", tmp_path / "slips.pdf", database, instance / "config.py",
                 keys / "statistics-office.key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in (instance, keys):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
