"""Files that hold codes, secrets or answers are created readable by their owner only.

A usual umask (022) makes new files readable by every account on the server; the print files,
the database and the instance configuration must not be. Each is created here with its final
mode before anything is written into it, so there is no moment in which it is readable.
"""
from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def write_private_file(path: Path, data: bytes = b"") -> None:
    """Create `path` with mode 0600 and write `data`; fail if it exists (nothing is overwritten)."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE), "wb") as fh:
        fh.write(data)


def ensure_private_dir(path: Path) -> None:
    """Create `path` (and parents) if needed; every folder this creates has mode 0700."""
    missing = [p for p in (path, *path.parents) if not p.is_dir()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        os.chmod(folder, PRIVATE_DIR)  # mkdir's mode is masked by the umask


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite database URL, or None for other databases and in-memory SQLite."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url[len(prefix):] in ("", ":memory:"):
        return None
    return Path(url[len(prefix):].split("?", 1)[0])
