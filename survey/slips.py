"""Outputs that carry one-time survey codes to employees.

Each employee receives a paper slip with the payroll notice: a QR code that
opens the survey URL (the code sits in the URL fragment, so it never reaches a
server) plus the code in plain text for people who type it in.  The payroll
office may instead merge the codes into its own letters, hence the CSV.

Anonymity rules for anything written here: no names, no dates, no sequence
numbers on slips, and reproducible PDF metadata (reportlab's ``invariant``
mode) so the file itself carries no creation timestamp.  Shuffling the slips
before writing is the caller's job; the order given is the order written.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

__all__ = [
    "QR_MASK_PATTERN",
    "SLIPS_PER_PAGE",
    "Slip",
    "entry_host",
    "pages_needed",
    "qr_matrix",
    "write_csv",
    "write_pdf",
]


@dataclass(frozen=True, slots=True)
class Slip:
    """One employee's code and the URL its QR code opens."""

    token: str
    url: str


# --- QR codes -------------------------------------------------------------

# Any of the eight masks yields a valid QR code; qrcode's search for the best
# one costs ~85 % of the generation time, which matters for 12,000 codes.
QR_MASK_PATTERN = 4
# Split the URL into byte/alphanumeric segments only for runs of at least this
# many characters (below that the segment header costs more than it saves).
# For ``https://host/s#XXXX-XXXX-XXXX-XXXX`` the upper-case code becomes an
# alphanumeric segment, which shrinks the symbol from version 4 to version 3.
_SEGMENT_MIN = 10
_QUIET_ZONE = 4  # modules of white border, as required by ISO/IEC 18004

Matrix = list[list[bool]]


def _make_qr(url: str, version: int | None) -> qrcode.QRCode:
    qr = qrcode.QRCode(
        version=version,
        error_correction=ERROR_CORRECT_M,
        border=0,
        mask_pattern=QR_MASK_PATTERN,
    )
    qr.add_data(url, optimize=_SEGMENT_MIN)
    # fit=True only counts bits (cheap) and keeps ``version`` unless the data
    # needs a larger one, so an unexpectedly long URL still gets a valid code.
    qr.make(fit=True)
    return qr


def qr_matrix(url: str, *, version: int | None = None) -> Matrix:
    """Module matrix (True = dark, no quiet zone) of the QR code for ``url``.

    ``version`` is a lower bound; pass the version of the first code of a
    batch so all slips of the batch get the same symbol size.
    """
    modules = _make_qr(url, version).modules
    return [[bool(m) for m in row] for row in modules]


def _matrices(urls: Sequence[str]) -> Iterator[Matrix]:
    """QR matrices for a batch, sizing the symbol once from the first URL."""
    version: int | None = None
    for url in urls:
        qr = _make_qr(url, version)
        if version is None:
            version = qr.version
        yield qr.modules


def _rects(matrix: Matrix) -> list[tuple[int, int, int, int]]:
    """Cover the dark modules with few rectangles ``(col, row, width, height)``.

    Horizontal runs become one rectangle each, and a run with the same span
    as one directly above extends that rectangle downwards (finder patterns,
    vertical bars).  Fewer ``re`` operators keep a 12,000-slip PDF small.
    """
    out: list[list[int]] = []
    above: dict[tuple[int, int], list[int]] = {}
    for r, row in enumerate(matrix):
        here: dict[tuple[int, int], list[int]] = {}
        n = len(row)
        c = 0
        while c < n:
            if not row[c]:
                c += 1
                continue
            start = c
            while c < n and row[c]:
                c += 1
            span = (start, c)
            rect = above.get(span)
            if rect is None:
                rect = [start, r, c - start, 1]
                out.append(rect)
            else:
                rect[3] += 1
            here[span] = rect
        above = here
    return [(a, b, w, h) for a, b, w, h in out]


def _qr_ops(matrix: Matrix, x: float, y_top: float, size: float) -> str:
    """PDF operators filling ``matrix`` into the square (x, y_top - size, size).

    ``size`` includes the quiet zone.  All rectangles form one path filled
    once, so viewers render their union without hairline seams.  The
    coordinate system is flipped so rectangles use integer module coordinates.
    """
    module = size / (len(matrix) + 2 * _QUIET_ZONE)
    x0 = x + _QUIET_ZONE * module
    y0 = y_top - _QUIET_ZONE * module
    parts = [f"q 0 g {module:.5f} 0 0 {-module:.5f} {x0:.3f} {y0:.3f} cm"]
    parts.extend(f"{c} {r} {w} {h} re" for c, r, w, h in _rects(matrix))
    parts.append("f Q")
    return "\n".join(parts)


# --- layout -----------------------------------------------------------------

_COLS, _ROWS = 2, 4
SLIPS_PER_PAGE = _COLS * _ROWS
_PAGE_W: float = A4[0]
_PAGE_H: float = A4[1]
_SLIP_W, _SLIP_H = _PAGE_W / _COLS, _PAGE_H / _ROWS  # 105 x 74.25 mm

_MARGIN: float = 5 * mm  # text keeps this far from cut lines (printer edge, bad cuts)
_QR_X: float = 3 * mm  # the white quiet zone may come closer to the cut
_QR_BOX: float = 46 * mm  # incl. quiet zone; the symbol is 36 mm wide at version 3
_GAP: float = 1 * mm

_TITLE_FONT, _TITLE_MAX, _TITLE_MIN = "Helvetica-Bold", 10.0, 6.0
_TEXT_FONTS = ("Helvetica", "Helvetica-Oblique")  # German, English
_TEXT_MAX, _TEXT_MIN = 9.0, 6.0
_CODE_FONT, _CODE_MAX = "Courier-Bold", 20.0

_TEXT_DE = (
    "Scannen Sie den QR-Code oder geben Sie den Code auf {host} ein. "
    "Freiwillig und anonym."
)
_TEXT_EN = "Scan the QR code or enter the code at {host}. Voluntary and anonymous."


def entry_host(url: str) -> str:
    """Where people type the code: the URL without scheme, last path segment
    and fragment, e.g. ``https://survey.example/s#X`` -> ``survey.example``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {url!r}")
    base = parts.path.rsplit("/", 1)[0] if "/" in parts.path else ""
    return parts.netloc + base.rstrip("/")


def _check_printable(text: str, what: str) -> None:
    """Fail early: built-in fonts print characters outside WinAnsi (~cp1252)
    as black boxes, which nobody should find on 12,000 printed slips."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise ValueError(f"{what} {text!r}: {bad!r} cannot be printed") from None


def _fit(text: str, font: str, size: float, minimum: float, width: float) -> float:
    """Largest font size <= ``size`` (and >= ``minimum``) at which ``text`` fits."""
    w: float = stringWidth(text, font, size)
    if w <= width:
        return size
    return max(minimum, size * width / w)


def _title_top(title: str) -> tuple[float, float]:
    """(font size, baseline) of the title line, or (0, top) without a title."""
    top = _SLIP_H - _MARGIN
    if not title:
        return 0.0, top
    size = _fit(title, _TITLE_FONT, _TITLE_MAX, _TITLE_MIN, _SLIP_W - 2 * _MARGIN)
    return size, top - 0.75 * size


def _qr_top(title: str) -> float:
    size, baseline = _title_top(title)
    # Without a title the quiet zone may reach into the top margin.
    return baseline - 0.3 * size - _GAP if title else _SLIP_H - _QR_X


def _truncate(text: str, font: str, size: float, width: float) -> str:
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "\u2026", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _draw_static(c: Canvas, host: str, title: str) -> None:
    """Everything that is the same on every slip of a host: title, texts."""
    if title:
        size, baseline = _title_top(title)
        c.setFont(_TITLE_FONT, size)
        width = _SLIP_W - 2 * _MARGIN
        c.drawString(_MARGIN, baseline, _truncate(title, _TITLE_FONT, size, width))

    x = _QR_X + _QR_BOX + _GAP
    width = _SLIP_W - x - _MARGIN
    texts = (_TEXT_DE.format(host=host), _TEXT_EN.format(host=host))
    size = _TEXT_MAX
    while True:  # shrink until every line fits the column and the QR height
        lines = [simpleSplit(t, f, size, width) for t, f in zip(texts, _TEXT_FONTS)]
        leading = 1.22 * size
        height = leading * (sum(map(len, lines)) + 0.6)
        too_wide = any(
            stringWidth(line, f, size) > width
            for ls, f in zip(lines, _TEXT_FONTS)
            for line in ls
        )
        if size <= _TEXT_MIN or (height <= _QR_BOX and not too_wide):
            break
        size -= 0.5
    # Vertically centred beside the QR code.
    y = _qr_top(title) - (_QR_BOX - height) / 2 - size
    for ls, font in zip(lines, _TEXT_FONTS):
        c.setFont(font, size)
        for line in ls:
            c.drawString(x, y, line)
            y -= leading
        y -= 0.6 * leading


def _draw_cut_lines(c: Canvas) -> None:
    c.saveState()
    c.setStrokeGray(0.65)
    c.setLineWidth(0.4)
    c.setDash(3, 3)
    for i in range(1, _COLS):
        c.line(i * _SLIP_W, 0, i * _SLIP_W, _PAGE_H)
    for j in range(1, _ROWS):
        c.line(0, j * _SLIP_H, _PAGE_W, j * _SLIP_H)
    c.restoreState()


# --- writers --------------------------------------------------------------


def write_csv(target: Path | BinaryIO, slips: Sequence[Slip]) -> None:
    """Write ``token,url`` rows (UTF-8, with header) for a payroll mail-merge, to a file or a
    binary stream (the staff page sends it to the browser without a copy on disk)."""
    with ExitStack() as stack:
        if isinstance(target, Path):
            fh = stack.enter_context(target.open("w", encoding="utf-8", newline=""))
        else:
            fh = io.TextIOWrapper(target, encoding="utf-8", newline="")
            stack.callback(fh.detach)  # leave the caller's stream open
            stack.callback(fh.flush)
        writer = csv.writer(fh)
        writer.writerow(("token", "url"))
        writer.writerows((s.token, s.url) for s in slips)


def write_pdf(target: Path | BinaryIO, slips: Sequence[Slip], *, title: str = "") -> None:
    """Write printable A4 slips, eight per page, separated by dashed cut lines.

    Each slip shows an optional ``title`` (e.g. the survey's name), the QR
    code for its URL, the code in large monospace type and short German and
    English instructions naming the host where the code can be typed in.
    Only reportlab's built-in fonts are used (WinAnsi: covers ä ö ü ß).
    """
    if not slips:
        raise ValueError("no slips to write")
    hosts = [entry_host(s.url) for s in slips]
    _check_printable(title, "title")
    for host in set(hosts):
        _check_printable(host, "host")
    for slip in slips:
        _check_printable(slip.token, "token")

    c = Canvas(str(target) if isinstance(target, Path) else target, pagesize=A4, invariant=True, pageCompression=1)
    c.setTitle(title)
    c.setAuthor("")
    c.setCreator("")
    c.setSubject("")

    # Text shared by all slips of a host is drawn once as a form XObject.
    forms: dict[str, str] = {}
    for host in dict.fromkeys(hosts):
        name = f"slip{len(forms)}"
        c.beginForm(name, 0, 0, _SLIP_W, _SLIP_H)
        _draw_static(c, host, title)
        c.endForm()
        forms[host] = name

    qr_top = _qr_top(title)
    code_y = qr_top - _QR_BOX  # the code goes just below the QR box
    code_width = _SLIP_W - 2 * _MARGIN
    for i, (slip, host, matrix) in enumerate(
        zip(slips, hosts, _matrices([s.url for s in slips]))
    ):
        pos = i % SLIPS_PER_PAGE
        if pos == 0:
            if i:
                c.showPage()
            _draw_cut_lines(c)
        col, row = pos % _COLS, pos // _COLS
        x, y = col * _SLIP_W, _PAGE_H - (row + 1) * _SLIP_H

        c.saveState()
        c.translate(x, y)
        c.doForm(forms[host])
        c.restoreState()
        c.addLiteral(_qr_ops(matrix, x + _QR_X, y + qr_top, _QR_BOX))
        size = _fit(slip.token, _CODE_FONT, _CODE_MAX, 8.0, code_width)
        c.setFont(_CODE_FONT, size)
        c.drawCentredString(x + _SLIP_W / 2, y + code_y - _GAP - 0.6 * size, slip.token)
    c.showPage()
    c.save()


def pages_needed(n: int) -> int:
    """Number of PDF pages ``write_pdf`` produces for ``n`` slips."""
    return math.ceil(n / SLIPS_PER_PAGE)
