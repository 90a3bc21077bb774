"""Release files for the Statistics Office: CSV for machines, XLSX for people, charts for reports.

Only what may be published leaves this module. A secret cell is `.` whatever made it secret:
saying whether it was suppressed for being small (primary), for a group disclosure or only to
protect another cell (secondary) would tell an attacker which cells are small. The attacker
bounds are never written. Files carry no dates (anonymity rule: nothing in an output that is not
needed) and the same input gives the same bytes, so a release can be checked by its hash.

Symbols follow German official statistics (`symbols`): `.` secret ("Geheimhaltung"), `-` nothing
("nichts vorhanden", a true zero), `x` not surveyed (no codes were issued in the group). Every
file uses them: the workbook and the CSV alike. Published totals include the secret cells.
Charts are in `charts`, symbols, legend and labels in `symbols`; both are re-exported here.

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
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .charts import write_chart
from .estimates import TableEstimate
from .protect import ProtectedTable
from .symbols import (
    LANGUAGES,
    SYMBOLS,
    TableLabels,
    display_value,
    legend,
    published_count,
    published_status,
    symbol,
    text_for,
)
from .tables import TOTAL, Dimension, Key

if TYPE_CHECKING:  # pragma: no cover
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "CSV_FIXED_COLUMNS",
    "LANGUAGES",
    "SYMBOLS",
    "TableLabels",
    "display_value",
    "legend",
    "long_frame",
    "describe_post_strata",
    "published_count",
    "published_status",
    "sheet_names",
    "symbol",
    "write_chart",
    "write_table_csv",
    "write_xlsx",
]

# Columns of the release CSV besides the three per dimension (see `write_table_csv`).
CSV_FIXED_COLUMNS = ("table", "count", "symbol", "status")

# Office files need a date in their properties and zip entries; this one means "none".
_NO_DATE = datetime(1980, 1, 1)
_NO_ZIP_DATE = (1980, 1, 1, 0, 0, 0)

_SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def long_frame(protected: ProtectedTable, labels: TableLabels, *, lang: str = "de") -> pd.DataFrame:
    """One row per cell (margins included, in table order) for reports and checks in pandas.

    Columns: one per dimension, headed by its label and holding category labels; `count`
    (nullable Int64, <NA> when secret or not surveyed); `symbol` (`.`, `-`, `x` or empty);
    `display` (the printed text); `status` (`safe`, `zero`, `secret` or `not_surveyed`, see
    `published_status`)."""
    text_for(lang)
    dimensions = protected.table.dimensions
    headings = [labels.dimension(d.name) for d in dimensions]
    _check_columns(headings, ("count", "symbol", "display", "status"), protected.id)
    rows = []
    for key in protected.table.keys:
        cell = protected.cells[key]
        row: dict[str, Any] = {
            heading: labels.category(d.name, node, lang) for heading, d, node in zip(headings, dimensions, key)
        }
        row.update(count=published_count(cell), symbol=symbol(cell), display=display_value(cell),
                   status=published_status(cell))
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
    empty when secret or not surveyed); `symbol` (the legend's symbol, as the workbook prints it:
    `.` secret, `-` nothing, `x` not surveyed; empty when the count stands); `status` (`safe`,
    `zero`, `secret` or `not_surveyed`). Read codes with `keep_default_na=False` so a code like
    "NA" stays text, and `count` as a nullable integer."""
    text_for(lang)
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
        row.update(count=published_count(cell), symbol=symbol(cell), status=published_status(cell))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["table", *dim_columns, "count", "symbol", "status"])
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

    text = text_for(lang)
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
    return save_undated(workbook, Path(path), title=title, lang=lang)


def save_undated(workbook: Any, target: Path, *, title: str, lang: str) -> Path:
    """Save an openpyxl workbook with no time of saving in its properties or its zip entries
    (the release workbook and HR's monitoring report alike), so the same content gives the same bytes."""
    from openpyxl.writer.excel import ExcelWriter

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
        base = _SHEET_FORBIDDEN.sub("_", table_id).strip().strip("'").strip() or text_for(lang)["table"]
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
        return text_for(lang)["yes" if value else "no"]
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

    text = text_for(lang)
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
                value: object = published_count(cell) or display_value(cell)
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

    text = text_for(lang)
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
                _percent(estimate.bound_if_all_yes), describe_post_strata(item, labels, lang), "",
            ]
        else:  # not even the respondents: they could give away a secret margin
            values += [None] * 9 + [text["not_published"] if item.surveyed else text["not_surveyed_estimate"]]
        for column, value in enumerate(values, start=1):
            _put(ws, row, column, value, right=not isinstance(value, str))
            widths[column - 1] = max(widths[column - 1], len(str(value or "")))
    ws.freeze_panes = "A5"
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = min(max(width + 2, 8), 50)


def describe_post_strata(item: TableEstimate, labels: TableLabels, lang: str = "de") -> str:
    """What a published share is weighted over, in words: the cells of which dimensions, and
    which cells were merged because a finer one is secret (see `aggregation.poststrata`)."""
    text = text_for(lang)
    if not item.post_strata:
        return ""
    varying = [i for i, node in enumerate(item.population) if any(box[i] != node for box in item.post_strata)]
    if not varying:
        return text["unweighted_merged" if item.merged else "unweighted"]
    description = text["weighted_by"].format(
        count=len(item.post_strata), dimensions=" × ".join(labels.dimension(item.dimensions[i]) for i in varying)
    )
    if item.merged:
        merged = "; ".join(
            ", ".join(labels.category(item.dimensions[i], box[i], lang) for i in varying) for box in item.merged
        )
        description += " " + text["merged"].format(cells=merged)
    return description


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)
