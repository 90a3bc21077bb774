"""File modes: whatever holds codes, secrets, keys or answers is readable by its owner only.

Another account on the server that can read the database file, the instance configuration (the
pepper that turns a code into its fingerprint) or a print file of codes holds everything a backup
thief would. wir-survey creates them 0600 in 0700 folders (`survey.files`); this check finds any
that were created by hand, copied with a usual umask, or opened up later.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from flask import Flask

from ..extensions import db
from ..files import sqlite_file
from . import Check

_OTHERS = stat.S_IRWXG | stat.S_IRWXO
_JOURNALS = ("-journal", "-wal", "-shm")


def _mode(path: Path) -> int:
    """The mode of `path`, or of what it points to: a link is as open as its target."""
    return stat.S_IMODE(path.stat().st_mode)


def _walk(folder: Path) -> list[Path]:
    """`folder` and everything below it, without following symbolic links out of it."""
    found = [folder]
    for root, dirs, names in os.walk(folder, followlinks=False):
        found += [Path(root, d) for d in sorted(dirs)] + [Path(root, n) for n in sorted(names)]
    return found


def checked_paths(app: Flask) -> list[Path]:
    """The database file (and its journal, when one exists), the instance folder and the keys folder."""
    paths: list[Path] = []
    database = sqlite_file(str(db.engine.url))
    if database is not None:
        paths += [p for p in [database, *(Path(f"{database}{s}") for s in _JOURNALS)] if p.exists()]
    for folder in (Path(app.instance_path), Path(app.config["KEYS_DIR"])):
        if folder.is_dir():
            paths += _walk(folder)
    unique: dict[Path, None] = {}
    for path in paths:
        unique.setdefault(path.absolute(), None)
    return list(unique)


def file_modes(app: Flask) -> Check:
    paths = checked_paths(app)
    exposed = []
    for path in paths:
        mode = _mode(path)
        if mode & _OTHERS:
            who = " and ".join(w for w, bits in (("group", stat.S_IRWXG), ("others", stat.S_IRWXO)) if mode & bits)
            wanted = "0700" if path.is_dir() else "0600"
            exposed.append(f"{path} (mode {mode:04o}: open to {who}; should be {wanted})")
    if exposed:
        return Check(
            "file_modes",
            False,
            f"Of {len(paths)} files and folders holding the database, the instance configuration, the keys and "
            f"print files, these are open to other accounts on the server: {'; '.join(exposed)}. Whoever can read "
            "them holds what a backup thief would: which codes were used, the pepper that recognises codes, the "
            "print files. Run `chmod 600` on each file and `chmod 700` on each folder.",
        )
    return Check(
        "file_modes",
        True,
        f"All {len(paths)} files and folders holding the database, the instance configuration (with the pepper "
        "that recognises codes), the keys and print files are readable by wir-survey's own account only (files "
        "0600, folders 0700): no other account on the server can copy them.",
    )
