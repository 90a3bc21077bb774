"""Issuing token batches: the print file is written once, and the database keeps only HMACs.

The batch and its file succeed or fail together: the HMACs are committed only after the print file
is complete on disk, and the file appears under its final name only after the commit.
"""
from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, insert, select

from .extensions import db
from .files import write_private_file
from .models import Token
from .stafflog import record
from .respond.operations import pepper
from .slips import Slip, write_csv, write_pdf
from .tokens import canonical, digest, new_token
from .waves import WaveError, find_stratum, get_wave, minimum_stratum_size, questionnaire_of

#: Print-file writers by format; the PDF slips carry the survey's title, the mail-merge CSV does not need it.
WRITERS = {
    "csv": lambda target, slips, title: write_csv(target, slips),
    "pdf": lambda target, slips, title: write_pdf(target, slips, title=title),
}
MIMETYPES = {"csv": "text/csv", "pdf": "application/pdf"}


@dataclass(frozen=True)
class IssuedBatch:
    path: Path
    count: int
    stratum_label: str


@dataclass(frozen=True)
class PrintFile:
    """A batch's print file in memory, for the staff page to send once; the server keeps no copy."""

    data: bytes
    filename: str
    mimetype: str
    count: int
    stratum_label: str


def slip_url(token: str) -> str:
    """The QR target: the code after `#`, which browsers never send to the server."""
    return f"{str(current_app.config['PUBLIC_URL']).rstrip('/')}/s#{token}"


def issue_tokens(wave_id: int, selector: dict[str, str], count: int, out: Path) -> IssuedBatch:
    """Issue a batch into a print file on disk (the command line): the file appears only once the
    batch is committed, and the batch is committed only once the file is complete."""
    out = Path(out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in WRITERS:
        raise WaveError(f"{out}: the print file must end in .csv or .pdf.")
    if out.exists():
        raise WaveError(f"{out} exists already; a print file is never overwritten. Choose another name.")
    if not out.parent.is_dir():
        raise WaveError(f"{out.parent} is not a folder.")
    partial = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
    try:
        label = _issue(wave_id, selector, count, fmt, lambda data: write_private_file(partial, data))
        db.session.commit()
        os.replace(partial, out)
    except BaseException:
        db.session.rollback()
        partial.unlink(missing_ok=True)
        raise
    return IssuedBatch(out, count, label)


def issue_download(wave_id: int, selector: dict[str, str], count: int, fmt: str) -> PrintFile:
    """Issue a batch into memory (the staff page streams it to the browser once, then it is gone)."""
    if fmt not in WRITERS:
        raise WaveError("The print file is a PDF or a CSV.")
    kept: list[bytes] = []
    try:
        label = _issue(wave_id, selector, count, fmt, kept.append)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    wave_part = f"wave-{wave_id}-" + "-".join(f"{k}-{v}" for k, v in sorted(selector.items()))
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in wave_part)
    return PrintFile(kept[0], f"{safe}-{count}-codes.{fmt}", MIMETYPES[fmt], count, label)


def _issue(wave_id: int, selector: dict[str, str], count: int, fmt: str, deliver) -> str:
    """Check, insert the batch's HMACs, render its print file and hand the bytes to `deliver`, all
    inside the caller's transaction; returns the stratum's label. Codes exist only in the bytes."""
    wave = get_wave(wave_id)
    if wave.state == "closed":
        raise WaveError(f"Wave {wave_id} is closed; no more codes can be issued for it.")
    stratum = find_stratum(wave, selector)
    minimum = max(wave.min_stratum_size, minimum_stratum_size())
    if stratum.headcount < minimum:
        raise WaveError(
            f"Stratum {stratum.label} has {stratum.headcount} employees, fewer than the minimum stratum size "
            f"of {minimum}: its answers could identify people. Merge it with a neighbouring stratum in the "
            "strata file and create the wave again."
        )
    if count < 1:
        raise WaveError("--count must be at least 1.")
    issued = db.session.scalar(select(func.count()).select_from(Token).where(Token.stratum_id == stratum.id)) or 0
    if wave.standing:
        # New hires arrive over the years: a batch may not exceed one year's expected intake, the total may.
        if count > stratum.headcount:
            raise WaveError(f"Stratum {stratum.label} expects {stratum.headcount} new hires a year; a batch of "
                            f"{count} is more than that.")
    elif issued + count > stratum.headcount:
        raise WaveError(
            f"Stratum {stratum.label} has {stratum.headcount} employees and {issued} codes already; "
            f"{count} more would exceed its headcount."
        )
    codes = [new_token() for _ in range(count)]
    secrets.SystemRandom().shuffle(codes)
    key = pepper()
    rows = [
        {"digest": digest(canonical(code), key), "wave_id": wave.id, "stratum_id": stratum.id, "used": False}
        for code in codes
    ]
    questionnaire = questionnaire_of(wave)
    title = questionnaire.text(questionnaire.title, "de")
    db.session.execute(insert(Token), rows)
    buffer = io.BytesIO()
    try:
        WRITERS[fmt](buffer, [Slip(code, slip_url(code)) for code in codes], title)
    except ValueError as exc:  # the slip writer refuses text it cannot print
        raise WaveError(f"{exc} No codes were issued.") from exc
    record(None, "code batch issued", {"wave": wave.id, "stratum": stratum.label, "count": count, "format": fmt})
    deliver(buffer.getvalue())
    return stratum.label
