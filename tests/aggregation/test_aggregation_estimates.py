"""Weighted shares: hand-computed cases, coverage by simulation, publication rule, bad input."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregation import Dimension, Rules, build_table, protect
from aggregation.estimates import (
    ShareEstimate,
    StratumCount,
    estimate_from_frame,
    estimate_share,
    response_rate,
    table_estimates,
)
from aggregation.rules import DisclosureRiskWarning

Z = 1.959963984540054  # standard normal 97.5 % quantile


def wilson_equation_holds(estimate: ShareEstimate, n_eff: float) -> None:
    """Both ends of a Wilson interval solve (p̂ − p)² · n_eff = z² · p(1 − p)."""
    for end in (estimate.lower, estimate.upper):
        assert (estimate.share - end) ** 2 * n_eff == pytest.approx(Z**2 * end * (1 - end), rel=1e-9, abs=1e-12)


def test_one_stratum_is_a_simple_proportion_with_finite_population_correction():
    estimate = estimate_share([StratumCount(headcount=100, respondents=20, hits=5)])
    assert estimate.published and estimate.reason == ""
    assert estimate.share == pytest.approx(0.25)
    # Var = (1 - 20/100) * 0.25 * 0.75 / 19 = 0.15 / 19, so n_eff = 0.1875 * 19 / 0.15 = 23.75
    wilson_equation_holds(estimate, 23.75)
    assert estimate.lower == pytest.approx(0.1195, abs=1e-4)
    assert estimate.upper == pytest.approx(0.4501, abs=1e-4)
    assert (estimate.respondents, estimate.headcount, estimate.response_rate) == (20, 100, 0.2)
    assert estimate.bound_if_all_no == pytest.approx(0.05)
    assert estimate.bound_if_all_yes == pytest.approx(0.85)


def test_weighting_moves_the_share_towards_the_under_represented_stratum():
    # Stratum A (p = 0.8) has 75 % of the staff but only a quarter of the respondents.
    strata = [StratumCount(300, 10, 8), StratumCount(100, 30, 6)]
    estimate = estimate_share(strata)
    # The unweighted share of respondents would be 14 / 40 = 0.35.
    assert estimate.share == pytest.approx(0.75 * 0.8 + 0.25 * 0.2)  # 0.65
    variance = 0.75**2 * (1 - 10 / 300) * 0.8 * 0.2 / 9 + 0.25**2 * (1 - 30 / 100) * 0.2 * 0.8 / 29
    wilson_equation_holds(estimate, 0.65 * 0.35 / variance)


def test_a_census_has_no_sampling_error():
    estimate = estimate_share([StratumCount(10, 10, 5), StratumCount(20, 20, 15)])
    assert estimate.share == estimate.lower == estimate.upper == pytest.approx(20 / 30)
    assert estimate.bound_if_all_no == estimate.bound_if_all_yes == pytest.approx(20 / 30)
    assert estimate.response_rate == 1.0


def test_the_interval_covers_the_true_share_at_about_the_nominal_rate():
    headcounts, true_hits, sample_sizes = (200, 120, 80), (40, 60, 56), (30, 20, 15)
    true_share = sum(true_hits) / sum(headcounts)
    rng = np.random.default_rng(20240611)
    covered = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DisclosureRiskWarning)  # small stratum numerators occur by chance
        for _ in range(400):
            strata = [
                StratumCount(n_pop, n, int(rng.hypergeometric(k, n_pop - k, n)))
                for n_pop, k, n in zip(headcounts, true_hits, sample_sizes)
            ]
            estimate = estimate_share(strata)
            covered += estimate.lower <= true_share <= estimate.upper
    assert 0.90 <= covered / 400 <= 0.995


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 60), st.floats(0, 1), st.floats(0, 1)).map(
            lambda t: StratumCount(t[0], round(t[0] * t[1]), round(round(t[0] * t[1]) * t[2]))
        ),
        min_size=1,
        max_size=5,
    ).filter(lambda strata: sum(s.respondents for s in strata) >= 5)
)
def test_the_non_response_bounds_bracket_the_estimate_and_the_interval_holds_it(strata):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DisclosureRiskWarning)
        estimate = estimate_share(strata)
    assert estimate.published
    assert estimate.bound_if_all_no <= estimate.share + 1e-12
    assert estimate.share <= estimate.bound_if_all_yes + 1e-12
    assert 0 <= estimate.lower <= estimate.share <= estimate.upper <= 1


def test_a_stratum_with_one_respondent_contributes_the_worst_case_variance():
    estimate = estimate_share([StratumCount(50, 20, 10), StratumCount(10, 1, 0)])
    w_a, w_b = 50 / 60, 10 / 60
    assert estimate.share == pytest.approx(w_a * 0.5)
    variance = w_a**2 * (1 - 20 / 50) * 0.25 / 19 + w_b**2 * (1 - 1 / 10) * 0.25
    wilson_equation_holds(estimate, estimate.share * (1 - estimate.share) / variance)


def test_a_share_of_zero_gets_a_wilson_interval_with_the_respondents():
    estimate = estimate_share([StratumCount(100, 20, 0)])
    n_eff = 20 / (1 - 20 / 100)
    assert estimate.share == estimate.lower == 0.0
    assert estimate.upper == pytest.approx(Z**2 / (n_eff + Z**2))


def test_strata_that_answered_alike_do_not_give_a_zero_width_interval():
    # Each stratum is unanimous, so the plug-in variance is 0, yet only half the staff answered.
    estimate = estimate_share([StratumCount(20, 10, 10), StratumCount(20, 10, 0)])
    assert estimate.share == pytest.approx(0.5)
    wilson_equation_holds(estimate, 20 / (1 - 20 / 40))
    assert estimate.lower < 0.5 < estimate.upper


def test_strata_without_respondents_are_reweighted_and_reported():
    estimate = estimate_share([StratumCount(30, 10, 6), StratumCount(10, 0, 0)])
    assert estimate.share == pytest.approx(0.6)
    assert estimate.unrepresented_headcount == 10
    assert estimate.bound_if_all_no == pytest.approx(6 / 40)
    assert estimate.bound_if_all_yes == pytest.approx(36 / 40)


def test_a_denominator_below_k_is_not_published():
    strata = [StratumCount(40, 4, 2)]
    estimate = estimate_share(strata)
    assert not estimate.published
    assert (estimate.share, estimate.lower, estimate.upper) == (None, None, None)
    assert (estimate.bound_if_all_no, estimate.bound_if_all_yes) == (None, None)
    assert "fewer than 5 people answered" in estimate.reason
    assert estimate_share(strata, min_count=3).published
    assert not estimate_share(strata, min_count=6).published
    with pytest.raises(ValueError, match="below the floor of 3"):
        estimate_share(strata, min_count=2)


def test_a_suppressed_numerator_is_not_published():
    estimate = estimate_share([StratumCount(40, 20, 7)], numerator_published=False)
    assert not estimate.published
    assert estimate.share is None and estimate.bound_if_all_no is None
    assert "numerator cell is suppressed" in estimate.reason
    both = estimate_share([StratumCount(40, 2, 1)], numerator_published=False)
    assert "fewer than" in both.reason and "numerator" in both.reason


def test_a_small_stratum_numerator_behind_a_weighted_share_is_a_disclosure_risk():
    with pytest.warns(DisclosureRiskWarning, match="merge strata"):
        estimate = estimate_share([StratumCount(30, 10, 6), StratumCount(30, 10, 2)])
    assert estimate.published
    # One stratum: the share is the numerator over the denominator, which the caller vouches for.
    assert estimate_share([StratumCount(30, 10, 2)]).published
    # Suppression is expected and needs no warning (warnings are errors here).
    assert not estimate_share([StratumCount(30, 10, 6), StratumCount(30, 10, 2)], numerator_published=False).published


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: StratumCount(5, 6, 1), r"respondents \(6\) exceed the headcount \(5\)"),
        (lambda: StratumCount(10, 5, 6), r"hits \(6\) exceed the respondents \(5\)"),
        (lambda: StratumCount(-1, 0, 0), "headcount must not be negative"),
        (lambda: StratumCount(10, 5, 2.5), "hits must be a whole number"),
        (lambda: estimate_share([]), "no strata given"),
        (lambda: estimate_share([StratumCount(0, 0, 0)]), "total headcount of 0"),
        (lambda: estimate_share([StratumCount(10, 5, 2)], confidence=1.0), "strictly between 0 and 1"),
        (lambda: response_rate([]), "no strata given"),
    ],
)
def test_invalid_input_is_refused_with_a_clear_message(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_response_rate_is_respondents_over_headcount():
    assert response_rate([StratumCount(30, 10, 6), StratumCount(10, 0, 0)]) == pytest.approx(0.25)


def test_a_frame_leaves_prefer_not_to_say_and_missing_answers_out_of_the_denominator():
    frame = pd.DataFrame(
        {
            "group": ["medium"] * 12 + ["senior"] * 7,
            "department": [32] * 12 + [50] * 7,
            "answer": ["yes"] * 5 + ["no"] * 3 + ["prefer_not_to_say", "", None, float("nan")]
            + ["yes"] * 5 + ["no", "prefer_not_to_say"],
        }
    )
    headcounts = {("medium", "32"): 40, ("senior", "50"): 12, ("senior", "32"): 8}
    estimate = estimate_from_frame(
        frame, stratum_columns=["group", "department"], value_column="answer", category="yes", headcounts=headcounts
    )
    expected = estimate_share([StratumCount(40, 8, 5), StratumCount(12, 6, 5), StratumCount(8, 0, 0)])
    assert estimate == expected
    assert estimate.respondents == 14 and estimate.unrepresented_headcount == 8
    assert estimate.share == pytest.approx((40 * 5 / 8 + 12 * 5 / 6) / 52)


def test_a_frame_with_rows_outside_the_strata_is_refused():
    frame = pd.DataFrame({"department": ["32", "99"], "answer": ["yes", "no"]})
    with pytest.raises(ValueError, match=r"strata without a headcount: \[\('99',\)\]"):
        estimate_from_frame(
            frame, stratum_columns=["department"], value_column="answer", category="yes", headcounts={("32",): 10}
        )
    with pytest.raises(ValueError, match="stratum \\('32',\\): respondents \\(2\\) exceed the headcount \\(1\\)"):
        estimate_from_frame(
            frame.assign(department="32"),
            stratum_columns=["department"],
            value_column="answer",
            category="yes",
            headcounts={("32",): 1},
        )
    with pytest.raises(ValueError, match="no column"):
        estimate_from_frame(frame, stratum_columns=["group"], value_column="answer", category="yes", headcounts={})


def test_wilson_ends_are_not_wald_ends():
    # Near 0 a Wald interval would reach below zero; Wilson stays inside and is asymmetric.
    estimate = estimate_share([StratumCount(1000, 30, 1)])
    wald_half = Z * math.sqrt((1 - 30 / 1000) * (1 / 30) * (29 / 30) / 29)
    assert 1 / 30 - wald_half < 0 < estimate.lower
    assert estimate.upper - estimate.share > estimate.share - estimate.lower


# --- Estimates of a released table --------------------------------------------------------------

GROUPS = Dimension.flat("stratum.group", ["medium", "senior"])
MB = Dimension.flat("migration_background", ["yes", "no", "unknown", "not_answered"])


def test_table_estimates_weight_each_group_by_its_headcount_and_leave_out_unknown_answers():
    table = build_table("mb", [GROUPS, MB], {
        ("medium", "yes"): 10, ("medium", "no"): 30, ("medium", "unknown"): 6,
        ("senior", "yes"): 20, ("senior", "no"): 20, ("senior", "not_answered"): 7,
    })
    protected = protect([table], Rules())
    found = {(e.population, e.category): e.estimate for e in table_estimates(protected.tables[0], {
        ("medium",): 400, ("senior",): 100,
    })}
    assert set(found) == {(p, c) for p in [("Total",), ("medium",), ("senior",)] for c in ("yes", "no")}
    medium = found[(("medium",), "yes")]
    assert medium.published and medium.share == pytest.approx(10 / 40)
    assert medium.respondents == 40  # "unknown" is not "no"
    overall = found[(("Total",), "yes")]
    assert overall.share == pytest.approx(0.8 * 10 / 40 + 0.2 * 20 / 40)  # not the raw 30 / 80
    assert overall.lower < overall.share < overall.upper
    assert overall.bound_if_all_no == pytest.approx(30 / 500)


def test_a_secret_cell_withholds_its_group_but_not_the_total():
    table = build_table("mb", [GROUPS, MB], {
        ("medium", "yes"): 2, ("medium", "no"): 30,
        ("senior", "yes"): 20, ("senior", "no"): 20,
    })
    protected = protect([table], Rules()).tables[0]
    assert protected.cells[("medium", "yes")].count is None
    found = {(e.population, e.category): e for e in table_estimates(protected, {("medium",): 400, ("senior",): 100})}
    withheld = found[(("medium",), "yes")]
    assert not withheld.estimate.published and withheld.estimate.share is None and withheld.post_strata == ()
    # The total rests on its own published cells: 22 of 72, unweighted because no finer cells are all published.
    total = found[(("Total",), "yes")]
    assert total.estimate.published and total.estimate.share == pytest.approx(22 / 72)
    assert total.post_strata == total.merged == (("Total",),)
    assert total.estimate.lower < 22 / 72 < total.estimate.upper
    senior = [found[(("senior",), c)].estimate for c in ("yes", "no")]
    published_cells = [protected.cells[("senior", c)].count for c in ("yes", "no")]
    assert all(e.published for e in senior) == all(v is not None for v in published_cells)


DEPARTMENTS = Dimension.hierarchical("stratum.department", {"D3": ["32", "33"], "D5": ["50", "51"]})


def test_the_finest_published_partition_mixes_levels_where_one_cell_is_secret():
    inner = {}
    for group in GROUPS.leaves:
        for department in DEPARTMENTS.leaves:
            inner[(group, department, "yes")] = 10
            inner[(group, department, "no")] = 20
    inner[("medium", "33", "yes")] = 2  # primary: its department column and group row get secondaries
    table = build_table("mb", [GROUPS, DEPARTMENTS, MB], inner)
    protected = protect([table], Rules()).tables[0]
    headcounts = {(g, d): 100 for g in GROUPS.leaves for d in DEPARTMENTS.leaves}
    found = {(e.population, e.category): e for e in table_estimates(protected, headcounts)}
    total = found[(("Total", "Total"), "yes")]
    assert total.estimate.published
    # Every leaf stratum with all its cells published is its own post-stratum; the rest is merged,
    # at the finest level whose cells are all published.
    leaf_boxes = [b for b in total.post_strata if b not in total.merged]
    assert leaf_boxes and all(all(protected.cells[(*b, c)].count is not None for c in ("yes", "no"))
                              for b in total.post_strata)
    assert ("medium", "33") not in total.post_strata and total.merged
    assert len(total.post_strata) > len(GROUPS.leaves)  # finer than the group margins alone
    covered = sorted(leaf for box in total.post_strata for leaf in _leaves(box))
    assert covered == sorted((g, d) for g in GROUPS.leaves for d in DEPARTMENTS.leaves)


def _leaves(box):
    groups = GROUPS.leaves if box[0] == "Total" else (box[0],)
    departments = [d for d in DEPARTMENTS.leaves if box[1] in DEPARTMENTS.path(d)]
    return [(g, d) for g in groups for d in departments]


def test_a_group_nobody_was_asked_is_withheld_as_not_surveyed():
    from aggregation.coverage import NOT_SURVEYED, StratumCoverage, mark_not_surveyed, not_surveyed_keys

    table = build_table("mb", [GROUPS, MB], {("medium", "yes"): 10, ("medium", "no"): 30})
    strata = [StratumCoverage({"stratum.group": "medium"}, 400, True), StratumCoverage({"stratum.group": "senior"}, 12, False)]
    keys = not_surveyed_keys(table, strata)
    assert keys == {("senior", c) for c in MB.nodes}
    protected = mark_not_surveyed(protect([table], Rules()).tables[0], keys)
    assert protected.cells[("senior", "yes")].status == NOT_SURVEYED and protected.cells[("senior", "yes")].count == 0
    found = {(e.population, e.category): e for e in table_estimates(protected, {("medium",): 400, ("senior",): 12})}
    senior = found[(("senior",), "yes")]
    assert not senior.surveyed and not senior.estimate.published and "not surveyed" in senior.estimate.reason
    total = found[(("Total",), "yes")]
    # The total still counts the 12 people nobody asked: in its headcount, and in the non-response bounds.
    assert total.estimate.published and total.estimate.unrepresented_headcount == 12
    assert total.estimate.share == pytest.approx(10 / 40) and total.estimate.headcount == 412
    with pytest.raises(ValueError, match="no codes were issued"):
        mark_not_surveyed(protect([table], Rules()).tables[0], {("medium", "yes")})


def test_table_estimates_need_a_headcount_for_every_group():
    table = build_table("mb", [GROUPS, MB], {("medium", "yes"): 10, ("senior", "no"): 10})
    protected = protect([table], Rules()).tables[0]
    with pytest.raises(ValueError, match="no headcount for strata"):
        table_estimates(protected, {("medium",): 400})
