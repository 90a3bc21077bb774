"""HR's quota model (DESIGN.md 9): which share of new hires moves a group's share to its target.

Pure arithmetic, no Flask and no database, so that HR's screens, the CLI and the tests share one
definition of every figure. Shares are fractions 0..1 here; percent belongs to whoever prints them.

The model, as in WIR2.0 Measure 3. A group has headcount N and a share b with a migration
background today. Until the target date, V positions fall vacant (age-related separations), and
the people who leave have the group's current share b; a share h of the V new hires has a
migration background; the headcount stays N. At the target date the group has
b·N − b·V + h·V such employees, so its share is

    s = b + (h − b)·V/N          (`share_reached`)

and the h that makes s equal the target t is

    h = b + (t − b)·N/V          (`required_share`).

"15 % → 17 % needs 30 % of new hires" therefore means V/N = (t − b)/(h − b) ≈ 13.3 %. The model
counts separations of today's staff, so V ≤ N; a larger V is an input error, not a faster path.

`required_share` can exceed 1 (or fall below 0): then hiring alone cannot reach the target by the
date. It is returned as it is, never clamped, so that the caller can say so.

Targets are minimum shares (the plan's targets are increases): `vacancies_needed` and
`year_reached` ask when the share is *at least* t, and a group already there needs nothing.

`year_reached` uses a yearly version of the same model: each year v positions fall vacant, the
leavers have the group's share of that moment (so new hires can leave again), and

    s' = s + (h − s)·v/N,   hence   s_k = h + (b − h)·(1 − v/N)^k.

It approaches h but never passes it, and it is a little slower than the one-step formula with
V = k·v, which lets only today's staff leave.

Every formula has an interval version for a baseline known only as an interval (a survey estimate's
95 % interval, or the bounds "every non-respondent said no / yes"). Each formula is monotone in b,
which decides which end of the baseline gives which end of the result; tests check the claims.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

#: Comparisons of shares allow this much floating-point error (shares are fractions 0..1).
TOLERANCE = 1e-12


@dataclass(frozen=True)
class Interval:
    """A closed interval [lo, hi] of a quantity; a point when lo == hi; hi may be `math.inf`."""

    lo: float
    hi: float

    def __post_init__(self) -> None:
        if math.isnan(self.lo) or math.isnan(self.hi):
            raise ValueError("an interval cannot have NaN ends")
        if self.lo > self.hi:
            raise ValueError(f"an interval's lower end {self.lo} is above its upper end {self.hi}")

    @classmethod
    def point(cls, value: float) -> Interval:
        return cls(value, value)

    @property
    def is_point(self) -> bool:
        return self.lo == self.hi

    def contains(self, value: float, tolerance: float = 0.0) -> bool:
        """Whether value lies in the interval, allowing `tolerance` for rounding at either end."""
        return self.lo - tolerance <= value <= self.hi + tolerance


@dataclass(frozen=True)
class YearRange:
    """The earliest and latest year a target is reached over a baseline interval; None means never."""

    earliest: int | None
    latest: int | None


@dataclass(frozen=True)
class Category:
    """Vacancies of one kind with their own hiring rate (Measure 3's managers: office heads 10 %, ...).

    `vacancies` is None until HR enters it; the plan gives only the rates.
    """

    name: str
    rate: float
    vacancies: float | None = None

    def __post_init__(self) -> None:
        _check_share("the category rate", self.rate)
        if self.vacancies is not None and not self.vacancies >= 0:
            raise ValueError(f"category {self.name!r}: vacancies must be 0 or more, not {self.vacancies}")


# --- checks -----------------------------------------------------------------------------------

def _check_share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:  # also rejects NaN
        raise ValueError(f"{name} must be a share between 0 and 1 (0 % and 100 %), not {value}")


def _check_headcount(headcount: float) -> None:
    if not (headcount > 0 and math.isfinite(headcount)):
        raise ValueError(f"the headcount N must be positive, not {headcount}")


def _check_vacancies(vacancies: float, headcount: float, name: str = "the vacancies V") -> None:
    _check_headcount(headcount)
    if not vacancies > 0:
        raise ValueError(f"{name} must be positive, not {vacancies}")
    if vacancies > headcount:
        raise ValueError(
            f"{name} ({vacancies:g}) exceed the headcount N ({headcount:g}); "
            "the model counts separations of today's staff, so V cannot be larger than N"
        )


def _check_interval(name: str, interval: Interval) -> None:
    _check_share(f"{name} (lower end)", interval.lo)
    _check_share(f"{name} (upper end)", interval.hi)


def _mapped(lower: float, upper: float) -> Interval:
    """The interval from the ends that monotonicity says are the lower and the upper one.

    Where a formula is flat in b (V = N, or h = t), rounding can leave the "lower" end an ulp
    above the upper one; only that is absorbed, anything more would be a wrong mapping.
    """
    if lower > upper:
        assert lower - upper <= 1e-9 * max(1.0, abs(upper)), (lower, upper)
        lower, upper = upper, lower
    return Interval(lower, upper)


# --- point formulas ---------------------------------------------------------------------------

def required_share(baseline: float, target: float, headcount: float, vacancies: float) -> float:
    """The share h of new hires that moves the group from b to t: h = b + (t − b)·N/V.

    Not clamped: above 1, the target cannot be reached by hiring alone; below 0, the group stays
    above its target whoever is hired.
    """
    _check_share("the baseline b", baseline)
    _check_share("the target t", target)
    _check_vacancies(vacancies, headcount)
    return baseline + (target - baseline) * headcount / vacancies


def share_reached(baseline: float, hires: float, headcount: float, vacancies: float) -> float:
    """The group's share at the target date when a share h of the V new hires: b + (h − b)·V/N."""
    _check_share("the baseline b", baseline)
    _check_share("the share of new hires h", hires)
    _check_vacancies(vacancies, headcount)
    return baseline + (hires - baseline) * vacancies / headcount


def vacancies_needed(baseline: float, target: float, hires: float, headcount: float) -> float:
    """The fewest vacancies after which the share is at least t when a share h of them is hired.

    0 when b ≥ t already; N·(t − b)/(h − b) (at most N) when h ≥ t; `math.inf` when h < t, since
    the share can never pass h.
    """
    _check_share("the baseline b", baseline)
    _check_share("the target t", target)
    _check_share("the share of new hires h", hires)
    _check_headcount(headcount)
    if baseline >= target:
        return 0.0
    if hires < target:
        return math.inf
    return headcount * (target - baseline) / (hires - baseline)


def share_after_years(baseline: float, hires: float, headcount: float, yearly_vacancies: float,
                      years: int) -> float:
    """The share after `years` years of the yearly model: s_k = h + (b − h)·(1 − v/N)^k."""
    _check_share("the baseline b", baseline)
    _check_share("the share of new hires h", hires)
    _check_vacancies(yearly_vacancies, headcount, "the yearly vacancies v")
    if years < 0:
        raise ValueError(f"years must be 0 or more, not {years}")
    return hires + (baseline - hires) * (1.0 - yearly_vacancies / headcount) ** years


def year_reached(baseline: float, target: float, hires: float, headcount: float, yearly_vacancies: float,
                 start_year: int) -> int | None:
    """The first year whose end finds the share at least t (yearly model); None if never.

    b is the share at the end of `start_year`; each following year brings `yearly_vacancies`.
    Returns `start_year` when b ≥ t already. Never when h < t, and never when h == t unless every
    position falls vacant in a year (the share only approaches h).
    """
    _check_share("the target t", target)
    share_after_years(baseline, hires, headcount, yearly_vacancies, 0)  # checks the other inputs

    def reached(k: int) -> bool:
        return share_after_years(baseline, hires, headcount, yearly_vacancies, k) >= target - TOLERANCE

    if reached(0):
        return start_year
    keep = 1.0 - yearly_vacancies / headcount
    if keep <= 0.0:  # every position falls vacant in a year: the share is h after one
        return start_year + 1 if reached(1) else None
    if hires <= target:
        return None
    # reached(k) ⇔ (h − b)·keep^k ≤ (h − t) + TOLERANCE; solve for k, then let the recurrence check.
    years = max(1, math.ceil(math.log((hires - target + TOLERANCE) / (hires - baseline)) / math.log(keep)))
    # The logarithms can be off by one year at an exact boundary; the recurrence decides.
    while not reached(years):
        years += 1
    while years > 1 and reached(years - 1):
        years -= 1
    return start_year + years


# --- categories -------------------------------------------------------------------------------

def combine(categories: Iterable[Category]) -> tuple[float, float]:
    """A group's hiring share and vacancies when its vacancies come in categories with own rates.

    The hiring share is the vacancy-weighted mean of the categories' rates: Σ rate·V / Σ V, and
    the vacancies add up. Feed both to the formulas above like any group's h and V.
    """
    found = list(categories)
    if not found:
        raise ValueError("a group with categories needs at least one category")
    missing = [c.name for c in found if c.vacancies is None]
    if missing:
        raise ValueError(f"vacancies not entered for: {', '.join(missing)}")
    total = sum(c.vacancies for c in found if c.vacancies is not None)
    if not total > 0:
        raise ValueError("the categories' vacancies add up to 0; the hiring share is undefined")
    weighted = sum(c.rate * c.vacancies for c in found if c.vacancies is not None)
    return weighted / total, total


# --- interval versions ------------------------------------------------------------------------

def required_share_interval(baseline: Interval, target: float, headcount: float, vacancies: float) -> Interval:
    """`required_share` over a baseline interval.

    h = b·(1 − N/V) + t·N/V falls as b rises (V ≤ N): a higher baseline needs fewer such hires,
    so the upper end of b gives the lower end of h.
    """
    _check_interval("the baseline b", baseline)
    return _mapped(required_share(baseline.hi, target, headcount, vacancies),
                   required_share(baseline.lo, target, headcount, vacancies))


def share_reached_interval(baseline: Interval, hires: float, headcount: float, vacancies: float) -> Interval:
    """`share_reached` over a baseline interval; s = b·(1 − V/N) + h·V/N rises with b (V ≤ N)."""
    _check_interval("the baseline b", baseline)
    return _mapped(share_reached(baseline.lo, hires, headcount, vacancies),
                   share_reached(baseline.hi, hires, headcount, vacancies))


def vacancies_needed_interval(baseline: Interval, target: float, hires: float, headcount: float) -> Interval:
    """`vacancies_needed` over a baseline interval; the upper end is `math.inf` if never.

    The vacancies needed never rise with b (N·(t − b)/(h − b) has slope N·(t − h)/(h − b)² ≤ 0
    for h ≥ t, and is 0 from b = t on), so the upper end of b gives the lower end.
    """
    _check_interval("the baseline b", baseline)
    return _mapped(vacancies_needed(baseline.hi, target, hires, headcount),
                   vacancies_needed(baseline.lo, target, hires, headcount))


def year_reached_interval(baseline: Interval, target: float, hires: float, headcount: float,
                          yearly_vacancies: float, start_year: int) -> YearRange:
    """`year_reached` over a baseline interval: a higher b is never reached later (s_k rises with b)."""
    _check_interval("the baseline b", baseline)
    return YearRange(
        earliest=year_reached(baseline.hi, target, hires, headcount, yearly_vacancies, start_year),
        latest=year_reached(baseline.lo, target, hires, headcount, yearly_vacancies, start_year),
    )
