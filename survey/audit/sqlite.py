"""SQLite's own ways of keeping order or history: row numbers, deleted content, journals.

Everything here is asked of the engine, on the app's own connection (which is where the app's
connection settings apply): whether a table answers to `rowid`, what `PRAGMA journal_mode` and
`PRAGMA secure_delete` say, and what lies beside the database file.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path

from ..extensions import db
from ..files import sqlite_file
from . import Check
from .catalog import Catalog, anonymous_tables, describe_table

#: Byte 18 of an SQLite file header is 2 when the file is in write-ahead-log mode, 1 otherwise.
_HEADER_WAL = 2
_JOURNAL_MODES = {
    "wal": "the database runs in write-ahead-log mode (WAL): every change is first appended to a '-wal' file "
           "beside the database, in the order of commits, and stays there until a checkpoint; a copy of the "
           "two files pairs each code that became used with the answer that joined the pool in the same commit",
    "persist": "journal_mode is PERSIST: the journal file is kept after every write, still holding the old "
               "content of the pages that write changed (the pool before the last answer joined it, the code "
               "before it was used)",
    "truncate": "journal_mode is TRUNCATE: the journal file is kept and cut to nothing after every write, instead "
                "of being deleted; wir-survey is built and checked for the default, DELETE",
    "memory": "journal_mode is MEMORY: a crash in the middle of a submit can leave the database corrupt",
    "off": "journal_mode is OFF: a crash in the middle of a submit can leave the database corrupt",
}


def _pragma(name: str) -> object:
    with db.engine.connect() as connection:
        driver = connection.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        return driver.execute(f"PRAGMA {name}").fetchone()[0]


def table_options(live: Catalog) -> Check:
    problems = []
    with_rowid = [describe_table(name) for name in anonymous_tables() if live.tables[name].has_rowid]
    if with_rowid:
        problems.append(
            f"these tables keep a hidden row number (rowid) that records the order of insertion: "
            f"{', '.join(with_rowid)}; the engine itself says so (selecting `rowid` works, and PRAGMA table_list "
            "agrees), whatever the table's SQL text claims"
        )
    if _pragma("secure_delete") != 1:
        problems.append("secure_delete is off on the app's connection, so deleted content (earlier states of the "
                        "mix pool) could be recovered from the database file")
    if problems:
        return Check("database_table_options", False, "On SQLite, " + "; ".join(problems) + ".")
    return Check(
        "database_table_options",
        True,
        "The code, pool and response tables are SQLite WITHOUT ROWID tables (asked of the engine, not read from "
        "their SQL: none answers to `rowid`), so not even a hidden row number records the order of insertion, "
        "and the app's connections run with secure_delete on, which overwrites deleted content (earlier states "
        "of the mix pool) in the file.",
    )


def journal() -> Check:
    mode = str(_pragma("journal_mode")).lower()
    problems = []
    if mode != "delete":
        problems.append(_JOURNAL_MODES.get(mode, f"journal_mode is {mode.upper()}, not DELETE"))
    path = sqlite_file(str(db.engine.url))
    if path is not None and path.exists():
        with path.open("rb") as fh:
            header = fh.read(20)
        if len(header) == 20 and header[18] == _HEADER_WAL and mode != "wal":
            problems.append("the database file itself is marked for write-ahead-log mode (WAL)")
        for suffix, what in (("-wal", "a write-ahead log"), ("-journal", "a rollback journal")):
            leftover = Path(f"{path}{suffix}")
            if leftover.exists() and leftover.stat().st_size > 0:
                problems.append(f"{what} with {leftover.stat().st_size} bytes lies beside the database "
                                f"({leftover.name})")
    if problems:
        return Check(
            "sqlite_journal",
            False,
            "SQLite keeps more history than it should: " + "; ".join(problems) + ". Set the journal back to "
            "DELETE (`PRAGMA journal_mode = DELETE` with wir-survey stopped) and remove what made it change. "
            "A journal exists for a moment during every write; if a submit was being written just now, run the "
            "audit again.",
        )
    return Check(
        "sqlite_journal",
        True,
        "The database uses SQLite's rollback journal in DELETE mode (asked of the app's own connection and of the "
        "file header): during a write, the old content of the changed pages waits in a journal file, which is "
        "deleted as soon as the write is committed, and no journal or write-ahead log lies beside the database "
        "now. A write-ahead log would keep every change in the order of commits until a checkpoint, and a kept "
        "journal the pages of the last write; either could show which code was used together with which answer.",
    )
