"""The mix pool: a wave's answers wait here, sealed, until enough of them move to the store together.

Every answer is sealed to the Statistics Office key when it is submitted, so the pool is as
unreadable as the store to anyone without the passphrase, the server included. A wave's waiting
answers are one value in one row, rewritten whole in a fresh random order by every submit: a copy
of the database shows which answers wait, never in which order they came. (Separate rows would
not do: a new row lands on a newer page, or lower on its page, than the rows before it.)

Once `POOL_FLUSH_THRESHOLD` answers of one wave wait, they move into the response store under
random ids, in the transaction of the wave's next submit, whether that submit stores its answers
or drops them (a code that had answered before): the flush's extra time then falls on both kinds
alike and tells nobody whether a code was used. The threshold is counted per wave, so a copy of
the database taken before and after a flush narrows each stored answer to no fewer codes than the
threshold. A batch never moves smaller: answers that are still waiting
when a wave closes stay in the pool, where releases read them like stored ones.
"""
from __future__ import annotations

import secrets
import struct
import uuid

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .crypto import info_for, seal
from .extensions import db
from .keys import statistics_public_key
from .models import Pool, Response, Token

_FRAME = struct.Struct(">I")
_shuffle = secrets.SystemRandom().shuffle


def pack(entries: list[bytes]) -> bytes:
    """Length-prefixed ciphertexts, one after another, in the order given."""
    return b"".join(_FRAME.pack(len(entry)) + entry for entry in entries)


def unpack(value: bytes) -> list[bytes]:
    entries, offset = [], 0
    while offset < len(value):
        (length,) = _FRAME.unpack_from(value, offset)
        offset += _FRAME.size
        entries.append(bytes(value[offset : offset + length]))
        offset += length
    if offset != len(value):
        raise ValueError("the pool value ends inside an entry")
    return entries


def threshold() -> int:
    return int(current_app.config["POOL_FLUSH_THRESHOLD"])


def seal_answer(wave_id: int, payload: dict) -> bytes:
    """An answer sealed to the Statistics Office key, bound to its wave."""
    return seal(payload, statistics_public_key(), info_for(wave_id))


def deposit(wave_id: int, payload: dict) -> None:
    """Seal `payload` and add it to the wave's pool, in the caller's transaction (no commit).

    A full batch waiting from earlier submits moves to the store first."""
    entries = _flushed_if_full(wave_id, _take(wave_id))
    entries.append(seal_answer(wave_id, payload))
    _put(wave_id, entries)


def stir(wave_id: int) -> None:
    """Rewrite the wave's pool in a fresh order without adding anything, flushing a full batch.

    The same reads and writes as `deposit`, so a request that must cost what a submit costs (a used
    code's second submit, whose answers are dropped) can do this instead."""
    _put(wave_id, _flushed_if_full(wave_id, _take(wave_id)))


def _flushed_if_full(wave_id: int, entries: list[bytes]) -> list[bytes]:
    if len(entries) >= threshold():
        _store(wave_id, entries)
        return []
    return entries


def waiting(wave_id: int | None = None) -> int:
    """How many answers wait, in one wave or in all."""
    query = select(Pool.entries)
    if wave_id is not None:
        query = query.where(Pool.wave_id == wave_id)
    return sum(len(unpack(value)) for value in db.session.scalars(query))


def sealed_waiting(wave_id: int) -> list[bytes]:
    """The wave's waiting ciphertexts (for releases, which open them with the passphrase)."""
    value = db.session.scalar(select(Pool.entries).where(Pool.wave_id == wave_id))
    return unpack(value or b"")


def flush(minimum: int | None = None) -> int:
    """Move every wave's waiting answers to the store where at least `minimum` (the threshold) wait.

    Submits already flush as soon as a wave's pool is full; this is for a threshold that was
    lowered since. Each wave moves in its own short transaction, and a wave whose pool a submit
    holds right now is skipped (SKIP LOCKED): that submit moves a full batch itself, and a flush
    never makes submits wait for more than one wave's batch. Returns how many answers moved."""
    minimum = threshold() if minimum is None else minimum
    moved = 0
    for wave_id in list(db.session.scalars(select(Pool.wave_id).order_by(Pool.wave_id))):
        try:
            entries = _take(wave_id, skip_locked=True)
            if entries and len(entries) >= minimum:
                _store(wave_id, entries)
                _put(wave_id, [])
                moved += len(entries)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return moved


def _take(wave_id: int, skip_locked: bool = False) -> list[bytes] | None:
    """The wave's waiting entries, with the row locked for this transaction on PostgreSQL.

    With `skip_locked`, None when another transaction holds the row (nothing is created then).
    SQLite ignores FOR UPDATE and takes its write lock only at a transaction's first write, so a
    write that changes nothing comes first there: no submit can change the pool between this read
    and this transaction's own writes (a flush starts with this read; a submit has written already)."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(update(Pool).where(Pool.wave_id == wave_id).values(entries=Pool.entries)
                           .execution_options(synchronize_session=False))
    statement = select(Pool.entries).where(Pool.wave_id == wave_id).with_for_update(skip_locked=skip_locked)
    value = db.session.scalar(statement)
    if value is None and skip_locked:
        return None
    if value is None:
        dialect_insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        db.session.execute(dialect_insert(Pool).values(wave_id=wave_id, entries=b"").on_conflict_do_nothing())
        value = db.session.scalar(statement)
    return unpack(value or b"")


def _put(wave_id: int, entries: list[bytes]) -> None:
    _shuffle(entries)
    db.session.execute(
        update(Pool).where(Pool.wave_id == wave_id).values(entries=pack(entries)).execution_options(
            synchronize_session=False
        )
    )


def _store(wave_id: int, entries: list[bytes]) -> None:
    """Insert a batch into the store: shuffled, under random ids, sharing one transaction."""
    batch = [{"id": uuid.uuid4(), "wave_id": wave_id, "sealed": sealed} for sealed in entries]
    _shuffle(batch)
    db.session.execute(insert(Response), batch)
    _restamp_used_tokens(wave_id)


def _restamp_used_tokens(wave_id: int) -> None:
    """On PostgreSQL every row carries the id of the transaction that last wrote it (`xmin`), which
    would keep, for each used token, the transaction in which its answer was submitted: the order
    in which codes were used. Rewriting the wave's used tokens in the flush transaction gives them
    all the flush's id. SQLite keeps no such column."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            update(Token).where(Token.used.is_(True), Token.wave_id == wave_id).values(used=True)
        )
