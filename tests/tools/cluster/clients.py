"""The clients: threads that run whole respondent flows with fresh codes while the faults play out.

A step that fails is retried on any live node, as a person presses "try again", so that every
failure the faults cause is met the way a real respondent meets it. Mixed into Cluster
(harness.py), whose state, set up in its __post_init__, it uses.
"""
from __future__ import annotations

import http.client
import random
import threading
import time

from .nodes import Node
from .respondent_flow import FlowFailed, FlowRecord, Reply, Step, flow, request, update_jar

#: A step that fails (no connection, a reset, a timeout, a 5xx) is tried again after a pause, on any
#: live node, until this many attempts or seconds: generous, so that only a defect exhausts it.
STEP_ATTEMPTS = 200
STEP_SECONDS = 90.0
RETRY_PAUSE = 0.1
#: A pause before each step, as a person reads the page: it leaves the machine's two cores room to boot a
#: restarted node while the load goes on (unpaced, the clients alone would keep both busy).
THINK_SECONDS = 0.05


class Clients:
    """Starting and stopping the load, and the retrying of each step (a part of Cluster)."""

    def _pick(self, deadline: float) -> tuple[int, Node]:
        """A random live node; waits while none is (a lone node restarting), up to `deadline`."""
        while True:
            if self._shutdown.is_set():
                raise FlowFailed("the cluster was torn down")
            live = [(i, n) for i, n in enumerate(self.nodes) if n.live.is_set()]
            if live:
                return random.choice(live)
            if time.monotonic() >= deadline:
                raise FlowFailed("no node was live")
            time.sleep(0.05)

    def start_load(self, clients: int) -> None:
        """`clients` threads, each running whole flows with fresh codes until `stop_load`."""
        for _ in range(clients):
            thread = threading.Thread(target=self._client, daemon=True)
            thread.start()
            self._clients.append(thread)
        self.trace("load started")

    def stop_load(self, seconds: float = 120.0) -> None:
        """No new flows; the ones under way finish (with their retries), within `seconds`."""
        self._stopping.set()
        deadline = time.monotonic() + seconds
        for thread in self._clients:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = sum(thread.is_alive() for thread in self._clients)
        self.trace("load stopped")
        if stuck:
            raise AssertionError(f"{stuck} clients did not finish their flow within {seconds:.0f} s")

    def _next_code(self) -> str | None:
        with self._lock:
            if self._stopping.is_set() or not self._codes:
                return None
            return self._codes.pop()

    def _client(self) -> None:
        try:
            while (code := self._next_code()) is not None:
                record = self._run_flow(code)
                with self._lock:
                    self.records.append(record)
                    (self.completed_codes if record.completed else self.unfinished_codes).add(code)
        except Exception as exc:  # noqa: BLE001  (a bug in the harness itself: reported by the test)
            self.client_errors.append(type(exc).__name__)  # the type only: a message might hold a code

    def _run_flow(self, code: str) -> FlowRecord:
        record, jar, steps = FlowRecord(), {}, flow(code)
        try:
            step = next(steps)
            while True:
                time.sleep(THINK_SECONDS)
                step = steps.send(self._perform(step, jar, record))
        except StopIteration:
            record.completed = True
        except FlowFailed as exc:
            record.failure = str(exc)
        return record

    def _perform(self, step: Step, jar: dict[str, str], record: FlowRecord) -> Reply:
        """One step, retried on any connection failure or 5xx against any live node (same jar, same form)."""
        deadline = time.monotonic() + STEP_SECONDS
        for attempt in range(1, STEP_ATTEMPTS + 1):
            index, node = self._pick(deadline)
            if step.name == "submit":
                record.submit_attempts += 1
                request_id = next(self._request_ids)
                with self._lock:
                    self._in_flight[request_id] = (index, time.monotonic())
            try:
                reply = request(node.port, step, jar)
            except (OSError, http.client.HTTPException):
                reply = None
            finally:
                if step.name == "submit":
                    with self._lock:
                        del self._in_flight[request_id]
            if reply is not None and step.name == "submit" and reply.status == 302 and self._lose_reply():
                with self._lock:
                    self.failed_requests["reply lost"] += 1
            elif reply is not None and reply.status < 500:
                update_jar(jar, list(reply.cookies))  # as a browser does
                record.retried_steps += attempt > 1
                return reply
            else:
                if reply is not None:
                    update_jar(jar, list(reply.cookies))  # error pages too
                record.submit_failures += step.name == "submit"
                with self._lock:
                    self.failed_requests["connection" if reply is None else f"HTTP {reply.status}"] += 1
            if time.monotonic() >= deadline:
                break
            time.sleep(RETRY_PAUSE)
        raise FlowFailed(f"{step.name}: no answer below 500 after {attempt} attempts")

    def wait_for_submit(self, node: int, waited: float, seconds: float = 10.0) -> bool:
        """Whether a submit to `node` has been unanswered for `waited` seconds, waiting up to `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            now = time.monotonic()
            with self._lock:
                if any(i == node and now - started >= waited for i, started in self._in_flight.values()):
                    return True
            time.sleep(0.02)
        return False
