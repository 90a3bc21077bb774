"""Monitoring Measure 3 (DESIGN.md 9): per group and year, the plan's path toward the target, the
share of new hires it requires, the hiring rate the standing new-hire survey measured, and whether
the group is on track.

The path is the plan's own linear model: with V vacancies spread evenly over the hiring years and
leavers at the baseline share, hiring the required share h moves the group by (t − b)/years each
year, so the share at the end of year k is b + (t − b)·k/years. A measured hiring rate m (an
interval: the survey's 95 % interval) moves it by (m − b)·v/N instead; the projection carries the
interval forward. A year is "on track" when the whole interval of m reaches the required h, "behind"
when all of it falls short, and "uncertain" when the interval straddles h.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .plan_wir2 import Plan, PlanGroup
from .quotas import Interval, required_share

ON_TRACK, BEHIND, UNCERTAIN, NO_DATA = "on track", "behind", "uncertain", "no data"


@dataclass(frozen=True)
class YearRow:
    year: int
    planned_share: float  # on the plan's path at the end of the year
    required_hires: float
    measured_hires: Interval | None
    projected_share: Interval | None  # the share with the hires measured so far (None once a year is missing)
    status: str


@dataclass(frozen=True)
class GroupMonitor:
    key: str
    name: str
    baseline: float | None
    target: float | None
    required_hires: float | None
    rows: tuple[YearRow, ...]
    missing: str = ""  # which figures HR still has to enter; rows are empty then


#: The key of the trainees' entering classes in `measured` (Measure 1), beside the plan's groups.
TRAINEES = "trainee"


def monitor(plan: Plan, measured: Mapping[str, Mapping[int, Interval]]) -> list[GroupMonitor]:
    """Every group of the plan over its hiring years, then the trainees' entering classes;
    `measured[group][year]` is a year's hiring rate."""
    return [*(_group(plan, group, measured.get(group.key, {})) for group in plan.groups),
            _trainees(plan, measured.get(TRAINEES, {}))]


def _trainees(plan: Plan, measured: Mapping[int, Interval]) -> GroupMonitor:
    """Measure 1 asks a share of each entering class, not a path: every year is held to that share."""
    share = plan.trainees_share
    first, last = plan.hiring_period
    rows = tuple(YearRow(year, share, share, measured.get(year), None, _status(measured.get(year), share))
                 for year in range(first, max([last, *measured]) + 1))
    return GroupMonitor(TRAINEES, "Trainees (each entering class)", None, share, share, rows)


def _group(plan: Plan, group: PlanGroup, measured: Mapping[int, Interval]) -> GroupMonitor:
    missing = [name for name, value in (("b", group.baseline), ("t", group.target), ("N", group.headcount),
                                        ("V", group.vacancies)) if value is None]
    if missing:
        return GroupMonitor(group.key, group.name, group.baseline, group.target, None, (),
                            f"enter {', '.join(missing)}")
    b, t, n, v = group.baseline, group.target, group.headcount, group.vacancies
    required = required_share(b, t, n, v)
    first, last = plan.hiring_period
    years = last - first + 1
    yearly = v / years
    rows = []
    projected: Interval | None = Interval.point(b)
    # Years measured after the plan's period are shown too: its path has reached the target then.
    shown_until = max([last, *measured])
    for k, year in enumerate(range(first, shown_until + 1), start=1):
        found = measured.get(year)
        if projected is not None and found is not None:
            projected = Interval(projected.lo + (found.lo - b) * yearly / n, projected.hi + (found.hi - b) * yearly / n)
        else:
            projected = None
        rows.append(YearRow(year, b + (t - b) * min(k, years) / years, required, found, projected,
                            _status(found, required)))
    return GroupMonitor(group.key, group.name, b, t, required, tuple(rows))


def _status(found: Interval | None, required: float) -> str:
    if found is None:
        return NO_DATA
    if found.lo >= required:
        return ON_TRACK
    if found.hi < required:
        return BEHIND
    return UNCERTAIN


# --- hiring rates from a standing wave's yearly releases ------------------------------------------

Cells = Mapping[tuple[str, ...], "int | None"]


def hiring_rates(
    releases: Sequence[tuple[int, Cells]],
    intake: Mapping[str, int],
    *,
    min_count: int,
    hit: str = "yes",
    substantive: tuple[str, ...] = ("yes", "no"),
    total: str = "Total",
) -> dict[str, dict[int, Interval]]:
    """Each year's hiring rate per group from successive cumulative releases of a standing wave.

    `releases` are (year, published cells of a group × answer table) in release order; a year's new
    hires are the change since the previous release (the first release counts from zero). A cell
    that either release kept secret (None) makes that group's year unknown. Both releases were
    protected as a pair (aggregation.history), so a change between published cells is 0 or at
    least k: the rate rests only on published figures. `intake` is each group's expected yearly
    intake (the strata's headcounts), the population the rate describes; more hires than expected
    count as the population. The result holds the 95 % interval of each published rate."""
    from .estimates import StratumCount, estimate_share

    rates: dict[str, dict[int, Interval]] = {}
    previous: Cells = {}
    for year, cells in releases:
        groups = {key[0] for key in cells}
        for group in groups:
            change = {}
            for answer in substantive:
                now, before = cells.get((group, answer)), previous.get((group, answer), 0)
                change[answer] = None if now is None or before is None else now - before
            if any(v is None or v < 0 for v in change.values()):
                continue
            respondents = sum(change.values())
            population = sum(intake.values()) if group == total else intake.get(group, 0)
            if respondents == 0:
                continue
            estimate = estimate_share([StratumCount(max(population, respondents), respondents, change[hit])],
                                      min_count=min_count)
            if estimate.published:
                rates.setdefault(group, {})[year] = Interval(estimate.lower, estimate.upper)
        previous = cells
    return rates
