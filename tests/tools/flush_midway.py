"""An operator's `pool flush` with a lowered threshold, stopped in the middle so that it can be killed.

The fault harness (tests/tools/cluster/flush_process.py) runs this as a subprocess with the instance's environment.
It builds the app with POOL_FLUSH_THRESHOLD 2 and wraps `survey.pool._store`: once the real one has
inserted a batch into the store (inside the flush's open transaction), it prints

    HOLDING <pid of the flushing process> <its backend pid on PostgreSQL, else 0>

and sleeps, holding the pool row lock (PostgreSQL) or the write lock (SQLite), until the harness
kills that process with SIGKILL. Building the app takes seconds of CPU, so it is built once: the
script prints READY, then forks one process per line "flush" on stdin, which flushes and holds, or
prints EMPTY when no wave had two answers waiting (nothing moved; the harness asks again shortly
after), or ERROR <kind> when the attempt failed (a dropped connection), and ends. The script
exits at the end of stdin.
"""
from __future__ import annotations

import os
import sys
import time

#: How long a held flush sleeps at most: the harness kills it within a second; a bound, never reached.
HOLD_SECONDS = 60


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _flush_once(app) -> None:
    """In a forked process: one flush on fresh connections, held after its batch is written."""
    from sqlalchemy import text

    import survey.pool
    from survey.extensions import db

    real_store = survey.pool._store

    def store_then_hold(wave_id: int, entries: list[bytes]) -> None:
        real_store(wave_id, entries)
        backend = 0
        if db.engine.dialect.name == "postgresql":
            backend = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        _say(f"HOLDING {os.getpid()} {backend}")
        time.sleep(HOLD_SECONDS)

    survey.pool._store = store_then_hold
    with app.app_context():
        db.engine.dispose(close=False)  # connections of the parent, if any, stay the parent's
        try:
            moved = survey.pool.flush()
        except Exception as exc:  # noqa: BLE001  (reported to the harness, which tries again)
            _say(f"ERROR {type(exc).__name__}")
            return
    _say("EMPTY" if moved == 0 else f"MOVED {moved}")  # MOVED: held past HOLD_SECONDS, never killed


def main() -> None:
    from survey import create_app

    app = create_app({"POOL_FLUSH_THRESHOLD": 2})
    _say("READY")
    for line in sys.stdin:
        if line.strip() != "flush":
            continue
        child = os.fork()
        if child == 0:
            try:
                _flush_once(app)
            finally:
                os._exit(0)
        os.waitpid(child, 0)  # until it has said EMPTY or been killed


if __name__ == "__main__":
    main()
