"""HR's quota model: the plan's figures, the formulas' inverses and monotonicity, and intervals."""
from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from aggregation.plan_wir2 import WIR2_2021
from aggregation.quotas import (
    Category,
    Interval,
    combine,
    required_share,
    required_share_interval,
    share_after_years,
    share_reached,
    share_reached_interval,
    vacancies_needed,
    vacancies_needed_interval,
    year_reached,
    year_reached_interval,
)

EPS = 1e-9

shares = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
headcounts = st.floats(min_value=1.0, max_value=1e6, allow_nan=False)
ratios = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False)  # V/N


@st.composite
def intervals(draw) -> Interval:
    a, b = draw(shares), draw(shares)
    return Interval(min(a, b), max(a, b))


@st.composite
def inside(draw, interval: Interval) -> float:
    return draw(st.floats(min_value=interval.lo, max_value=interval.hi, allow_nan=False))


# --- the plan's figures -----------------------------------------------------------------------

def test_measure_3_all_employees_15_to_17_with_30_percent_means_v_over_n_13_3_percent():
    ratio = (0.17 - 0.15) / (0.30 - 0.15)
    assert ratio == pytest.approx(0.1333, abs=5e-5)
    assert vacancies_needed(0.15, 0.17, 0.30, 1000) == pytest.approx(133.33, abs=0.01)
    assert required_share(0.15, 0.17, 1000, 1000 * ratio) == pytest.approx(0.30)
    assert share_reached(0.15, 0.30, 1000, 1000 * ratio) == pytest.approx(0.17)


@pytest.mark.parametrize("group", [g for g in WIR2_2021.groups if g.hires is not None], ids=lambda g: g.key)
@pytest.mark.parametrize("headcount", [250, 1000, 11_000])
def test_each_shipped_group_reproduces_its_hiring_share_given_the_v_over_n_hr_enters(group, headcount):
    ratio = (group.target - group.baseline) / (group.hires - group.baseline)
    assert 0 < ratio < 1
    assert required_share(group.baseline, group.target, headcount, ratio * headcount) == pytest.approx(group.hires)


def test_managers_combine_their_three_categories():
    managers = WIR2_2021.group("managers")
    assert managers.hires is None
    assert [(c.name, c.rate) for c in managers.categories] == [
        ("office heads", 0.10), ("unit heads", 0.20), ("office managers", 0.30)]
    # HR enters the vacancies per category; the group's hiring share is their weighted mean.
    entered = [Category(c.name, c.rate, v) for c, v in zip(managers.categories, (20, 10, 10))]
    hires, vacancies = combine(entered)
    assert vacancies == 40
    assert hires == pytest.approx((0.10 * 20 + 0.20 * 10 + 0.30 * 10) / 40)
    headcount = vacancies / ((managers.target - managers.baseline) / (hires - managers.baseline))
    assert required_share(managers.baseline, managers.target, headcount, vacancies) == pytest.approx(hires)
    assert share_reached(managers.baseline, hires, headcount, vacancies) == pytest.approx(managers.target)


def test_the_plan_cites_its_source_and_leaves_n_and_v_to_hr():
    plan = WIR2_2021
    assert plan.name == "WIR2.0 (2021)" and plan.target_date.isoformat() == "2026-12-31"
    assert plan.trainees_share == 0.30
    citation = plan.source.citation()
    assert "wir2-migration-and-participation-plan.txt" in citation
    assert "Measure 1" in citation and "Measure 3" in citation and "3753–3788" in citation
    assert len(plan.groups) == 6
    assert all(g.headcount is None and g.vacancies is None for g in plan.groups)
    sixth = plan.group("group-6")
    assert sixth.baseline is None and sixth.target is None and sixth.hires is None
    with pytest.raises(KeyError):
        plan.group("nobody")
    figures = {g.key: (g.baseline, g.target, g.hires) for g in plan.groups}
    assert figures["all"] == (0.15, 0.17, 0.30)
    assert figures["managers"] == (0.028, 0.06, None)
    assert figures["medium"] == (0.123, 0.16, 0.30)
    assert figures["senior"] == (0.077, 0.09, 0.20)
    assert figures["top"] == (0.042, 0.06, 0.10)


# --- units and errors -------------------------------------------------------------------------

def test_required_share_above_one_is_returned_not_clamped():
    assert required_share(0.02, 0.60, 100, 10) == pytest.approx(5.82)
    assert required_share(0.30, 0.20, 100, 50) == pytest.approx(0.10)
    assert required_share(0.30, 0.10, 100, 20) == pytest.approx(-0.70)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: required_share(0.1, 0.2, 100, 0), "vacancies V must be positive"),
    (lambda: required_share(0.1, 0.2, 100, -5), "vacancies V must be positive"),
    (lambda: required_share(0.1, 0.2, 0, 5), "headcount N must be positive"),
    (lambda: required_share(0.1, 0.2, 100, 101), "exceed the headcount"),
    (lambda: required_share(1.5, 0.2, 100, 10), "baseline b must be a share between 0 and 1"),
    (lambda: required_share(0.1, -0.2, 100, 10), "target t must be a share"),
    (lambda: required_share(math.nan, 0.2, 100, 10), "baseline b must be a share"),
    (lambda: share_reached(0.1, 1.2, 100, 10), "share of new hires h must be a share"),
    (lambda: vacancies_needed(0.1, 0.2, 0.3, -1), "headcount N must be positive"),
    (lambda: year_reached(0.1, 0.2, 0.3, 100, 0, 2021), "yearly vacancies v must be positive"),
    (lambda: share_after_years(0.1, 0.3, 100, 10, -1), "years must be 0 or more"),
    (lambda: Interval(0.3, 0.2), "lower end 0.3 is above its upper end 0.2"),
    (lambda: required_share_interval(Interval(0.1, 1.2), 0.2, 100, 10), "upper end"),
    (lambda: combine([]), "at least one category"),
    (lambda: combine([Category("office heads", 0.1)]), "vacancies not entered for: office heads"),
    (lambda: combine([Category("office heads", 0.1, 0)]), "add up to 0"),
    (lambda: Category("office heads", 1.1), "category rate must be a share"),
    (lambda: Category("office heads", 0.1, -1), "vacancies must be 0 or more"),
])
def test_impossible_inputs_are_refused_with_a_clear_message(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_vacancies_needed_cases():
    assert vacancies_needed(0.20, 0.17, 0.0, 100) == 0.0  # already at the target
    assert vacancies_needed(0.10, 0.20, 0.15, 100) == math.inf  # the share never passes h
    assert vacancies_needed(0.10, 0.20, 0.20, 100) == pytest.approx(100)  # every position, at h = t


def test_year_reached_cases():
    # 15 % → 17 % at 30 %, 2.667 % of positions a year (13.3 % over five years):
    # the yearly model lets new hires leave too, so it needs a sixth year.
    assert year_reached(0.15, 0.17, 0.30, 1500, 40, 2021) == 2027
    assert year_reached(0.15, 0.17, 0.30, 1500, 43, 2021) == 2026
    assert year_reached(0.18, 0.17, 0.00, 100, 10, 2021) == 2021  # already there
    assert year_reached(0.10, 0.20, 0.15, 100, 10, 2021) is None  # h < t
    assert year_reached(0.10, 0.20, 0.20, 100, 10, 2021) is None  # h == t: only approached
    assert year_reached(0.10, 0.20, 0.20, 100, 100, 2021) == 2022  # everyone replaced in a year
    assert year_reached(0.10, 0.20, 0.25, 100, 100, 2021) == 2022
    # An exact boundary: 10 % → 15 % at 20 % with half the positions a year takes one year.
    assert year_reached(0.10, 0.15, 0.20, 100, 50, 2021) == 2022


def test_interval_baselines_give_intervals():
    result = required_share_interval(Interval(0.121, 0.149), 0.17, 1000, 1000 * 0.02 / 0.15)
    assert result.lo == pytest.approx(required_share(0.149, 0.17, 1000, 1000 * 0.02 / 0.15))
    assert result.hi == pytest.approx(required_share(0.121, 0.17, 1000, 1000 * 0.02 / 0.15))
    assert result.contains(required_share(0.135, 0.17, 1000, 1000 * 0.02 / 0.15))
    point = required_share_interval(Interval.point(0.15), 0.17, 1000, 1000 * 0.02 / 0.15)
    assert point.is_point and point.lo == pytest.approx(0.30)
    assert vacancies_needed_interval(Interval(0.05, 0.25), 0.17, 0.30, 100) == Interval(
        0.0, vacancies_needed(0.05, 0.17, 0.30, 100))
    assert vacancies_needed_interval(Interval(0.05, 0.25), 0.17, 0.10, 100).hi == math.inf
    years = year_reached_interval(Interval(0.10, 0.16), 0.17, 0.30, 1000, 30, 2021)
    assert years.earliest is not None and years.latest is not None and years.earliest < years.latest


# --- properties -------------------------------------------------------------------------------

@given(b=shares, t=shares, n=headcounts, r=ratios)
def test_share_reached_inverts_required_share(b, t, n, r):
    v = r * n
    h = required_share(b, t, n, v)
    assume(0.0 <= h <= 1.0)
    assert share_reached(b, h, n, v) == pytest.approx(t, abs=EPS)


@given(b=shares, h=shares, n=headcounts, r=ratios)
def test_required_share_inverts_share_reached(b, h, n, r):
    v = r * n
    assert required_share(b, share_reached(b, h, n, v), n, v) == pytest.approx(h, abs=1e-6)


@given(b=shares, t=shares, h=shares, n=headcounts)
def test_vacancies_needed_agrees_with_the_other_two(b, t, h, n):
    v = vacancies_needed(b, t, h, n)
    if b >= t:
        assert v == 0.0
    elif h < t:
        assert v == math.inf
    else:
        assert 0 < v <= n * (1 + EPS)
        v = min(v, n)
        assert share_reached(b, h, n, v) == pytest.approx(t, abs=EPS)
        assert required_share(b, t, n, v) == pytest.approx(h, abs=1e-6)


@given(b1=shares, b2=shares, t=shares, n=headcounts, r=ratios)
def test_required_share_falls_as_the_baseline_rises(b1, b2, t, n, r):
    lo, hi = sorted((b1, b2))
    assert required_share(hi, t, n, r * n) <= required_share(lo, t, n, r * n) + EPS


@given(b=shares, t1=shares, t2=shares, n=headcounts, r=ratios)
def test_required_share_rises_with_the_target(b, t1, t2, n, r):
    lo, hi = sorted((t1, t2))
    assert required_share(b, lo, n, r * n) <= required_share(b, hi, n, r * n) + EPS


@given(b=shares, t=shares, n=headcounts, r1=ratios, r2=ratios)
def test_more_vacancies_bring_the_required_share_closer_to_the_target(b, t, n, r1, r2):
    few, many = sorted((r1, r2))
    h_few, h_many = required_share(b, t, n, few * n), required_share(b, t, n, many * n)
    if t >= b:
        assert t - EPS <= h_many <= h_few + EPS
    else:
        assert h_few - EPS <= h_many <= t + EPS


@given(b1=shares, b2=shares, h=shares, n=headcounts, r=ratios)
def test_share_reached_rises_with_the_baseline(b1, b2, h, n, r):
    lo, hi = sorted((b1, b2))
    assert share_reached(lo, h, n, r * n) <= share_reached(hi, h, n, r * n) + EPS


@given(b1=shares, b2=shares, t=shares, h=shares, n=headcounts)
def test_vacancies_needed_never_rise_with_the_baseline(b1, b2, t, h, n):
    lo, hi = sorted((b1, b2))
    assert vacancies_needed(hi, t, h, n) <= vacancies_needed(lo, t, h, n) * (1 + EPS) + EPS


@given(b1=shares, b2=shares, t=shares, h=shares, n=headcounts, r=ratios)
def test_a_higher_baseline_never_reaches_the_target_later(b1, b2, t, h, n, r):
    lo, hi = sorted((b1, b2))
    later, sooner = year_reached(lo, t, h, n, r * n, 2021), year_reached(hi, t, h, n, r * n, 2021)
    if later is not None:
        assert sooner is not None and sooner <= later


@given(b=shares, t=shares, h=shares, n=headcounts, r=ratios)
def test_year_reached_is_the_first_year_of_the_recurrence_at_or_above_the_target(b, t, h, n, r):
    v = r * n
    year = year_reached(b, t, h, n, v, 2021)
    if year is None:
        assert h <= t and b < t
        return
    k = year - 2021
    assert share_after_years(b, h, n, v, k) >= t - 1e-12
    if k > 0:
        assert share_after_years(b, h, n, v, k - 1) < t - 1e-12
    # The recurrence agrees with stepping s' = s + (h − s)·v/N, for the first years at least.
    s = b
    for _ in range(min(k, 50)):
        s = s + (h - s) * v / n
    assert s == pytest.approx(share_after_years(b, h, n, v, min(k, 50)), abs=1e-9)


@given(b=shares, h=shares, n=headcounts, r=ratios, k=st.integers(min_value=1, max_value=40))
def test_yearly_model_is_never_ahead_of_the_one_step_formula(b, h, n, r, k):
    assume(k * r <= 1.0)
    yearly = share_after_years(b, h, n, r * n, k)
    one_step = share_reached(b, h, n, k * r * n)
    if h >= b:
        assert yearly <= one_step + EPS
    else:
        assert yearly >= one_step - EPS


@given(data=st.data(), baseline=intervals(), t=shares, n=headcounts, r=ratios)
def test_required_share_interval_contains_every_point_result(data, baseline, t, n, r):
    result = required_share_interval(baseline, t, n, r * n)
    b = data.draw(inside(baseline))
    assert result.contains(required_share(b, t, n, r * n), tolerance=EPS * max(1.0, abs(result.hi)))


@given(data=st.data(), baseline=intervals(), h=shares, n=headcounts, r=ratios)
def test_share_reached_interval_contains_every_point_result(data, baseline, h, n, r):
    result = share_reached_interval(baseline, h, n, r * n)
    b = data.draw(inside(baseline))
    assert result.contains(share_reached(b, h, n, r * n), tolerance=EPS)


@given(data=st.data(), baseline=intervals(), t=shares, h=shares, n=headcounts)
def test_vacancies_needed_interval_contains_every_point_result(data, baseline, t, h, n):
    result = vacancies_needed_interval(baseline, t, h, n)
    b = data.draw(inside(baseline))
    assert result.contains(vacancies_needed(b, t, h, n), tolerance=EPS * n)


@given(data=st.data(), baseline=intervals(), t=shares, h=shares, n=headcounts, r=ratios)
def test_year_reached_interval_contains_every_point_result(data, baseline, t, h, n, r):
    years = year_reached_interval(baseline, t, h, n, r * n, 2021)
    year = year_reached(data.draw(inside(baseline)), t, h, n, r * n, 2021)
    if year is None:
        assert years.latest is None
    else:
        assert years.earliest is not None and years.earliest <= year
        assert years.latest is None or year <= years.latest


@given(rates=st.lists(st.tuples(shares, st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=1e4))),
                      min_size=1, max_size=5))
def test_the_combined_hiring_share_is_a_weighted_mean_within_the_rates(rates):
    assume(sum(v for _, v in rates) > 0)
    hires, vacancies = combine([Category(f"c{i}", rate, v) for i, (rate, v) in enumerate(rates)])
    assert vacancies == pytest.approx(sum(v for _, v in rates))
    used = [rate for rate, v in rates if v > 0]
    assert min(used) - EPS <= hires <= max(used) + EPS
