"""The faults, injected into the running cluster, and the count of those that really landed.

Node kills, dropped PostgreSQL connections, a flush killed after writing its batch, and lost submit
replies: only faults that hit are counted, so that the test cannot pass by missing them. Mixed into
Cluster (harness.py), whose state, set up in its __post_init__, it uses.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from .flush_process import FlushProcess

#: A submit's reply lost on the way back after the answer was committed (the client's network failed):
#: every LOST_REPLY_EVERY-th answered submit, LOST_REPLIES times. The retry must find the code used.
LOST_REPLY_EVERY = 10
LOST_REPLIES = 3


@dataclass
class Faults:
    """What landed: only faults that really hit count (a flush kill only after its marker was seen)."""

    node_kills: int = 0
    connection_drops: int = 0
    backends_dropped: int = 0
    flush_kills: int = 0
    flush_attempts_empty: int = 0
    replies_lost: int = 0


class FaultInjection:
    """The injections the test schedules, and the lost replies the clients meet (a part of Cluster)."""

    def kill_node(self, index: int, blocked: bool = False) -> None:
        """SIGKILL node `index` with its workers while a submit is on its way to it, then restart it.

        `blocked`: while a flush holds its lock, wait for a submit that has waited for it a while (it
        cannot have committed: its retry must store the answer)."""
        self.wait_for_submit(index, 0.3 if blocked else 0.0)
        self.nodes[index].kill()
        self.faults.node_kills += 1
        self.trace(f"node {index} killed")
        time.sleep(0.3)
        self.nodes[index].start()

    def drop_connections(self, spare: int = 0) -> int:
        """pg_terminate_backend on every connection to the database but ours (and `spare`'s)."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        assert self.instance.database_url
        engine = create_engine(self.instance.database_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                dropped = connection.execute(text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :db AND pid <> pg_backend_pid() AND pid <> :spare"),
                    {"db": make_url(self.instance.database_url).database, "spare": spare}).scalar()
        finally:
            engine.dispose()
        self.trace(f"{dropped} connections dropped")
        if dropped:
            self.faults.connection_drops += 1
            self.faults.backends_dropped += dropped
        return dropped

    def submits_waiting_on_locks(self, seconds: float = 10.0) -> bool:
        """Whether a backend of the database waits for a lock (a submit behind a held flush), up to `seconds`."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        engine = create_engine(self.instance.database_url, isolation_level="AUTOCOMMIT")
        deadline = time.monotonic() + seconds
        try:
            with engine.connect() as connection:
                while time.monotonic() < deadline:
                    if connection.execute(text(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = :db AND wait_event_type = 'Lock'"),
                            {"db": make_url(self.instance.database_url).database}).scalar():
                        return True
                    time.sleep(0.02)
        finally:
            engine.dispose()
        return False

    def start_flush_process(self) -> None:
        """Start the flush script now: it loads the app while the nodes boot."""
        self.flush_process = FlushProcess(self.instance, self.logs)

    def kill_flush_midway(self, meanwhile: Callable[[int], None] | None = None) -> bool:
        """Let a flush run until it holds a written batch, run `meanwhile(backend)`, then SIGKILL it.

        Counted only when the marker was seen. While it holds, submits of the wave wait: kill promptly."""
        held = self.flush_process.hold()
        self.trace(f"flush holding: {held is not None}")
        if held is None:
            self.faults.flush_attempts_empty += 1
            return False
        pid, backend = held
        try:
            if meanwhile is not None:
                meanwhile(backend)
        finally:
            self.flush_process.kill_flush(pid)
            self.trace("flush killed")
        self.faults.flush_kills += 1
        return True

    def _lose_reply(self) -> bool:
        """Whether this successful submit's reply is lost on its way back (every LOST_REPLY_EVERY-th, at
        most `faults.replies_lost` times): the answer is committed, the client does not know, and retries."""
        with self._lock:
            self._submits_answered += 1
            if self._submits_answered % LOST_REPLY_EVERY or self.faults.replies_lost >= LOST_REPLIES:
                return False
            self.faults.replies_lost += 1
            return True
