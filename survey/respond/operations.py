"""What the respondent flow writes: nothing until the final submit, then one sealed answer in the pool.

Submitting marks the token used and puts the sealed answers into the mix pool in one transaction.
The token update is conditional (still unused, wave still open), so of two racing submits with one
code exactly one succeeds, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update

from questionnaires import Questionnaire

from .. import pool
from ..extensions import db
from ..models import Token, Wave
from ..tokens import canonical, digest
from ..waves import questionnaire_by_hash


class CodeProblem(Exception):
    """Why a code cannot be used right now; each kind has its own friendly page."""

    kind = "unknown"


class UnknownCode(CodeProblem):
    kind = "unknown"


class UsedCode(CodeProblem):
    kind = "used"


class WaveNotOpen(CodeProblem):
    kind = "not_open"


class InvalidAnswers(Exception):
    """Answers that do not fit the questionnaire (a tampered form); nothing is stored."""


@dataclass(frozen=True)
class Redeemed:
    digest: bytes
    wave_id: int
    stratum_id: int
    questionnaire: Questionnaire


def pepper() -> bytes:
    return bytes.fromhex(current_app.config["TOKEN_PEPPER"])


def redeem(code: str) -> Redeemed:
    """Check a typed or scanned code without consuming it: only submission uses it up."""
    canonical_code = canonical(code)
    if canonical_code is None:
        raise UnknownCode()
    return check(digest(canonical_code, pepper()))


def check(token_digest: bytes) -> Redeemed:
    """Whether a redeemed code can still answer: one small query on every respondent page."""
    row = db.session.execute(
        select(Token.used, Token.stratum_id, Wave.id, Wave.state, Wave.questionnaire_hash)
        .join(Wave, Wave.id == Token.wave_id)
        .where(Token.digest == token_digest)
    ).first()
    if row is None:
        raise UnknownCode()
    used, stratum_id, wave_id, state, questionnaire_hash = row
    if used:
        raise UsedCode()
    if state != "open":
        raise WaveNotOpen()
    return Redeemed(token_digest, wave_id, stratum_id, questionnaire_by_hash(wave_id, questionnaire_hash))


def submit(token_digest: bytes, answers: Mapping[str, object]) -> None:
    """Use the token and pool the sealed answers, atomically; raise if the code is used or the wave closed."""
    redeemed = check(token_digest)
    questionnaire = redeemed.questionnaire
    kept = questionnaire.visible_answers(dict(answers))
    problems = questionnaire.validate_answers(kept)
    if problems:
        raise InvalidAnswers("; ".join(problems))
    stratum_id, wave_id = redeemed.stratum_id, redeemed.wave_id
    try:
        used = db.session.execute(
            update(Token)
            .where(
                Token.digest == token_digest,
                Token.used.is_(False),
                Token.wave_id.in_(select(Wave.id).where(Wave.state == "open")),
            )
            .values(used=True)
            .execution_options(synchronize_session=False)
        )
        if used.rowcount != 1:
            db.session.rollback()
            check(token_digest)  # raises the precise reason: used, or wave no longer open
            raise UsedCode()
        # The stratum travels sealed with the answers, never in clear beside them.
        pool.deposit(wave_id, {"questionnaire": questionnaire.hash, "stratum": stratum_id, "answers": kept})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
