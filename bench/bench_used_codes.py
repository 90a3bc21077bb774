"""How long a used code's requests take next to an unused code's: the timing side of "who answered".

Run from the repository root:  .venv/bin/python bench/bench_used_codes.py [--pairs 300] [--postgres URL]

A throwaway instance (temporary folder, SQLite file unless --postgres names a server, on which a
throwaway database is created and dropped; fresh keys; one open `agg-discrimination` wave) is
driven in-process with Flask's test client, so only the server's own work is timed. Half of the
codes are used once beforehand. Then, pair by pair and in random order within each pair, one used
and one unused code are timed at the code entry (`POST /`), on the review page (`GET /review`) and
at the submit (`POST /submit`, with the same answers). The pool flush is switched off (its
threshold is set out of reach) so that the submits themselves are compared; a flush runs in one
submit of every batch, used code or not.

Prints, per step, the median and the 10th/90th percentile in milliseconds for each kind of code,
and the difference of the medians. No aim: the two columns should agree within their noise.
With --flush the shipped threshold stays, and the submits that ran a flush show in p99 and max.
"""
from __future__ import annotations

import argparse
import csv
import re
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
OPTION = re.compile(r'name="(q_[a-z0-9_]+)" value="([^"]+)"')
FIRST_PAGE = re.compile(r'href="(/q/\d+)"')
STEPS = ("POST /", "GET /review", "POST /submit")


def csrf(html: str) -> str:
    return CSRF.search(html).group(1)


def make_app(tmp: Path, database_url: str | None, flush: bool):
    import os

    os.environ["WIR_SURVEY_INSTANCE"] = str(tmp / "instance")
    from survey import create_app
    from survey.database import upgrade
    from survey.keys import key_files

    app = create_app({
        "SECRET_KEY": secrets.token_hex(32),
        "TOKEN_PEPPER": secrets.token_hex(32),
        "SESSION_KEY": Fernet.generate_key().decode(),
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp / 'bench.sqlite'}",
        "KEYS_DIR": str(tmp / "keys"),
        **({} if flush else {"POOL_FLUSH_THRESHOLD": 10**9}),
    })
    with app.app_context():
        upgrade()
        key_files().create("bench - throwaway")
    return app


def open_wave(app, tmp: Path, count: int) -> list[str]:
    from questionnaires import load_builtin
    from survey.issuing import issue_tokens
    from survey.council.operations import decide
    from survey.waves import create_wave, open_wave as open_, read_strata_csv

    strata = tmp / "strata.csv"
    strata.write_text(f"group,headcount\nmedium,{max(count, 100)}\n", encoding="utf-8")
    out = tmp / "codes.csv"
    with app.app_context():
        wave = create_wave(load_builtin()["agg-discrimination"], "Bench", read_strata_csv(strata), {})
        decide(wave.id, "bench council", approve=True)
        open_(wave.id)
        issue_tokens(wave.id, {"group": "medium"}, count, out)
    with out.open(encoding="utf-8") as fh:
        return [row["token"] for row in csv.DictReader(fh)]


def enter(client, code: str, timings: dict | None = None):
    token = csrf(client.get("/").text)
    t0 = time.perf_counter()
    response = client.post("/", data={"code": code, "csrf_token": token})
    if timings is not None:
        timings["POST /"].append(time.perf_counter() - t0)
    assert response.status_code == 302, response.status_code


def answer_pages(client) -> None:
    url = FIRST_PAGE.search(client.get("/welcome").text).group(1)
    while url.startswith("/q/"):
        page = client.get(url)
        if page.status_code == 302:
            url = page.headers["Location"]
            continue
        form = {"csrf_token": csrf(page.text), "next": "x"}
        for name, value in OPTION.findall(page.text):
            form.setdefault(name, value)
        url = client.post(url, data=form).headers["Location"]


def to_review_and_submit(client, timings: dict | None = None) -> None:
    t0 = time.perf_counter()
    review = client.get("/review")
    t1 = time.perf_counter()
    submitted = client.post("/submit", data={"csrf_token": csrf(review.text)})
    t2 = time.perf_counter()
    assert submitted.headers["Location"] == "/thanks", submitted.status_code
    if timings is not None:
        timings["GET /review"].append(t1 - t0)
        timings["POST /submit"].append(t2 - t1)


def run(app, codes: list[str], pairs: int) -> dict[str, dict[str, list[float]]]:
    used, unused = codes[:pairs], codes[pairs:]
    for code in used:  # the first answer of each used code
        client = app.test_client()
        enter(client, code)
        answer_pages(client)
        to_review_and_submit(client)
    for code in codes[:20]:  # warm up both paths (imports, caches, connections)
        client = app.test_client()
        enter(client, code)
        answer_pages(client)
        to_review_and_submit(client)
    timings = {kind: {step: [] for step in STEPS} for kind in ("used", "unused")}
    pick = secrets.SystemRandom()
    for pair in zip(used, unused):
        order = [("used", pair[0]), ("unused", pair[1])]
        pick.shuffle(order)
        for kind, code in order:
            client = app.test_client()
            enter(client, code, timings[kind])
            answer_pages(client)
            to_review_and_submit(client, timings[kind])
    return timings


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(timings, label: str) -> None:
    print(f"\n{label}: {len(timings['used']['POST /'])} pairs, milliseconds (p10 / median / p90 / p99 / max)")
    print(f"{'step':<14}{'unused code':>42}{'used code':>42}{'median diff':>14}")
    for step in STEPS:
        cells = []
        for kind in ("unused", "used"):
            values = timings[kind][step]
            cells.append(" / ".join(f"{v:6.2f}" for v in (
                ms(values, .1), 1000 * statistics.median(values), ms(values, .9), ms(values, .99), 1000 * max(values))))
        diff = 1000 * (statistics.median(timings["used"][step]) - statistics.median(timings["unused"][step]))
        print(f"{step:<14}{cells[0]:>42}{cells[1]:>42}{diff:>+13.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300)
    parser.add_argument("--flush", action="store_true", help="keep the shipped pool flush threshold")
    parser.add_argument("--postgres", metavar="URL",
                        help="a server URL, e.g. postgresql+psycopg://postgres@127.0.0.1/postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wir-bench-used-") as tmp_name:
        tmp = Path(tmp_name)
        database_url, admin, name = None, None, None
        if args.postgres:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            name = f"wir_bench_{secrets.token_hex(6)}"
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            database_url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        try:
            app = make_app(tmp, database_url, args.flush)
            codes = open_wave(app, tmp, 2 * args.pairs)
            timings = run(app, codes, args.pairs)
            label = "PostgreSQL" if args.postgres else "SQLite (rollback journal, file in a temporary folder)"
            report(timings, label + (", pool flush on" if args.flush else ""))
            with app.app_context():
                from survey.extensions import db

                db.engine.dispose()
        finally:
            if admin is not None:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
