"""`wir-survey audit`: checks the guarantees on the live database, server and configuration (G6).

Every check explains itself in plain sentences, for a staff councillor to read: what was looked at,
what was found, and why it matters. The audit reads what the engine itself reports (its catalog,
its settings, the files on disk) and never trusts SQL text or configuration files alone: a comment
can claim WITHOUT ROWID, a log setting can be overridden per database, a copy of the codes table
can sit beside the real one. What the migrations create is the reference: the audit builds it by
running them on an empty database of the same engine, so a table added by a later migration needs
no change here.

The modules: `catalog*` read the engine's catalog, `schema` compares it with the reference and
checks the anonymous tables, `sqlite` and `postgres` check each engine's own ways of keeping
order or history, `stored` the sealed answers and the counts, `keys` and `files` the instance
folder, `logs` everything that could write a line about a request, `staff` the staff's own
records: the staff log's chain and the council's approvals (G5).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TypeVar

from flask import Flask

from ..extensions import db

T = TypeVar("T")


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


def run_audit(app: Flask, passphrase: str | None = None) -> AuditReport:
    """Run every check inside the app's context; with `passphrase`, also open every answer.

    A check that cannot complete (an unreadable table, a refused query) fails with the reason
    instead of stopping the audit: a councillor must see every other result too."""
    from . import files, keys, logs, postgres, schema, sqlite, staff, stored

    report = AuditReport()
    structure = guarded("schema_matches_migrations", schema.read_structure)
    if isinstance(structure, Check):
        report.checks.append(structure)
        structure = None
    else:
        report.checks += schema.checks(structure)
    present = structure is not None and structure.anonymous_tables_present
    if present:
        dialect = db.engine.dialect.name
        if dialect == "sqlite":
            report.checks.append(guarded("database_table_options", sqlite.table_options, structure.live))
        else:
            report.checks.append(guarded("database_table_options", postgres.table_options))
        report.checks.append(guarded("responses_sealed", stored.sealed_at_rest))
        if passphrase is not None:
            report.checks.append(guarded("answers_open", stored.answers_open, app, passphrase))
    if db.engine.dialect.name == "sqlite":
        report.checks.append(guarded("sqlite_journal", sqlite.journal))
    if db.engine.dialect.name == "postgresql":
        report.checks += _server_checks()
    report.checks += [
        guarded("keys_present", keys.keys_present, app),
        guarded("file_modes", files.file_modes, app),
        guarded("app_logging", logs.app_logging, app),
        guarded("gunicorn_logging", logs.gunicorn_logging),
        guarded("no_request_logging", logs.no_request_logging, app),
        guarded("staff_log_chain", staff.staff_log_chain),
        guarded("waves_approved", staff.waves_approved),
    ]
    if present:
        counts = guarded("counts_reconcile", stored.counts_reconcile)
        if isinstance(counts, Check):
            report.checks.append(counts)
        else:
            check, report.counts = counts
            report.checks.append(check)
    return report


def _server_checks() -> list[Check]:
    from . import postgres

    facts = guarded("postgres_settings", postgres.read_server_facts)
    if isinstance(facts, Check):
        return [facts]
    return postgres.server_checks(facts)


def guarded(name: str, function: Callable[..., T], *args: object) -> T | Check:
    """`function(*args)`, or a failing check named `name` that says why it could not run."""
    try:
        return function(*args)
    except Exception as exc:  # the audit reports every failure; it never stops half-way
        db.session.rollback()
        return Check(
            name,
            False,
            f"This check could not be completed ({type(exc).__name__}: {str(exc)[:300]}). Whatever stopped it "
            "needs to be looked at before the audit can vouch for this part.",
        )
