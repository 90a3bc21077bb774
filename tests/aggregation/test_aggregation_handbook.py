"""The reference cases of the Handbook on Statistical Disclosure Control (2nd ed.), DESIGN.md section 7."""
from __future__ import annotations

import pytest

from aggregation import Dimension, Rules, build_table, group_disclosures, protect, requirements

MARITAL = Dimension.flat("marital status", ["married", "divorced", "single"])


def marital_by_sex():
    counts = {
        ("married", "M"): 38, ("married", "F"): 17,
        ("divorced", "M"): 7, ("divorced", "F"): 4,
        ("single", "M"): 3, ("single", "F"): 1,
    }
    return build_table("marital_by_sex", [MARITAL, Dimension.flat("sex", ["M", "F"])], counts)


def test_marital_status_by_sex_primary_cell():
    found = requirements(marital_by_sex(), Rules(min_count=3, group_rule=False))
    assert list(found) == [("single", "F")]
    assert found[("single", "F")][0].kind == "primary"


def test_marital_status_by_sex_cheapest_secondary_set_and_attacker_interval():
    protection = protect([marital_by_sex()], Rules(min_count=3, group_rule=False))
    table = protection.tables[0]
    secondary = {key for key, cell in table.cells.items() if cell.status == "secondary"}
    assert secondary == {("divorced", "M"), ("divorced", "F"), ("single", "M")}
    primary = table.cells[("single", "F")]
    assert primary.status == "primary" and primary.count is None
    assert (primary.lower, primary.upper) == (0, 4)
    assert all(cell.count is not None for key, cell in table.cells.items() if "Total" in key)


def marital_by_hours():
    counts = {
        ("married", "full-time"): 6, ("married", "part-time"): 0,
        ("divorced", "full-time"): 5, ("divorced", "part-time"): 1,
        ("single", "full-time"): 8, ("single", "part-time"): 6,
    }
    return build_table("marital_by_hours", [MARITAL, Dimension.flat("hours", ["full-time", "part-time"])], counts)


@pytest.mark.parametrize("k", [3, 5])
def test_marital_status_by_hours_worked_group_disclosures(k):
    found = group_disclosures(marital_by_hours(), Rules(min_count=k))
    assert set(found) == {("married", "full-time"), ("divorced", "full-time")}
    assert found[("married", "full-time")].group_total == 6
    assert found[("divorced", "full-time")].group_total == 6


def test_group_disclosures_are_protected_so_nobody_learns_all_or_all_but_one():
    rules = Rules(min_count=3)
    table = protect([marital_by_hours()], rules).tables[0]
    for key in (("married", "full-time"), ("divorced", "full-time")):
        cell = table.cells[key]
        assert cell.status == "group" and cell.count is None
        assert cell.lower <= 6 - 2  # the attacker cannot rule out that two of the six work part-time
