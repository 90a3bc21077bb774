"""The mix pool: answers wait here, sealed to the pool key, until a batch is mixed into the store.

Submitting writes one pool row in the same transaction that marks the token used. The flush takes
every waiting row out, opens it with the pool key, shuffles the batch, re-seals each answer to the
Statistics Office key with fresh randomness (so pool and store ciphertexts cannot be matched) and
inserts the batch under random ids, all in one transaction. Whoever reads the store afterwards sees
a set, not a sequence.
"""
from __future__ import annotations

import secrets
import uuid

from flask import current_app
from sqlalchemy import delete, func, insert, select, update

from .crypto import info_for, open_sealed, seal
from .extensions import db
from .keys import pool_private_key, statistics_public_key
from .models import PoolEntry, Response, Token

_shuffle = secrets.SystemRandom().shuffle


def waiting() -> int:
    return db.session.scalar(select(func.count()).select_from(PoolEntry)) or 0


def flush() -> int:
    """Mix everything waiting into the response store; returns how many responses moved."""
    pool_key = pool_private_key()
    store_key = statistics_public_key()
    try:
        taken = db.session.execute(
            delete(PoolEntry).returning(PoolEntry.wave_id, PoolEntry.stratum_id, PoolEntry.sealed)
        ).all()
        batch = [
            {
                "id": uuid.uuid4(),
                "wave_id": wave_id,
                "stratum_id": stratum_id,
                "sealed": seal(
                    open_sealed(sealed, pool_key, info_for("pool", wave_id, stratum_id)),
                    store_key,
                    info_for("response", wave_id, stratum_id),
                ),
            }
            for wave_id, stratum_id, sealed in taken
        ]
        _shuffle(batch)
        if batch:
            db.session.execute(insert(Response), batch)
            _restamp_used_tokens({row["wave_id"] for row in batch})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return len(batch)


def _restamp_used_tokens(wave_ids: set[int]) -> None:
    """On PostgreSQL every row carries the id of the transaction that last wrote it (`xmin`), which
    would keep, for each used token, the transaction in which its answer entered the pool. Rewriting
    the used tokens of the batch's waves in the flush transaction gives them all the flush's id, so
    the order in which codes were used is erased at every flush. SQLite keeps no such column."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            update(Token).where(Token.used.is_(True), Token.wave_id.in_(sorted(wave_ids))).values(used=True)
        )


def flush_if_due() -> int:
    """Flush once enough answers wait that the batch hides each one among the others."""
    if waiting() >= int(current_app.config["POOL_FLUSH_THRESHOLD"]):
        return flush()
    return 0
