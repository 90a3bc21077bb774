"""What starting and stopping the harness's subprocesses (gunicorn nodes, the flush script) shares.

Each runs in its own session, so that a SIGKILL of its process group takes its children with it,
as a crash would, and leaves nothing behind.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
#: Bounds for the harness's own waits.
BOOT_SECONDS = 90.0


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group we started (its own session), then reap the leader."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=30)
