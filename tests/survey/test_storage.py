"""Storage (DESIGN.md section 6): atomic single use, the mix pool, sealed responses, nothing that links."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from survey.crypto import PAD_BLOCK, WrongPassphrase, info_for, open_sealed
from survey.extensions import db
from survey.keys import key_files, pool_private_key
from survey.models import ANONYMOUS_COLUMNS, Response, Token
from tests.conftest import PASSPHRASE, count_rows, csrf_of


def _at_review(app, code: str):
    client = app.test_client()
    client.post("/", data={"code": code, "csrf_token": csrf_of(client.get("/").text)})
    return client, csrf_of(client.get("/review").text)


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
    assert count_rows(app, "code_reuse") == 1
    with app.app_context():
        assert db.session.scalar(text("SELECT submits FROM code_reuse")) == 5


def test_flush_moves_a_shuffled_resealed_batch_and_the_audit_reconciles(app, runner, make_wave, issue_codes, respond):
    wave = make_wave()
    codes = issue_codes(wave, 4)
    for i, code in enumerate(codes):
        respond(app.test_client(), code, {"born_in_germany": "yes" if i % 2 else "no"})
    with app.app_context():
        pooled = {bytes(s) for s in db.session.scalars(text("SELECT sealed FROM pool"))}
    assert len(pooled) == 4
    result = runner.invoke(args=["pool", "flush"])
    assert result.exit_code == 0, result.output
    assert "4 answers mixed" in result.output
    assert count_rows(app, "pool") == 0 and count_rows(app, "responses") == 4
    with app.app_context():
        stored = list(db.session.scalars(select(Response)))
    assert not pooled & {r.sealed for r in stored}  # re-sealed: pool and store ciphertexts cannot be matched
    assert all(r.id.version == 4 for r in stored)
    audit = runner.invoke(args=["audit", "--json"])
    assert audit.exit_code == 0, audit.output
    import json

    report = json.loads(audit.output)
    assert report["ok"] is True
    assert report["counts"] == {"issued": 4, "used": 4, "pooled": 0, "stored": 4}


def test_the_pool_flushes_itself_once_enough_answers_wait(app, make_wave, issue_codes, respond):
    app.config["POOL_FLUSH_THRESHOLD"] = 3
    wave = make_wave()
    for code in issue_codes(wave, 3):
        respond(app.test_client(), code)
    assert count_rows(app, "pool") == 0 and count_rows(app, "responses") == 3


def test_closing_a_wave_flushes_the_pool(app, runner, make_wave, issue_codes, respond):
    wave = make_wave()
    respond(app.test_client(), issue_codes(wave, 1)[0])
    result = runner.invoke(args=["waves", "close", str(wave)])
    assert result.exit_code == 0, result.output
    assert count_rows(app, "pool") == 0 and count_rows(app, "responses") == 1


def test_a_stored_response_opens_only_with_the_passphrase(app, make_wave, issue_codes, respond):
    wave = make_wave()
    respond(app.test_client(), issue_codes(wave, 1)[0], {"own_citizenship_at_birth": "no", "father_immigrated": "yes"})
    with app.app_context():
        from survey.pool import flush

        flush()
        response = db.session.scalars(select(Response)).one()
        info = info_for("response", response.wave_id, response.stratum_id)
        with pytest.raises(WrongPassphrase):
            key_files().load_statistics_private("not the passphrase")
        with pytest.raises(Exception):
            open_sealed(response.sealed, pool_private_key(), info)  # the server's own key cannot open it
        private = key_files().load_statistics_private(PASSPHRASE)
        payload = open_sealed(response.sealed, private, info)
        with pytest.raises(Exception):  # bound to its stratum: moved to another, it no longer opens
            open_sealed(response.sealed, private, info_for("response", response.wave_id, response.stratum_id + 1))
    assert payload["answers"] == {"own_citizenship_at_birth": "no", "father_immigrated": "yes"}


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
        sizes = {len(bytes(s)) for s in db.session.scalars(text("SELECT sealed FROM pool"))}
    assert len(sizes) == 1 and (sizes.pop() - 48) % PAD_BLOCK == 0


def test_no_stored_column_gives_time_order_or_token(app, make_wave, issue_codes, respond):
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
            assert "INT" not in str(columns[inspector.get_pk_constraint(table)["constrained_columns"][0]]["type"])
            assert not inspector.get_foreign_keys(table) or all(
                fk["referred_table"] in ("waves", "strata") for fk in inspector.get_foreign_keys(table)
            )
            with pytest.raises(OperationalError):  # WITHOUT ROWID: no hidden insertion counter
                db.session.execute(text(f"SELECT rowid FROM {table}"))
            db.session.rollback()
        digests = {t.digest for t in db.session.scalars(select(Token))}
        for table in ("pool", "responses"):
            for row in db.session.execute(text(f"SELECT * FROM {table}")):
                for value in row:
                    raw = value if isinstance(value, bytes) else str(value).encode()
                    assert not any(d in raw for d in digests)
