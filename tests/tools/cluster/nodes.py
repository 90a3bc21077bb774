"""A gunicorn node started as in production, killed with its workers and restarted on the same port.

A node counts as live only once it answers, so that the clients and the test never count on a node
that is still booting.
"""
from __future__ import annotations

import http.client
import socket
import subprocess
import threading
import time
from pathlib import Path

from .instance import Instance
from .processes import BIN, BOOT_SECONDS, HOST, ROOT, kill_group


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Node:
    """One gunicorn server on a fixed port; killed with its workers, restarted on the same port."""

    def __init__(self, name: str, instance: Instance, workers: int, logs: Path) -> None:
        self.name, self.instance, self.workers = name, instance, workers
        self.port = free_port()
        self.log_path = logs / f"gunicorn-{name}.log"
        self.proc: subprocess.Popen | None = None
        self.live = threading.Event()
        self.boot_error: str | None = None

    def start(self) -> None:
        """Start gunicorn and mark the node live once it answers (in the background, bounded)."""
        command = [str(BIN / "gunicorn"), "-c", "python:survey.gunicorn_conf", "--bind", f"{HOST}:{self.port}",
                   "--workers", str(self.workers), "survey:create_app()"]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(command, env=self.instance.env, cwd=ROOT, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        threading.Thread(target=self._await_boot, args=(self.proc,), daemon=True).start()

    def _await_boot(self, proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + BOOT_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                try:
                    conn.request("GET", "/")
                    if conn.getresponse().status == 200:
                        if proc is self.proc:
                            self.live.set()
                        return
                finally:
                    conn.close()
            except (OSError, http.client.HTTPException):
                pass
            time.sleep(0.2)
        self.boot_error = f"node {self.name} did not answer within {BOOT_SECONDS:.0f} s: {self.log_tail()}"

    def wait_live(self) -> None:
        """Block until the node answers (bounded): a restarted node is counted on only then."""
        if not self.live.wait(BOOT_SECONDS + 5):
            raise AssertionError(self.boot_error or f"node {self.name} never came up")

    def kill(self) -> None:
        """SIGKILL the master and its workers at once, as a crash of the machine's process would."""
        self.live.clear()
        assert self.proc is not None
        kill_group(self.proc)

    def terminate(self) -> None:
        """Ask gunicorn to stop for good (SIGTERM: it stops its workers); `stop` waits for it."""
        self.live.clear()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()

    def wait_stopped(self) -> None:
        """Wait for a terminated node (the master exits after its workers); SIGKILL the group if it hangs."""
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            kill_group(self.proc)

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-1500:]
        except OSError:
            return ""
