"""The PostgreSQL catalog: every object outside the system schemas, and the database-wide ones.

Relations (tables, views, indexes, sequences, foreign tables), triggers, rules and functions are
read in every schema but the system ones, because a copy of the codes in another schema is as much
a copy. Definitions come from PostgreSQL's own `pg_get_*def` functions, read with the search path
set to the schema in question and that schema's name stripped, so the live schema and the
reference schema compare equal when they hold the same thing. Extensions, publications, event
triggers, foreign servers and large objects belong to the database as a whole.

The reference is built inside one transaction: a temporary schema, the search path set to it, the
migrations run, the catalog read, and everything rolled back. Nothing of it is ever visible to
another session, and the live tables are not touched.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from .catalog import Catalog, Column, Entry, ForeignKey, Table, normalise, strip_schema

#: Everything but PostgreSQL's own schemas (temporary schemas of other sessions included).
USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'"
NOT_FROM_EXTENSION = (
    "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{catalog}'::regclass AND d.objid = {oid} "
    "AND d.deptype = 'e')"
)
RELATION_KINDS = {
    "r": "table", "p": "table", "f": "foreign table", "v": "view", "m": "materialized view",
    "i": "index", "I": "index", "S": "sequence", "c": "composite type",
}
DATABASE_WIDE = frozenset({"extension", "publication", "event trigger", "foreign server", "large object"})
#: What an empty database brings with it: the procedural language every PostgreSQL installs.
BASELINE = (Entry("extension", "plpgsql"),)


def read_live(connection: Connection) -> Catalog:
    """The catalog of the database the app uses, its own schema being `current_schema()`."""
    transaction = connection.begin()
    try:
        connection.execute(text("SET TRANSACTION READ ONLY"))
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        connection.execute(text(f"SET LOCAL search_path TO {_ident(schema)}"))
        catalog = _read(connection, schema, only_own=False)
        for entry in _database_wide(connection).values():
            catalog.add(entry)
    finally:
        transaction.rollback()
    catalog.database_wide = DATABASE_WIDE
    return catalog


def read_reference(engine: Engine, migrate: Callable[[Connection], None]) -> Catalog:
    """Run the migrations into a temporary schema, read what they made, and roll it all back."""
    schema = f"wir_audit_reference_{secrets.token_hex(6)}"
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            before = _database_wide(connection)
            connection.execute(text(f"CREATE SCHEMA {_ident(schema)}"))
            connection.execute(text(f"SET LOCAL search_path TO {_ident(schema)}"))
            migrate(connection)
            catalog = _read(connection, schema, only_own=True)
            created = {key: entry for key, entry in _database_wide(connection).items() if key not in before}
        finally:
            transaction.rollback()
    catalog.database_wide = DATABASE_WIDE
    for entry in BASELINE:
        catalog.add(entry)
    for entry in created.values():
        catalog.add(entry)
    return catalog


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read(connection: Connection, schema: str, only_own: bool) -> Catalog:
    where = "n.nspname = :schema" if only_own else USER_SCHEMAS

    def rows(sql: str) -> list:
        return list(connection.execute(text(sql.format(where=where)), {"schema": schema}).all())

    def name_of(namespace: str, name: str) -> str:
        return name if namespace == schema else f"{namespace}.{name}"

    def clean(definition: str | None) -> str:
        return normalise(strip_schema(definition or "", schema))

    columns: dict[tuple[str, str], list[Column]] = {}
    for namespace, relation, column, type_, not_null, default, identity, generated in rows(_COLUMNS):
        default = clean(default) if default is not None else None
        sequential = identity in ("a", "d") or "nextval(" in (default or "")
        columns.setdefault((namespace, relation), []).append(
            Column(column, type_, not_null, default, False, sequential, generated == "s")
        )
    constraints: dict[tuple[str, str], list[tuple]] = {}
    for namespace, relation, *rest in rows(_CONSTRAINTS):
        constraints.setdefault((namespace, relation), []).append(tuple(rest))

    catalog = Catalog()
    for namespace, relation, kind, persistence, identity, security, options, toast, view, index, on in rows(_RELATIONS):
        name, plain = name_of(namespace, relation), RELATION_KINDS[kind]
        if plain in ("table", "foreign table"):
            catalog.add_table(
                _table(name, kind, columns.get((namespace, relation), []), constraints.get((namespace, relation), []),
                       persistence, identity, security, options, toast, schema, clean), plain
            )
            if namespace != schema:
                catalog.tables.pop(name, None)  # only the app's own schema holds the app's tables
        elif plain in ("view", "materialized view"):
            facts = {clean(view)} | {c.fact() for c in columns.get((namespace, relation), [])}
            catalog.add(Entry(plain, name, "", frozenset(facts)))
        elif plain == "index":
            catalog.add(Entry("index", name, name_of(namespace, on), frozenset({clean(index)})))
        else:
            catalog.add(Entry(plain, name))
    for namespace, relation, trigger, definition, enabled in rows(_TRIGGERS):
        state = {"D": "disabled", "R": "fires only on a replica", "A": "fires always, on replicas too"}.get(enabled)
        facts = {clean(definition)} | ({state} if state else set())
        catalog.add(Entry("trigger", trigger, name_of(namespace, relation), frozenset(facts)))
    for namespace, relation, rule, definition in rows(_RULES):
        catalog.add(Entry("rule", rule, name_of(namespace, relation), frozenset({clean(definition)})))
    for namespace, function, definition in rows(_FUNCTIONS):
        catalog.add(Entry("function", name_of(namespace, function), "", frozenset({clean(definition)})))
    return catalog


def _table(name: str, kind: str, columns: list[Column], constraints: list[tuple], persistence: str, identity: str,
           security: bool, options: list[str] | None, toast: list[str] | None, schema: str,
           clean: Callable[[str | None], str]) -> Table:
    """A relation's columns and keys, and as facts its constraints and every storage setting that differs."""
    keys: set[str] = set()
    facts: set[str] = set()
    foreign = []
    for constraint, type_, definition, own, referred_namespace, referred, referred_columns in constraints:
        facts.add(f"constraint {constraint}: {clean(definition)}")
        if type_ == "p":
            keys.update(own)
        if type_ == "f":
            table = referred if referred_namespace == schema else f"{referred_namespace}.{referred}"
            foreign.append(ForeignKey(tuple(own), table, tuple(referred_columns)))
    facts |= {f"storage option {o}" for o in options or ()} | {f"storage option toast.{o}" for o in toast or ()}
    facts |= {"partitioned"} if kind == "p" else set()
    facts |= {"u": {"unlogged"}, "t": {"temporary"}}.get(persistence, set())
    facts |= {"f": {"replica identity full"}, "n": {"replica identity nothing"},
              "i": {"replica identity index"}}.get(identity, set())
    facts |= {"row security on"} if security else set()
    marked = tuple(
        Column(c.name, c.type, c.not_null, c.default, c.name in keys, c.sequential, c.generated) for c in columns
    )
    return Table(name, marked, tuple(foreign), None, frozenset(facts))


def _database_wide(connection: Connection) -> dict[tuple[str, str, str], Entry]:
    found: list[Entry] = []
    for (name,) in connection.execute(text("SELECT extname FROM pg_extension")):
        found.append(Entry("extension", name))
    for name, every, tables in connection.execute(text(_PUBLICATIONS)):
        covers = "every table" if every else (", ".join(sorted(tables)) or "no table yet")
        found.append(Entry("publication", name, "", frozenset({f"publishes {covers}"})))
    for name, event, function, enabled in connection.execute(text(
            "SELECT evtname, evtevent, evtfoid::regproc::text, evtenabled FROM pg_event_trigger")):
        state = " (disabled)" if enabled == "D" else ""
        found.append(Entry("event trigger", name, "", frozenset({f"on {event} runs {function}{state}"})))
    for (name,) in connection.execute(text("SELECT srvname FROM pg_foreign_server")):
        found.append(Entry("foreign server", name))
    for (oid,) in connection.execute(text("SELECT oid::bigint FROM pg_largeobject_metadata ORDER BY oid LIMIT 50")):
        found.append(Entry("large object", str(oid)))
    return {(e.kind, e.on, e.name): e for e in found}


_RELATIONS = f"""
SELECT n.nspname, c.relname, c.relkind::text, c.relpersistence::text, c.relreplident::text, c.relrowsecurity,
       c.reloptions, t.reloptions,
       CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
       CASE WHEN c.relkind IN ('i', 'I') THEN pg_get_indexdef(c.oid) END,
       ix.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
LEFT JOIN pg_index i ON i.indexrelid = c.oid LEFT JOIN pg_class ix ON ix.oid = i.indrelid
WHERE {{where}} AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'i', 'I', 'S', 'c')
  AND {NOT_FROM_EXTENSION.format(catalog="pg_class", oid="c.oid")}
ORDER BY n.nspname, c.relname
"""
_COLUMNS = """
SELECT n.nspname, c.relname, a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, a.attgenerated::text
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE {where} AND c.relkind IN ('r', 'p', 'f', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY n.nspname, c.relname, a.attnum
"""
_KEY_NAMES = (
    "ARRAY(SELECT a.attname::text FROM unnest(con.{keys}) WITH ORDINALITY k(num, i) JOIN pg_attribute a "
    "ON a.attrelid = con.{relation} AND a.attnum = k.num ORDER BY k.i)"
)
_CONSTRAINTS = f"""
SELECT n.nspname, c.relname, con.conname::text, con.contype::text, pg_get_constraintdef(con.oid),
       {_KEY_NAMES.format(keys="conkey", relation="conrelid")}, rn.nspname, rc.relname,
       {_KEY_NAMES.format(keys="confkey", relation="confrelid")}
FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_class rc ON rc.oid = con.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE {{where}}
"""
_TRIGGERS = """
SELECT n.nspname, c.relname, t.tgname::text, pg_get_triggerdef(t.oid), t.tgenabled::text
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {where} AND NOT t.tgisinternal
"""
_RULES = """
SELECT n.nspname, c.relname, r.rulename::text, pg_get_ruledef(r.oid)
FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE {where} AND r.rulename <> '_RETURN'
"""
_FUNCTIONS = f"""
SELECT n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       CASE WHEN p.prokind = 'a' THEN 'aggregate ' || p.prosrc ELSE pg_get_functiondef(p.oid) END
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE {{where}} AND {NOT_FROM_EXTENSION.format(catalog="pg_proc", oid="p.oid")}
"""
_PUBLICATIONS = """
SELECT p.pubname::text, p.puballtables,
       ARRAY(SELECT pt.schemaname || '.' || pt.tablename FROM pg_publication_tables pt WHERE pt.pubname = p.pubname)
FROM pg_publication p
"""
