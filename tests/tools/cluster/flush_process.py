"""Drives tests/tools/flush_midway.py, an operator's `pool flush` that stops once its batch is written.

The script loads the app once and forks a flush per request, so that a flush can be had within a
second while the load runs, and killed at the point where it has written but not committed.
"""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .instance import Instance
from .processes import BOOT_SECONDS, ROOT, kill_group

#: How long the script may take to answer a request for a flush (a bound for the harness's own wait).
MARKER_SECONDS = 30.0


class FlushProcess:
    """tests/tools/flush_midway.py: loads the app once, then forks a flush on request, held until killed."""

    def __init__(self, instance: Instance, logs: Path) -> None:
        self.log_path = logs / "flush.log"
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "tools" / "flush_midway.py")],
                                         env=instance.env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, text=True, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.ready = False

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())
        self.lines.put("EOF")

    def _next(self, seconds: float) -> str:
        try:
            return self.lines.get(timeout=seconds)
        except queue.Empty:
            raise AssertionError(f"the flush process said nothing for {seconds:.0f} s: "
                                 f"{self.log_path.read_text(errors='replace')[-800:]}") from None

    def hold(self, attempts: int = 40, pause: float = 0.25) -> tuple[int, int] | None:
        """Ask for flushes until one holds a written batch: (its pid, its backend pid or 0); None if none did."""
        if not self.ready:
            line = self._next(BOOT_SECONDS)
            if line != "READY":
                raise AssertionError(f"the flush process did not start: {line} {self.log_path.read_text()[-800:]}")
            self.ready = True
        for _ in range(attempts):
            self.proc.stdin.write("flush\n")
            self.proc.stdin.flush()
            line = self._next(MARKER_SECONDS)
            if line.startswith("HOLDING"):
                _, pid, backend = line.split()
                return int(pid), int(backend)
            if line != "EMPTY" and not line.startswith("ERROR"):
                raise AssertionError(f"unexpected answer from the flush process: {line}")
            time.sleep(pause)
        return None

    @staticmethod
    def kill_flush(pid: int) -> None:
        """SIGKILL the held flush (a child of the script, which reaps it and waits for the next request)."""
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        kill_group(self.proc)
        self.reader.join(timeout=10)
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
