"""Issuing token batches: the print file is written once, and the database keeps only HMACs.

The batch and its file succeed or fail together: the HMACs are committed only after the print file
is complete on disk, and the file appears under its final name only after the commit.
"""
from __future__ import annotations

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

#: Print-file writers by suffix; the PDF slips carry the survey's title, the mail-merge CSV does not need it.
WRITERS = {
    ".csv": lambda path, slips, title: write_csv(path, slips),
    ".pdf": lambda path, slips, title: write_pdf(path, slips, title=title),
}


@dataclass(frozen=True)
class IssuedBatch:
    path: Path
    count: int
    stratum_label: str


def slip_url(token: str) -> str:
    """The QR target: the code after `#`, which browsers never send to the server."""
    return f"{str(current_app.config['PUBLIC_URL']).rstrip('/')}/s#{token}"


def issue_tokens(wave_id: int, selector: dict[str, str], count: int, out: Path) -> IssuedBatch:
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
    if issued + count > stratum.headcount:
        raise WaveError(
            f"Stratum {stratum.label} has {stratum.headcount} employees and {issued} codes already; "
            f"{count} more would exceed its headcount."
        )
    out = Path(out)
    writer = WRITERS.get(out.suffix.lower())
    if writer is None:
        raise WaveError(f"{out}: the print file must end in .csv or .pdf.")
    if out.exists():
        raise WaveError(f"{out} exists already; a print file is never overwritten. Choose another name.")
    if not out.parent.is_dir():
        raise WaveError(f"{out.parent} is not a folder.")

    codes = [new_token() for _ in range(count)]
    secrets.SystemRandom().shuffle(codes)
    key = pepper()
    rows = [
        {"digest": digest(canonical(code), key), "wave_id": wave.id, "stratum_id": stratum.id, "used": False}
        for code in codes
    ]
    questionnaire = questionnaire_of(wave)
    title = questionnaire.text(questionnaire.title, "de")
    partial = out.with_name(f".{out.name}.{secrets.token_hex(4)}.partial")
    try:
        db.session.execute(insert(Token), rows)
        slips = [Slip(code, slip_url(code)) for code in codes]
        write_private_file(partial)  # empty; the writer keeps this mode: codes are never world-readable
        writer(partial, slips, title)
        record(None, "code batch issued", {"wave": wave.id, "stratum": stratum.label, "count": count,
                                           "format": out.suffix.lower().lstrip(".")})
        db.session.commit()
        os.replace(partial, out)
    except BaseException as exc:
        db.session.rollback()
        partial.unlink(missing_ok=True)
        if isinstance(exc, ValueError):  # the slip writer refuses text it cannot print
            raise WaveError(f"{out}: {exc} No codes were issued.") from exc
        raise
    return IssuedBatch(out, count, stratum.label)
