"""Weighted shares with confidence intervals, response rates and non-response bounds (DESIGN.md 7, 9).

Respondents are not a random sample of the administration: some groups answer more than others.
Weighting every stratum by headcount / respondents (post-stratification) corrects for that as far
as the strata reach; the interval says how far the estimate can be trusted, the response rate and
the bounds "if every non-respondent had answered no / yes" say what weighting cannot fix. HR uses
these as the baseline b of its quota model (section 9), so they must be honest about both.

Statistical choices, in one place:

- Strata without respondents: their weight is spread over the responding strata (the weights are
  renormalised), which assumes they resemble the rest. `ShareEstimate.unrepresented_headcount`
  says how many people that concerns; the non-response bounds still count them in full.
- Variance: stratified, with finite population correction,
  Var = Σ W_h² (1 − n_h/N_h) p_h (1 − p_h) / (n_h − 1). A stratum with one respondent cannot
  estimate its own variance; it contributes the worst case W_h² (1 − 1/N_h) · ¼ instead.
- Interval: Wilson score interval with the effective sample size n_eff = p(1 − p) / Var
  (Korn & Graubard 1998). As in the NCHS presentation standards, n_eff is capped at what simple
  random sampling without replacement would give, n / (1 − n/N), because a variance estimated
  from a few strata is often too small by chance (e.g. strata that all answered alike). When the
  share is 0 or 1 the plug-in n_eff says nothing and the cap is used. A census has no sampling
  error: the interval is the share itself.
- Publication: a share is published only if its denominator (respondents) is ≥ k and its
  numerator cell is published (section 7). Unpublished estimates carry no share, interval or
  bounds, because each of them would give away the numerator.
- Post-strata of a released table (`table_estimates`): the finest partition of the population
  whose cells are all published (`poststrata`), not always the leaf strata, so that one secret
  cell in a small group withholds that group's estimate, not the whole administration's. Coarser
  post-strata correct less for unequal response; the estimate records which were used.
"""
from __future__ import annotations

import itertools
import math
import operator
import warnings
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from scipy.stats import norm

from .coverage import NOT_SURVEYED
from .poststrata import is_leaf_box, partition_finder
from .protect import ProtectedTable
from .rules import MIN_COUNT_DEFAULT, MIN_COUNT_FLOOR, DisclosureRiskWarning
from .tables import TOTAL, Dimension, Key

DEFAULT_EXCLUDE: tuple[str | None, ...] = ("prefer_not_to_say", "", None)


@dataclass(frozen=True)
class StratumCount:
    """One stratum: its headcount N_h, the respondents n_h who answered the question
    substantively (the caller decides what counts), and the hits among them."""

    headcount: int
    respondents: int
    hits: int

    def __post_init__(self) -> None:
        for name in ("headcount", "respondents", "hits"):
            value = getattr(self, name)
            try:
                number = operator.index(value)
            except TypeError:
                raise ValueError(f"{name} must be a whole number, got {value!r}") from None
            if isinstance(value, bool):
                raise ValueError(f"{name} must be a whole number, got {value!r}")
            if number < 0:
                raise ValueError(f"{name} must not be negative, got {number}")
            object.__setattr__(self, name, int(number))
        if self.respondents > self.headcount:
            raise ValueError(f"respondents ({self.respondents}) exceed the headcount ({self.headcount})")
        if self.hits > self.respondents:
            raise ValueError(f"hits ({self.hits}) exceed the respondents ({self.respondents})")


@dataclass(frozen=True)
class ShareEstimate:
    """A weighted share with its interval, and what the Statistics Office and HR need to judge it.

    When `published` is False, `share`, `lower`, `upper` and both bounds are None and `reason`
    says why; `respondents` and `response_rate` are kept for the office's own use only.
    `unrepresented_headcount` is the headcount of strata nobody answered from (see module notes).
    """

    share: float | None
    lower: float | None
    upper: float | None
    respondents: int
    headcount: int
    response_rate: float
    bound_if_all_no: float | None
    bound_if_all_yes: float | None
    published: bool
    reason: str
    unrepresented_headcount: int = 0


def _checked(strata: Sequence[StratumCount]) -> list[StratumCount]:
    strata = list(strata)
    if not strata:
        raise ValueError("no strata given: an estimate needs at least one stratum")
    for stratum in strata:
        if not isinstance(stratum, StratumCount):
            raise ValueError(f"strata must be StratumCount objects, got {type(stratum).__name__}")
    if sum(s.headcount for s in strata) == 0:
        raise ValueError("the strata have a total headcount of 0: there is nobody to estimate for")
    return strata


def response_rate(strata: Sequence[StratumCount]) -> float:
    """Respondents / headcount over all strata: the first thing to read next to any estimate."""
    strata = _checked(strata)
    return sum(s.respondents for s in strata) / sum(s.headcount for s in strata)


def _wilson(share: float, n_eff: float, z: float) -> tuple[float, float]:
    """Wilson score interval; unlike Wald it stays inside [0, 1] and is not zero-width at 0 or 1."""
    if math.isinf(n_eff):
        return share, share
    z2n = z * z / n_eff
    centre = (share + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(share * (1 - share) / n_eff + z2n / (4 * n_eff)) / (1 + z2n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _interval(strata: list[StratumCount], confidence: float) -> tuple[float, float, float, int]:
    """Share, lower, upper and unrepresented headcount, over the strata that have respondents."""
    responding = [s for s in strata if s.respondents > 0]
    covered = sum(s.headcount for s in responding)
    share = 0.0
    variance = 0.0
    for s in responding:
        weight = s.headcount / covered
        p = s.hits / s.respondents
        share += weight * p
        fpc = 1 - s.respondents / s.headcount
        if s.respondents >= 2:
            variance += weight**2 * fpc * p * (1 - p) / (s.respondents - 1)
        else:  # one answer cannot show its own spread: assume the worst, p(1 - p) = 1/4
            variance += weight**2 * fpc * 0.25
    share = min(1.0, max(0.0, share))
    n = sum(s.respondents for s in responding)
    srs_n_eff = math.inf if n == covered else n / (1 - n / covered)
    if share in (0.0, 1.0):
        n_eff = srs_n_eff
    else:
        plug_in = math.inf if variance == 0 else share * (1 - share) / variance
        n_eff = min(plug_in, srs_n_eff)
    z = float(norm.ppf(0.5 + confidence / 2))
    lower, upper = _wilson(share, n_eff, z)
    lower, upper = min(lower, share), max(upper, share)  # guard against rounding
    return share, lower, upper, sum(s.headcount for s in strata) - covered


def estimate_share(
    strata: Sequence[StratumCount],
    *,
    min_count: int = MIN_COUNT_DEFAULT,
    numerator_published: bool = True,
    confidence: float = 0.95,
) -> ShareEstimate:
    """Post-stratified share Σ (N_h/N) · hits_h/n_h with a Wilson interval (see module notes).

    `numerator_published` is the caller's word that the numerator cell survived disclosure
    control. With several strata it must hold for each stratum's numerator: the weighted share
    and the plain total are two different sums of the stratum numerators, so together they can
    reveal a suppressed one. A DisclosureRiskWarning is emitted when a published multi-stratum
    share rests on a stratum numerator between 1 and k − 1. Ordinary suppression is no warning.
    """
    strata = _checked(strata)
    if min_count < MIN_COUNT_FLOOR:
        raise ValueError(f"min_count {min_count} is below the floor of {MIN_COUNT_FLOOR}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    headcount = sum(s.headcount for s in strata)
    respondents = sum(s.respondents for s in strata)
    rate = respondents / headcount
    reasons = []
    if respondents < min_count:
        reasons.append(
            f"fewer than {min_count} people answered the question, and a share needs a "
            f"denominator of at least {min_count}"
        )
    if not numerator_published:
        reasons.append("its numerator cell is suppressed, and the share would reveal it")
    if reasons:
        return ShareEstimate(
            share=None,
            lower=None,
            upper=None,
            respondents=respondents,
            headcount=headcount,
            response_rate=rate,
            bound_if_all_no=None,
            bound_if_all_yes=None,
            published=False,
            reason="Not published: " + "; ".join(reasons) + ".",
            unrepresented_headcount=sum(s.headcount for s in strata if s.respondents == 0),
        )
    responding = [s for s in strata if s.respondents > 0]
    if len(responding) >= 2 and any(0 < s.hits < min_count for s in responding):
        warnings.warn(
            f"a stratum numerator lies between 1 and {min_count - 1}; the weighted share together "
            "with the total numerator and the stratum sizes can reveal it — merge strata first",
            DisclosureRiskWarning,
            stacklevel=2,
        )
    share, lower, upper, unrepresented = _interval(strata, confidence)
    hits = sum(s.hits for s in strata)
    return ShareEstimate(
        share=share,
        lower=lower,
        upper=upper,
        respondents=respondents,
        headcount=headcount,
        response_rate=rate,
        bound_if_all_no=hits / headcount,
        bound_if_all_yes=(hits + headcount - respondents) / headcount,
        published=True,
        reason="",
        unrepresented_headcount=unrepresented,
    )


def estimate_from_frame(
    frame: pd.DataFrame,
    *,
    stratum_columns: Sequence[str],
    value_column: str,
    category: str,
    headcounts: Mapping[tuple[str, ...], int],
    exclude: Collection[str | None] = DEFAULT_EXCLUDE,
    min_count: int = MIN_COUNT_DEFAULT,
    numerator_published: bool = True,
    confidence: float = 0.95,
) -> ShareEstimate:
    """Count respondents and hits per stratum from one row per respondent, then `estimate_share`.

    Rows whose value is missing or in `exclude` leave the denominator of their stratum: "prefer
    not to say" is not "no", and counting it as no would bias the share down. Stratum values are
    matched to the keys of `headcounts` as strings (department 32 → "32"); the strata are those
    keys, so a stratum nobody answered from still carries its headcount. A row outside them, or
    with a missing stratum value, is an error: it would otherwise vanish silently.
    """
    columns = list(stratum_columns)
    if not columns:
        raise ValueError("stratum_columns is empty: name at least one column")
    missing = [c for c in [*columns, value_column] if c not in frame.columns]
    if missing:
        raise ValueError(f"the frame has no column(s) {', '.join(map(repr, missing))}")
    for key in headcounts:
        if not isinstance(key, tuple) or len(key) != len(columns):
            raise ValueError(f"headcount key {key!r} must be a tuple with one value per stratum column {columns}")
    if frame[columns].isna().to_numpy().any():
        raise ValueError(f"some rows have no value in the stratum columns {columns}")
    keys = list(zip(*(frame[c].astype(str) for c in columns))) if len(frame) else []
    outside = sorted({k for k in keys if k not in headcounts})
    if outside:
        raise ValueError(f"rows belong to strata without a headcount: {outside}")
    values = frame[value_column]
    listed = [e for e in exclude if e is not None]
    answered = ~(values.isna() | values.isin(listed))
    hit = answered & (values == category)
    respondents = Counter(k for k, a in zip(keys, answered) if a)
    hits = Counter(k for k, h in zip(keys, hit) if h)
    strata = []
    for key, headcount in headcounts.items():
        try:
            strata.append(StratumCount(headcount, respondents[key], hits[key]))
        except ValueError as error:
            raise ValueError(f"stratum {key}: {error}") from None
    return estimate_share(
        strata, min_count=min_count, numerator_published=numerator_published, confidence=confidence
    )


@dataclass(frozen=True)
class TableEstimate:
    """The weighted share of one answer category within one population of a released table.

    `post_strata`: the boxes (one node per stratum dimension) the share is weighted over, empty
    when withheld; `merged` are those of them above the leaf level, where a finer cell is secret
    (see `poststrata`). `surveyed` is False when no codes were issued anywhere in the population."""

    table_id: str
    dimensions: tuple[str, ...]  # the table's stratum dimensions
    population: tuple[str, ...]  # a node of each, `Total` for all
    answer_dimension: str
    category: str
    estimate: ShareEstimate
    post_strata: tuple[Key, ...] = ()
    merged: tuple[Key, ...] = ()
    surveyed: bool = True


def table_estimates(
    protected: ProtectedTable,
    headcounts: Mapping[tuple[str, ...], int],
    *,
    exclude: Collection[str] = ("prefer_not_to_say", "not_answered", "unknown"),
    min_count: int = MIN_COUNT_DEFAULT,
    confidence: float = 0.95,
) -> list[TableEstimate]:
    """Shares per answer category for every population of a stratum × … × answer table.

    The table's stratum dimensions (all but the last) give the post-strata, with `headcounts` for
    each combination of their leaves (0 where nobody belongs). Each population is weighted over
    the finest partition into boxes whose cells (hits and substantive answers) are all published,
    with each box's headcount the sum of its leaves' (`poststrata`); it is withheld only when its
    own cells are secret, or fewer than `min_count` answered. A published estimate is then a
    function of published cells and public headcounts, and tells an attacker nothing the tables
    do not. A population whose margin is marked `not_surveyed` (`coverage`) is withheld as such."""
    table = protected.table
    *strata_dimensions, answer = table.dimensions
    missing = [key for key in itertools.product(*(d.leaves for d in strata_dimensions)) if key not in headcounts]
    if missing:
        raise ValueError(f"table {table.id!r}: no headcount for strata {missing[:3]}")
    substantive = [c for c in answer.leaves if c not in exclude]
    below = [_leaves_below(d) for d in strata_dimensions]
    sizes: dict[Key, int] = {}

    def headcount(box: Key) -> int:
        if box not in sizes:
            sizes[box] = sum(headcounts[leaf] for leaf in itertools.product(*(b[n] for b, n in zip(below, box))))
        return sizes[box]

    def published(box: Key) -> bool:
        return all(protected.cells[(*box, c)].count is not None for c in substantive)

    finest = partition_finder(strata_dimensions, published, lambda box: headcount(box) > 0)
    names = tuple(d.name for d in strata_dimensions)
    result = []
    for population in itertools.product(*(d.nodes for d in strata_dimensions)):
        if not headcount(population):
            continue  # a combination nobody belongs to (e.g. no senior staff in a department)
        surveyed = protected.cells[(*population, TOTAL)].status != NOT_SURVEYED
        boxes = finest(population) if surveyed else None
        if boxes is None:
            for category in substantive:
                estimate = _withheld(protected, population, substantive, category, headcount(population), surveyed)
                result.append(TableEstimate(table.id, names, population, answer.name, category, estimate,
                                            surveyed=surveyed))
            continue
        boxes = tuple(box for box in boxes if headcount(box))
        merged = tuple(box for box in boxes if not is_leaf_box(box, strata_dimensions))
        answered = {box: [protected.cells[(*box, c)].count or 0 for c in substantive] for box in boxes}
        for position, category in enumerate(substantive):
            strata = [StratumCount(headcount(box), sum(answered[box]), answered[box][position]) for box in boxes]
            estimate = estimate_share(strata, min_count=min_count, confidence=confidence)
            if not estimate.published:
                boxes_used: tuple[Key, ...] = ()
                merged_used: tuple[Key, ...] = ()
            else:
                boxes_used, merged_used = boxes, merged
            result.append(TableEstimate(table.id, names, population, answer.name, category, estimate,
                                        boxes_used, merged_used))
    return result


def _withheld(
    protected: ProtectedTable, population: Key, substantive: Sequence[str], category: str, headcount: int,
    surveyed: bool,
) -> ShareEstimate:
    """A withheld estimate; its respondents (true counts) are for the office only, never released."""
    counts = protected.table.counts
    respondents = sum(counts.get((*population, c), 0) for c in substantive)
    reason = (
        "Not published: not surveyed, no codes were issued in this group."
        if not surveyed
        else "Not published: the cells of this group are secret, and the share would reveal them."
    )
    return ShareEstimate(
        share=None, lower=None, upper=None, respondents=respondents, headcount=headcount,
        response_rate=respondents / headcount, bound_if_all_no=None, bound_if_all_yes=None, published=False,
        reason=reason, unrepresented_headcount=headcount if not respondents else 0,
    )


def _leaves_below(dimension: Dimension) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {node: [] for node in dimension.nodes}
    for leaf in dimension.leaves:
        for node in dimension.path(leaf):
            result[node].append(leaf)
    return result
