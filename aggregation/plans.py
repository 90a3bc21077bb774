"""Versions of the quota plan as plain data: HR's changes to the shipped plan, and what each group's
figures give (DESIGN.md 9).

Pure: a plan goes to JSON and back without loss, a change makes a new `Plan` (the old one stays as
it was), and `group_outlook` applies the formulas of `aggregation.quotas` to what HR entered.
Storing the versions with who, when and why is the application's job (survey.hr.operations).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

from .plan_wir2 import Plan, PlanGroup, Source
from .quotas import Category, Interval, combine, required_share, required_share_interval

#: Fields of a group that HR may change; the key and the name identify it.
EDITABLE = ("baseline", "target", "hires", "headcount", "vacancies", "baseline_source", "baseline_interval")


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready data (shares as fractions, dates as ISO strings)."""
    return {
        "name": plan.name,
        "target_date": plan.target_date.isoformat(),
        "hiring_period": list(plan.hiring_period),
        "groups": [_group_to_dict(g) for g in plan.groups],
        "trainees_share": plan.trainees_share,
        "trainees_note": plan.trainees_note,
        "source": {"document": plan.source.document, "file": plan.source.file,
                   "measures": [list(m) for m in plan.source.measures]},
    }


def plan_from_dict(data: dict[str, Any]) -> Plan:
    source = data["source"]
    return Plan(
        name=data["name"],
        target_date=date.fromisoformat(data["target_date"]),
        hiring_period=(int(data["hiring_period"][0]), int(data["hiring_period"][1])),
        groups=tuple(_group_from_dict(g) for g in data["groups"]),
        trainees_share=float(data["trainees_share"]),
        trainees_note=data["trainees_note"],
        source=Source(source["document"], source["file"], tuple((m[0], m[1]) for m in source["measures"])),
    )


def _group_to_dict(group: PlanGroup) -> dict[str, Any]:
    data = dataclasses.asdict(group)
    data["categories"] = [dataclasses.asdict(c) for c in group.categories]
    data["baseline_interval"] = (None if group.baseline_interval is None
                                 else [group.baseline_interval.lo, group.baseline_interval.hi])
    return data


def _group_from_dict(data: dict[str, Any]) -> PlanGroup:
    interval = data.get("baseline_interval")
    return PlanGroup(
        key=data["key"], name=data["name"], baseline=data["baseline"], target=data["target"], hires=data["hires"],
        categories=tuple(Category(c["name"], c["rate"], c.get("vacancies")) for c in data.get("categories", [])),
        headcount=data.get("headcount"), vacancies=data.get("vacancies"), note=data.get("note", ""),
        baseline_source=data.get("baseline_source", ""),
        baseline_interval=None if interval is None else Interval(interval[0], interval[1]),
    )


def change_group(plan: Plan, key: str, **changes: Any) -> Plan:
    """A new plan with one group's figures changed; unknown groups and fields are refused.

    Setting a baseline by hand drops an earlier survey interval and source unless they are given too."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValueError(f"cannot change {', '.join(unknown)}; changeable: {', '.join(EDITABLE)}")
    group = plan.group(key)
    if "baseline" in changes and "baseline_source" not in changes:
        changes = {"baseline_source": "", "baseline_interval": None, **changes}
    changed = dataclasses.replace(group, **changes)
    _check_group(changed)
    return dataclasses.replace(plan, groups=tuple(changed if g.key == key else g for g in plan.groups))


def _check_group(group: PlanGroup) -> None:
    for name in ("baseline", "target", "hires"):
        value = getattr(group, name)
        if value is not None and not 0 <= value <= 1:
            raise ValueError(f"{group.name}: the {name} must be a share between 0 % and 100 %")
    if group.headcount is not None and not group.headcount > 0:
        raise ValueError(f"{group.name}: the headcount N must be more than 0")
    if group.vacancies is not None and not group.vacancies > 0:
        raise ValueError(f"{group.name}: the vacancies V must be more than 0")
    if group.headcount is not None and group.vacancies is not None and group.vacancies > group.headcount:
        raise ValueError(f"{group.name}: the vacancies V ({group.vacancies:g}) exceed the headcount N "
                         f"({group.headcount:g}); V counts the leavers among today's staff")
    if group.baseline_interval is not None and group.baseline is not None and not group.baseline_interval.contains(
            group.baseline, 1e-9):
        raise ValueError(f"{group.name}: the baseline lies outside its interval")


@dataclass(frozen=True)
class Outlook:
    """What a group's figures give: the share of new hires needed to reach the target (an interval
    when the baseline is one), beside the plan's own hiring share. None where figures are missing."""

    required: float | None
    required_interval: Interval | None
    planned_hires: float | None

    @property
    def reachable(self) -> bool | None:
        """Whether hiring alone can reach the target (required ≤ 100 %); None when unknown."""
        top = self.required_interval.hi if self.required_interval else self.required
        return None if top is None else top <= 1


def group_outlook(group: PlanGroup) -> Outlook:
    planned = group.hires
    if group.categories and all(c.vacancies for c in group.categories):
        planned = combine(group.categories)[0]
    if None in (group.baseline, group.target, group.headcount, group.vacancies):
        return Outlook(None, None, planned)
    required = required_share(group.baseline, group.target, group.headcount, group.vacancies)
    interval = (required_share_interval(group.baseline_interval, group.target, group.headcount, group.vacancies)
                if group.baseline_interval is not None else None)
    return Outlook(required, interval, planned)
