"""Monitoring Measure 3: the plan's path, the status of a measured year, and hiring rates taken
only from published changes between a standing wave's releases."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregation.monitoring import BEHIND, NO_DATA, ON_TRACK, UNCERTAIN, hiring_rates, monitor
from aggregation.plan_wir2 import WIR2_2021
from aggregation.plans import change_group
from aggregation.quotas import Interval

PLAN = change_group(WIR2_2021, "all", headcount=10_000, vacancies=1_333.33)


def test_the_path_reaches_the_target_in_the_last_year_and_groups_without_figures_say_what_is_missing():
    found = {g.key: g for g in monitor(PLAN, {})}
    rows = found["all"].rows
    assert [r.year for r in rows] == [2022, 2023, 2024, 2025, 2026]
    assert rows[-1].planned_share == pytest.approx(0.17) and rows[0].planned_share == pytest.approx(0.154)
    assert found["all"].required_hires == pytest.approx(0.30, abs=1e-4)
    assert all(r.status == NO_DATA and r.projected_share is None for r in rows)
    assert found["medium"].missing == "enter N, V" and found["medium"].rows == ()


@pytest.mark.parametrize("measured, status", [
    (Interval(0.31, 0.40), ON_TRACK), (Interval(0.20, 0.29), BEHIND), (Interval(0.25, 0.35), UNCERTAIN)])
def test_a_year_is_on_track_only_when_its_whole_interval_reaches_the_required_share(measured, status):
    rows = {g.key: g for g in monitor(PLAN, {"all": {2022: measured}})}["all"].rows
    assert rows[0].status == status and rows[1].status == NO_DATA


@given(st.floats(0.0, 1.0))
def test_hiring_exactly_the_required_share_keeps_the_projection_on_the_path(noise):
    required = monitor(PLAN, {})[0].required_hires
    measured = {year: Interval.point(required) for year in range(2022, 2027)}
    for row in monitor(PLAN, {"all": measured})[0].rows:
        assert row.projected_share.lo == pytest.approx(row.planned_share)
        assert row.projected_share.hi == pytest.approx(row.planned_share)
    wider = {year: Interval(required - noise * 0.1, required + noise * 0.1) for year in range(2022, 2027)}
    for row in monitor(PLAN, {"all": wider})[0].rows:
        assert row.projected_share.contains(row.planned_share, 1e-9)


def test_hiring_rates_rest_on_published_changes_only():
    first = {("medium", "yes"): 8, ("medium", "no"): 12, ("top", "yes"): None, ("top", "no"): 6,
             ("Total", "yes"): 10, ("Total", "no"): 18}
    second = {("medium", "yes"): 13, ("medium", "no"): 22, ("top", "yes"): None, ("top", "no"): 11,
              ("Total", "yes"): 15, ("Total", "no"): 33}
    rates = hiring_rates([(2027, first), (2028, second)], {"medium": 40, "top": 20}, min_count=5)
    assert set(rates) == {"medium", "Total"}  # top's numerator is secret in both years: no rate
    assert rates["medium"][2027].contains(8 / 20) and rates["medium"][2028].contains(5 / 15)
    assert rates["Total"][2028].contains(5 / 20)
    # A change that only one release published gives no rate for that year.
    third = {**second, ("medium", "yes"): None}
    assert 2029 not in hiring_rates([(2027, first), (2028, second), (2029, third)], {"medium": 40}, min_count=5).get(
        "medium", {})


def test_the_trainees_are_held_to_the_share_of_each_entering_class():
    trainees = monitor(PLAN, {"trainee": {2023: Interval(0.31, 0.45), 2024: Interval(0.2, 0.28)}})[-1]
    assert trainees.key == "trainee" and trainees.required_hires == pytest.approx(0.30)
    status = {row.year: row.status for row in trainees.rows}
    assert status[2022] == NO_DATA and status[2023] == ON_TRACK and status[2024] == BEHIND
