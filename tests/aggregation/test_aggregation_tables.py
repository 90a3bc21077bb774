"""Tables with margins and hierarchies, and the equations that tie their cells together."""
from __future__ import annotations

import pytest

from aggregation import TOTAL, Dimension, Rules, build_table, protect, system_of

GROUP = Dimension.flat("group", ["medium", "senior"])
DEPARTMENT = Dimension.hierarchical("department", {"Directorate 3": ["32", "33"], "Directorate 5": ["50"]})
ANSWER = Dimension.flat("answer", ["yes", "no"])


def test_margins_and_subtotals_of_a_hierarchical_dimension():
    table = build_table("t", [DEPARTMENT, ANSWER], {("32", "yes"): 3, ("33", "no"): 4, ("50", "yes"): 10})
    assert table.counts[("Directorate 3", TOTAL)] == 7
    assert table.counts[(TOTAL, "yes")] == 13
    assert table.counts[(TOTAL, TOTAL)] == 17
    for equation in table.equations():
        assert table.counts[equation.total] == sum(table.counts[p] for p in equation.parts)


def test_bad_input_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="not an inner cell"):
        build_table("t", [GROUP, ANSWER], {("medium", "maybe"): 1})
    with pytest.raises(ValueError, match="not an inner cell"):
        build_table("t", [DEPARTMENT, ANSWER], {("Directorate 3", "yes"): 1})  # totals are computed, not given
    with pytest.raises(ValueError, match="whole number"):
        build_table("t", [GROUP, ANSWER], {("medium", "yes"): -1})
    with pytest.raises(ValueError, match="reserved"):
        Dimension.flat("x", ["Total"])
    with pytest.raises(ValueError, match="between one and three"):
        build_table("t", [GROUP, ANSWER, Dimension.flat("a", ["1"]), Dimension.flat("b", ["1"])], {})
    with pytest.raises(ValueError, match="floor"):
        Rules(min_count=2)


def test_tables_sharing_cells_are_one_system_and_protected_consistently():
    inner = {("medium", "32", "yes"): 2, ("medium", "32", "no"): 9, ("medium", "33", "yes"): 6,
             ("medium", "33", "no"): 7, ("medium", "50", "yes"): 8, ("medium", "50", "no"): 12,
             ("senior", "32", "yes"): 5, ("senior", "32", "no"): 6, ("senior", "33", "yes"): 7,
             ("senior", "33", "no"): 9, ("senior", "50", "yes"): 11, ("senior", "50", "no"): 10}
    detailed = build_table("by_department", [GROUP, DEPARTMENT, ANSWER], inner)
    coarse_inner = {}
    for (group, _dept, answer), value in inner.items():
        coarse_inner[(group, answer)] = coarse_inner.get((group, answer), 0) + value
    coarse = build_table("by_group", [GROUP, ANSWER], coarse_inner)
    system = system_of([coarse, detailed])
    assert system.index[("by_group", ("medium", "yes"))] == system.index[("by_department", ("medium", TOTAL, "yes"))]
    protection = protect([coarse, detailed], Rules())
    by_group, by_department = protection.tables
    for key, cell in by_group.cells.items():
        twin = by_department.cells[(key[0], TOTAL, key[1])]
        assert (cell.count, cell.status) == (twin.count, twin.status)
    assert by_department.cells[("medium", "32", "yes")].status == "primary"


def test_a_table_that_cannot_be_protected_is_refused_with_a_reason():
    from aggregation import CannotProtect

    tiny = build_table("tiny", [ANSWER], {("yes",): 2, ("no",): 1})
    with pytest.raises(CannotProtect, match="always published"):
        protect([tiny], Rules())  # three respondents in all: the published total is itself below k
    lonely = build_table("lonely", [Dimension.flat("answer", ["yes"])], {("yes",): 7})
    with pytest.raises(CannotProtect):
        protect([lonely], Rules())  # one answer category only: the published total gives it away
