"""Time the real `wir-survey tokens issue ... --out slips.pdf` for a city-sized batch, end to end.

Run from the repository root:  .venv/bin/python bench/bench_issue.py [COUNT]   (default 12,000)

A throwaway instance (temporary folder, SQLite, fresh keys, one open wave of `migration-background`
with a stratum big enough) is set up first; only the issuing command is timed, by wall clock, as a
subprocess: interpreter start, app start, code generation, HMACs, the database insert, the PDF with
one QR code per slip, and the commit. Aim: 12,000 codes in under 60 s.
"""
from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
AIM_SECONDS = 60.0


def cli(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([str(BIN / "wir-survey"), *args], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=900)
    if result.returncode != 0:
        raise SystemExit(f"wir-survey {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def approve(env: dict[str, str], wave: str) -> None:
    """Approve the bench wave's configuration the way the test fixtures do; a bench has no councillor."""
    script = ("from survey import create_app; from survey.council.operations import decide; "
              f"app = create_app(); app.app_context().push(); decide({int(wave)}, 'bench council', approve=True)")
    subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, check=True, timeout=120)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 12_000
    with tempfile.TemporaryDirectory(prefix="wir-bench-issue-") as tmp_name:
        tmp = Path(tmp_name)
        env = dict(os.environ, WIR_SURVEY_INSTANCE=str(tmp / "instance"), WIR_SURVEY_PASSPHRASE="bench - throwaway")
        env.pop("WIR_SURVEY_DATABASE_URL", None)
        cli(env, "init")
        cli(env, "keys", "create")
        strata = tmp / "strata.csv"
        strata.write_text(f"group,headcount\nmedium,{max(count, 100_000)}\n", encoding="utf-8")
        wave = cli(env, "waves", "create", "migration-background", "--name", "Bench", "--strata", str(strata)).split()[-1]
        approve(env, wave)  # the staff council's approval (G5), given in-process as the tests do
        cli(env, "waves", "open", wave)

        out = tmp / "slips.pdf"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        cli(env, "tokens", "issue", wave, "--stratum", "group=medium", "--count", str(count), "--out", str(out))
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        size = out.stat().st_size
        pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", out.read_bytes()))
    verdict = "within" if wall < AIM_SECONDS else "MISSES"
    print(f"issue: {count} codes as PDF in {wall:.1f} s ({count / wall:.0f} codes/s), {size / 1e6:.1f} MB, "
          f"~{pages} pages; CPU {cpu:.1f} s, peak RSS {after.ru_maxrss / 1024:.0f} MB; {verdict} the {AIM_SECONDS:.0f} s aim")


if __name__ == "__main__":
    main()
