"""What the respondent flow reads and writes: nothing until the final submit, then one sealed answer.

Whoever holds a list of codes with names (a payroll mail-merge) must learn nothing about who took
part by trying codes (G1, G2). So a code that has already answered behaves like one that has not:
it leads through the questionnaire to the same thank-you page. No step before the submit even reads
whether a code was used. The submit finds out through its conditional update (still unused, wave
still open), which also makes exactly one of two racing submits with one code succeed. Both
outcomes then do the same work: the answers are sealed and one write is committed. A first submit
stores them; a later one drops them and adds one to the wave's reuse count. The first answer given
with a code is the one that counts.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import literal, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from questionnaires import Questionnaire

from .. import pool
from ..extensions import db
from ..models import SubmitCount, Token, Wave
from ..tokens import canonical, digest
from ..waves import questionnaire_by_hash
from .throttle import unknown_code_bucket


class CodeProblem(Exception):
    """Why a code cannot go on right now; each kind has its own friendly page.

    None of them depends on whether the code was used: the pages a code gets say nothing about that."""

    kind = "unknown"


class UnknownCode(CodeProblem):
    kind = "unknown"


class TooManyUnknownCodes(CodeProblem):
    """Too many mistyped codes on this server just now; `retry_after` seconds until the next is heard."""

    kind = "throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class WaveNotOpen(CodeProblem):
    """The wave has not opened yet."""

    kind = "not_open"


class WaveClosed(CodeProblem):
    """The wave has ended: every one of its codes, used or not, gets this."""

    kind = "closed"


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
    """A typed or scanned code, checked without consuming it; only the submit uses it up.

    Mistyped codes draw on the server-wide rate limit; a code that exists never does."""
    canonical_code = canonical(code)
    try:
        if canonical_code is None:
            raise UnknownCode()
        return check(digest(canonical_code, pepper()))
    except UnknownCode:
        wait = unknown_code_bucket().take()
        if wait:
            raise TooManyUnknownCodes(wait) from None
        raise


def check(token_digest: bytes) -> Redeemed:
    """The code exists and its wave is open: one small query, which never reads the used flag."""
    row = db.session.execute(
        select(Token.stratum_id, Wave.id, Wave.state, Wave.questionnaire_hash)
        .join(Wave, Wave.id == Token.wave_id)
        .where(Token.digest == token_digest)
    ).first()
    if row is None:
        raise UnknownCode()
    stratum_id, wave_id, state, questionnaire_hash = row
    _require_open(state)
    return Redeemed(token_digest, wave_id, stratum_id, questionnaire_by_hash(wave_id, questionnaire_hash))


def open_questionnaire(wave_id: int, questionnaire_hash: str) -> Questionnaire:
    """The questionnaire of a code in progress, while its wave is open: reads only the wave's state."""
    state = db.session.scalar(select(Wave.state).where(Wave.id == wave_id))
    if state is None:
        raise UnknownCode()
    _require_open(state)
    return questionnaire_by_hash(wave_id, questionnaire_hash)


def _require_open(state: str) -> None:
    if state == "closed":
        raise WaveClosed()
    if state != "open":
        raise WaveNotOpen()


def submit(token_digest: bytes, answers: Mapping[str, object]) -> None:
    """Store the answers if this is the code's first submit, else drop them; the caller cannot tell which.

    Raises only what any code of the wave would get (wave closed, answers that do not fit)."""
    redeemed = check(token_digest)
    questionnaire = redeemed.questionnaire
    kept = questionnaire.visible_answers(dict(answers))
    problems = questionnaire.validate_answers(kept)
    if problems:
        raise InvalidAnswers("; ".join(problems))
    wave_id, stratum_id = redeemed.wave_id, redeemed.stratum_id
    payload = {"questionnaire": questionnaire.hash, "answers": kept}
    try:
        if _use(token_digest):
            _count(wave_id, "first")
            _store(wave_id, stratum_id, payload)
        else:
            _drop(wave_id, stratum_id, payload)
            if not _count(wave_id, "repeated"):
                raise WaveClosed()  # the update failed because the wave closed a moment ago
            _stir(wave_id)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def _use(token_digest: bytes) -> bool:
    """Mark the token used if it is still unused and its wave open; True if this call did it."""
    result = db.session.execute(
        update(Token)
        .where(
            Token.digest == token_digest,
            Token.used.is_(False),
            Token.wave_id.in_(select(Wave.id).where(Wave.state == "open")),
        )
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _store(wave_id: int, stratum_id: int, payload: dict) -> None:
    """The storage of a first submit, in the caller's transaction: the sealed answers enter the pool.

    The stratum travels sealed with the answers, never in clear beside them."""
    pool.deposit(wave_id, {**payload, "stratum": stratum_id})


def _drop(wave_id: int, stratum_id: int, payload: dict) -> None:
    """Seal a later submit's answers exactly as `_store` would, and let them go: the same work, nothing kept."""
    pool.seal_answer(wave_id, {**payload, "stratum": stratum_id})


def _count(wave_id: int, column: str) -> bool:
    """Add one to the wave's `first` or `repeated` submits: the same statement on both paths.

    False, and nothing counted, if the wave is no longer open: after a failed token update, the one
    statement also tells why it failed, without another query."""
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    first, repeated = (1, 0) if column == "first" else (0, 1)
    result = db.session.execute(
        insert(SubmitCount)
        .from_select(
            ["wave_id", "first", "repeated"],
            select(Wave.id, literal(first), literal(repeated)).where(Wave.id == wave_id, Wave.state == "open"),
        )
        .on_conflict_do_update(
            index_elements=[SubmitCount.wave_id], set_={column: getattr(SubmitCount, column) + 1}
        )
        .execution_options(preserve_rowcount=True)  # SQLAlchemy keeps an INSERT's rowcount only when asked
    )
    return result.rowcount == 1


def _stir(wave_id: int) -> None:
    """A later submit's counterpart of the pool write in `_store`, in the caller's transaction:
    the wave's pool is read and rewritten in a fresh order, nothing added."""
    pool.stir(wave_id)
