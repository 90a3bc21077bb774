"""`wir-survey tables protect`: disclosure control for any frequency table, outside a survey wave."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
import pandas as pd

from aggregation import CannotProtect, Rules, protect
from aggregation.frequency import DimensionSpec, InputError, frame_from_protected, table_from_frame

from .cli import commands, fail


@commands.group("tables")
def tables_group() -> None:
    """Protect frequency tables (minimum count, group rule, secondary suppression, audit)."""


@tables_group.command("protect")
@click.argument("input_file", type=click.Path(dir_okay=False, exists=True))
@click.option("--dims", required=True, help="a,b[,c]; parent/child for a hierarchy, e.g. directorate/department,answer")
@click.option("--count-column", default="count", show_default=True)
@click.option("--min-count", type=int, default=5, show_default=True, help="k: cells with 0 < n < k are secret (floor 3)")
@click.option("--no-group-rule", is_flag=True, help="Do not protect groups where all or all but one gave one answer.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="OUT.csv with every cell and margin")
def tables_protect(input_file: str, dims: str, count_column: str, min_count: int, no_group_rule: bool, out: str) -> None:
    """Protect INPUT_FILE (one row per inner cell) and write every cell with its status to OUT."""
    try:
        specs = [DimensionSpec.parse(part) for part in dims.split(",")]
        if not 1 <= len(specs) <= 3:
            raise InputError(f"--dims names {len(specs)} dimensions; a table has one to three")
        rules = Rules(min_count=min_count, group_rule=not no_group_rule)
        frame = pd.read_csv(input_file, dtype=str, keep_default_na=False)
        table = table_from_frame(frame, specs, count_column, table_id=Path(input_file).stem)
        protection = protect([table], rules)
        protected = protection.tables[0]
    except (InputError, ValueError, CannotProtect) as exc:
        fail(f"{input_file}: {exc}. No output was written.")
    result = frame_from_protected(protected, specs)
    target = Path(out)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    try:
        result.to_csv(partial, index=False)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    counts = result["status"].value_counts()
    click.echo(
        f"{len(result)} cells written to {target}: "
        + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("safe", "zero", "primary", "group", "secondary"))
        + (
            " (cheapest pattern)"
            if protection.method == "optimal"
            else " (hypercube heuristic: the exact search ran out of time; every bound is audited)"
        )
    )
