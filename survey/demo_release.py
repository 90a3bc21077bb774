"""A released demo wave, so that a newcomer finds the release pages and HR's baseline choice filled.

The answers are invented (a seeded random generator, shares per employee group of the same order as
the plan's baselines) and go through the respondent operations like real ones: codes issued,
redeemed, submitted, sealed, mixed; then the wave is closed and released with the key's passphrase.
Only `wir-survey demo` calls this, and only once per instance.
"""
from __future__ import annotations

import csv
import io
import random

from .models import Release, Wave

NAME = "Demo: released migration-background"
#: Invented shares with a migration background per demo group, and the share who answer.
SHARES = {"trainee": 0.32, "medium": 0.16, "senior": 0.09, "top": 0.05}
RESPONSE_RATE = 0.3


def _answers(rng: random.Random, share: float) -> dict[str, str]:
    if rng.random() < share:
        born_abroad = rng.random() < 0.5
        return {"own_citizenship_at_birth": "no", "born_in_germany": "no" if born_abroad else "yes",
                "mother_immigrated": "yes" if born_abroad else "no"}
    return {"own_citizenship_at_birth": "yes", "born_in_germany": "yes", "mother_citizenship_at_birth": "yes",
            "father_citizenship_at_birth": "yes", "mother_immigrated": "no", "father_immigrated": "no"}


def ensure_released_demo_wave(passphrase: str, strata, messages: dict[str, str]) -> Release:
    """The demo's released wave, made the first time (a few seconds), found afterwards."""
    from questionnaires import load_builtin
    from sqlalchemy import select

    from .council.operations import decide
    from .extensions import db
    from .issuing import issue_download
    from .office.operations import run_release
    from .respond.operations import redeem, submit
    from .waves import close_wave, create_wave, open_wave

    wave = db.session.scalars(select(Wave).where(Wave.name == NAME)).first()
    if wave is not None and wave.state == "closed":
        release = db.session.scalars(select(Release).where(Release.wave_id == wave.id)).first()
        if release is not None:
            return release
    if wave is None:
        wave = create_wave(load_builtin()["migration-background"], NAME, strata, messages)
    if wave.state == "draft":
        decide(wave.id, "demo council", approve=True, comment="Demo: approved when the demo was set up.")
        open_wave(wave.id)
    if wave.state == "open":
        rng = random.Random(2027)
        for stratum in list(wave.strata):
            count = round(stratum.headcount * RESPONSE_RATE)
            printed = issue_download(wave.id, stratum.attributes, count, "csv")
            share = SHARES.get(stratum.attributes.get("group", ""), 0.15)
            for row in csv.DictReader(io.StringIO(printed.data.decode("utf-8"))):
                submit(redeem(row["token"]).digest, _answers(rng, share))
        close_wave(wave.id)
    return run_release(wave.id, passphrase, min_count=None, lang="de").release
