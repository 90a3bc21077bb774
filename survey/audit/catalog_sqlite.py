"""The SQLite catalog: `sqlite_master` for what exists, the table and index PRAGMAs for what it is.

Tables and indexes are described from PRAGMA output (columns, keys, WITHOUT ROWID), never from
their SQL text, which keeps comments and would let "WITHOUT ROWID" appear where it has no effect.
Triggers and views exist only as SQL text in SQLite; they are compared as that text with its
whitespace normalised.
"""
from __future__ import annotations

import sqlite3

from sqlalchemy.engine import Connection

from .catalog import Catalog, Column, Entry, ForeignKey, Table, normalise


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _cursor(connection: Connection) -> sqlite3.Cursor:
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver.cursor()


def read(connection: Connection) -> Catalog:
    cursor = _cursor(connection)
    rows = cursor.execute("SELECT type, name, tbl_name, sql FROM main.sqlite_master ORDER BY type, name").fetchall()
    catalog = Catalog()
    for kind, name, table_name, sql in rows:
        if kind == "table":
            catalog.add_table(_table(cursor, name, sql))
        elif kind == "index":
            catalog.add(Entry("index", name, table_name, _index_facts(cursor, name, table_name, sql)))
        elif kind in ("trigger", "view"):
            catalog.add(Entry(kind, name, table_name if kind == "trigger" else "", frozenset({normalise(sql)})))
    return catalog


def has_rowid(cursor: sqlite3.Cursor, table: str) -> bool:
    """Whether `table` keeps a rowid, asked of the engine twice: by selecting it, and (SQLite ≥ 3.37)
    from PRAGMA table_list. A table that either way has one counts as having one."""
    try:
        cursor.execute(f"SELECT rowid FROM {quote(table)} LIMIT 0").fetchall()
        selectable = True
    except sqlite3.OperationalError:
        selectable = False
    try:
        listed = cursor.execute("PRAGMA main.table_list").fetchall()
    except sqlite3.OperationalError:  # SQLite before 3.37
        return selectable
    without = [row[4] for row in listed if row[1] == table]
    return selectable or (bool(without) and not without[0])


def _table(cursor: sqlite3.Cursor, name: str, sql: str | None) -> Table:
    options: set[str] = set()
    if (sql or "").upper().startswith("CREATE VIRTUAL TABLE"):
        options.add(f"virtual table: {normalise(sql)}")
    try:
        info = cursor.execute(f"PRAGMA main.table_xinfo({quote(name)})").fetchall()
    except sqlite3.OperationalError as exc:  # e.g. a virtual table whose module is not loaded
        return Table(name, (), (), None, frozenset(options | {f"unreadable ({exc})"}))
    rowid = has_rowid(cursor, name)
    keys = [row for row in info if row[5]]
    columns = []
    for _cid, column, declared, not_null, default, pk, hidden in info:
        declared = (declared or "").upper()
        # The one INTEGER PRIMARY KEY of a rowid table is the rowid itself: it counts upward.
        alias = rowid and pk and len(keys) == 1 and declared == "INTEGER"
        columns.append(Column(column, declared, bool(not_null), default, bool(pk), bool(alias), hidden in (2, 3)))
    foreign: dict[int, list[tuple]] = {}
    for row in cursor.execute(f"PRAGMA main.foreign_key_list({quote(name)})").fetchall():
        foreign.setdefault(row[0], []).append(row)
    fks = tuple(
        ForeignKey(tuple(r[3] for r in group), group[0][2], tuple(r[4] or "" for r in group))
        for _, group in sorted(foreign.items())
    )
    return Table(name, tuple(columns), fks, rowid, frozenset(options))


def _index_facts(cursor: sqlite3.Cursor, name: str, table: str, sql: str | None) -> frozenset[str]:
    listed = {row[1]: row for row in cursor.execute(f"PRAGMA main.index_list({quote(table)})").fetchall()}
    _seq, _name, unique, origin, partial = listed.get(name, (0, name, 0, "c", 0))
    keys = [row for row in cursor.execute(f"PRAGMA main.index_xinfo({quote(name)})").fetchall() if row[5]]
    columns = ", ".join(row[2] if row[2] is not None else "<expression>" for row in keys)
    facts = {f"{'unique ' if unique else ''}index on {table} ({columns})"}
    if partial or any(row[2] is None for row in keys):
        facts.add(normalise(sql))
    return frozenset(facts)
