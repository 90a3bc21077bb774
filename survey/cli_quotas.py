"""`wir-survey quotas`: HR's quota model (DESIGN.md 9) on the command line, in percent like the plan.

The arithmetic lives in `aggregation.quotas`, the shipped plan in `aggregation.plan_wir2`, and the
stored versions in `survey.hr.operations` (shared with HR's pages); this module only parses
percent, calls them and prints.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from aggregation.plan_wir2 import Plan, PlanGroup
from aggregation.plans import group_outlook
from aggregation.quotas import Interval, required_share_interval, vacancies_needed

from .cli import commands, requires

_NUMBER = r"\d+(?:[.,]\d+)?|[.,]\d+"
_PERCENT = re.compile(rf"^\s*({_NUMBER})\s*%?\s*$")
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*%?\s*(?:-|–|\.\.)\s*({_NUMBER})\s*%?\s*$")


def _fraction(text: str) -> float:
    value = float(text.replace(",", "."))
    if value > 100:
        raise ValueError(f"{text} % is more than 100 %")
    return value / 100


class Percent(click.ParamType):
    """A share in percent as the plan writes it: "15", "15%" or "12,3 %"; a fraction inside."""

    name = "percent"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        match = _PERCENT.match(str(value))
        if not match:
            self.fail(f"{value!r} is not a percentage such as 15 or 15%", param, ctx)
        try:
            return _fraction(match.group(1))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class PercentOrRange(click.ParamType):
    """A percentage or a range of them ("12.1-14.9"): a survey estimate's interval or its bounds."""

    name = "percent or range"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Interval:
        if isinstance(value, Interval):
            return value
        text = str(value)
        try:
            if match := _PERCENT.match(text):
                return Interval.point(_fraction(match.group(1)))
            if match := _RANGE.match(text):
                lo, hi = _fraction(match.group(1)), _fraction(match.group(2))
                if lo > hi:
                    raise ValueError("the lower end comes first")
                return Interval(lo, hi)
        except ValueError as exc:  # a bound above 100 %, or the range's ends the wrong way round
            self.fail(f"{value!r}: {exc}", param, ctx)
        self.fail(f"{value!r} is not a percentage (15 or 15%) or a range of them (12.1-14.9)", param, ctx)


def percent(share: float) -> str:
    """A share as the plan prints it: one decimal at most, "15 %", "2.8 %"."""
    return f"{round(share * 100, 1):g} %"


def _json_percent(share: float) -> float:
    return round(share * 100, 6)


def _json_interval(interval: Interval) -> float | dict[str, float]:
    if interval.is_point:
        return _json_percent(interval.lo)
    return {"lo": _json_percent(interval.lo), "hi": _json_percent(interval.hi)}


def _text_interval(interval: Interval) -> str:
    return percent(interval.lo) if interval.is_point else f"{percent(interval.lo)} to {percent(interval.hi)}"


@commands.group("quotas")
def quotas_group() -> None:
    """HR's quota model: the share of new hires that reaches a target, and the WIR2.0 plan."""


@quotas_group.command("required")
@click.option("--baseline", required=True, type=PercentOrRange(),
              help="b today in percent (15 or 15%), or a range such as 12.1-14.9")
@click.option("--target", required=True, type=Percent(), help="t at the target date in percent")
@click.option("--headcount", required=True, type=click.FloatRange(min=0, min_open=True), help="N, the group's size")
@click.option("--vacancies", required=True, type=click.FloatRange(min=0, min_open=True),
              help="V, positions falling vacant until the target date (at most N)")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (percent) instead of text.")
def quotas_required(baseline: Interval, target: float, headcount: float, vacancies: float, as_json: bool) -> None:
    """The share of new hires h = b + (t − b)·N/V that moves the group from B to T."""
    try:
        result = required_share_interval(baseline, target, headcount, vacancies)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    reachable = result.hi <= 1.0
    if as_json:
        click.echo(json.dumps({
            "baseline": _json_interval(baseline),
            "target": _json_percent(target),
            "headcount": headcount,
            "vacancies": vacancies,
            "required_share": _json_interval(result),
            "reachable_by_hiring_alone": reachable,
            "unit": "percent",
        }, indent=2))
        return
    click.echo(f"Required share of new hires: {_text_interval(result)}")
    click.echo(f"  baseline {_text_interval(baseline)}, target {percent(target)}, "
               f"headcount {headcount:g}, vacancies {vacancies:g} (V/N = {percent(vacancies / headcount)})")
    if not baseline.is_point:
        click.echo("  (a higher baseline needs a lower share: the range's upper end gives the lower figure)")
    if not reachable:
        click.echo("  Above 100 %: the target cannot be reached by hiring alone by the target date.")
    elif result.lo < 0:
        click.echo("  Below 0 %: the group stays above its target whoever is hired.")


def _group_json(group: PlanGroup) -> dict[str, object]:
    def share(value: float | None) -> float | None:
        return None if value is None else _json_percent(value)

    return {
        "key": group.key,
        "name": group.name,
        "baseline": share(group.baseline),
        "target": share(group.target),
        "hires": share(group.hires),
        "categories": [{"name": c.name, "rate": _json_percent(c.rate), "vacancies": c.vacancies}
                       for c in group.categories],
        "implied_vacancy_ratio": share(_implied_ratio(group)),
        "headcount": group.headcount,
        "vacancies": group.vacancies,
        "note": group.note,
    }


def _implied_ratio(group: PlanGroup) -> float | None:
    """V/N that makes the plan's hiring share reach its target; needs a single hiring share."""
    if group.baseline is None or group.target is None or group.hires is None:
        return None
    return vacancies_needed(group.baseline, group.target, group.hires, 1.0)


def _plan_json(plan: Plan) -> dict[str, object]:
    return {
        "name": plan.name,
        "target_date": plan.target_date.isoformat(),
        "hiring_period": list(plan.hiring_period),
        "unit": "percent",
        "groups": [_group_json(group) for group in plan.groups],
        "trainees": {"share_of_each_entering_class": _json_percent(plan.trainees_share), "note": plan.trainees_note},
        "source": {
            "document": plan.source.document,
            "file": plan.source.file,
            "measures": [{"measure": measure, "lines": lines} for measure, lines in plan.source.measures],
            "citation": plan.source.citation(),
        },
    }


def _cell(value: float | None, shown: Callable[[float], str] = percent) -> str:
    return "—" if value is None else shown(value)


@quotas_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (percent) instead of a table.")
@click.option("--version", "number", type=int, default=None, help="An earlier version (0: the plan as published).")
@requires()
def quotas_show(as_json: bool, number: int | None) -> None:
    """The current quota plan: each group's baseline, target and required share of new hires."""
    from .hr.operations import current, version

    shown = current() if number is None else version(number)
    if shown is None:
        raise click.ClickException(f"There is no version {number}; `wir-survey quotas history` lists them.")
    plan = shown.plan
    if as_json:
        click.echo(json.dumps({**_plan_json(plan), "version": shown.version, "changed_by": shown.by,
                               "changed_at": shown.at, "reason": shown.reason}, indent=2, ensure_ascii=False))
        return
    click.echo(f"Plan {plan.name}, version {shown.version} ({shown.at or 'as published'}, {shown.by}: "
               f"{shown.reason}): targets for {plan.target_date:%d %B %Y}, hires {plan.hiring_period[0]}–"
               f"{plan.hiring_period[1]}")
    rows = [("group", "baseline", "target", "new hires", "V/N implied", "N", "V")]
    for group in plan.groups:
        hires = (" / ".join(percent(c.rate) for c in group.categories) if group.categories
                 else _cell(group.hires))
        rows.append((group.name, _cell(group.baseline), _cell(group.target), hires, _cell(_implied_ratio(group)),
                     _cell(group.headcount, "{:g}".format), _cell(group.vacancies, "{:g}".format)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    for group in plan.groups:
        if group.categories:
            names = " / ".join(c.name for c in group.categories)
            click.echo(f"{group.name}: new hires per category ({names}); {group.note}.")
        elif group.note:
            click.echo(f"{group.name}: {group.note}.")
    click.echo(f"Trainees: {percent(plan.trainees_share)} of each entering class ({plan.trainees_note}).")
    for group in plan.groups:
        if group.baseline_source:
            click.echo(f"{group.name}: baseline from {group.baseline_source}.")
        outlook = group_outlook(group)
        if outlook.required is not None:
            needed = (_text_interval(outlook.required_interval) if outlook.required_interval
                      else percent(outlook.required))
            click.echo(f"{group.name}: with N and V as entered, new hires must be {needed} to reach the target.")
    click.echo("N and V are not in the plan: HR enters them (`wir-survey quotas set`).")
    click.echo(f"Source: {plan.source.citation()}")


@quotas_group.command("set")
@click.argument("group")
@click.option("--baseline", type=Percent(), default=None, help="b in percent (replaces a survey baseline).")
@click.option("--target", type=Percent(), default=None, help="t in percent.")
@click.option("--hires", type=Percent(), default=None, help="The plan's share of new hires, in percent.")
@click.option("--headcount", type=float, default=None, help="N, the group's employees today.")
@click.option("--vacancies", type=float, default=None, help="V, positions falling vacant up to the target date.")
@click.option("--reason", required=True, help="Why; kept with the new version.")
@requires()
def quotas_set(group: str, reason: str, **figures: float | None) -> None:
    """Store a new version of the plan with GROUP's figures changed (the others stay)."""
    from .hr.operations import PlanError, change

    changes = {name: value for name, value in figures.items() if value is not None}
    if not changes:
        raise click.UsageError("Give at least one of --baseline, --target, --hires, --headcount, --vacancies.")
    try:
        stored = change(group, changes, reason)
    except PlanError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Version {stored.version} stored ({stored.by}).")


@quotas_group.command("history")
@requires()
def quotas_history() -> None:
    """Every version of the plan: number, time (UTC), who, why."""
    from .hr.operations import history

    for shown in history():
        click.echo(f"{shown.version}\t{shown.at or '-'}\t{shown.by}\t{shown.reason}")


@quotas_group.command("estimates")
@click.option("--release", "release_id", type=int, required=True)
@click.option("--folder", type=click.Path(file_okay=False, exists=True), default=None,
              help="Where `wir-survey release --out` wrote it (default: the instance's copy of a release made on the pages).")
@requires()
def quotas_estimates(release_id: int, folder: str | None) -> None:
    """The published estimates of a release that can become a baseline: number, share, interval, response rate."""
    from .extensions import db
    from .hr.operations import PlanError, published_estimates
    from .models import Release

    release = db.session.get(Release, release_id)
    if release is None:
        raise click.ClickException(f"There is no release {release_id}; `wir-survey releases list` shows the log.")
    try:
        found = published_estimates(release, Path(folder) if folder else None)
    except PlanError as exc:
        raise click.ClickException(str(exc)) from None
    if not found:
        raise click.ClickException(f"Release {release_id} has no published estimates here (or its files are not on "
                                   "this server: give --folder).")
    for e in found:
        click.echo(f"{e.index}\t{percent(e.share)} ({percent(e.lower)}–{percent(e.upper)}; response rate "
                   f"{percent(e.response_rate)}; all others no/yes {percent(e.if_all_others_no)}–"
                   f"{percent(e.if_all_others_yes)})\t{e.label}")


@quotas_group.command("adopt")
@click.argument("group")
@click.option("--release", "release_id", type=int, required=True)
@click.option("--estimate", "index", type=int, required=True, help="Its number from `quotas estimates`.")
@click.option("--bounds", is_flag=True, help="Keep the non-response bounds instead of the 95 % interval.")
@click.option("--folder", type=click.Path(file_okay=False, exists=True), default=None)
@click.option("--reason", required=True)
@requires()
def quotas_adopt(group: str, release_id: int, index: int, bounds: bool, folder: str | None, reason: str) -> None:
    """Make a published estimate GROUP's baseline b, with its interval (a new version of the plan)."""
    from .hr.operations import PlanError, adopt

    try:
        stored = adopt(group, release_id, index, "bounds" if bounds else "interval", reason,
                       folder=Path(folder) if folder else None)
    except PlanError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Version {stored.version} stored: {stored.plan.group(group).baseline_source}.")


@quotas_group.command("monitor")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False), default=None, help="Also write the XLSX report.")
@click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False), default=None, help="Also write the PDF report.")
@click.option("--lang", type=click.Choice(["de", "en"]), default="en", show_default=True)
@requires()
def quotas_monitor(xlsx_path: str | None, pdf_path: str | None, lang: str) -> None:
    """Per group and year: the plan's path, the required share of new hires, the hiring rate measured
    by the standing new-hire waves' yearly releases, and whether the group is on track."""
    from .hr.monitoring import plan_monitor, report_bytes
    from .hr.operations import current

    for group in plan_monitor(current().plan):
        if group.missing:
            click.echo(f"{group.name}: {group.missing}")
            continue
        for row in group.rows:
            measured = _text_interval(row.measured_hires) if row.measured_hires else "-"
            click.echo(f"{group.name}\t{row.year}\tpath {percent(row.planned_share)}\trequired "
                       f"{percent(row.required_hires)}\tmeasured {measured}\t{row.status}")
    for path, kind in ((xlsx_path, "xlsx"), (pdf_path, "pdf")):
        if path:
            Path(path).write_bytes(report_bytes(kind, lang)[0])
            click.echo(f"Report written to {path}.")
