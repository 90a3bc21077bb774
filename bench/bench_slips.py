"""Time write_pdf / write_csv for a city-sized batch (default 12,000 slips).

Run from the repository root:  .venv/bin/python bench/bench_slips.py [N]
"""

from __future__ import annotations

import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from survey.slips import Slip, write_csv, write_pdf  # noqa: E402

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_token() -> str:
    raw = "".join(secrets.choice(CROCKFORD) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 12_000
    slips = [
        Slip(t, f"https://survey.example/s#{t}")
        for t in (random_token() for _ in range(n))
    ]
    with tempfile.TemporaryDirectory() as tmp:
        pdf, csv_path = Path(tmp, "slips.pdf"), Path(tmp, "slips.csv")
        t0 = time.perf_counter()
        write_pdf(pdf, slips, title="Mitarbeiterbefragung 2025")
        t_pdf = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_csv(csv_path, slips)
        t_csv = time.perf_counter() - t0
        size = pdf.stat().st_size
    print(
        f"slips: {n} PDF in {t_pdf:.1f} s ({n / t_pdf:.0f} slips/s), "
        f"{size / 1e6:.1f} MB; CSV in {t_csv:.2f} s"
    )


if __name__ == "__main__":
    main()
