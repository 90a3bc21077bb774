"""The Cluster the fault tests drive: an instance's nodes, the clients' load and the faults, in one place.

It holds the state the clients (clients.py) and the injections (faults.py) share, starts and stops
the nodes, leaves no process behind, and reports what happened as counts only.
"""
from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .clients import Clients
from .faults import FaultInjection, Faults
from .flush_process import FlushProcess
from .instance import Instance
from .nodes import Node
from .respondent_flow import REQUEST_TIMEOUT, FlowRecord


@dataclass
class Cluster(Clients, FaultInjection):
    """Nodes of one instance under the clients' load, with faults injected; a fixture's finalizer cleans up."""

    instance: Instance
    nodes: list[Node]
    logs: Path
    faults: Faults = field(default_factory=Faults)
    records: list[FlowRecord] = field(default_factory=list)
    completed_codes: set[str] = field(default_factory=set, repr=False)
    unfinished_codes: set[str] = field(default_factory=set, repr=False)
    flush_process: FlushProcess | None = None
    before_audit: Callable[[], None] = lambda: None  # e.g. the server setting the audit needs, asserted again

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._codes = list(self.instance.codes)
        self._stopping = threading.Event()  # no new flows
        self._shutdown = threading.Event()  # no more requests at all: the cluster is being torn down
        self._clients: list[threading.Thread] = []
        self._in_flight: dict[int, tuple[int, float]] = {}  # submit request id -> (node index, start)
        self._request_ids = iter(range(1 << 62))
        self.client_errors: list[str] = []
        self.failed_requests: Counter[str] = Counter()  # requests that were retried, by what they met
        self._submits_answered = 0
        self._t0 = time.monotonic()

    def trace(self, event: str) -> None:
        """With WIR_FAULTS_TRACE set, a line per harness event: seconds since start, flows done so far."""
        if os.environ.get("WIR_FAULTS_TRACE"):
            print(f"  [{time.monotonic() - self._t0:5.1f} s, {len(self.records)} flows] {event}", flush=True)

    # nodes

    def start_nodes(self) -> None:
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.wait_live()

    def wait_live(self, index: int) -> None:
        """Until node `index` answers again (bounded): a restarted node is counted on only then."""
        self.nodes[index].wait_live()
        self.trace(f"node {index} live")

    def stop_nodes(self) -> None:
        """Stop every node for good, all at once."""
        for node in self.nodes:
            node.terminate()
        for node in self.nodes:
            node.wait_stopped()

    def cleanup(self) -> None:
        """Leave no process behind, whatever happened (a fixture finalizer calls this)."""
        self._stopping.set()
        self._shutdown.set()
        if self.flush_process is not None:
            self.flush_process.stop()
        self.stop_nodes()
        for thread in self._clients:
            thread.join(timeout=REQUEST_TIMEOUT + 5)

    # results

    def summary(self) -> dict[str, int]:
        submitted = [r for r in self.records if r.submit_attempts]
        return {
            "submit_attempts": sum(r.submit_attempts for r in submitted),
            "submits_failed": sum(r.submit_failures > 0 for r in submitted),
            "flows": len(self.records),
            "completed": sum(r.completed for r in self.records),
            "submits": len(submitted),
            "submits_retried": sum(r.submit_attempts > 1 for r in submitted),
            "flows_retried": sum(r.retried_steps > 0 for r in self.records),
            "failed": sum(not r.completed for r in self.records),
        }

    def log_lines(self) -> int:
        """Lines the nodes and the flush wrote to their logs (the app writes none; gunicorn only errors)."""
        paths = [node.log_path for node in self.nodes]
        if self.flush_process is not None:
            paths.append(self.flush_process.log_path)
        return sum(len(path.read_text(errors="replace").splitlines()) for path in paths if path.exists())

    def failures(self) -> list[str]:
        """Why flows failed, without codes: step and status only."""
        return sorted({r.failure for r in self.records if r.failure})
