"""`wir-survey audit`: checks the anonymity guarantees G1 and G4 on the live database and configuration.

Every check explains itself in plain sentences, for a staff councillor to read: what was looked at,
what was found, and why it matters.
"""
from __future__ import annotations

import logging
import re
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import Date, DateTime, Integer, Interval, Time, func, inspect, select, text

from .crypto import KeyFiles, KeyProblem, is_well_formed
from .extensions import db
from .models import ANONYMOUS_COLUMNS, Pool, Response, Token
from .pool import unpack, waiting

ANONYMOUS_TABLES = tuple(ANONYMOUS_COLUMNS)
TABLE_NAMES = {"tokens": "codes", "pool": "mix pool", "responses": "responses"}
_TIME_NAME = re.compile(r"(time|date|stamp|created|updated|modified|_at$|when|seen|(^|_)ip($|_)|agent|addr)", re.I)
RESPONDENT_PATHS = ("/", "/s", "/welcome", "/q/1", "/review", "/thanks")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    explanation: str


@dataclass
class AuditReport:
    checks: list[Check] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks], "counts": self.counts}


def run_audit(app: Flask) -> AuditReport:
    report = AuditReport()
    inspector = inspect(db.engine)
    present = set(inspector.get_table_names())
    missing = [t for t in ANONYMOUS_TABLES if t not in present]
    if missing:
        report.checks.append(
            Check("schema_present", False, f"The tables {', '.join(missing)} do not exist: run `wir-survey init`.")
        )
        return report
    columns = {t: inspector.get_columns(t) for t in ANONYMOUS_TABLES}
    report.checks += [
        _no_time_columns(columns),
        _only_allowed_columns(inspector, columns),
        _no_sequential_keys(inspector, columns),
        _table_options(),
        _keys_present(app),
        _sealed_at_rest(),
        _no_request_logging(app),
    ]
    counts_check, report.counts = _counts_reconcile()
    report.checks.append(counts_check)
    return report


def _no_time_columns(columns: dict[str, list[dict]]) -> Check:
    found = [
        f"{TABLE_NAMES[t]} table column '{c['name']}' ({c['type']})"
        for t, cols in columns.items()
        for c in cols
        if isinstance(c["type"], (Date, DateTime, Time, Interval)) or _TIME_NAME.search(c["name"])
    ]
    if found:
        return Check(
            "no_time_columns",
            False,
            "Found " + "; ".join(found) + ". A date, time or client detail next to codes or answers could show when "
            "or from where someone answered, and so who. Remove it.",
        )
    return Check(
        "no_time_columns",
        True,
        "None of the tables for codes, the mix pool or the responses has a column for a date, a time, an IP "
        "address or a device, so nothing records when or from where someone answered.",
    )


def _only_allowed_columns(inspector, columns: dict[str, list[dict]]) -> Check:
    problems = []
    for table, cols in columns.items():
        extra = sorted({c["name"] for c in cols} - ANONYMOUS_COLUMNS[table])
        if extra:
            problems.append(f"the {TABLE_NAMES[table]} table has extra columns {', '.join(extra)}")
        for fk in inspector.get_foreign_keys(table):
            if fk["referred_table"] in ANONYMOUS_TABLES:
                problems.append(f"the {TABLE_NAMES[table]} table refers to the {TABLE_NAMES[fk['referred_table']]} table")
    if problems:
        return Check(
            "no_link_between_codes_and_responses",
            False,
            "Only the agreed columns may exist, but " + "; ".join(problems) + ". Such a column could connect a code, "
            "and so a person, to an answer.",
        )
    return Check(
        "no_link_between_codes_and_responses",
        True,
        "The code table holds only each code's fingerprint, its wave, its stratum and whether it was used. The "
        "pool holds one sealed, shuffled bundle of waiting answers per wave; the response table only a random id, "
        "the wave and the sealed answer. An answer's stratum is sealed inside it. No column and no reference "
        "connects a code to an answer.",
    )


def _no_sequential_keys(inspector, columns: dict[str, list[dict]]) -> Check:
    problems = []
    for table, cols in columns.items():
        for column in cols:
            default = str(column.get("default") or "")
            if isinstance(column["type"], Integer) or column.get("autoincrement") is True or "nextval" in default:
                if table == "pool" and column["name"] == "wave_id":
                    continue  # the pool is keyed by its wave: one row per wave, nothing counts upward
                if column["name"] in inspector.get_pk_constraint(table)["constrained_columns"]:
                    problems.append(f"the {TABLE_NAMES[table]} table's key '{column['name']}' counts upward")
            if column.get("identity") or "nextval" in default:
                problems.append(f"the {TABLE_NAMES[table]} table's column '{column['name']}' is filled from a sequence")
    not_random = sum(1 for key in db.session.scalars(select(Response.id)) if uuid.UUID(str(key)).version != 4)
    if not_random:
        problems.append(f"{not_random} rows of the responses table have ids that are not random UUIDs")
    if problems:
        return Check(
            "no_sequential_keys",
            False,
            "Keys must be random, but " + "; ".join(problems) + ". A counting key shows the order in which answers "
            "arrived, which can be matched with who was seen answering.",
        )
    return Check(
        "no_sequential_keys",
        True,
        "Codes are keyed by their fingerprint, the pool by its wave and stored answers by random numbers (UUID "
        "version 4), so no key shows in which order codes were used or answers arrived.",
    )


def _table_options() -> Check:
    if db.engine.dialect.name != "sqlite":
        return Check(
            "database_table_options",
            True,
            f"The database is {db.engine.dialect.name}: responses are inserted only in shuffled batches, so all "
            "responses of a batch share one transaction and their physical order is random.",
        )
    with db.engine.connect() as connection:
        sql = dict(connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
        secure_delete = connection.execute(text("PRAGMA secure_delete")).scalar()
    with_rowid = [TABLE_NAMES[t] for t in ANONYMOUS_TABLES if "WITHOUT ROWID" not in (sql.get(t) or "").upper()]
    problems = []
    if with_rowid:
        problems.append(
            f"the {', '.join(with_rowid)} table(s) keep a hidden row number (rowid) that records insertion order"
        )
    if secure_delete != 1:
        problems.append("secure_delete is off, so deleted pool rows could be recovered from the database file")
    if problems:
        return Check("database_table_options", False, "On SQLite, " + "; ".join(problems) + ".")
    return Check(
        "database_table_options",
        True,
        "The code, pool and response tables are SQLite WITHOUT ROWID tables, so not even a hidden row number "
        "records the order of insertion, and secure_delete overwrites deleted pool rows in the file.",
    )


def _keys_present(app: Flask) -> Check:
    problems = []
    files = KeyFiles(Path(app.config["KEYS_DIR"]))
    try:
        files.load_statistics_public()
        if not files.statistics_private_is_encrypted():
            problems.append("the Statistics Office private key is not protected by a passphrase")
        for path in sorted(files.directory.iterdir()):
            if b"PRIVATE KEY-----" in path.read_bytes()[:64] and b"ENCRYPTED" not in path.read_bytes()[:64]:
                problems.append(f"{path.name} is a private key without a passphrase, readable by anyone with a backup")
    except KeyProblem as exc:
        problems.append(str(exc))
    except ValueError as exc:
        problems.append(f"a key file cannot be read ({exc})")
    for name, minimum in (("SECRET_KEY", 32), ("TOKEN_PEPPER", 64), ("SESSION_KEY", 32)):
        if len(str(app.config.get(name) or "")) < minimum:
            problems.append(f"the instance configuration has no proper {name}")
    if problems:
        return Check("keys_present", False, "Keys are incomplete: " + "; ".join(problems) + ".")
    return Check(
        "keys_present",
        True,
        "The Statistics Office public key seals every answer from the moment it is submitted, and its private "
        "key is protected by a passphrase; no other private key lies in the instance folder, so neither the "
        "server nor a copy of its database and instance folder can open an answer. The secret for code "
        "fingerprints is in the instance configuration, not in the database.",
    )


def _sealed_at_rest() -> Check:
    lengths = db.session.execute(select(func.length(Response.sealed), func.count()).group_by(func.length(Response.sealed))).all()
    stored_odd = sum(n for length, n in lengths if not is_well_formed(b"\0" * length))
    stored = sum(n for _, n in lengths)
    pooled, pooled_odd = 0, 0
    for value in db.session.scalars(select(Pool.entries)):
        try:
            entries = unpack(value)
        except Exception:
            pooled_odd += 1
            continue
        pooled += len(entries)
        pooled_odd += sum(1 for entry in entries if not is_well_formed(entry))
    if stored_odd or pooled_odd:
        return Check(
            "responses_sealed",
            False,
            f"{stored_odd} of {stored} stored and {pooled_odd} of {pooled} waiting answers are not sealed "
            "ciphertexts of a fixed size class; they may be readable or may reveal by their size how much "
            "someone answered.",
        )
    return Check(
        "responses_sealed",
        True,
        f"All {stored} stored and {pooled} waiting answers are ciphertexts sealed to the Statistics Office key "
        "and padded to a fixed size class: the web server, the database administrator and a stolen backup "
        "cannot read them, and their size does not tell how many questions someone answered.",
    )


class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def _no_request_logging(app: Flask) -> Check:
    collector = _Collector()
    root = logging.getLogger()
    loggers = [root, app.logger, logging.getLogger("werkzeug"), logging.getLogger("gunicorn.access")]
    saved = [(lg, lg.level) for lg in loggers]
    root.addHandler(collector)
    app.logger.addHandler(collector)
    try:
        for lg in loggers:
            lg.setLevel(logging.DEBUG)
        client = app.test_client()
        for path in RESPONDENT_PATHS:
            client.get(path, headers={"User-Agent": "wir-survey-audit"})
        client.post("/", data={"code": "0000-0000-0000-0000"})
    except Exception as exc:  # the check must report, not crash the audit
        return Check("no_request_logging", False, f"The respondent pages could not be served for the check ({exc}).")
    finally:
        root.removeHandler(collector)
        app.logger.removeHandler(collector)
        for lg, level in saved:
            lg.setLevel(level)
    werkzeug_off = all(logging.getLogger(n).disabled for n in ("werkzeug", "flask_wtf.csrf"))
    if collector.records or not werkzeug_off:
        lines = "; ".join(f"{r.name}: {r.getMessage()[:80]}" for r in collector.records[:3])
        return Check(
            "no_request_logging",
            False,
            "Serving the respondent pages wrote log lines (" + (lines or "the Werkzeug access log is on") + "). "
            "A log line can carry an address or a time that links a person to an answer.",
        )
    return Check(
        "no_request_logging",
        True,
        f"Each respondent page ({', '.join(RESPONDENT_PATHS)}) was served once while every logger listened: "
        "nothing was written. The built-in access log is switched off and the shipped server configuration "
        "keeps no access log, so no address, device or time of a visit is recorded.",
    )


def _counts_reconcile() -> tuple[Check, dict[str, int]]:
    count = lambda stmt: db.session.scalar(stmt) or 0  # noqa: E731
    counts = {
        "issued": count(select(func.count()).select_from(Token)),
        "used": count(select(func.count()).select_from(Token).where(Token.used.is_(True))),
        "pooled": waiting(),
        "stored": count(select(func.count()).select_from(Response)),
    }
    issued, used, pooled, stored = (counts[k] for k in ("issued", "used", "pooled", "stored"))
    story = (
        f"Of {issued} codes issued, {used} have been used; {pooled} answers wait in the mix pool and {stored} "
        f"are stored."
    )
    if issued >= used == pooled + stored:
        return Check(
            "counts_reconcile",
            True,
            story + f" {pooled} + {stored} = {used}: every used code produced exactly one answer, and no answer "
            "exists without a used code.",
        ), counts
    return Check(
        "counts_reconcile",
        False,
        story + " These numbers should satisfy issued ≥ used = pooled + stored, and they do not: answers were "
        "added or removed outside the survey flow.",
    ), counts
