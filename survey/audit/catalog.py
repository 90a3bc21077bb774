"""What a database holds, as its engine's catalog reports it, and what the migrations create.

The catalog is what the engine itself uses, so it cannot be talked round: a table keeps a rowid or
not, a trigger exists or not, whatever a comment in its SQL says. Each object becomes an `Entry`:
its kind, its name, the table it belongs to, and a set of plain facts (a column with its type, a
foreign key, a storage option, a trigger's normalised definition). Two catalogs are compared fact
by fact.

The reference catalog is built by running the Alembic migrations on an empty database of the same
engine: an in-memory SQLite database, or on PostgreSQL a temporary schema inside a transaction
that is rolled back. Whatever a later migration adds is therefore expected without any change to
the audit, and whatever no migration creates stands out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from alembic import command
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from ..database import alembic_config
from ..models import ANONYMOUS_COLUMNS

#: How the audit names the anonymous tables to a reader who does not know the schema.
TABLE_NAMES = {"tokens": "codes", "pool": "mix pool", "responses": "responses"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    not_null: bool = False
    default: str | None = None
    primary_key: bool = False
    #: filled from a sequence, an identity, or (SQLite) an alias of the rowid
    sequential: bool = False
    generated: bool = False

    def fact(self) -> str:
        parts = [f"column {self.name} {self.type}"]
        if self.not_null:
            parts.append("not null")
        if self.default is not None:
            parts.append(f"default {self.default}")
        if self.primary_key:
            parts.append("primary key")
        if self.sequential:
            parts.append("filled from a counter")
        if self.generated:
            parts.append("computed")
        return " ".join(parts)


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str
    referred: tuple[str, ...]

    def fact(self) -> str:
        return f"foreign key ({', '.join(self.columns)}) to {self.table} ({', '.join(self.referred)})"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    #: whether a hidden row number records insertion order (SQLite); None where the engine has none
    has_rowid: bool | None = None
    #: engine-specific facts: storage options, constraints, persistence
    options: frozenset[str] = frozenset()

    def facts(self) -> frozenset[str]:
        facts = {c.fact() for c in self.columns} | {fk.fact() for fk in self.foreign_keys} | set(self.options)
        if self.has_rowid is not None:
            facts.add("a hidden row number (rowid)" if self.has_rowid else "WITHOUT ROWID")
        return frozenset(facts)


@dataclass(frozen=True)
class Entry:
    """One object of the catalog. `on` is the table a trigger, index or rule belongs to."""

    kind: str
    name: str
    on: str = ""
    facts: frozenset[str] = frozenset()


@dataclass
class Catalog:
    tables: dict[str, Table] = field(default_factory=dict)
    #: keyed by (kind, table it belongs to, name): trigger and rule names are unique per table only
    entries: dict[tuple[str, str, str], Entry] = field(default_factory=dict)
    #: kinds that live in the database as a whole (extensions, publications, ...): only extras count
    database_wide: frozenset[str] = frozenset()

    def add(self, entry: Entry) -> None:
        self.entries[(entry.kind, entry.on, entry.name)] = entry

    def add_table(self, table: Table, kind: str = "table") -> None:
        self.tables[table.name] = table
        self.add(Entry(kind, table.name, "", table.facts()))


def normalise(sql: str | None) -> str:
    """SQL text with runs of whitespace made single spaces and no final semicolon: the same definition
    compares equal however it was laid out."""
    return " ".join((sql or "").split()).rstrip(";").rstrip()


def read_catalog(connection: Connection) -> Catalog:
    if connection.dialect.name == "sqlite":
        from . import catalog_sqlite

        return catalog_sqlite.read(connection)
    if connection.dialect.name == "postgresql":
        from . import catalog_postgres

        return catalog_postgres.read_live(connection)
    raise NotImplementedError(f"the audit knows SQLite and PostgreSQL, not {connection.dialect.name}")


def migrate(connection: Connection) -> None:
    """Run every migration on `connection`, in its transaction (the caller commits or rolls back)."""
    command.upgrade(alembic_config(connection), "head")


def reference_catalog(engine: Engine) -> Catalog:
    """The catalog the migrations create on an empty database of `engine`'s kind."""
    if engine.dialect.name == "sqlite":
        from . import catalog_sqlite

        scratch = create_engine("sqlite://", poolclass=StaticPool)
        try:
            with scratch.begin() as connection:
                migrate(connection)
                return catalog_sqlite.read(connection)
        finally:
            scratch.dispose()
    if engine.dialect.name == "postgresql":
        from . import catalog_postgres

        return catalog_postgres.read_reference(engine, migrate)
    raise NotImplementedError(f"the audit knows SQLite and PostgreSQL, not {engine.dialect.name}")


def describe_table(name: str) -> str:
    plain = TABLE_NAMES.get(name)
    return f"the {plain} table ('{name}')" if plain else f"the table '{name}'"


def _describe(entry: Entry) -> str:
    if entry.kind == "table" and entry.name in TABLE_NAMES:
        return f"{TABLE_NAMES[entry.name]} table ('{entry.name}')"
    where = f" on {describe_table(entry.on)}" if entry.on else ""
    return f"{entry.kind} '{entry.name}'{where}"


def differences(live: Catalog, reference: Catalog) -> list[str]:
    """Every way `live` differs from `reference`, each as a phrase a councillor can read."""
    found = []
    for key, entry in sorted(live.entries.items()):
        expected = reference.entries.get(key)
        if expected is None:
            found.append(f"an extra {_describe(entry)}{_detail(entry)}")
        elif entry.facts != expected.facts:
            extra = sorted(entry.facts - expected.facts)
            lacking = sorted(expected.facts - entry.facts)
            parts = []
            if extra:
                parts.append("it has " + "; ".join(_short(f) for f in extra))
            if lacking:
                parts.append("the migrations give it " + "; ".join(_short(f) for f in lacking))
            found.append(f"the {_describe(entry)} differs from what the migrations create ({', '.join(parts)})")
    for key, entry in sorted(reference.entries.items()):
        if key not in live.entries and entry.kind not in reference.database_wide:
            found.append(f"the {_describe(entry)} that the migrations create is missing")
    return found


def _detail(entry: Entry) -> str:
    if entry.kind in ("table", "view", "materialized view", "foreign table"):
        columns = sorted(f.split(" ")[1] for f in entry.facts if f.startswith("column "))
        return f" (columns: {', '.join(columns)})" if columns else ""
    if len(entry.facts) == 1:
        return f": {_short(next(iter(entry.facts)))}"
    return ""


def _short(fact: str, limit: int = 240) -> str:
    return fact if len(fact) <= limit else fact[: limit - 1] + "…"


def anonymous_tables() -> tuple[str, ...]:
    return tuple(ANONYMOUS_COLUMNS)


_QUALIFIED = "(?<![\\w\"]){0}\\."


def strip_schema(text: str, schema: str) -> str:
    """`text` with `schema.` and `"schema".` qualifications removed, so two schemas compare equal."""
    pattern = re.compile(_QUALIFIED.format(f"(?:\"{re.escape(schema)}\"|{re.escape(schema)})"))
    return pattern.sub("", text)
