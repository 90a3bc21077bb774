"""What the Statistics Office's pages need beyond the operations the command line shares:
questionnaire choices, the strata preview, releases written into the instance, and reading them back.

Release files land in `RELEASES_DIR/release-<id>/`; the release log (`releases` table) holds the
SHA-256 of every file, and a file whose bytes no longer match is not shown or served.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from questionnaires import Questionnaire, QuestionnaireError, load_builtin

from ..files import PRIVATE_DIR, PRIVATE_FILE, ensure_private_dir
from ..models import Release
from ..releases import ReleaseResult, make_release
from ..waves import StratumRow, minimum_stratum_size, parse_strata_csv


def questionnaires() -> dict[str, Questionnaire]:
    """The questionnaires a wave can be created from (the shipped, checked ones)."""
    try:
        return load_builtin()
    except QuestionnaireError:  # a broken file is reported by `wir-survey questionnaires check`
        return {}


@dataclass(frozen=True)
class StrataPreview:
    rows: list[StratumRow]
    attributes: list[str]
    headcount: int
    too_small: list[StratumRow] = field(default_factory=list)


def strata_preview(text: str, name: str, min_stratum_size: int | None) -> StrataPreview:
    """The strata as the wave would hold them, and which are too small to get codes (WaveError
    names the file, the line and the reason when the file cannot be used at all)."""
    rows = parse_strata_csv(text, name)
    minimum = max(min_stratum_size or 0, minimum_stratum_size())
    attributes = list(rows[0].attributes)
    return StrataPreview(rows, attributes, sum(r.headcount for r in rows),
                         [r for r in rows if r.headcount < minimum])


def releases_dir() -> Path:
    return Path(current_app.config["RELEASES_DIR"])


def release_folder(release: Release) -> Path:
    return releases_dir() / f"release-{release.id}"


def run_release(wave_id: int, passphrase: str, *, min_count: int | None, lang: str,
                year: int | None = None) -> ReleaseResult:
    """`make_release` into a fresh folder of the instance, then named after the release's id."""
    ensure_private_dir(releases_dir())
    staging = releases_dir() / f".wave-{wave_id}-{secrets.token_hex(6)}"
    result = make_release(wave_id, passphrase, staging, min_count=min_count, lang=lang, year=year)
    _make_private(staging)  # the instance folder holds no file open to other accounts (audit: file_modes)
    target = release_folder(result.release)
    os.replace(staging, target)
    return ReleaseResult(result.release, target, result.files, result.already_disclosed)


def _make_private(folder: Path) -> None:
    """Owner-only modes for a release folder written with the usual umask. It sits in the 0700
    releases folder, so nobody else could read it meanwhile; the published copies are made from here."""
    os.chmod(folder, PRIVATE_DIR)
    for path in folder.iterdir():
        os.chmod(path, PRIVATE_FILE)


def release_bytes(release: Release, name: str, folder: Path | None = None) -> bytes | None:
    """A file of the release, only if the log lists it and its bytes match the logged hash.

    The bytes checked are the bytes returned, so nothing can change between the check and their
    use. `folder` is where `wir-survey release --out` wrote it; default: the instance's copy."""
    listed = json.loads(release.files_json)
    if name not in listed or "/" in name or name.startswith("."):
        return None
    try:
        data = ((folder or release_folder(release)) / name).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == listed[name] else None


@dataclass(frozen=True)
class ShownTable:
    """One released table laid out for a page: rows by every dimension but the last, columns by the
    last; a cell is its count, or the legend's symbol for a secret (`.`), a true zero (`-`) or a
    group that was not surveyed (`x`)."""

    id: str
    title: str
    columns: list[str]
    rows: list[tuple[str, list[str]]]
    chart: str | None


@dataclass(frozen=True)
class ShownRelease:
    files: dict[str, bool]  # name -> present and unchanged
    tables: list[ShownTable]
    legend: list[tuple[str, str]]


def shown_release(release: Release) -> ShownRelease:
    """Each listed file read and checked once; the page's tables come from the checked bytes."""
    verified = {name: release_bytes(release, name) for name in sorted(json.loads(release.files_json))}
    present = {name: data is not None for name, data in verified.items()}
    if verified.get("release.json") is None:
        return ShownRelease(present, [], [])
    document = json.loads(verified["release.json"])
    symbols = {"secret": ".", "zero": "-", "not_surveyed": "x"}
    tables = []
    for table in document["tables"]:
        data = verified.get(f"{table['id']}.csv")
        if data is None:
            continue
        tables.append(_pivot(table["id"], table["title"], data.decode("utf-8"), table["dimensions"], symbols,
                             f"{table['id']}.svg" if present.get(f"{table['id']}.svg") else None))
    legend = [(entry["symbol"], entry["meaning"]) for entry in document.get("legend", [])]
    return ShownRelease(present, tables, legend)


def _pivot(table_id: str, title: str, text: str, dimensions: list[str], symbols: dict[str, str],
           chart: str | None) -> ShownTable:
    rows = list(csv.DictReader(io.StringIO(text)))
    *row_dims, column_dim = dimensions
    columns: list[str] = []
    body: dict[str, dict[str, str]] = {}
    for row in rows:
        column = row[f"{column_dim}_label"]
        if column not in columns:
            columns.append(column)
        label = " · ".join(row[f"{d}_label"] for d in row_dims) or title
        # The CSV's own symbol column (releases since it has one), else the symbol for the status.
        shown = row.get("symbol") or (row["count"] if row["status"] == "safe" else symbols.get(row["status"], ""))
        body.setdefault(label, {})[column] = shown
    return ShownTable(table_id, title, columns,
                      [(label, [cells.get(c, "") for c in columns]) for label, cells in body.items()], chart)
