"""Release files for the Statistics Office: CSV for machines, XLSX for people, charts for reports.

Only what may be published leaves this module. A secret cell is `.` whatever made it secret:
saying whether it was suppressed for being small (primary), for a group disclosure or only to
protect another cell (secondary) would tell an attacker which cells are small. The attacker
bounds are never written. Files carry no dates (anonymity rule: nothing in an output that is not
needed) and the same input gives the same bytes, so a release can be checked by its hash.

Symbols follow German official statistics: `.` secret ("Geheimhaltung"), `-` nothing ("nichts
vorhanden", a true zero). Published totals include the secret cells.

openpyxl and matplotlib are imported inside the functions that need them, so the CSV path works
without them.
"""
from __future__ import annotations

import io
import math
import os
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .estimates import TableEstimate
from .protect import ProtectedCell, ProtectedTable
from .tables import TOTAL, Dimension, Key

if TYPE_CHECKING:  # pragma: no cover
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "CSV_FIXED_COLUMNS",
    "SYMBOLS",
    "TableLabels",
    "display_value",
    "legend",
    "long_frame",
    "published_status",
    "sheet_names",
    "write_chart",
    "write_table_csv",
    "write_xlsx",
]

SYMBOLS = {"secret": ".", "nothing": "-"}

LANGUAGES = ("de", "en")

# Columns of the release CSV besides the three per dimension (see `write_table_csv`).
CSV_FIXED_COLUMNS = ("table", "count", "status")

_TEXT: dict[str, dict[str, str]] = {
    "de": {
        "total": "Insgesamt",
        "count": "Anzahl",
        "legend_sheet": "Legende",
        "parameters_sheet": "Parameter",
        "symbol": "Zeichen",
        "meaning": "Bedeutung",
        "parameter": "Parameter",
        "value": "Wert",
        "secret_key": "geheim (.)",
        "nothing_key": "nichts vorhanden (-)",
        "see_legend": "Zeichenerklärung: siehe Blatt „Legende“.",
        "table": "Tabelle",
        "yes": "ja",
        "no": "nein",
        "secret": "Geheimhaltung: Zahlenwert unterdrückt, damit keine befragte Person erkennbar wird",
        "nothing": "nichts vorhanden (genau null)",
        "totals": "Summen enthalten auch die geheim gehaltenen Werte; "
        "sie können daher größer sein als die Summe der angezeigten Zahlen",
        "estimates_sheet": "Schätzungen",
        "estimates_title": "Hochgerechnete Anteile (gewichtet nach Beschäftigtenzahl der Gruppen, 95-%-Konfidenzintervall)",
        "estimate_columns": "Tabelle|Gruppe|Antwort|Anteil %|untere Grenze %|obere Grenze %|Antwortende|Beschäftigte|"
        "Antwortquote (gültige Antworten) %|wenn alle anderen nein %|wenn alle anderen ja %|Hinweis",
        "estimate_note": "Ein Anteil wird nur gezeigt, wenn alle Zellen, auf denen er beruht, veröffentlicht sind. "
        "Die beiden letzten Zahlen zeigen, was die Gewichtung nicht ausgleichen kann: den Anteil, "
        "wenn alle, die nicht geantwortet haben, nein bzw. ja geantwortet hätten.",
        "not_published": "nicht veröffentlicht",
    },
    "en": {
        "total": "Total",
        "count": "Count",
        "legend_sheet": "Legend",
        "parameters_sheet": "Parameters",
        "symbol": "Symbol",
        "meaning": "Meaning",
        "parameter": "Parameter",
        "value": "Value",
        "secret_key": "secret (.)",
        "nothing_key": "nothing (-)",
        "see_legend": 'Symbols: see sheet "Legend".',
        "table": "Table",
        "yes": "yes",
        "no": "no",
        "secret": "secret: value suppressed so that no respondent can be identified",
        "nothing": "nothing (a true zero)",
        "totals": "Totals include the secret values, so they can exceed the sum of the numbers shown",
        "estimates_sheet": "Estimates",
        "estimates_title": "Estimated shares (weighted by the headcount of each group, 95 % confidence interval)",
        "estimate_columns": "Table|Group|Answer|Share %|Lower %|Upper %|Respondents|Headcount|"
        "Response rate (valid answers) %|If all others said no %|If all others said yes %|Note",
        "estimate_note": "A share is shown only when every cell it rests on is published. The last two figures show "
        "what weighting cannot fix: the share if everyone who did not answer had said no, or yes.",
        "not_published": "not published",
    },
}

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
_SECRET_FACE = "#D9D9D9"
_SECRET_EDGE = "#595959"

# Office files need a date in their properties and zip entries; this one means "none".
_NO_DATE = datetime(1980, 1, 1)
_NO_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

_SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def _text(lang: str) -> dict[str, str]:
    if lang not in _TEXT:
        raise ValueError(f"language {lang!r} is not one of {LANGUAGES}")
    return _TEXT[lang]


def legend(lang: str) -> list[tuple[str, str]]:
    """The symbol explanations every release carries, so a `.` is not read as a missing value."""
    text = _text(lang)
    return [
        (SYMBOLS["secret"], text["secret"]),
        (SYMBOLS["nothing"], text["nothing"]),
        (text["total"], text["totals"]),
    ]


@dataclass(frozen=True)
class TableLabels:
    """What people read instead of codes; a missing label falls back to the code itself.

    `dimension_labels`: dimension name → heading. `category_labels`: dimension name → node →
    label; the margin `Total` reads "Insgesamt"/"Total" by language unless given here."""

    title: str
    dimension_labels: Mapping[str, str] = field(default_factory=dict)
    category_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def dimension(self, name: str) -> str:
        return self.dimension_labels.get(name, name)

    def category(self, dimension: str, node: str, lang: str = "de") -> str:
        given = self.category_labels.get(dimension, {})
        if node in given:
            return given[node]
        return _text(lang)["total"] if node == TOTAL else node


def published_status(cell: ProtectedCell) -> str:
    """`safe`, `zero` or `secret`: the reason for a suppression is itself disclosive, so it stays inside."""
    if cell.count is None:
        return "secret"
    return "zero" if cell.count == 0 else "safe"


def display_value(cell: ProtectedCell) -> str:
    """The cell as printed: the count, `.` when secret, `-` when nothing (a true zero)."""
    if cell.count is None:
        return SYMBOLS["secret"]
    if cell.count == 0:
        return SYMBOLS["nothing"]
    return str(cell.count)


def _symbol(cell: ProtectedCell) -> str:
    shown = display_value(cell)
    return shown if shown in SYMBOLS.values() else ""


def long_frame(protected: ProtectedTable, labels: TableLabels, *, lang: str = "de") -> pd.DataFrame:
    """One row per cell (margins included, in table order) for reports and checks in pandas.

    Columns: one per dimension, headed by its label and holding category labels; `count`
    (nullable Int64, <NA> when secret); `symbol` (`.`, `-` or empty); `display` (the printed
    text); `status` (`safe`, `zero` or `secret`, see `published_status`)."""
    _text(lang)
    dimensions = protected.table.dimensions
    headings = [labels.dimension(d.name) for d in dimensions]
    _check_columns(headings, ("count", "symbol", "display", "status"), protected.id)
    rows = []
    for key in protected.table.keys:
        cell = protected.cells[key]
        row: dict[str, Any] = {
            heading: labels.category(d.name, node, lang) for heading, d, node in zip(headings, dimensions, key)
        }
        row.update(count=cell.count, symbol=_symbol(cell), display=display_value(cell), status=published_status(cell))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[*headings, "count", "symbol", "display", "status"])
    frame["count"] = frame["count"].astype("Int64")
    return frame


def write_table_csv(
    protected: ProtectedTable, labels: TableLabels, path: str | os.PathLike[str], *, lang: str = "de"
) -> Path:
    """The machine-readable release of one table: long format, one row per cell, margins included.

    UTF-8 without BOM, comma-separated, header row, "\\n" line ends. Columns, in order:
    `table` (table id); for each dimension `<name>` (category code, `Total` for the margin),
    `<name>_label` (its label in `lang`) and `<name>_parent` (code of the parent node, empty for
    `Total`: rebuilds hierarchies and tells sub-totals from inner cells); `count` (whole number,
    empty when secret); `status` (`safe`, `zero` or `secret`). Read codes with
    `keep_default_na=False` so a code like "NA" stays text."""
    _text(lang)
    dimensions = protected.table.dimensions
    dim_columns = [c for d in dimensions for c in (d.name, f"{d.name}_label", f"{d.name}_parent")]
    _check_columns(dim_columns, CSV_FIXED_COLUMNS, protected.id)
    parents = [d.leaf_parent() for d in dimensions]
    rows = []
    for key in protected.table.keys:
        cell = protected.cells[key]
        row: dict[str, Any] = {"table": protected.id}
        for d, parent, node in zip(dimensions, parents, key):
            row[d.name] = node
            row[f"{d.name}_label"] = labels.category(d.name, node, lang)
            row[f"{d.name}_parent"] = parent.get(node, "")
        row.update(count=cell.count, status=published_status(cell))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["table", *dim_columns, "count", "status"])
    frame["count"] = frame["count"].astype("Int64")
    target = Path(path)
    frame.to_csv(target, index=False, encoding="utf-8", lineterminator="\n")
    return target


def _check_columns(columns: Sequence[str], fixed: Sequence[str], table_id: str) -> None:
    all_columns = [*columns, *fixed]
    if len(set(all_columns)) != len(all_columns):
        raise ValueError(f"table {table_id!r}: column names repeat: {all_columns}")


# --- XLSX -----------------------------------------------------------------------------------


def write_xlsx(
    tables: Sequence[tuple[ProtectedTable, TableLabels]],
    path: str | os.PathLike[str],
    *,
    parameters: Mapping[str, object],
    lang: str = "de",
    title: str,
    estimates: Sequence[tuple[TableEstimate, TableLabels]] = (),
) -> Path:
    """The release workbook for people: one cross-tab sheet per table, then legend and parameters.

    The parameters (min_count, group rule, wave, …) travel with the numbers so a reader can tell
    how they were protected. Sheet names come from table ids, made Excel-safe and unique. No
    dates: document properties and zip entries carry the fixed 1980-01-01 placeholder."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    text = _text(lang)
    if not tables:
        raise ValueError("a release workbook needs at least one table")
    workbook = Workbook()
    workbook.remove(workbook.active)
    reserved = (text["legend_sheet"], text["parameters_sheet"], text["estimates_sheet"])
    names = sheet_names([p.id for p, _ in tables], reserved=reserved, lang=lang)
    for (protected, labels), name in zip(tables, names):
        _cross_tab_sheet(workbook.create_sheet(name), protected, labels, lang)
    if estimates:
        _estimates_sheet(workbook.create_sheet(text["estimates_sheet"]), estimates, lang)
    _two_column_sheet(
        workbook.create_sheet(text["legend_sheet"]), title, (text["symbol"], text["meaning"]), legend(lang), right=False
    )
    _two_column_sheet(
        workbook.create_sheet(text["parameters_sheet"]),
        title,
        (text["parameter"], text["value"]),
        [(str(k), _parameter_value(v, lang)) for k, v in parameters.items()],
        right=True,
    )
    workbook.active = 0
    properties = workbook.properties
    properties.title = title
    properties.creator = "wir-survey"
    properties.lastModifiedBy = None
    properties.language = lang
    properties.created = properties.modified = _NO_DATE
    buffer = io.BytesIO()
    # ExcelWriter rather than Workbook.save, which stamps the time of saving into the properties.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    target = Path(path)
    target.write_bytes(_undated_zip(buffer.getvalue()))
    return target


def _undated_zip(data: bytes) -> bytes:
    """The same archive with every entry dated `_NO_ZIP_DATE` instead of the time of writing."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_NO_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info))
    return out.getvalue()


def sheet_names(table_ids: Sequence[str], *, reserved: Sequence[str] = (), lang: str = "de") -> list[str]:
    """Excel-safe sheet names, unique ignoring case (as Excel compares them) and ≤ 31 characters.

    Forbidden characters become `_`; a clash is resolved with a suffix " (2)", " (3)", … ."""
    used = {name.casefold() for name in (*reserved, "History")}
    result = []
    for table_id in table_ids:
        base = _SHEET_FORBIDDEN.sub("_", table_id).strip().strip("'").strip() or _text(lang)["table"]
        candidate = base[:_SHEET_NAME_MAX].rstrip().rstrip("'")
        number = 1
        while candidate.casefold() in used:
            number += 1
            suffix = f" ({number})"
            candidate = base[: _SHEET_NAME_MAX - len(suffix)].rstrip().rstrip("'") + suffix
        used.add(candidate.casefold())
        result.append(candidate)
    return result


def _parameter_value(value: object, lang: str) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _text(lang)["yes" if value else "no"]
    if isinstance(value, int):
        return value if abs(value) < 10**15 else str(value)  # Excel keeps 15 digits
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, (set, frozenset)):
        return ", ".join(sorted(map(str, value)))
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def _put(ws: Worksheet, row: int, column: int, value: object, *, bold: bool = False, right: bool = False,
         indent: int = 0, italic: bool = False, size: float | None = None) -> None:
    from openpyxl.styles import Alignment, Font

    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # a label starting with "=" is text, never a formula
    if bold or italic or size:
        cell.font = Font(bold=bold, italic=italic, size=size)
    if right or indent:
        cell.alignment = Alignment(horizontal="right" if right else None, indent=indent)
    if isinstance(value, int) and not isinstance(value, bool):
        cell.number_format = "#,##0"


def _depth(dimension: Dimension) -> dict[str, int]:
    parent = dimension.leaf_parent()
    depth = {}
    for node in dimension.nodes:
        depth[node] = 0 if node == TOTAL else depth[parent[node]] + 1
    return depth


def _cross_tab_sheet(ws: Worksheet, protected: ProtectedTable, labels: TableLabels, lang: str) -> None:
    """First dimension down, last across, a middle one as stacked blocks with a sub-heading each."""
    from openpyxl.utils import get_column_letter

    text = _text(lang)
    dims = protected.table.dimensions
    row_dim = dims[0]
    col_dim = dims[-1] if len(dims) >= 2 else None
    block_dim = dims[1] if len(dims) == 3 else None
    col_nodes: Sequence[str | None] = col_dim.nodes if col_dim else (None,)
    widths: dict[int, int] = {}

    def put(row: int, column: int, value: object, **style: Any) -> None:
        _put(ws, row, column, value, **style)
        if row > 1:  # the title may run across
            shown = value if not isinstance(value, int) else f"{value:,}"
            widths[column] = max(widths.get(column, 0), len(str(shown)) + 2 * style.get("indent", 0))

    put(1, 1, labels.title, bold=True, size=12)
    row = 3
    if col_dim is not None:
        put(row, 2, labels.dimension(col_dim.name), bold=True)
        widths[2] = 0  # spans the value columns
        if len(col_nodes) > 1:
            ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=1 + len(col_nodes))
        row += 1
    put(row, 1, labels.dimension(row_dim.name), bold=True)
    for column, node in enumerate(col_nodes, start=2):
        heading = text["count"] if col_dim is None or node is None else labels.category(col_dim.name, node, lang)
        put(row, column, heading, bold=True, right=True)
    row += 1
    ws.freeze_panes = ws.cell(row=row, column=2).coordinate
    row_depth = _depth(row_dim)
    for index, block in enumerate(block_dim.nodes if block_dim else (None,)):
        if block_dim is not None:
            row += 1 if index else 0
            heading = f"{labels.dimension(block_dim.name)}: {labels.category(block_dim.name, block, lang)}"
            put(row, 1, heading, bold=True, italic=True)
            row += 1
        for node in row_dim.nodes:
            margin = node in row_dim.children
            indent = max(row_depth[node] - 1, 0)
            put(row, 1, labels.category(row_dim.name, node, lang), bold=margin, indent=indent)
            for column, col_node in enumerate(col_nodes, start=2):
                key: Key = (node, *(n for n in (block, col_node) if n is not None))
                cell = protected.cells[key]
                bold = margin or (col_dim is not None and col_node in col_dim.children)
                value: object = cell.count if cell.count else display_value(cell)
                put(row, column, value, bold=bold, right=True)
            row += 1
    _put(ws, row + 1, 1, text["see_legend"], italic=True)
    for column, width in widths.items():
        minimum = 12 if column == 1 else 8
        ws.column_dimensions[get_column_letter(column)].width = min(max(width + 2, minimum), 60)


def _two_column_sheet(ws: Worksheet, title: str, headings: tuple[str, str], rows: Sequence[tuple[str, object]],
                      *, right: bool) -> None:
    _put(ws, 1, 1, title, bold=True, size=12)
    _put(ws, 3, 1, headings[0], bold=True)
    _put(ws, 3, 2, headings[1], bold=True)
    for offset, (name, value) in enumerate(rows, start=4):
        _put(ws, offset, 1, name)
        _put(ws, offset, 2, value, right=right and not isinstance(value, str))
    ws.freeze_panes = "A4"
    first = max([len(headings[0]), *(len(str(n)) for n, _ in rows)])
    second = max([len(headings[1]), *(len(str(v)) for _, v in rows)])
    ws.column_dimensions["A"].width = min(max(first + 2, 10), 40)
    ws.column_dimensions["B"].width = min(max(second + 2, 10), 100)


def _estimates_sheet(ws: Worksheet, estimates: Sequence[tuple[TableEstimate, TableLabels]], lang: str) -> None:
    from openpyxl.utils import get_column_letter

    text = _text(lang)
    headings = text["estimate_columns"].split("|")
    _put(ws, 1, 1, text["estimates_title"], bold=True, size=12)
    _put(ws, 2, 1, text["estimate_note"], italic=True)
    for column, heading in enumerate(headings, start=1):
        _put(ws, 4, column, heading, bold=True)
    widths = [len(h) for h in headings]
    for row, (item, labels) in enumerate(estimates, start=5):
        estimate = item.estimate
        population = ", ".join(
            labels.category(name, node, lang) for name, node in zip(item.dimensions, item.population)
        ) or text["total"]
        answer = labels.category(item.answer_dimension, item.category, lang)
        values = [labels.title, population, answer]
        if estimate.published:
            values += [
                _percent(estimate.share), _percent(estimate.lower), _percent(estimate.upper), estimate.respondents,
                estimate.headcount, _percent(estimate.response_rate), _percent(estimate.bound_if_all_no),
                _percent(estimate.bound_if_all_yes), "",
            ]
        else:  # not even the respondents: they could give away a secret margin
            values += [None] * 8 + [text["not_published"]]
        for column, value in enumerate(values, start=1):
            _put(ws, row, column, value, right=not isinstance(value, str))
            widths[column - 1] = max(widths[column - 1], len(str(value or "")))
    ws.freeze_panes = "A5"
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 50)


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


# --- Charts ---------------------------------------------------------------------------------


def write_chart(
    protected: ProtectedTable, labels: TableLabels, path_stem: str | os.PathLike[str], *, lang: str = "de"
) -> tuple[Path, Path]:
    """The table as grouped horizontal bars, `<stem>.png` and `<stem>.svg`, for reports.

    Inner cells only (margins would dwarf them): first dimension as groups, last as bar colours,
    a middle one as one panel per category. A secret cell is a hatched grey bar of fixed length
    labelled `.`, so it cannot be mistaken for a zero or a small value; a true zero is labelled
    `-`. Uses `Figure` (no pyplot, no global backend) and default style in an rc context, with
    a fixed SVG hash salt and no dates, so the same table gives the same bytes."""
    import matplotlib
    import matplotlib.style
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    text = _text(lang)
    dims = protected.table.dimensions
    group_dim = dims[0]
    colour_dim = dims[-1] if len(dims) >= 2 else None
    panel_dim = dims[1] if len(dims) == 3 else None
    groups = group_dim.leaves
    colours: Sequence[str | None] = colour_dim.leaves if colour_dim else (None,)
    panels: Sequence[str | None] = panel_dim.leaves if panel_dim else (None,)

    def key(group: str, panel: str | None, colour: str | None) -> Key:
        return (group, *(n for n in (panel, colour) if n is not None))

    inner = [protected.cells[key(g, p, c)] for g in groups for p in panels for c in colours]
    top = max([c.count for c in inner if c.count is not None] + [1])
    placeholder = 0.05 * top
    any_secret = any(c.count is None for c in inner)
    any_zero = any(c.count == 0 for c in inner)

    bars = len(groups) * len(colours)
    panel_height = 0.6 + 0.28 * bars + 0.12 * len(groups)
    legend_rows = math.ceil((len(colours) * (colour_dim is not None) + any_secret + any_zero) / 3)
    height = 0.9 + len(panels) * panel_height + 0.35 * legend_rows
    rc = {"svg.hashsalt": "wir-survey", "svg.fonttype": "path", "hatch.linewidth": 0.8}
    png = Path(f"{os.fspath(path_stem)}.png")
    svg = Path(f"{os.fspath(path_stem)}.svg")
    with matplotlib.style.context("default"), matplotlib.rc_context(rc):
        figure = Figure(figsize=(8, height), layout="constrained")
        axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
        thickness = 0.8 / len(colours)
        for ax, panel in zip(axes, panels):
            for g, group in enumerate(groups):
                for c, colour in enumerate(colours):
                    y = g - 0.4 + thickness * (c + 0.5)
                    cell = protected.cells[key(group, panel, colour)]
                    if cell.count is None:
                        # the outline keeps the colour of the category, the hatch says "secret"
                        ax.barh(y, placeholder, height=thickness, color=_SECRET_FACE, hatch="///",
                                edgecolor=PALETTE[c % len(PALETTE)] if colour is not None else _SECRET_EDGE,
                                hatchcolor=_SECRET_EDGE, linewidth=1.2, gid="secret")
                        end = placeholder
                    else:
                        end = cell.count
                        if cell.count:
                            ax.barh(y, cell.count, height=thickness, color=PALETTE[c % len(PALETTE)])
                    shown = display_value(cell)
                    symbol = shown in SYMBOLS.values()
                    ax.annotate(shown, (end, y), xytext=(3, 0), textcoords="offset points", va="center",
                                ha="left", fontsize=10 if symbol else 8, fontweight="bold" if symbol else "normal")
            ax.set_yticks(range(len(groups)), [labels.category(group_dim.name, g, lang) for g in groups])
            ax.set_ylim(len(groups) - 0.5, -0.5)  # first category on top
            ax.set_ylabel(labels.dimension(group_dim.name))
            ax.set_xlim(0, top * 1.12)
            ax.spines[["top", "right"]].set_visible(False)
            ax.grid(axis="x", color="#E0E0E0", linewidth=0.6)
            ax.set_axisbelow(True)
            if panel_dim is not None and panel is not None:
                heading = f"{labels.dimension(panel_dim.name)}: {labels.category(panel_dim.name, panel, lang)}"
                ax.set_title(heading, fontsize=10, loc="left")
        axes[-1].set_xlabel(text["count"])
        handles: list[Any] = []
        if colour_dim is not None:
            handles += [Patch(color=PALETTE[c % len(PALETTE)], label=labels.category(colour_dim.name, colour, lang))
                        for c, colour in enumerate(colour_dim.leaves)]
        if any_secret:
            handles.append(Patch(facecolor=_SECRET_FACE, edgecolor=_SECRET_EDGE, hatch="///", hatchcolor=_SECRET_EDGE,
                                 label=text["secret_key"]))
        if any_zero:
            handles.append(Line2D([], [], linestyle="none", marker="$-$", color="black", label=text["nothing_key"]))
        if handles:
            figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3), frameon=False,
                          title=labels.dimension(colour_dim.name) if colour_dim is not None else None)
        figure.suptitle(labels.title, fontsize=12)
        figure.savefig(png, format="png", dpi=150, metadata={"Software": None})
        figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png, svg
