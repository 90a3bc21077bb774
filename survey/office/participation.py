"""Participation as the Statistics Office sees it: rounded to 5, refreshed at most once an hour.

The exact number of used codes changes the moment one person answers; a page showing it would let
whoever watches it (or reloads it after a colleague said "done") learn when that person answered,
and in a small stratum, who. The page shows a snapshot instead (models.ParticipationSnapshot):
taken at the first view in a clock hour, shared by every app node, with every count of used codes
rounded to the nearest 5. Codes issued are staff actions, counted live and shown exactly.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ..auth import clock
from ..extensions import db
from ..models import ParticipationSnapshot, SubmitCount, Token, Wave

ROUND_TO = 5


@dataclass(frozen=True)
class StratumParticipation:
    label: str
    headcount: int
    issued: int
    answered: int  # rounded to ROUND_TO

    @property
    def rate(self) -> float | None:
        """Answered per issued code, from the rounded count (None before any code is issued)."""
        return min(1.0, self.answered / self.issued) if self.issued else None


@dataclass(frozen=True)
class Participation:
    hour: int  # hours since 1970 (UTC) when the snapshot was taken
    strata: list[StratumParticipation]
    issued: int
    answered: int  # the exact total, rounded to ROUND_TO
    repeated: int  # answers sent with an already used code, rounded to ROUND_TO

    @property
    def rate(self) -> float | None:
        return min(1.0, self.answered / self.issued) if self.issued else None

    @property
    def taken_at(self) -> str:
        """The snapshot's hour as `YYYY-MM-DD HH:00 UTC`."""
        from datetime import datetime, timezone

        return datetime.fromtimestamp(self.hour * 3600, tz=timezone.utc).strftime("%Y-%m-%d %H:00 UTC")


def coarsen(count: int) -> int:
    """The nearest multiple of ROUND_TO (halves round up): 0–2 → 0, 3–7 → 5, 8–12 → 10."""
    return ROUND_TO * ((count + ROUND_TO // 2) // ROUND_TO)


def participation(wave: Wave) -> Participation:
    """The wave's snapshot of this clock hour, taken now if there is none yet."""
    hour = int(clock.now() // 3600)
    row = db.session.get(ParticipationSnapshot, wave.id)
    if row is None or row.hour != hour:
        counts = _count(wave)
        try:
            if row is None:
                db.session.add(ParticipationSnapshot(wave_id=wave.id, hour=hour, counts_json=counts))
            else:
                row.hour, row.counts_json = hour, counts
            db.session.commit()
        except IntegrityError:  # another node took this hour's snapshot at the same moment
            db.session.rollback()
        row = db.session.get(ParticipationSnapshot, wave.id)
    return _shown(wave, row)


def _count(wave: Wave) -> str:
    """This moment's used codes, coarsened before they are stored: the exact counts are never kept."""
    used = dict(db.session.execute(
        select(Token.stratum_id, func.count()).where(Token.wave_id == wave.id, Token.used.is_(True))
        .group_by(Token.stratum_id)).all())
    repeated = db.session.scalar(select(SubmitCount.repeated).where(SubmitCount.wave_id == wave.id)) or 0
    return json.dumps({
        "strata": {str(s.id): coarsen(used.get(s.id, 0)) for s in wave.strata},
        "answered": coarsen(sum(used.values())),
        "repeated": coarsen(repeated),
    }, sort_keys=True)


def _shown(wave: Wave, row: ParticipationSnapshot) -> Participation:
    """The snapshot beside the codes issued, which are counted live (issuing is a staff action)."""
    data = json.loads(row.counts_json)
    issued = dict(db.session.execute(
        select(Token.stratum_id, func.count()).where(Token.wave_id == wave.id).group_by(Token.stratum_id)).all())
    strata = [StratumParticipation(s.label, s.headcount, issued.get(s.id, 0), data["strata"].get(str(s.id), 0))
              for s in wave.strata]
    return Participation(row.hour, strata, sum(s.issued for s in strata), data["answered"], data["repeated"])
