"""The quota plan's versions and the published estimates HR may adopt as a baseline.

Every change stores the whole plan as a new version (table `quota_plan_versions`, append-only)
with who, when and why, and enters the staff log. Version 0 is the shipped WIR2.0 plan. A baseline
from the survey can only be a published estimate: it is read from a release's `release.json`,
and only while that file's SHA-256 matches the release log (survey.office.operations.release_bytes).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select

from aggregation.plan_wir2 import WIR2_2021, Plan
from aggregation.plans import change_group, plan_from_dict, plan_to_dict
from aggregation.quotas import Interval

from ..extensions import db
from ..models import QuotaPlanVersion, Release
from ..stafflog import current_actor, record


class PlanError(ValueError):
    """A change to the plan that cannot be made; the message says why. Nothing was stored."""


@dataclass(frozen=True)
class PlanVersion:
    version: int
    at: str | None
    by: str
    reason: str
    plan: Plan


SHIPPED = PlanVersion(0, None, "WIR2.0", "the plan as published", WIR2_2021)


def _version(row: QuotaPlanVersion) -> PlanVersion:
    return PlanVersion(row.version, row.at, row.by, row.reason, plan_from_dict(json.loads(row.plan_json)))


def current() -> PlanVersion:
    row = db.session.scalars(select(QuotaPlanVersion).order_by(QuotaPlanVersion.version.desc()).limit(1)).first()
    return SHIPPED if row is None else _version(row)


def version(number: int) -> PlanVersion | None:
    if number == 0:
        return SHIPPED
    row = db.session.get(QuotaPlanVersion, number)
    return None if row is None else _version(row)


def history() -> list[PlanVersion]:
    """Every version, newest first, down to the shipped plan."""
    rows = db.session.scalars(select(QuotaPlanVersion).order_by(QuotaPlanVersion.version.desc()))
    return [*(_version(row) for row in rows), SHIPPED]


def change(key: str, changes: dict[str, object], reason: str, *, by: str | None = None) -> PlanVersion:
    """Store the current plan with one group's figures changed, as a new version."""
    if not reason.strip():
        raise PlanError("Say why the plan changes: every version keeps its reason.")
    latest = current()
    try:
        plan = change_group(latest.plan, key, **changes)
    except KeyError:
        raise PlanError(f"The plan has no group {key!r}; groups: "
                        f"{', '.join(g.key for g in latest.plan.groups)}.") from None
    except ValueError as exc:
        raise PlanError(f"{exc}. Nothing was changed.") from None
    if plan == latest.plan:
        raise PlanError("Nothing differs from the current version; no new version was stored.")
    who = by or current_actor()
    row = QuotaPlanVersion(version=latest.version + 1, at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                           by=who, reason=reason.strip(), plan_json=json.dumps(plan_to_dict(plan), sort_keys=True))
    db.session.add(row)
    record(who, "quota plan changed", {"version": row.version, "group": key, "fields": sorted(changes),
                                       "reason": row.reason})
    db.session.commit()
    return _version(row)


# --- published estimates ----------------------------------------------------------------------

@dataclass(frozen=True)
class PublishedEstimate:
    """One published share of a release, as HR may adopt it for a group's baseline."""

    release_id: int
    index: int  # position in the release's estimates
    label: str
    share: float
    lower: float
    upper: float
    response_rate: float
    if_all_others_no: float
    if_all_others_yes: float
    respondents: int
    headcount: int

    def interval(self, kind: str) -> Interval:
        """The 95 % interval ("interval") or the non-response bounds ("bounds")."""
        if kind == "bounds":
            return Interval(self.if_all_others_no, self.if_all_others_yes)
        return Interval(self.lower, self.upper)


def published_estimates(release: Release, folder: Path | None = None) -> list[PublishedEstimate]:
    """The release's published estimates, from its `release.json` while it matches the log.

    `folder` is where the command line wrote the release; pages read the instance's copy."""
    document = _release_document(release, folder)
    if document is None:
        return []
    titles = {t["id"]: t["title"] for t in document.get("tables", [])}
    found = []
    for index, entry in enumerate(document.get("estimates", [])):
        if not entry.get("published"):
            continue  # only published figures can be adopted
        population = ", ".join(f"{k.removeprefix('stratum:')} {v}" for k, v in entry["population"].items())
        answer = ", ".join(f"{k} = {v}" for k, v in entry["answer"].items())
        found.append(PublishedEstimate(
            release.id, index, f"{titles.get(entry['table'], entry['table'])}: {population}; {answer}",
            entry["share"], entry["lower"], entry["upper"], entry["response_rate"],
            entry["share_if_all_others_no"], entry["share_if_all_others_yes"], entry["respondents"],
            entry["headcount"]))
    return found


def _release_document(release: Release, folder: Path | None) -> dict | None:
    from ..office.operations import release_bytes

    data = release_bytes(release, "release.json", folder)
    if data is None and folder is not None:  # a folder named on the command line deserves a reason
        raise PlanError(f"{Path(folder) / 'release.json'} is missing or is not release {release.id} as the "
                        "release log records it (SHA-256 differs).")
    return None if data is None else json.loads(data)


def adopt(key: str, release_id: int, index: int, kind: str, reason: str, *, folder: Path | None = None,
          by: str | None = None) -> PlanVersion:
    """Make a published estimate the group's baseline, with its interval or non-response bounds."""
    release = db.session.get(Release, release_id)
    if release is None:
        raise PlanError(f"There is no release {release_id}.")
    chosen = next((e for e in published_estimates(release, folder) if e.index == index), None)
    if chosen is None:
        raise PlanError(f"Release {release_id} publishes no estimate number {index}; only published figures can "
                        "be used.")
    interval = chosen.interval(kind)
    what = "95 % interval" if kind == "interval" else "bounds if every non-respondent said no / yes"
    source = (f"release {release_id}: {chosen.label} (response rate {chosen.response_rate:.0%}; {what} "
              f"{interval.lo:.1%}–{interval.hi:.1%})")
    return change(key, {"baseline": chosen.share, "baseline_interval": interval, "baseline_source": source},
                  reason, by=by)
