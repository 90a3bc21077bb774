"""G5 "approved before it opens": a wave opens only with the staff council's approval of its exact
configuration, and any change to that configuration withdraws the approval.

The configuration is everything the council weighs: the questionnaire (id, version, hash), the
strata with their headcounts, the disclosure parameters (k, minimum stratum size, the pool's batch
size), the Statistics Office key's fingerprint and the messages shown to respondents. An approval
stores the SHA-256 of its canonical JSON; an approval counts only while that hash is the wave's
current one, so nothing needs to remember to withdraw it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.hazmat.primitives import hashes
from flask import current_app
from sqlalchemy import select

from ..crypto import KeyProblem, fingerprint
from ..extensions import db
from ..keys import statistics_public_key
from ..models import Wave, WaveApproval
from ..stafflog import record
from ..waves import WaveError, get_wave


def configuration(wave: Wave) -> dict[str, object]:
    """The exact configuration the council approves, as plain data."""
    try:
        key = fingerprint(statistics_public_key())
    except KeyProblem:
        key = None
    return {
        "questionnaire": {"id": wave.questionnaire_id, "version": wave.questionnaire_version,
                          "hash": wave.questionnaire_hash},
        "strata": sorted(([s.attributes, s.headcount] for s in wave.strata), key=lambda s: json.dumps(s[0], sort_keys=True)),
        "min_count": wave.min_count,
        "min_stratum_size": wave.min_stratum_size,
        "pool_flush_threshold": int(current_app.config["POOL_FLUSH_THRESHOLD"]),
        "statistics_office_key": key,
        "messages": wave.messages,
        # Only when set, so that the hashes of waves approved before standing waves existed still hold.
        **({"standing": True} if wave.standing else {}),
        **({"results": wave.results} if wave.results else {}),
    }


def configuration_hash(wave: Wave, known: dict[str, object] | None = None) -> str:
    """SHA-256 of the canonical JSON of `configuration(wave)` (pass it as `known` if already built)."""
    canonical = json.dumps(known or configuration(wave), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    digest = hashes.Hash(hashes.SHA256())
    digest.update(canonical.encode("utf-8"))
    return digest.finalize().hex()


@dataclass(frozen=True)
class ApprovalState:
    valid: bool
    explanation: str
    decision: WaveApproval | None


def approval_state(wave: Wave) -> ApprovalState:
    """Whether the wave's current configuration carries the council's approval, and why (not)."""
    latest = db.session.scalars(
        select(WaveApproval).where(WaveApproval.wave_id == wave.id).order_by(WaveApproval.id.desc()).limit(1)
    ).first()
    current = configuration_hash(wave)
    if latest is None:
        return ApprovalState(False, f"Wave {wave.id} has not been approved by the staff council.", None)
    if latest.decision == "refused":
        return ApprovalState(
            False, f"The staff council refused wave {wave.id} ({latest.by}, {latest.at}): {latest.comment or 'no comment'}.",
            latest,
        )
    if latest.configuration_hash != current:
        return ApprovalState(
            False,
            f"Wave {wave.id} was approved by {latest.by} ({latest.at}), but its configuration has changed since, so "
            "that approval no longer counts: the staff council must approve it again.",
            latest,
        )
    return ApprovalState(True, f"Wave {wave.id} is approved by {latest.by} ({latest.at}) as it is now.", latest)


def decide(wave_id: int, by: str, *, approve: bool, comment: str = "") -> WaveApproval:
    """Record the council's approval or refusal of the wave's configuration as it is now."""
    wave = get_wave(wave_id)
    if wave.state != "draft":
        raise WaveError(f"Wave {wave_id} is {wave.state}; only a draft wave is approved before it opens.")
    if not approve and not comment.strip():
        raise WaveError("A refusal needs a comment that says what must change.")
    decision = WaveApproval(
        wave_id=wave.id,
        configuration_hash=configuration_hash(wave),
        decision="approved" if approve else "refused",
        comment=comment.strip(),
        by=by,
        at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    db.session.add(decision)
    record(by, f"wave {decision.decision}", {"wave": wave.id, "configuration": decision.configuration_hash,
                                              "comment": decision.comment})
    db.session.commit()
    return decision
