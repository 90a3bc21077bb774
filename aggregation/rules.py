"""The disclosure rules: minimum count (primary), group disclosure, and what protection each needs.

Parameters are explicit and can only be raised above their floors (DESIGN.md section 7).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from .tables import TOTAL, Key, Table

MIN_COUNT_DEFAULT = 5
MIN_COUNT_FLOOR = 3


class DisclosureRiskWarning(UserWarning):
    """A result that could disclose something about a person; raised as a warning or refused."""


class CannotProtect(ValueError):
    """No suppression pattern protects the table (e.g. a sensitive cell whose margins are all forced)."""


@dataclass(frozen=True)
class Rules:
    """`min_count` (k): cells with 0 < n < k are secret. `group_rule`: a group of n ≥ k in which all
    or all but one gave the same answer is protected too. The group is read along `response_axis`
    (the answer dimension; by convention the table's last)."""

    min_count: int = MIN_COUNT_DEFAULT
    group_rule: bool = True
    response_axis: int = -1

    def __post_init__(self) -> None:
        if self.min_count < MIN_COUNT_FLOOR:
            raise ValueError(f"min_count {self.min_count} is below the floor of {MIN_COUNT_FLOOR}")


@dataclass(frozen=True)
class Requirement:
    """What the attacker must not learn about one sensitive cell.

    primary: the interval must not be a single value and must hold 0 or a value ≥ k, so nobody can
    tell that a small group of 1..k-1 people exists. group: the interval of the dominant answer
    must reach down to `group_total - 2`, so nobody can tell that all or all but one answered it.
    earlier: earlier releases already narrowed the cell to [`lower`, `upper`], past what the rules
    allow (see `protect`); a new release cannot undo that, but must not narrow it any further.
    """

    kind: str
    value: int
    group_total: int = 0
    lower: float = 0.0
    upper: float = 0.0

    def satisfied(self, lower: float, upper: float, min_count: int) -> bool:
        """`lower` and `upper` are the attacker's whole-number bounds."""
        if self.kind == "earlier":
            return lower <= self.lower and upper >= self.upper
        if upper <= lower:
            return False
        if self.kind == "primary":
            return lower <= 0 or upper >= min_count
        return lower <= self.group_total - 2

    def needs(self, min_count: int) -> list[tuple[int, int]]:
        """How far the attacker's interval must reach from the true value, as clauses (up, down)
        that must all hold; within a clause either direction will do, and 0 means not that way.

        A primary cell is safe if either direction reaches far enough (up to k, or down to 0), so
        the suppression program chooses one; a group cell needs room downwards; an earlier cell
        needs its old interval both ways. A cell with several requirements must meet them all."""
        if self.kind == "primary":
            return [(min_count - self.value, self.value)]
        if self.kind == "group":
            return [(0, self.value - (self.group_total - 2))]
        up, down = int(self.upper - self.value), int(self.value - self.lower)
        return [need for need in ((up, 0), (0, down)) if any(need)]

    def describe(self, lower: float, upper: float, min_count: int) -> str:
        shown = f"[{_fmt(lower)}, {_fmt(upper)}]"
        if self.kind == "earlier":
            return (
                f"earlier releases had already narrowed it to [{_fmt(self.lower)}, {_fmt(self.upper)}]; "
                f"with this release it could be narrowed to {shown}"
            )
        if upper - lower < 0.5:
            return f"its exact value {_fmt(lower)} can be worked out from the published cells"
        if self.kind == "primary":
            return f"it can be narrowed to {shown}, which shows a group of 1 to {min_count - 1} people"
        return f"it can be narrowed to {shown} of {self.group_total}: all or all but one gave this answer"


def requirements(table: Table, rules: Rules) -> dict[Key, list[Requirement]]:
    """The sensitive cells of a table and what each needs."""
    found: dict[Key, list[Requirement]] = {}
    k = rules.min_count
    for key, value in table.counts.items():
        if 0 < value < k:
            found.setdefault(key, []).append(Requirement("primary", value))
    if rules.group_rule:
        for key, requirement in group_disclosures(table, rules).items():
            found.setdefault(key, []).append(requirement)
    return found


def group_disclosures(table: Table, rules: Rules) -> dict[Key, Requirement]:
    """Groups (cells summed over the answer dimension) of n ≥ k where n − largest answer < 2."""
    axis = rules.response_axis % len(table.dimensions)
    answer = table.dimensions[axis]
    others = [d.nodes if i != axis else (None,) for i, d in enumerate(table.dimensions)]
    result: dict[Key, Requirement] = {}
    for combo in itertools.product(*others):
        total_key = combo[:axis] + (TOTAL,) + combo[axis + 1 :]
        n = table.counts[total_key]
        if n < rules.min_count:
            continue
        members = [combo[:axis] + (leaf,) + combo[axis + 1 :] for leaf in answer.leaves]
        dominant = max(members, key=lambda member: table.counts[member])
        if n - table.counts[dominant] < 2:
            result[dominant] = Requirement("group", table.counts[dominant], n)
    return result


def _fmt(value: float) -> str:
    return "∞" if math.isinf(value) else str(int(round(value)))
