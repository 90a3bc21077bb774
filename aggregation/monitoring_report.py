"""The monitoring report HR hands to the city council: an XLSX table and a PDF with one chart per
group (aggregation.monitoring), in English or German. Deterministic bytes where the libraries allow
(no creation dates), matplotlib's `Figure` without pyplot, openpyxl for the workbook.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from .exports import save_undated
from .monitoring import BEHIND, NO_DATA, ON_TRACK, UNCERTAIN, GroupMonitor

TEXT = {
    "en": {"group": "Group", "year": "Year", "planned": "Share on the plan's path", "required": "Required share of new hires",
           "measured": "Measured hiring rate (95 % interval)", "projected": "Projected share", "status": "Status",
           "missing": "figures missing", "share": "Share with a migration background", "target": "Target",
           ON_TRACK: "on track", BEHIND: "behind", UNCERTAIN: "uncertain", NO_DATA: "no data yet",
           "title": "Monitoring Measure 3", "source": "Source"},
    "de": {"group": "Gruppe", "year": "Jahr", "planned": "Anteil auf dem Weg des Plans", "required": "Benötigter Anteil der Neueinstellungen",
           "measured": "Gemessene Einstellungsquote (95-%-Intervall)", "projected": "Voraussichtlicher Anteil", "status": "Stand",
           "missing": "Angaben fehlen", "share": "Anteil mit Migrationshintergrund", "target": "Ziel",
           ON_TRACK: "im Plan", BEHIND: "zurück", UNCERTAIN: "unsicher", NO_DATA: "noch keine Daten",
           "title": "Monitoring Maßnahme 3", "source": "Quelle"},
}


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f} %"


def _range(interval) -> str:
    return "" if interval is None else f"{_pct(interval.lo)} – {_pct(interval.hi)}"


def write_monitoring_xlsx(monitors: Sequence[GroupMonitor], path: os.PathLike[str] | str, *, title: str,
                          source: str, lang: str = "de") -> Path:
    """One row per group and year; a group whose figures are missing gets one row saying which."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    text = TEXT[lang]
    book = Workbook()
    sheet = book.active
    sheet.title = text["title"][:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    header = [text[k] for k in ("group", "year", "planned", "required", "measured", "projected", "status")]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for group in monitors:
        if group.missing:
            sheet.append([group.name, "", "", "", "", "", f"{text['missing']}: {group.missing}"])
            continue
        for row in group.rows:
            sheet.append([group.name, row.year, _pct(row.planned_share), _pct(row.required_hires),
                          _range(row.measured_hires), _range(row.projected_share), text[row.status]])
    sheet.append([])
    sheet.append([f"{text['source']}: {source}"])
    for column, width in zip("ABCDEFG", (28, 8, 22, 24, 30, 24, 18)):
        sheet.column_dimensions[column].width = width
    return save_undated(book, Path(path), title=title, lang=lang)


def draw_group(figure, group: GroupMonitor, lang: str = "de") -> None:
    """One group's chart on `figure`: the plan's path to the target, the projection with the hires
    measured so far (a band: the interval), and each year's measured hiring rate against the
    required share (points with interval bars, the required share as a dashed line)."""
    text = TEXT[lang]
    years = [row.year for row in group.rows]
    if group.baseline is None:  # the trainees: a share of each entering class, no path
        right = figure.subplots(1, 1)
        _draw_hires(right, group, years, text)
        figure.suptitle(group.name, fontsize=12)
        return
    left, right = figure.subplots(1, 2)
    start = years[0] - 1  # the baseline holds at the end of the year before hiring starts
    left.plot([start, *years], [group.baseline * 100] + [row.planned_share * 100 for row in group.rows], marker="o",
              label=text["planned"])
    left.axhline(group.target * 100, color="#555555", linestyle=":", label=text["target"])
    projected = [(row.year, row.projected_share) for row in group.rows if row.projected_share is not None]
    if projected:
        left.fill_between([start] + [y for y, _ in projected], [group.baseline * 100] + [p.lo * 100 for _, p in projected],
                          [group.baseline * 100] + [p.hi * 100 for _, p in projected], alpha=0.3, label=text["projected"])
    left.set_title(text["share"], fontsize=10)
    left.set_ylabel("%")
    left.legend(fontsize=8, frameon=False)
    _draw_hires(right, group, years, text)
    left.set_xticks([start, *years])
    left.spines[["top", "right"]].set_visible(False)
    figure.suptitle(group.name, fontsize=12)


def _draw_hires(right, group: GroupMonitor, years: list[int], text: dict[str, str]) -> None:
    """Each year's measured hiring rate (points with interval bars) against the required share."""
    right.axhline(group.required_hires * 100, color="#B22222", linestyle="--", label=text["required"])
    measured = [(row.year, row.measured_hires) for row in group.rows if row.measured_hires is not None]
    if measured:
        middle = [(m.lo + m.hi) / 2 * 100 for _, m in measured]
        right.errorbar([y for y, _ in measured], middle,
                       yerr=[[mid - m.lo * 100 for mid, (_, m) in zip(middle, measured)],
                             [m.hi * 100 - mid for mid, (_, m) in zip(middle, measured)]],
                       fmt="o", capsize=4, label=text["measured"])
    right.set_xlim(min(years) - 0.5, max(years) + 0.5)
    right.set_title(text["required"], fontsize=10)
    right.legend(fontsize=8, frameon=False)
    right.set_xticks(years)
    right.spines[["top", "right"]].set_visible(False)


def write_monitoring_pdf(monitors: Sequence[GroupMonitor], path: os.PathLike[str] | str, *, title: str,
                         source: str, lang: str = "de") -> Path:
    """A title page with each group's status, then one page per group with its figures entered."""
    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    text = TEXT[lang]
    target = Path(path)
    with matplotlib.style.context("default"), PdfPages(target, metadata={"CreationDate": None, "Creator": None,
                                                                             "Producer": None}) as pdf:
        cover = Figure(figsize=(8.27, 11.69))
        lines = [title, ""]
        for group in monitors:
            if group.missing:
                lines.append(f"{group.name}: {text['missing']} ({group.missing})")
                continue
            latest = next((r for r in reversed(group.rows) if r.status != NO_DATA), None)
            state = text[latest.status] + f" ({latest.year})" if latest else text[NO_DATA]
            path = f"{_pct(group.baseline)} → {_pct(group.target)}, " if group.baseline is not None else ""
            lines.append(f"{group.name}: {path}{text['required'].lower()} {_pct(group.required_hires)}; {state}")
        lines += ["", f"{text['source']}: {source}"]
        cover.text(0.08, 0.92, "\n".join(lines), va="top", fontsize=10, wrap=True)
        pdf.savefig(cover)
        for group in monitors:
            if group.missing:
                continue
            figure = Figure(figsize=(11.69, 5), layout="constrained")
            draw_group(figure, group, lang)
            pdf.savefig(figure)
    return target


def write_monitoring_chart(group: GroupMonitor, path: os.PathLike[str] | str, lang: str = "de") -> Path:
    """One group's chart as a PNG (the README shows one)."""
    import matplotlib
    import matplotlib.style
    from matplotlib.figure import Figure

    target = Path(path)
    with matplotlib.style.context("default"):
        figure = Figure(figsize=(10, 4.2), layout="constrained")
        draw_group(figure, group, lang)
        figure.savefig(target, format="png", dpi=110, metadata={"Software": None})
    return target
