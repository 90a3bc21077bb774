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


def _answer_stratum(wave_id: int, attributes: dict[str, str], count: int, share: float, rng: random.Random) -> None:
    """Issue `count` codes of the stratum in memory and send invented answers with each, as respondents would."""
    from .issuing import issue_download
    from .respond.operations import redeem, submit

    printed = issue_download(wave_id, attributes, count, "csv")
    for row in csv.DictReader(io.StringIO(printed.data.decode("utf-8"))):
        submit(redeem(row["token"]).digest, _answers(rng, share))


def ensure_released_demo_wave(passphrase: str, strata, messages: dict[str, str]) -> Release:
    """The demo's released wave, made the first time (a few seconds), found afterwards."""
    from questionnaires import load_builtin
    from sqlalchemy import select

    from .council.operations import decide
    from .extensions import db
    from .office.operations import run_release
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
            _answer_stratum(wave.id, stratum.attributes, round(stratum.headcount * RESPONSE_RATE),
                            SHARES.get(stratum.attributes.get("group", ""), 0.15), rng)
        close_wave(wave.id)
    return run_release(wave.id, passphrase, min_count=None, lang="de").release


STANDING_NAME = "Demo: new hires (standing)"
#: Expected new hires a year per demo group, and invented shares with a migration background among them.
INTAKE = {"trainee": 60, "medium": 120, "senior": 60, "top": 25}
HIRE_SHARES = {"trainee": 0.35, "medium": 0.30, "senior": 0.18, "top": 0.10}
YEARS = (2025, 2026)
#: Invented headcounts N and vacancies V up to the target date, so that the monitoring has figures.
DEMO_FIGURES = {"all": (11_000, 1_470), "medium": (4_200, 700), "senior": (3_000, 400), "top": (400, 120)}


def ensure_monitoring_demo(passphrase: str, messages: dict[str, str]) -> int:
    """HR's demo: invented N and V in a plan version, and a standing new-hire wave released for two
    years, so that the monitoring page and its reports show measured hiring rates. Returns the wave id."""
    from questionnaires import load_builtin
    from sqlalchemy import select

    from .council.operations import decide
    from .extensions import db
    from .hr.operations import change, current
    from .office.operations import run_release
    from .waves import StratumRow, create_wave, open_wave

    if current().version == 0:
        for key, (headcount, vacancies) in DEMO_FIGURES.items():
            change(key, {"headcount": headcount, "vacancies": vacancies}, "Demo: invented N and V", by="demo hr")
    wave = db.session.scalars(select(Wave).where(Wave.name == STANDING_NAME)).first()
    if wave is None:
        # The questionnaire tabulates by group and department; new hires are counted across departments.
        strata = [StratumRow({"group": group, "department": "all"}, intake) for group, intake in INTAKE.items()]
        wave = create_wave(load_builtin()["migration-background"], STANDING_NAME, strata, messages, standing=True)
        decide(wave.id, "demo council", approve=True, comment="Demo: approved when the demo was set up.")
        open_wave(wave.id)
    done = db.session.scalars(select(Release).where(Release.wave_id == wave.id)).all()
    rng = random.Random(2025)
    for year in YEARS[len(done):]:
        for stratum in list(wave.strata):
            # those of the year's hires who answered
            _answer_stratum(wave.id, stratum.attributes, round(stratum.headcount * 0.6),
                            HIRE_SHARES[stratum.attributes["group"]], rng)
        run_release(wave.id, passphrase, min_count=None, lang="de", year=year)
    return wave.id
