"""Print outputs for one-time codes: CSV for mail-merge, PDF slips with QR codes."""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

import pytest
import qrcode
from pypdf import PdfReader
from pypdf.generic import ContentStream
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.units import mm

from survey.slips import (
    QR_MASK_PATTERN,
    SLIPS_PER_PAGE,
    Slip,
    _matrices,
    _rects,
    entry_host,
    pages_needed,
    qr_matrix,
    write_csv,
    write_pdf,
)

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TITLE = "Mitarbeiterbefragung Grünflächenamt: ä ö ü ß Ä Ö Ü"


def make_slips(n: int, seed: int = 1, base: str = "https://survey.example") -> list[Slip]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        raw = "".join(rng.choice(CROCKFORD) for _ in range(16))
        token = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
        out.append(Slip(token, f"{base}/s#{token}"))
    return out


def pdf_qr_matrices(path: Path) -> list[tuple[float, list[list[bool]]]]:
    """(module size in pt, matrix) of every QR code, rebuilt from the drawn rectangles."""
    reader = PdfReader(path)
    found: list[tuple[float, list[list[bool]]]] = []
    for page in reader.pages:
        ops = ContentStream(page.get_contents(), reader).operations
        rects: list[tuple[int, int, int, int]] | None = None
        module = 0.0
        for operands, op in ops:
            if op == b"cm" and operands[1] == operands[2] == 0 and operands[3] == -operands[0]:
                rects, module = [], float(operands[0])
            elif op == b"re" and rects is not None:
                rects.append(tuple(int(v) for v in operands))  # type: ignore[arg-type]
            elif op == b"f" and rects is not None:
                n = max(c + w for c, _, w, _ in rects)
                matrix = [[False] * n for _ in range(n)]
                for c, r, w, h in rects:
                    for y in range(r, r + h):
                        for x in range(c, c + w):
                            assert not matrix[y][x], "rectangles overlap"
                            matrix[y][x] = True
                found.append((module, matrix))
                rects = None
    return found


def decode(matrix: list[list[bool]]) -> str:
    """Decode a module matrix with ZXing, rendered with a 4-module quiet zone."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image, ImageDraw

    scale, quiet = 6, 4
    size = (len(matrix) + 2 * quiet) * scale
    img = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(img)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x, y = (c + quiet) * scale, (r + quiet) * scale
                draw.rectangle((x, y, x + scale - 1, y + scale - 1), fill=0)
    result = zxingcpp.read_barcode(img, formats=zxingcpp.BarcodeFormat.QRCode)
    assert result is not None, "no QR code found"
    return str(result.text)


# --- CSV ------------------------------------------------------------------


def test_csv_round_trip(tmp_path: Path) -> None:
    slips = make_slips(50)
    path = tmp_path / "codes.csv"
    write_csv(path, slips)
    raw = path.read_bytes()
    assert raw.startswith(b"token,url\r\n")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["token"], r["url"]) for r in rows] == [(s.token, s.url) for s in slips]
    assert len({r["token"] for r in rows}) == len(slips)


def test_csv_empty_has_header_only(tmp_path: Path) -> None:
    path = tmp_path / "codes.csv"
    write_csv(path, [])
    assert path.read_bytes() == b"token,url\r\n"


def test_slip_is_frozen() -> None:
    slip = Slip("AAAA-BBBB-CCCC-DDDD", "https://survey.example/s#AAAA-BBBB-CCCC-DDDD")
    with pytest.raises(AttributeError):
        slip.token = "x"  # type: ignore[misc]


# --- PDF --------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, SLIPS_PER_PAGE, 17])
def test_pdf_pages_and_text(tmp_path: Path, n: int) -> None:
    slips = make_slips(n, seed=n)
    path = tmp_path / "slips.pdf"
    write_pdf(path, slips, title=TITLE)
    assert path.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(path)
    assert len(reader.pages) == pages_needed(n) == math.ceil(n / 8)
    text = "\n".join(page.extract_text() for page in reader.pages)
    for slip in slips:
        assert text.count(slip.token) == 1
    flat = " ".join(text.split())
    assert flat.count(TITLE) == n  # umlauts and ß survive the WinAnsi built-in fonts
    assert (
        "Scannen Sie den QR-Code oder geben Sie den Code auf survey.example ein. "
        "Freiwillig und anonym." in flat
    )
    assert "Scan the QR code or enter the code at survey.example. Voluntary and anonymous." in flat
    assert "/s#" not in text  # the full URL (with the code) is only in the QR code


def test_pdf_without_title(tmp_path: Path) -> None:
    slips = make_slips(3)
    path = tmp_path / "slips.pdf"
    write_pdf(path, slips)
    text = PdfReader(path).pages[0].extract_text()
    assert all(s.token in text for s in slips)
    assert "Befragung" not in text


def test_pdf_qr_codes_decode_to_exact_urls(tmp_path: Path) -> None:
    slips = make_slips(10, seed=7)
    path = tmp_path / "slips.pdf"
    write_pdf(path, slips, title=TITLE)
    qrs = pdf_qr_matrices(path)
    assert len(qrs) == len(slips)
    for slip, (module, matrix) in zip(slips, qrs):
        assert matrix == qr_matrix(slip.url)
        assert module * len(matrix) >= 30 * mm  # cheap phone cameras need size
    for slip, (_, matrix) in list(zip(slips, qrs))[:3]:
        assert decode(matrix) == slip.url


def test_pdf_is_reproducible_and_carries_no_date(tmp_path: Path) -> None:
    slips = make_slips(9)
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    write_pdf(a, slips, title="Befragung")
    write_pdf(b, slips, title="Befragung")
    assert a.read_bytes() == b.read_bytes()  # so no timestamp is embedded


def test_pdf_host_with_path_prefix(tmp_path: Path) -> None:
    slips = make_slips(2, base="https://www.stadt.example:8443/umfrage")
    path = tmp_path / "slips.pdf"
    write_pdf(path, slips)
    flat = " ".join(PdfReader(path).pages[0].extract_text().split())
    assert "enter the code at www.stadt.example:8443/umfrage." in flat


def test_pdf_rejects_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "slips.pdf"
    with pytest.raises(ValueError):
        write_pdf(path, [])
    with pytest.raises(ValueError, match="title"):
        write_pdf(path, make_slips(1), title="Łódź")  # outside WinAnsi: black boxes
    with pytest.raises(ValueError):
        write_pdf(path, [Slip("AAAA", "survey.example/s#AAAA")])


def test_entry_host() -> None:
    assert entry_host("https://survey.example/s#7K3M-QX9P-0ABC-DEFG") == "survey.example"
    assert entry_host("http://localhost:5000/s#X") == "localhost:5000"
    assert entry_host("https://stadt.example/umfrage/s#X") == "stadt.example/umfrage"
    with pytest.raises(ValueError):
        entry_host("mailto:a@b.example")


# --- QR matrices --------------------------------------------------------------


def test_matrix_is_qrcode_output_for_the_fixed_mask() -> None:
    url = make_slips(1)[0].url
    reference = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=QR_MASK_PATTERN)
    reference.add_data(url, optimize=10)
    reference.make()
    assert qr_matrix(url) == [[bool(m) for m in row] for row in reference.modules]
    # Upper-case code as an alphanumeric segment keeps the symbol at version 3.
    assert len(qr_matrix(url)) == 29


def test_batch_matrices_equal_single_ones() -> None:
    urls = [s.url for s in make_slips(5)] + ["https://survey.example/s#" + "A" * 60]
    batch = [[[bool(m) for m in row] for row in mat] for mat in _matrices(urls)]
    assert batch == [qr_matrix(u, version=len(batch[0]) // 4 - 4) for u in urls]
    assert len(batch[-1]) > len(batch[0])  # a longer URL still gets a big enough symbol


@pytest.mark.parametrize(
    "url",
    [
        "https://survey.example/s#7K3M-QX9P-0ABC-DEFG",
        "https://www.stadt.example/umfrage/s#0000-0000-0000-0000",
        "http://localhost:5000/s#zzzz-yyyy-xxxx-wwww",
    ],
)
def test_matrix_decodes(url: str) -> None:
    assert decode(qr_matrix(url)) == url


def test_rects_cover_dark_modules_exactly() -> None:
    rng = random.Random(3)
    for _ in range(200):
        n = rng.randint(1, 25)
        matrix = [[rng.random() < 0.5 for _ in range(n)] for _ in range(n)]
        covered = [[0] * n for _ in range(n)]
        for c, r, w, h in _rects(matrix):
            assert w > 0 and h > 0
            for y in range(r, r + h):
                for x in range(c, c + w):
                    covered[y][x] += 1
        assert covered == [[int(v) for v in row] for row in matrix]
