"""What is stored: every answer sealed, every answer opening to its own wave, and counts that add up.

Without the passphrase the audit can still tell a ciphertext from a disguised plaintext: a sealed
answer has the padded size of its class and is indistinguishable from random bytes, which never
compress, while a plaintext padded to the same size compresses to a fraction. With the Statistics
Office's passphrase (`wir-survey audit --passphrase`) it opens every stored and waiting answer and
checks that each belongs to its wave's questionnaire and to one of its strata, and that each
stratum holds exactly as many answers as it has used codes.
"""
from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from flask import Flask
from sqlalchemy import text

from ..crypto import KeyFiles, KeyProblem, info_for, is_well_formed, open_sealed
from ..extensions import db
from ..pool import unpack
from . import Check

#: Random bytes never compress; zlib adds a few bytes to them. A padded plaintext shrinks to a tenth.
INCOMPRESSIBLE = 0.98


def looks_sealed(value: bytes) -> bool:
    """Whether `value` has a sealed answer's size class and is as incompressible as a ciphertext."""
    return is_well_formed(value) and len(zlib.compress(value, 6)) >= INCOMPRESSIBLE * len(value)


def _answers() -> Iterator[tuple[str, int, bytes | None]]:
    """("stored" | "waiting", wave, ciphertext) for every answer; None for a pool value that does not unpack."""
    with db.engine.connect() as connection:
        for wave_id, sealed in connection.execution_options(yield_per=500).execute(
                text("SELECT wave_id, sealed FROM responses")):
            yield "stored", wave_id, bytes(sealed)
        for wave_id, value in connection.execute(text("SELECT wave_id, entries FROM pool")):
            try:
                entries = unpack(bytes(value))
            except Exception:  # a pool value that is not a list of length-prefixed entries
                yield "waiting", wave_id, None
                continue
            for entry in entries:
                yield "waiting", wave_id, entry


def sealed_at_rest() -> Check:
    total: Counter[str] = Counter()
    odd: Counter[str] = Counter()
    for where, _wave, value in _answers():
        total[where] += 1
        if value is None or not looks_sealed(value):
            odd[where] += 1
    if odd:
        return Check(
            "responses_sealed",
            False,
            f"{odd['stored']} of {total['stored']} stored and {odd['waiting']} of {total['waiting']} waiting answers "
            "are not sealed ciphertexts: either their size is not one of the padded size classes, or their bytes "
            "compress, which a ciphertext's never do (a readable answer padded to a ciphertext's size does). They "
            "may be readable by anyone with a copy of the database, or reveal by their size how much someone "
            "answered.",
        )
    return Check(
        "responses_sealed",
        True,
        f"All {total['stored']} stored and {total['waiting']} waiting answers look like answers sealed to the "
        "Statistics Office key: each is padded to a fixed size class, so its size does not tell how many "
        "questions someone answered, and none of them can be compressed, as readable text always can. Only the "
        "Statistics Office's passphrase can show that each one really opens: `wir-survey audit --passphrase` "
        "does that.",
    )


def answers_open(app: Flask, passphrase: str) -> Check:
    """Open every answer with the Statistics Office key; each must belong to its wave and a stratum of it."""
    try:
        private = KeyFiles(Path(app.config["KEYS_DIR"])).load_statistics_private(passphrase)
    except KeyProblem as exc:
        return Check("answers_open", False, f"The answers could not be opened: {exc}")
    with db.engine.connect() as connection:
        hashes = dict(connection.execute(text("SELECT id, questionnaire_hash FROM waves")).all())
        strata = dict(connection.execute(text("SELECT id, wave_id FROM strata")).all())
        used = Counter(dict(((w, s), n) for w, s, n in connection.execute(text(
            "SELECT wave_id, stratum_id, count(*) FROM tokens WHERE used GROUP BY wave_id, stratum_id")).all()))
    total: Counter[str] = Counter()
    closed: Counter[str] = Counter()
    foreign: Counter[str] = Counter()
    answered: Counter[tuple[int, int]] = Counter()
    for where, wave_id, value in _answers():
        total[where] += 1
        try:
            payload = open_sealed(value or b"", private, info_for(wave_id))
        except Exception:  # whatever does not open, for whatever reason, is reported the same way
            closed[where] += 1
            continue
        if not _belongs(payload, wave_id, hashes, strata):
            foreign[where] += 1
            continue
        answered[(wave_id, payload["stratum"])] += 1
    problems = []
    if closed:
        problems.append(f"{closed['stored']} of {total['stored']} stored and {closed['waiting']} of "
                        f"{total['waiting']} waiting answers do not open with the Statistics Office key for their "
                        "wave (sealed to another key, moved from another wave, or not sealed at all)")
    if foreign:
        problems.append(f"{foreign['stored']} stored and {foreign['waiting']} waiting answers open but belong to "
                        "another questionnaire version or to a stratum outside their wave")
    uneven = sorted(k for k in set(used) | set(answered) if used[k] != answered[k])
    if uneven and not (closed or foreign):
        problems.append(f"in {len(uneven)} strata the number of answers differs from the number of used codes "
                        f"(wave/stratum {', '.join(f'{w}/{s}' for w, s in uneven[:5])})")
    if problems:
        return Check(
            "answers_open",
            False,
            "With the passphrase, " + "; ".join(problems) + ". Every answer is sealed at submission to the "
            "Statistics Office key for its wave, with its questionnaire and stratum inside; an answer that does "
            "not fit was put there outside the survey, and would either be missing from releases or distort them.",
        )
    return Check(
        "answers_open",
        True,
        f"With the Statistics Office's passphrase, all {total['stored']} stored and {total['waiting']} waiting "
        "answers were opened (nothing was shown or kept): each opens with the key for its own wave, belongs to that "
        "wave's questionnaire version and to one of its strata, and every stratum holds exactly as many answers "
        "as it has used codes.",
    )


def _belongs(payload: object, wave_id: int, hashes: dict[int, str], strata: dict[int, int]) -> bool:
    """Whether an opened answer was made by this wave's questionnaire, for one of this wave's strata."""
    return (
        isinstance(payload, dict)
        and payload.get("questionnaire") == hashes.get(wave_id)
        and isinstance(payload.get("stratum"), int)
        and strata.get(payload["stratum"]) == wave_id
        and isinstance(payload.get("answers"), dict)
    )


def counts_reconcile() -> tuple[Check, dict[str, int]]:
    with db.engine.connect() as connection:
        codes = connection.execute(text(
            "SELECT wave_id, count(*), sum(CASE WHEN used THEN 1 ELSE 0 END) FROM tokens GROUP BY wave_id")).all()
        stored = dict(connection.execute(text("SELECT wave_id, count(*) FROM responses GROUP BY wave_id")).all())
    pooled: Counter[int] = Counter()
    for where, wave_id, _value in _answers():
        if where == "waiting":
            pooled[wave_id] += 1
    issued_by = {w: int(n) for w, n, _ in codes}
    used_by = {w: int(u or 0) for w, _, u in codes}
    counts = {
        "issued": sum(issued_by.values()),
        "used": sum(used_by.values()),
        "pooled": sum(pooled.values()),
        "stored": sum(stored.values()),
    }
    issued, used, pool, store = (counts[k] for k in ("issued", "used", "pooled", "stored"))
    waves = set(used_by) | set(pooled) | set(stored)
    off = sorted(w for w in waves if used_by.get(w, 0) != pooled[w] + stored.get(w, 0))
    story = (f"Of {issued} codes issued, {used} have been used; {pool} answers wait in the mix pool and {store} "
             "are stored.")
    if issued >= used == pool + store and not off:
        return Check(
            "counts_reconcile",
            True,
            story + f" {pool} + {store} = {used}, and so in every wave: every used code produced exactly one "
            "answer, and no answer exists without a used code.",
        ), counts
    return Check(
        "counts_reconcile",
        False,
        story + " These numbers should satisfy issued ≥ used = pooled + stored, in every wave, and they do not"
        + (f" (waves {', '.join(map(str, off))})" if off else "") + ": answers were added or removed outside "
        "the survey flow.",
    ), counts
