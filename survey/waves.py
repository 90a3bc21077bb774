"""Waves and their strata: creating, opening and closing (all writes go through here)."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from aggregation.rules import MIN_COUNT_DEFAULT, MIN_COUNT_FLOOR
from questionnaires import Questionnaire, load_mapping

from .extensions import db
from .models import Wave, Stratum
from .stafflog import record


class WaveError(Exception):
    """A wave operation that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class StratumRow:
    attributes: dict[str, str]
    headcount: int


def read_strata_csv(path: Path) -> list[StratumRow]:
    """Strata from a CSV file (see `parse_strata_csv`)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise WaveError(f"{path}: cannot read the strata file ({exc.strerror}).") from None
    return parse_strata_csv(text, str(path))


def parse_strata_csv(text: str, path: str) -> list[StratumRow]:
    """Strata from CSV text with one column per attribute plus `headcount`; every problem names
    `path` (the file's name) and its line. The command line and the upload page share it."""
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip() for f in (reader.fieldnames or [])]
    if "headcount" not in fields:
        raise WaveError(f"{path}: the strata file needs a 'headcount' column (found: {', '.join(fields) or 'none'}).")
    attributes = [f for f in fields if f != "headcount"]
    if not attributes:
        raise WaveError(f"{path}: the strata file needs at least one attribute column, e.g. 'group'.")
    rows: list[StratumRow] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        values = {a: row.get(a, "") for a in attributes}
        if any(not v for v in values.values()):
            raise WaveError(f"{path}: line {line}: every attribute needs a value.")
        try:
            headcount = int(row["headcount"])
        except ValueError:
            raise WaveError(f"{path}: line {line}: headcount {row['headcount']!r} is not a whole number.") from None
        if headcount < 0:
            raise WaveError(f"{path}: line {line}: headcount must not be negative.")
        key = _attributes_json(values)
        if key in seen:
            raise WaveError(f"{path}: line {line}: the stratum {_label(values)} appears twice.")
        seen.add(key)
        rows.append(StratumRow(values, headcount))
    if not rows:
        raise WaveError(f"{path}: the strata file has no rows.")
    return rows


def create_wave(
    questionnaire: Questionnaire,
    name: str,
    strata: list[StratumRow],
    messages: dict[str, str] | None = None,
    *,
    min_count: int = MIN_COUNT_DEFAULT,
    min_stratum_size: int | None = None,
    standing: bool = False,
    results: dict[str, str] | None = None,
) -> Wave:
    """A draft wave holding the questionnaire's exact canonical definition, so later file edits do not change it.

    k and the minimum stratum size can only be raised above their floors (k ≥ 3, and the instance's
    `MIN_STRATUM_SIZE`); the staff council approves them with the wave. A `standing` wave (the new
    hires' record) stays open across years; its headcounts are the expected yearly intake."""
    unknown = sorted(set(messages or {}) - set(questionnaire.languages))
    if unknown:
        raise WaveError(f"Messages in {', '.join(unknown)}: the questionnaire has no such language.")
    min_stratum_size = minimum_stratum_size() if min_stratum_size is None else min_stratum_size
    _check_floors(min_count, min_stratum_size)
    results_json = _results_json(results or {})
    wave = Wave(
        name=name,
        questionnaire_id=questionnaire.id,
        questionnaire_version=questionnaire.version,
        questionnaire_hash=questionnaire.hash,
        questionnaire_json=questionnaire.canonical,
        state="draft",
        messages_json=json.dumps(messages or {}, ensure_ascii=False, sort_keys=True),
        min_count=min_count,
        min_stratum_size=min_stratum_size,
        standing=standing,
        results_json=results_json,
    )
    wave.strata = [Stratum(attributes_json=_attributes_json(s.attributes), headcount=s.headcount) for s in strata]
    db.session.add(wave)
    db.session.flush()
    record(None, "wave created", {"wave": wave.id, "name": name, "questionnaire": f"{questionnaire.id} v{questionnaire.version}",
                                  "strata": len(strata), **({"standing": True} if standing else {})})
    db.session.commit()
    return wave


def update_wave(
    wave_id: int, *, name: str, messages: dict[str, str], min_count: int, min_stratum_size: int,
    results: dict[str, str] | None = None,
) -> list[str]:
    """Change a draft wave's name, messages, results notice and disclosure parameters; returns what changed.

    The same floors as `create_wave` apply. Messages and parameters belong to the configuration the
    staff council approves, so changing them withdraws an approval (council.operations); strata and
    questionnaire cannot change: that is a new wave."""
    wave = get_wave(wave_id)
    if wave.state != "draft":
        raise WaveError(f"Wave {wave_id} is {wave.state}; only a draft wave can be changed.")
    questionnaire = questionnaire_of(wave)
    unknown = sorted(set(messages) - set(questionnaire.languages))
    if unknown:
        raise WaveError(f"Messages in {', '.join(unknown)}: the questionnaire has no such language.")
    _check_floors(min_count, min_stratum_size)
    messages_json = json.dumps({k: v for k, v in messages.items() if v}, ensure_ascii=False, sort_keys=True)
    wanted = {"name": name, "messages_json": messages_json, "min_count": min_count,
              "min_stratum_size": min_stratum_size,
              "results_json": wave.results_json if results is None else _results_json(results)}
    changed = [field for field, value in wanted.items() if getattr(wave, field) != value]
    if not changed:
        return []
    for field in changed:
        setattr(wave, field, wanted[field])
    record(None, "wave changed", {"wave": wave.id, "changed": [f.removesuffix("_json") for f in changed]})
    db.session.commit()
    return changed


def _results_json(results: dict[str, str]) -> str:
    """The results notice as stored: a valid ISO date and a place, both optional, nothing else."""
    unknown = sorted(set(results) - {"date", "where"})
    if unknown:
        raise WaveError(f"Results notice: unknown field(s) {', '.join(unknown)}; only date and where.")
    kept = {key: value.strip() for key, value in results.items() if value and value.strip()}
    if "date" in kept:
        try:
            kept["date"] = date.fromisoformat(kept["date"]).isoformat()
        except ValueError:
            raise WaveError(f"Results date {kept['date']!r} is not a date such as 2027-03-31.") from None
    if len(kept.get("where", "")) > 300:
        raise WaveError("Results place: at most 300 characters.")
    return json.dumps(kept, ensure_ascii=False, sort_keys=True)


def _check_floors(min_count: int, min_stratum_size: int) -> None:
    if min_count < MIN_COUNT_FLOOR:
        raise WaveError(f"k = {min_count} is below its floor of {MIN_COUNT_FLOOR}.")
    if min_stratum_size < minimum_stratum_size():
        raise WaveError(f"A minimum stratum size of {min_stratum_size} is below this instance's floor of "
                        f"{minimum_stratum_size()}.")


def get_wave(wave_id: int) -> Wave:
    wave = db.session.get(Wave, wave_id)
    if wave is None:
        raise WaveError(f"There is no wave {wave_id}; `wir-survey waves list` shows the waves.")
    return wave


def list_waves() -> list[Wave]:
    return list(db.session.scalars(select(Wave).order_by(Wave.id)))


def open_wave(wave_id: int) -> Wave:
    """Open a draft wave, only with the staff council's approval of its configuration as it is (G5)."""
    from .council.operations import approval_state

    wave = get_wave(wave_id)
    if wave.state != "draft":
        raise WaveError(f"Wave {wave_id} is {wave.state}; only a draft wave can be opened.")
    approval = approval_state(wave)
    if not approval.valid:
        raise WaveError(f"{approval.explanation} It cannot be opened.")
    wave.state = "open"
    record(None, "wave opened", {"wave": wave.id})
    db.session.commit()
    return wave


def close_wave(wave_id: int) -> tuple[Wave, int]:
    """Close the wave; returns how many answers still wait in its pool.

    They stay there rather than move to the store as a batch smaller than the flush threshold,
    which a copy taken before and after would narrow to fewer codes; releases read them as well."""
    from .pool import waiting

    wave = get_wave(wave_id)
    if wave.state != "open":
        raise WaveError(f"Wave {wave_id} is {wave.state}; only an open wave can be closed.")
    wave.state = "closed"
    record(None, "wave closed", {"wave": wave.id})
    db.session.commit()
    return wave, waiting(wave.id)


def questionnaire_of(wave: Wave) -> Questionnaire:
    return questionnaire_by_hash(wave.id, wave.questionnaire_hash)


def questionnaire_by_hash(wave_id: int, expected_hash: str) -> Questionnaire:
    """The wave's questionnaire, rebuilt from its stored definition once per process and hash.

    Respondent pages ask for it on every request; a definition never changes under its hash, so
    only the hash is read from the database after the first time."""
    questionnaire = _BY_HASH.get(expected_hash)
    if questionnaire is None:
        canonical = db.session.scalar(select(Wave.questionnaire_json).where(Wave.id == wave_id))
        questionnaire = load_mapping(json.loads(canonical), f"wave {wave_id} definition")
        if questionnaire.hash != expected_hash:
            raise WaveError(f"Wave {wave_id}'s stored questionnaire does not match its hash; it was altered.")
        _BY_HASH[expected_hash] = questionnaire
    return questionnaire


_BY_HASH: dict[str, Questionnaire] = {}


def find_stratum(wave: Wave, selector: dict[str, str]) -> Stratum:
    """The one stratum whose attributes equal `selector` (e.g. group=medium,department=32)."""
    matches = [s for s in wave.strata if s.attributes == selector]
    if not matches:
        known = "; ".join(s.label for s in wave.strata)
        raise WaveError(f"Wave {wave.id} has no stratum {_label(selector)}. Its strata: {known}.")
    return matches[0]


def parse_selector(text: str) -> dict[str, str]:
    selector: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise WaveError(f"--stratum {text!r}: write it as attribute=value[,attribute=value].")
        selector[key.strip()] = value.strip()
    if not selector:
        raise WaveError("--stratum is empty; write it as attribute=value[,attribute=value].")
    return selector


def minimum_stratum_size() -> int:
    return int(current_app.config["MIN_STRATUM_SIZE"])


def _attributes_json(values: dict[str, str]) -> str:
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _label(values: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(values.items()))
