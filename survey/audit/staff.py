"""The staff's own records: the staff log's chain holds, and every open wave runs as the council approved it (G5)."""
from __future__ import annotations

from sqlalchemy import select

from ..council.operations import approval_state
from ..extensions import db
from ..models import Wave
from ..stafflog import verify
from . import Check


def waves_approved() -> Check:
    """G5: every open wave carries the staff council's approval of the configuration it has now."""
    opened = list(db.session.scalars(select(Wave).where(Wave.state == "open").order_by(Wave.id)))
    unapproved = [state.explanation for state in map(approval_state, opened) if not state.valid]
    if unapproved:
        return Check("waves_approved", False, " ".join(unapproved) + " An open wave must run exactly as the staff "
                     "council approved it: questionnaire, strata, thresholds, key and messages.")
    return Check("waves_approved", True, f"Each of the {len(opened)} open waves runs with exactly the configuration "
                 "the staff council approved (questionnaire, strata with headcounts, k, minimum stratum size, batch "
                 "size of the mix pool, the Statistics Office key's fingerprint, the messages).")


def staff_log_chain() -> Check:
    result = verify()
    return Check("staff_log_chain", result.ok, result.explanation)
