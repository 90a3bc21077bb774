"""Time a full release (decrypt, tabulate, protect, write XLSX/CSV/JSON/charts) for synthetic waves.

Responses are sealed straight into the store of a throwaway instance (the respondent flow is
measured by bench_flow.py); the release itself runs exactly as `wir-survey release` does.
Run from the repository root:  .venv/bin/python bench/bench_release.py [N ...] [--keep DIR]
(`--keep DIR` copies the release files of each size to DIR/N, to open the workbook and charts.)
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSPHRASE = "bench passphrase"
GROUPS = ["trainee", "medium", "senior", "top", "manager", "other"]
DEPARTMENTS = [f"{n}" for n in range(10, 70, 5)]


def synthetic_answers(rng: random.Random) -> dict:
    """A plausible person: about a third with a migration background (as in Hannover's population),
    answers consistent with it, and some questions skipped or declined."""
    background = rng.random() < 0.3
    immigrated = background and rng.random() < 0.6
    own_foreign = background and (immigrated and rng.random() < 0.7 or rng.random() < 0.2)
    mother_foreign = background and rng.random() < 0.75
    father_foreign = background and (rng.random() < 0.75 or not (own_foreign or mother_foreign))
    truth = {
        "own_citizenship_at_birth": not own_foreign,
        "born_in_germany": not immigrated,
        "mother_citizenship_at_birth": not mother_foreign,
        "father_citizenship_at_birth": not father_foreign,
        "mother_immigrated": mother_foreign and rng.random() < 0.8,
        "father_immigrated": father_foreign and rng.random() < 0.8,
    }
    answers = {}
    for question, value in truth.items():
        r = rng.random()
        if r < 0.04:
            continue  # skipped
        answers[question] = "prefer_not_to_say" if r < 0.07 else ("yes" if value else "no")
    return answers


def bench_releases(sizes: list[int], keep: Path | None = None) -> None:
    from sqlalchemy import insert

    from questionnaires import load_builtin
    from survey import create_app
    from survey.crypto import info_for, seal
    from survey.database import upgrade
    from survey.extensions import db
    from survey.keys import key_files, statistics_public_key
    from survey.models import Response
    from survey.releases import make_release
    from survey.council.operations import decide
    from survey.waves import create_wave, open_wave, StratumRow

    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="wir-bench-release-") as tmp:
            os.environ["WIR_SURVEY_INSTANCE"] = tmp
            os.environ.pop("WIR_SURVEY_DATABASE_URL", None)
            from cryptography.fernet import Fernet

            app = create_app({"SECRET_KEY": "b" * 64, "TOKEN_PEPPER": "00" * 32,
                              "SESSION_KEY": Fernet.generate_key().decode()})
            with app.app_context():
                upgrade()
                key_files().create(PASSPHRASE)
                rows = [StratumRow({"group": g, "department": d}, max(20, n // 40)) for g in GROUPS for d in DEPARTMENTS]
                wave = create_wave(load_builtin()["migration-background"], f"bench {n}", rows)
                decide(wave.id, "bench council", approve=True)
                open_wave(wave.id)
                strata = [s.id for s in wave.strata]
                questionnaire_hash = wave.questionnaire_hash
                public = statistics_public_key()
                rng = random.Random(n)
                start = time.perf_counter()
                batch = []
                for _ in range(n):
                    stratum = rng.choice(strata)
                    batch.append({
                        "id": uuid.uuid4(), "wave_id": wave.id,
                        "sealed": seal({"questionnaire": questionnaire_hash, "stratum": stratum,
                                        "answers": synthetic_answers(rng)}, public, info_for(wave.id)),
                    })
                    if len(batch) == 5000:
                        db.session.execute(insert(Response), batch)
                        batch = []
                if batch:
                    db.session.execute(insert(Response), batch)
                db.session.commit()
                setup = time.perf_counter() - start
                start = time.perf_counter()
                result = make_release(wave.id, PASSPHRASE, Path(tmp) / "release")
                seconds = time.perf_counter() - start
                size = sum(p.stat().st_size for p in (Path(tmp) / "release").iterdir())
                print(f"release {n:>7,} responses: {seconds:6.1f} s ({n / seconds:,.0f} responses/s), "
                      f"{len(result.files)} files, {size / 1e6:.1f} MB   [setup: sealed and stored in {setup:.1f} s]",
                      flush=True)
                if keep is not None:
                    shutil.copytree(Path(tmp) / "release", keep / str(n))
                db.session.remove()
                db.engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=[12_000, 200_000])
    parser.add_argument("--keep", type=Path)
    arguments = parser.parse_args()
    bench_releases(arguments.sizes, arguments.keep)
