"""Releases of a wave: decrypt, tabulate, protect against this and every earlier release, publish, log.

Only this module opens stored responses, and only with the Statistics Office passphrase. What
leaves it is the protected tables (CSV, XLSX, JSON, charts) and an append-only log entry; the true
counts of secret cells stay sealed to the Statistics Office key inside that entry.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import secrets
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from aggregation import CannotProtect, DisclosureRiskWarning, Dimension, Rules, Table, protect
from aggregation.coverage import StratumCoverage, mark_not_surveyed, not_surveyed_keys
from aggregation.estimates import TableEstimate, table_estimates
from aggregation.exports import (
    TableLabels,
    legend,
    published_count,
    published_status,
    symbol,
    write_chart,
    write_table_csv,
    write_xlsx,
)
from aggregation.frames import NOT_ANSWERED, STRATUM_PREFIX, response_frame, template_tables
from aggregation.protect import EarlierRelease, ProtectedTable
from questionnaires import Questionnaire

from . import locks
from .crypto import fingerprint, info_for, open_sealed, seal
from .extensions import db
from .keys import key_files, statistics_public_key
from .models import Release, Response, Token, Wave
from .pool import sealed_waiting
from .stafflog import record
from .waves import WaveError, get_wave, questionnaire_of

NOT_ANSWERED_LABEL = {"de": "nicht beantwortet", "en": "not answered"}


class ReleaseRefused(Exception):
    """A release that would disclose, or cannot be made; the message says why and what would help."""


@dataclass(frozen=True)
class ReleaseResult:
    release: Release
    directory: Path
    files: dict[str, str]
    already_disclosed: list[str]


def make_release(
    wave_id: int, passphrase: str, out_dir: Path, *, min_count: int | None = None, random_state: int = 0, lang: str = "de",
    year: int | None = None,
) -> ReleaseResult:
    """Decrypt, tabulate, protect together with every earlier release, write the files, log it.

    `year` labels a standing wave's yearly release (the year whose new hires it adds); HR's
    monitoring reads each year's hiring rate as the change since the previous release."""
    wave = get_wave(wave_id)
    if wave.state == "draft":
        raise WaveError(f"Wave {wave_id} is a draft; it has no responses to release.")
    if year is not None and not wave.standing:
        raise WaveError(f"Wave {wave_id} is not a standing wave; only a standing wave's releases carry a year.")
    if wave.standing and year is None:
        raise WaveError(f"Wave {wave_id} is a standing wave: say which year's new hires this release adds (--year).")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ReleaseRefused(f"{out_dir} exists and is not empty; a release is written into a new folder.")
    questionnaire = questionnaire_of(wave)
    private = key_files().load_statistics_private(passphrase)
    # The wave's approved k; a release may only raise it.
    rules = Rules(min_count=max(wave.min_count, min_count or 0))
    strata = {s.id: s.attributes for s in wave.strata}
    responses = _decrypt(wave, questionnaire, private, strata)
    tables = template_tables(response_frame(responses, questionnaire), questionnaire, list(strata.values()))
    # Two nodes releasing one wave at once: the second waits here, then numbers after the first.
    locks.hold(locks.RELEASES, wave.id)
    earlier_rows = list(db.session.scalars(select(Release).where(Release.wave_id == wave.id).order_by(Release.number)))
    earlier = [_earlier(row, private) for row in earlier_rows]
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DisclosureRiskWarning)
            protection = protect(tables, rules, earlier=earlier, random_state=random_state)
    except CannotProtect as exc:
        raise ReleaseRefused(f"Release refused: {exc}. Nothing was published.") from None
    for other in (w for w in caught if not issubclass(w.category, DisclosureRiskWarning)):
        warnings.warn(other.message, other.category, stacklevel=2)
    # Cells that earlier releases already give away (a log written before every pair was protected):
    # kept in the log, so that whoever reads it knows; this release was held to not narrowing them.
    already_disclosed = [str(w.message) for w in caught if issubclass(w.category, DisclosureRiskWarning)]
    number = len(earlier_rows) + 1
    # A standing wave's headcounts are one year's expected hires; its n-th yearly release covers n years.
    scale = number if wave.standing else 1
    coverage = _coverage(wave)
    parameters = {
        "wave": wave.id,
        "wave_name": wave.name,
        "release": number,
        "questionnaire": f"{questionnaire.id} v{questionnaire.version}",
        "questionnaire_hash": questionnaire.hash,
        "respondents": len(responses),
        "headcount": scale * sum(s.headcount for s in wave.strata),
        "min_count": rules.min_count,
        "group_rule": rules.group_rule,
        "random_state": random_state,
        "key_fingerprint": fingerprint(statistics_public_key()),
        "earlier_releases_audited": len(earlier_rows),
        "secondary_suppression": protection.method,
        "strata_not_surveyed": sum(not s.surveyed and s.headcount > 0 for s in coverage),
        **({"year": year} if year is not None else {}),
    }
    marked = [mark_not_surveyed(p, not_surveyed_keys(p.table, coverage)) for p in protection.tables]
    labelled = [(p, _labels(questionnaire, p.table, lang)) for p in marked]
    estimates = _estimates(labelled, wave, rules, scale)
    files = _write_files(out_dir, labelled, parameters, lang, estimates)
    release = Release(
        wave_id=wave.id,
        number=number,
        questionnaire_hash=questionnaire.hash,
        respondents=len(responses),
        # The log, not the published files, notes what earlier releases already give away.
        parameters_json=json.dumps(
            {**parameters, "already_disclosed_by_earlier_releases": already_disclosed}, ensure_ascii=False, sort_keys=True
        ),
        published_json=json.dumps(_published(marked), ensure_ascii=False, sort_keys=True),
        files_json=json.dumps(files, sort_keys=True),
        sealed_counts=seal(_true_counts(tables, protection.tables), statistics_public_key(), _info(wave.id, number)),
    )
    db.session.add(release)
    try:
        record(None, "release published", {"wave": wave.id, "release": number, "respondents": len(responses)})
        db.session.commit()
    except BaseException:
        db.session.rollback()
        shutil.rmtree(out_dir, ignore_errors=True)  # unlogged files must not stand as a release
        raise
    return ReleaseResult(release, out_dir, files, already_disclosed)


def _decrypt(wave: Wave, questionnaire: Questionnaire, private, strata: dict[int, dict[str, str]]):
    """Every answer of the wave, stored or still waiting in the pool (a batch smaller than the
    flush threshold stays there when a wave closes), with the stratum sealed inside it."""
    stored = db.session.scalars(select(Response.sealed).where(Response.wave_id == wave.id))
    result = []
    for sealed in [*stored, *sealed_waiting(wave.id)]:
        payload = open_sealed(sealed, private, info_for(wave.id))
        if payload.get("questionnaire") != questionnaire.hash or payload.get("stratum") not in strata:
            raise ReleaseRefused("A stored response belongs to another questionnaire version or stratum; the wave was altered.")
        result.append((strata[payload["stratum"]], payload["answers"]))
    return result


def _info(wave_id: int, number: int) -> bytes:
    return f"wir-survey/release-counts/v1/wave={wave_id}/release={number}".encode("ascii")


def _true_counts(tables: list[Table], protected: list[ProtectedTable]) -> dict:
    """Every cell's true count and whether it was secret, to audit later releases against."""
    out = {}
    for table, result in zip(tables, protected):
        out[table.id] = {
            "dimensions": [[d.name, {node: list(kids) for node, kids in d.children.items()}] for d in table.dimensions],
            "cells": [[list(key), table.counts[key], result.cells[key].count is None] for key in table.keys],
        }
    return out


def _earlier(row: Release, private) -> EarlierRelease:
    data = open_sealed(row.sealed_counts, private, _info(row.wave_id, row.number))
    tables, secret = [], set()
    for table_id, content in data.items():
        dimensions = tuple(Dimension(name, {k: tuple(v) for k, v in children.items()}) for name, children in content["dimensions"])
        counts = {tuple(key): value for key, value, _ in content["cells"]}
        tables.append(Table(table_id, dimensions, counts))
        secret.update((table_id, tuple(key)) for key, _, hidden in content["cells"] if hidden)
    return EarlierRelease(tables, frozenset(secret))


def _coverage(wave: Wave) -> list[StratumCoverage]:
    """Which strata were surveyed: those in which codes were issued (a stratum below the minimum
    size gets none). Public already: the office's participation pages show codes per stratum."""
    issued = dict(db.session.execute(
        select(Token.stratum_id, func.count()).where(Token.wave_id == wave.id).group_by(Token.stratum_id)).all())
    return [
        StratumCoverage({STRATUM_PREFIX + k: v for k, v in s.attributes.items()}, s.headcount, issued.get(s.id, 0) > 0)
        for s in wave.strata
    ]


def _published(protected: list[ProtectedTable]) -> dict:
    """What left the system: per cell the count as published (nothing when secret or not
    surveyed), and safe/zero/secret/not_surveyed (never why it is secret)."""
    return {
        p.id: [[list(key), published_count(cell), published_status(cell)] for key, cell in p.cells.items()]
        for p in protected
    }


def _labels(questionnaire: Questionnaire, table: Table, lang: str) -> TableLabels:
    template = next(t for t in questionnaire.tables if t.id == table.id)
    derived = {d.id: d for d in questionnaire.derived}
    dimension_labels, category_labels = {}, {}
    for dimension in table.dimensions:
        name = dimension.name
        if name.startswith(STRATUM_PREFIX):
            dimension_labels[name] = name[len(STRATUM_PREFIX) :]
            continue
        if name in derived:
            dimension_labels[name] = questionnaire.text(derived[name].label, lang)
            category_labels[name] = {o.code: questionnaire.text(o.text, lang) for o in derived[name].categories}
        else:
            question = questionnaire.question(name)
            dimension_labels[name] = questionnaire.text(question.text, lang)
            category_labels[name] = {o.code: questionnaire.text(o.text, lang) for o in question.options}
            category_labels[name][NOT_ANSWERED] = NOT_ANSWERED_LABEL.get(lang, NOT_ANSWERED)
    return TableLabels(questionnaire.text(template.title, lang), dimension_labels, category_labels)


def _estimates(labelled, wave: Wave, rules: Rules, scale: int = 1) -> list[tuple[TableEstimate, TableLabels]]:
    """Weighted shares for every table of strata × answer, post-stratified by the finest published
    cells of the table's strata (see `aggregation.poststrata`); `scale` multiplies the headcounts."""
    result = []
    for protected, labels in labelled:
        *strata_dimensions, answer = protected.table.dimensions
        if answer.name.startswith(STRATUM_PREFIX) or not all(
            d.name.startswith(STRATUM_PREFIX) for d in strata_dimensions
        ):
            continue
        attributes = [d.name[len(STRATUM_PREFIX) :] for d in strata_dimensions]
        headcounts = dict.fromkeys(itertools.product(*(d.leaves for d in strata_dimensions)), 0)
        for stratum in wave.strata:
            key = tuple(stratum.attributes[a] for a in attributes)
            headcounts[key] = headcounts.get(key, 0) + scale * stratum.headcount
        for estimate in table_estimates(protected, headcounts, min_count=rules.min_count):
            result.append((estimate, labels))
    return result


def _estimate_json(item: TableEstimate) -> dict:
    """One estimate for release.json. `post_strata` says what a published share is weighted over:
    how many cells, and those of them above the leaf strata (merged where a finer cell is secret)."""
    estimate = item.estimate
    entry: dict = {
        "table": item.table_id,
        "population": dict(zip(item.dimensions, item.population)),
        "answer": {item.answer_dimension: item.category},
        "published": estimate.published,
    }
    if estimate.published:
        entry.update(
            share=estimate.share,
            lower=estimate.lower,
            upper=estimate.upper,
            confidence=0.95,
            respondents=estimate.respondents,
            headcount=estimate.headcount,
            response_rate=estimate.response_rate,
            share_if_all_others_no=estimate.bound_if_all_no,
            share_if_all_others_yes=estimate.bound_if_all_yes,
            post_strata={
                "cells": len(item.post_strata),
                "merged": [dict(zip(item.dimensions, box)) for box in item.merged],
            },
        )
    elif not item.surveyed:
        entry["reason"] = "not surveyed"
    else:  # not even the respondents: they could give away a secret margin
        entry["reason"] = "the group's own cells are secret, or too few answered"
    return entry


def _write_files(
    out_dir: Path, labelled, parameters: dict, lang: str, estimates: list[tuple[TableEstimate, TableLabels]]
) -> dict[str, str]:
    """Write into a fresh folder next to the target, then move it into place: all files or none."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.with_name(f".{out_dir.name}.{secrets.token_hex(4)}.partial")
    staging.mkdir()
    try:
        for protected, labels in labelled:
            write_table_csv(protected, labels, staging / f"{protected.id}.csv", lang=lang)
            write_chart(protected, labels, staging / protected.id, lang=lang)
        write_xlsx(labelled, staging / "release.xlsx", parameters=parameters, lang=lang,
                   title=str(parameters["wave_name"]), estimates=estimates)
        document = {
            "parameters": parameters,
            "legend": [{"symbol": s, "meaning": m} for s, m in legend(lang)],
            "counts": {"respondents": parameters["respondents"], "headcount": parameters["headcount"]},
            "tables": [
                {
                    "id": p.id,
                    "title": labels.title,
                    "dimensions": [d.name for d in p.table.dimensions],
                    "cells": [
                        {"key": list(key), "count": published_count(cell), "symbol": symbol(cell),
                         "status": published_status(cell)}
                        for key, cell in p.cells.items()
                    ],
                }
                for p, labels in labelled
            ],
            "estimates": [_estimate_json(item) for item, _ in estimates],
        }
        (staging / "release.json").write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(staging.iterdir())}
        if out_dir.exists():
            out_dir.rmdir()  # empty, checked before
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return files
