"""The staff log: who did what and when, append-only and chained so that no entry can be quietly
rewritten (issue 8: login, account changes, wave changes, approvals, code batches, releases).

Each entry's digest is an HMAC-SHA256 over its own fields and the previous entry's digest. The key
is derived (HKDF) from the instance's SECRET_KEY, which never lies in the database: whoever edits,
inserts or removes an entry in the database breaks the chain from there on and cannot compute a
new one. Removing the newest entries leaves a shorter chain that still holds; the audit therefore
prints the newest entry's number and digest, for the staff council to note and compare.

Nothing a respondent does is recorded here, and no entry holds a code or an answer.
"""
from __future__ import annotations

import getpass
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, g, has_request_context
from sqlalchemy import select

from . import locks
from .extensions import db
from .models import StaffLogEntry

GENESIS = "0" * 64


def current_actor() -> str:
    """The logged-in staff member on a page; the operating-system account on the command line."""
    account = getattr(g, "staff_account", None) if has_request_context() else None
    if account is not None:
        return str(account.name)
    try:
        return f"command line ({getpass.getuser()})"
    except OSError:
        return "command line"


def record(actor: str | None, action: str, details: Mapping[str, object] | None = None) -> StaffLogEntry:
    """Append one entry in the caller's transaction (the caller commits).

    The entry's number is the previous one's plus one and is the table's key, so two actions racing
    for the same place cannot fork the chain: on PostgreSQL the second waits for the first to commit
    (`locks.hold`), elsewhere it fails and is rolled back."""
    locks.hold(locks.STAFF_LOG)
    last = db.session.execute(
        select(StaffLogEntry.id, StaffLogEntry.digest).order_by(StaffLogEntry.id.desc()).limit(1)
    ).first()
    entry = StaffLogEntry(
        id=1 if last is None else last.id + 1,
        at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        actor=actor or current_actor(),
        action=action,
        details_json=json.dumps(dict(details or {}), sort_keys=True, ensure_ascii=False, separators=(",", ":")),
        previous=GENESIS if last is None else last.digest,
    )
    entry.digest = _digest(_key(), entry)
    db.session.add(entry)
    return entry


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    broken: int | None  # the number of the first entry that does not hold
    explanation: str


def verify() -> Verification:
    """Walk the chain from the first entry; name the first one whose digest or link does not hold."""
    key = _key()
    previous, expected_id, count, newest = GENESIS, 1, 0, None
    for entry in db.session.scalars(select(StaffLogEntry).order_by(StaffLogEntry.id)):
        count += 1
        if entry.id != expected_id:
            return _broken(entry.id, count, f"entry {expected_id} is missing: the entries jump from "
                                               f"{expected_id - 1} to {entry.id}")
        if entry.previous != previous:
            return _broken(entry.id, count, f"entry {entry.id} does not point to the entry before it")
        if entry.digest != _digest(key, entry):
            return _broken(entry.id, count, f"entry {entry.id} ({entry.action}, {entry.at}) was changed after "
                                            "it was written: its digest does not match its content")
        previous, expected_id, newest = entry.digest, entry.id + 1, entry
    if newest is None:
        return Verification(True, 0, None, "The staff log is empty: no staff action has been recorded yet.")
    return Verification(
        True,
        count,
        None,
        f"All {count} entries of the staff log hold: each one's digest matches its content and the entry "
        f"before it, so none was changed, inserted or removed in between. The newest is entry {newest.id} "
        f"({newest.action}, {newest.at}) with digest {newest.digest[:16]}…; note it, because removing the "
        "newest entries would leave a shorter chain that still holds.",
    )


def _broken(entry_id: int, count: int, reason: str) -> Verification:
    return Verification(
        False,
        count,
        entry_id,
        f"The staff log is broken at entry {entry_id}: {reason}. Every entry from there on can no longer be "
        "trusted. Someone changed the log in the database, outside wir-survey.",
    )


def _key() -> bytes:
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"wir-survey/staff-log/v1").derive(secret)


def _digest(key: bytes, entry: StaffLogEntry) -> str:
    content = json.dumps(
        [entry.id, entry.at, entry.actor, entry.action, entry.details_json, entry.previous],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(content)
    return mac.finalize().hex()
