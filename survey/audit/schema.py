"""The schema as the engine reports it: exactly what the migrations create, and anonymous tables
that can hold nothing that links or orders.

The allow-list is the migrations themselves (see `catalog`): any table, view, trigger, index, rule,
sequence, function, publication or event trigger beyond what they create fails, and so does any
table whose columns, keys or storage options differ. The checks after it look only at the three
anonymous tables (`survey.models.ANONYMOUS_COLUMNS`) and say in plain words what they can hold.
"""
from __future__ import annotations

import re
import uuid
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import text

from ..extensions import db
from ..models import ANONYMOUS_COLUMNS
from . import Check, guarded
from .catalog import Catalog, Table, anonymous_tables, describe_table, differences, read_catalog, reference_catalog

_TIME_NAME = re.compile(r"(time|date|stamp|created|updated|modified|_at$|when|seen|(^|_)ip($|_)|agent|addr)", re.I)
_TIME_TYPE = re.compile(r"(date|time|interval)", re.I)
_TIME_DEFAULT = re.compile(
    r"(now\s*\(|current_(timestamp|date|time)|localtime|strftime|julianday|unixepoch|clock_timestamp|"
    r"statement_timestamp|transaction_timestamp|datetime\s*\()",
    re.I,
)
_INTEGER = re.compile(r"int", re.I)


@dataclass
class Structure:
    live: Catalog
    reference: Catalog | None
    reference_problem: str | None = None

    @property
    def anonymous_tables_present(self) -> bool:
        return all(name in self.live.tables for name in anonymous_tables())


def read_structure() -> Structure:
    """The live catalog, and the reference the migrations create (or why it could not be built)."""
    with db.engine.connect() as connection:
        live = read_catalog(connection)
    try:
        return Structure(live, reference_catalog(db.engine))
    except Exception as exc:  # e.g. a role that may not create a schema: reported, not raised
        return Structure(live, None, f"{type(exc).__name__}: {str(exc)[:300]}")


def checks(structure: Structure) -> list[Check]:
    found = [schema_matches_migrations(structure)]
    missing = [name for name in anonymous_tables() if name not in structure.live.tables]
    if missing:
        found.append(Check(
            "schema_present", False,
            f"The tables {', '.join(missing)} do not exist: run `wir-survey init` to create the database schema.",
        ))
        return found
    tables = {name: structure.live.tables[name] for name in anonymous_tables()}
    return found + [guarded(check.__name__, check, tables)
                    for check in (no_time_columns, no_link_between_codes_and_responses, no_sequential_keys)]


def schema_matches_migrations(structure: Structure) -> Check:
    engine = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(db.engine.dialect.name, db.engine.dialect.name)
    if structure.reference is None:
        return Check(
            "schema_matches_migrations",
            False,
            f"To know what should exist, the audit runs the migrations on an empty {engine} database; that failed "
            f"({structure.reference_problem}). On PostgreSQL the database role of wir-survey must be allowed to "
            "create a schema (it is created and rolled back inside one transaction). Without the reference the "
            "audit cannot show that no extra table, trigger or copy exists.",
        )
    found = differences(structure.live, structure.reference)
    if found:
        return Check(
            "schema_matches_migrations",
            False,
            f"The database holds things the migrations of wir-survey do not create: {'; '.join(found)}. Any "
            "of these could copy codes, note when a code was used, or keep the order in which answers arrived, "
            "which is exactly the link the survey promises never to keep. Remove them (if a newer version of "
            "wir-survey is installed, first run `wir-survey init` to finish its migrations) and run the audit "
            "again.",
        )
    kinds = Counter(entry.kind for entry in structure.live.entries.values())
    listed = ", ".join(f"{n} {_plural(kind) if n != 1 else kind}" for kind, n in sorted(kinds.items()))
    return Check(
        "schema_matches_migrations",
        True,
        f"The audit ran wir-survey's migrations on an empty {engine} database and compared what they create "
        f"with what this database really holds, as the database engine itself lists it ({listed}). They match "
        "in every table, column, key, index, trigger and storage option. There is no extra table (such as a "
        "copy of the codes), no trigger, rule or function that could copy a code's use elsewhere, and no view, "
        "publication or other object the migrations do not make.",
    )


def _plural(kind: str) -> str:
    return kind + ("es" if kind.endswith(("x", "s")) else "s")


def no_time_columns(tables: dict[str, Table]) -> Check:
    found = []
    for name, table in tables.items():
        for column in table.columns:
            if _TIME_TYPE.search(column.type) or _TIME_NAME.search(column.name):
                found.append(f"{describe_table(name)} has a column '{column.name}' ({column.type})")
            elif column.default and _TIME_DEFAULT.search(column.default):
                found.append(f"{describe_table(name)} fills column '{column.name}' with {column.default}")
    if found:
        return Check(
            "no_time_columns",
            False,
            "Found: " + "; ".join(found) + ". A date, time or client detail next to codes or answers could show "
            "when or from where someone answered, and so who. Remove it.",
        )
    return Check(
        "no_time_columns",
        True,
        "None of the tables for codes, the mix pool or the responses has a column for a date, a time, an IP "
        "address or a device, and no column is filled with the current time, so nothing records when or from "
        "where someone answered.",
    )


def no_link_between_codes_and_responses(tables: dict[str, Table]) -> Check:
    problems = []
    for name, table in tables.items():
        extra = sorted({c.name for c in table.columns} - ANONYMOUS_COLUMNS[name])
        if extra:
            problems.append(f"{describe_table(name)} has extra columns {', '.join(extra)}")
        for fk in table.foreign_keys:
            if fk.table in ANONYMOUS_COLUMNS:
                problems.append(f"{describe_table(name)} refers to {describe_table(fk.table)}")
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


def no_sequential_keys(tables: dict[str, Table]) -> Check:
    problems = []
    for name, table in tables.items():
        by_wave = {fk.columns for fk in table.foreign_keys if fk.table == "waves"}
        for column in table.columns:
            if column.sequential:
                problems.append(f"{describe_table(name)} fills its column '{column.name}' from a counter")
            elif column.primary_key and _INTEGER.search(column.type) and (column.name,) not in by_wave:
                problems.append(f"{describe_table(name)} is keyed by '{column.name}', a number that can count upward")
    not_random = _responses_not_uuid4() if "responses" in tables else 0
    if not_random:
        problems.append(f"{not_random} stored responses have ids that are not random UUIDs (version 4)")
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
        "Codes are keyed by their fingerprint, the pool by its wave (one row per wave) and stored answers by "
        "random numbers (UUID version 4, each checked), and no column is filled from a counter, so no key shows "
        "in which order codes were used or answers arrived.",
    )


def _responses_not_uuid4() -> int:
    count = 0
    with db.engine.connect() as connection:
        for (value,) in connection.execution_options(yield_per=1000).execute(text("SELECT id FROM responses")):
            try:
                key = uuid.UUID(bytes=value) if isinstance(value, bytes) and len(value) == 16 else uuid.UUID(str(value))
            except (TypeError, ValueError):
                count += 1
                continue
            if key.version != 4 or key.variant != uuid.RFC_4122:
                count += 1
    return count
