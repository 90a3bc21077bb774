"""PostgreSQL keeps what SQLite does not: statement logs, commit times, the write-ahead log, old row versions.

Each submit is one transaction that marks a code used (its row holds the code's fingerprint) and
rewrites the wave's pool with the new sealed answer in it. Anything that logs that transaction's
statements, dates it, or keeps it beyond its need keeps the link between a code and an answer.
The settings are read from the app's own connection, in `pg_settings`, so that overrides for the
database (`ALTER DATABASE … SET`) and for the app's role count as they do for the app; the checks
themselves take a plain `ServerFacts`, so each can be shown failing without changing a server.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import text

from ..extensions import db
from . import Check
from .catalog import anonymous_tables

LOGGING_LIBRARIES = ("auto_explain", "pgaudit")
PRELOAD = ("shared_preload_libraries", "session_preload_libraries", "local_preload_libraries")


@dataclass(frozen=True)
class ServerFacts:
    """What the server says about itself, as the app's connection sees it."""

    #: name -> value as SHOW prints it (with its unit), from pg_settings
    settings: Mapping[str, str]
    #: e.g. "standby1 (physical, active)"
    slots: tuple[str, ...] = ()
    #: publication -> the anonymous tables it covers
    publications: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: anonymous table -> its storage options, the TOAST table's prefixed "toast."
    reloptions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: anonymous table -> old row versions not yet cleared by vacuum
    dead_rows: Mapping[str, int] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        return str(self.settings.get(name, default))


def read_server_facts() -> ServerFacts:
    names = list(anonymous_tables())
    with db.engine.connect() as connection:
        settings = {name: value for name, value in connection.execute(text(
            "SELECT name, current_setting(name) FROM pg_settings")).all()}
        slots = tuple(f"{name} ({kind}{', active' if active else ''})" for name, kind, active in connection.execute(
            text("SELECT slot_name::text, slot_type, active FROM pg_replication_slots")).all())
        publications: dict[str, tuple[str, ...]] = {}
        for name, table in connection.execute(text(
                "SELECT pubname::text, tablename::text FROM pg_publication_tables "
                "WHERE schemaname = current_schema() AND tablename = ANY(:names)"), {"names": names}).all():
            publications[name] = (*publications.get(name, ()), table)
        reloptions = {name: tuple(own or ()) + tuple(f"toast.{o}" for o in toast or ()) for name, own, toast in
                      connection.execute(text(
                          "SELECT c.relname::text, c.reloptions, t.reloptions FROM pg_class c "
                          "LEFT JOIN pg_class t ON t.oid = c.reltoastrelid "
                          "WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(:names)"),
                          {"names": names}).all()}
        dead = dict(connection.execute(text(
            "SELECT relname::text, n_dead_tup FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema() AND relname = ANY(:names)"), {"names": names}).all())
    return ServerFacts(settings, slots, publications, reloptions, dead)


def server_checks(facts: ServerFacts) -> list[Check]:
    return [statement_logging(facts), commit_timestamps(facts), wal_retention(facts), vacuum(facts)]


def _number(value: str) -> float:
    """The number at the front of a setting as SHOW prints it ('-1', '0', '250ms', '0.5')."""
    digits = ""
    for char in value.strip():
        if char.isdigit() or char in "-.":
            digits += char
        else:
            break
    try:
        return float(digits)
    except ValueError:
        return 0.0


def _on(value: str) -> bool:
    return value.strip().lower() in ("on", "true", "yes", "1", "always")


def _libraries(facts: ServerFacts) -> list[str]:
    loaded = []
    for setting in PRELOAD:
        names = [n.strip().strip("'\"").lower() for n in facts.get(setting).split(",") if n.strip()]
        loaded += [f"{name} (in {setting})" for name in names if any(name.endswith(lib) for lib in LOGGING_LIBRARIES)]
    for library in LOGGING_LIBRARIES:
        if any(name.startswith(f"{library}.") for name in facts.settings) and not any(library in x for x in loaded):
            loaded.append(f"{library} (loaded into the session)")
    return loaded


def statement_logging(facts: ServerFacts) -> Check:
    found = []
    if facts.get("log_statement", "none").lower() not in ("none", "ddl"):
        found.append(f"log_statement = '{facts.get('log_statement')}' writes every "
                     f"{'data-changing ' if facts.get('log_statement').lower() == 'mod' else ''}statement, with the "
                     "code's fingerprint as a parameter of each submit")
    if _number(facts.get("log_min_duration_statement", "-1")) >= 0:
        found.append(f"log_min_duration_statement = {facts.get('log_min_duration_statement')} writes every statement "
                     "that takes at least that long, with its parameters")
    # log_statement_sample_rate (1 by default) only acts together with log_min_duration_sample.
    sampled = _number(facts.get("log_min_duration_sample", "-1")) >= 0
    if sampled and _number(facts.get("log_statement_sample_rate", "1")) > 0:
        found.append(f"log_min_duration_sample = {facts.get('log_min_duration_sample')} with log_statement_sample_rate "
                     f"= {facts.get('log_statement_sample_rate')} writes a sample of statements, with parameters")
    if _number(facts.get("log_transaction_sample_rate", "0")) > 0:
        found.append(f"log_transaction_sample_rate = {facts.get('log_transaction_sample_rate')} writes every statement "
                     "of a sample of transactions, submits included")
    if _on(facts.get("log_duration", "off")):
        found.append("log_duration = on writes a timed line for every statement, so for every submit")
    if _number(facts.get("log_parameter_max_length_on_error", "0")) != 0:
        found.append(f"log_parameter_max_length_on_error = {facts.get('log_parameter_max_length_on_error')} writes the "
                     "parameters of a failed statement (a submit that lost a race names its code's fingerprint)")
    for name in ("log_min_messages", "log_min_error_statement"):
        if facts.get(name, "warning").lower().startswith("debug"):
            found.append(f"{name} = {facts.get(name)} writes a line for every statement the server runs")
    for name in ("debug_print_parse", "debug_print_rewritten", "debug_print_plan"):
        if _on(facts.get(name, "off")):
            found.append(f"{name} = on writes each query's inner form, values included")
    found += [f"{library} writes statements to the server log" for library in _libraries(facts)]
    if found:
        return Check(
            "postgres_statement_logging",
            False,
            "The PostgreSQL server logs what the app does: " + "; ".join(found) + ". Each such line carries the time "
            "of a submit and can carry the code's fingerprint, which with the instance's pepper names the code, and "
            "so the person it was given to. Reset these settings (also per database and per role: "
            "`ALTER DATABASE … RESET …`, `ALTER ROLE … RESET …`) and reload the server.",
        )
    connections = "on" if _on(facts.get("log_connections", "off")) else "off"
    libraries = ", ".join(n.strip() for setting in PRELOAD for n in facts.get(setting).split(",") if n.strip())
    return Check(
        "postgres_statement_logging",
        True,
        f"The PostgreSQL server, as the app's own connection sees it (database and role overrides included), logs "
        f"no statements: log_statement is '{facts.get('log_statement', 'none')}', no statement is logged for its "
        "duration or by sampling or at a debug level, failed statements are logged without their parameters, and "
        f"neither auto_explain nor pgaudit is loaded (libraries loaded: {libraries or 'none'}). A statement line "
        "would carry the time of a submit and the code's fingerprint. "
        f"Connection logging is {connections}, which is fine: only the app server connects to the database, so a "
        "connection line names the app server, never a respondent.",
    )


def commit_timestamps(facts: ServerFacts) -> Check:
    if _on(facts.get("track_commit_timestamp", "off")):
        return Check(
            "postgres_commit_timestamps",
            False,
            "track_commit_timestamp is on: PostgreSQL notes the time of every transaction's commit and keeps it with "
            "the transaction's number. Every submit is one transaction that marks a code used and adds the answer "
            "to the pool, so the database dates the moment each code was used and each answer arrived. Set it to "
            "off in postgresql.conf and restart the server.",
        )
    return Check(
        "postgres_commit_timestamps",
        True,
        "track_commit_timestamp is off: PostgreSQL keeps no time of commit for any transaction, so nothing in the "
        "database dates when a code was used or an answer arrived.",
    )


def wal_retention(facts: ServerFacts) -> Check:
    found = []
    if facts.get("archive_mode", "off").lower() in ("on", "always"):
        found.append(f"archive_mode = {facts.get('archive_mode')} copies every finished WAL segment elsewhere "
                     "(archive_command), where it stays as long as the archive keeps it")
    if _number(facts.get("wal_keep_size", "0")) > 0:
        found.append(f"wal_keep_size = {facts.get('wal_keep_size')} keeps that much WAL beyond the last checkpoint "
                     "for standby servers")
    if facts.slots:
        found.append(f"replication slots ({', '.join(facts.slots)}) keep all WAL until their consumer has read it")
    for name, tables in sorted(facts.publications.items()):
        found.append(f"the publication '{name}' sends every change to {', '.join(tables)} to its subscribers")
    story = _wal_story(facts)
    if found:
        return Check(
            "postgres_wal_retention",
            False,
            "The server keeps the write-ahead log beyond its need, or sends it on: " + "; ".join(found) + ". "
            + story + " Kept WAL pairs each code that was used with the answer that joined the pool in the same "
            "transaction. Switch archiving off, set wal_keep_size to 0, drop the slots and publications.",
        )
    return Check(
        "postgres_wal_retention",
        True,
        "The server keeps the write-ahead log no longer than it needs it: no archiving (archive_mode "
        f"{facts.get('archive_mode', 'off')}), wal_keep_size {facts.get('wal_keep_size', '0')}, no replication slots, "
        "and no publication of the code, pool or response tables. " + story + " The WAL therefore holds the last "
        "submits at least until the next checkpoint, and in segments kept for reuse until they are overwritten "
        "(wal_recycle = off deletes them instead): it is part of the running server, like its memory. Back up with "
        "pg_dump, which copies current rows only, never with a copy of the data directory.",
    )


def _wal_story(facts: ServerFacts) -> str:
    """What the WAL holds of a submit and how long, with this server's own numbers."""
    if _on(facts.get("wal_recycle", "on")):
        after = ("then it is renamed for reuse (wal_recycle on) and overwritten only as new WAL is written; "
                 f"PostgreSQL keeps at least min_wal_size {facts.get('min_wal_size', '80MB')} of such segments, more "
                 "after busy periods")
    else:
        after = "then it is deleted (wal_recycle off)"
    return (
        "Every change is first written to PostgreSQL's write-ahead log (WAL), in the order of commits: for a "
        "submit, the code's row with its fingerprint becoming 'used' and the wave's pool with the new sealed answer, "
        "in one transaction. A WAL segment is needed until the checkpoint after it (checkpoint_timeout "
        f"{facts.get('checkpoint_timeout', '5min')}, or sooner once max_wal_size {facts.get('max_wal_size', '1GB')} "
        f"of WAL has been written); {after}. wal_keep_size ({facts.get('wal_keep_size', '0')}) and replication "
        "slots keep segments longer, archiving keeps copies."
    )


def vacuum(facts: ServerFacts) -> Check:
    found = []
    if not _on(facts.get("autovacuum", "on")):
        found.append("autovacuum is off for the whole server")
    if not _on(facts.get("track_counts", "on")):
        found.append("track_counts is off, without which autovacuum never starts")
    for table, options in sorted(facts.reloptions.items()):
        for option in options:
            if option.replace(" ", "").lower() in ("autovacuum_enabled=false", "autovacuum_enabled=off",
                                                   "toast.autovacuum_enabled=false", "toast.autovacuum_enabled=off"):
                found.append(f"autovacuum is switched off for the table '{table}' ({option})")
    dead = ", ".join(f"{t} {n}" for t, n in sorted(facts.dead_rows.items()) if n)
    waiting = f" Right now old row versions wait to be cleared: {dead}." if dead else ""
    story = (
        "PostgreSQL never changes a row in place: each submit leaves the code's previous row and the wave's previous "
        "pool (the waiting answers before this one arrived) behind in the table file until vacuum clears them."
    )
    if found:
        return Check(
            "postgres_vacuum",
            False,
            "Old row versions are never cleared: " + "; ".join(found) + ". " + story + " Kept, they show the pool "
            "growing answer by answer, so a copy of the data files orders the answers by arrival." + waiting,
        )
    return Check(
        "postgres_vacuum",
        True,
        "Autovacuum is on for the server and for the code, pool and response tables. " + story + " Autovacuum "
        "clears them soon after, and PostgreSQL reuses the space; it does not promise to erase it at once, which is "
        "one more reason a copy of the data directory counts as a copy of the running server." + waiting,
    )


def table_options() -> Check:
    return Check(
        "database_table_options",
        True,
        "The database is PostgreSQL: responses are inserted only in shuffled batches, so all responses of a batch "
        "share one transaction and their physical order is random, and the used codes of a wave are rewritten in "
        "the same transaction, so no transaction number orders them either.",
    )
