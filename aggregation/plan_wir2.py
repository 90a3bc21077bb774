"""The quota plan HR starts from: WIR2.0 (2021), Measures 1 and 3, as data (DESIGN.md 9).

The figures are the plan's own, with the place they come from, so that anyone can check them
against the document. The plan gives baselines, targets and hiring shares, but not the groups'
headcounts N or the vacancies V up to the end of 2026: those are None until HR enters them, and
so are all figures of the sixth group, which the plan announces ("each of the six employee
groups") but does not list. Later versions of the plan (HR's entries, the survey's baselines)
are stored elsewhere; this module is the unchanging starting point.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .quotas import Category, Interval


@dataclass(frozen=True)
class Source:
    """Where a plan's figures come from: the document, its measures and the lines of the seed text."""

    document: str
    file: str
    measures: tuple[tuple[str, str], ...]  # (measure, lines)

    def citation(self) -> str:
        where = "; ".join(f"{measure}, lines {lines}" for measure, lines in self.measures)
        return f"{self.document} ({self.file}): {where}"


@dataclass(frozen=True)
class PlanGroup:
    """One employee group's figures; shares are fractions 0..1, None where the plan gives none.

    `hires` is the plan's required share of new hires; a group whose vacancies come in categories
    (the managers) has `hires` None and one `Category` per kind of position instead.
    """

    key: str
    name: str
    baseline: float | None
    target: float | None
    hires: float | None
    categories: tuple[Category, ...] = ()
    headcount: float | None = None
    vacancies: float | None = None
    note: str = ""
    #: Where the baseline comes from: "" for the plan itself, else e.g. a release's estimate; with
    #: an estimate, its 95 % interval or the bounds if every non-respondent said no / yes.
    baseline_source: str = ""
    baseline_interval: Interval | None = None


@dataclass(frozen=True)
class Plan:
    """A quota plan: groups with targets for one date, plus the trainees' share of each entering class."""

    name: str
    target_date: date
    hiring_period: tuple[int, int]
    groups: tuple[PlanGroup, ...]
    trainees_share: float
    trainees_note: str
    source: Source

    def group(self, key: str) -> PlanGroup:
        for group in self.groups:
            if group.key == key:
                return group
        raise KeyError(key)


WIR2_SOURCE = Source(
    document="WIR2.0 – Migration and participation plan of the State Capital Hannover (2021)",
    file="seeds/wir2-migration-and-participation-plan.txt",
    measures=(
        ("Measure 1 (trainees: 30 % of each entering class)", "3687–3690 and 3706–3726"),
        ("Measure 3 (targets for the end of 2026)", "3753–3788"),
    ),
)

#: WIR2.0 (2021) as published; N and V are HR's to enter.
WIR2_2021 = Plan(
    name="WIR2.0 (2021)",
    target_date=date(2026, 12, 31),
    hiring_period=(2022, 2026),
    groups=(
        PlanGroup("all", "All employees", baseline=0.15, target=0.17, hires=0.30),
        PlanGroup(
            "managers", "Managers", baseline=0.028, target=0.06, hires=None,
            categories=(
                Category("office heads", 0.10),
                Category("unit heads", 0.20),
                Category("office managers", 0.30),
            ),
            note="the hiring share is the vacancy-weighted mean of the three categories' rates",
        ),
        PlanGroup("medium", "Medium level", baseline=0.123, target=0.16, hires=0.30),
        PlanGroup("senior", "Senior level", baseline=0.077, target=0.09, hires=0.20),
        PlanGroup("top", "Top level", baseline=0.042, target=0.06, hires=0.10),
        PlanGroup("group-6", "Sixth group (not named in the plan)", baseline=None, target=None, hires=None,
                  note="the plan announces six groups and lists five; HR enters this group's figures"),
    ),
    trainees_share=0.30,
    trainees_note="average over more than 30 professions, evaluated every 31 December from training statistics",
    source=WIR2_SOURCE,
)
