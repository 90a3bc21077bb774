"""`wir-survey tables protect` on any frequency table; refusals write nothing."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

HANDBOOK = "marital,sex,count\nmarried,M,38\nmarried,F,17\ndivorced,M,7\ndivorced,F,4\nsingle,M,3\nsingle,F,1\n"


def _protect(runner, tmp_path: Path, content: str, *args: str):
    source = tmp_path / "in.csv"
    source.write_text(content)
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["tables", "protect", str(source), "--out", str(out), *args])
    return result, out


def test_the_handbook_table_comes_out_protected_with_every_margin(runner, tmp_path: Path):
    result, out = _protect(runner, tmp_path, HANDBOOK, "--dims", "marital,sex", "--min-count", "3", "--no-group-rule")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False).set_index(["marital", "sex"])
    assert list(frame.columns) == ["count", "status", "lower", "upper"]
    assert len(frame) == 12 and frame.loc[("Total", "Total"), "count"] == "70"
    assert dict(frame.loc[("single", "F")]) == {"count": "", "status": "primary", "lower": "0", "upper": "4"}
    assert set(frame.index[frame["status"] == "secondary"]) == {("divorced", "M"), ("divorced", "F"), ("single", "M")}
    assert "1 primary" in result.output and "3 secondary" in result.output


def test_a_hierarchical_dimension_gets_subtotal_rows(runner, tmp_path: Path):
    content = "directorate,department,answer,n\nD3,32,yes,12\nD3,32,no,9\nD3,33,yes,2\nD3,33,no,14\nD5,50,yes,8\nD5,50,no,11\n"
    result, out = _protect(runner, tmp_path, content, "--dims", "directorate/department,answer", "--count-column", "n")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False).set_index(["directorate", "department", "answer"])
    assert frame.loc[("D3", "Total", "Total"), "count"] == "37"
    assert frame.loc[("D3", "33", "yes"), "status"] == "primary"
    assert len(frame) == (1 + 2 + 3) * 3


@pytest.mark.parametrize(
    ("content", "args", "reason"),
    [
        (HANDBOOK, ["--dims", "marital,colour"], "missing column"),
        (HANDBOOK.replace("38", "many"), ["--dims", "marital,sex"], "line 2"),
        (HANDBOOK + "single,F,2\n", ["--dims", "marital,sex"], "appears twice"),
        (HANDBOOK.replace("married,M", "Total,M"), ["--dims", "marital,sex"], "reserved"),
        (HANDBOOK, ["--dims", "marital,sex", "--min-count", "2"], "floor"),
        ("answer,count\nyes,2\nno,1\n", ["--dims", "answer"], "always published"),
        (HANDBOOK.replace("marital", "status"), ["--dims", "status,sex"], "clash"),
    ],
)
def test_bad_or_unprotectable_input_gets_a_reason_and_no_output(runner, tmp_path: Path, content, args, reason):
    result, out = _protect(runner, tmp_path, content, *args)
    assert result.exit_code == 1
    assert reason in result.output and "No output was written" in result.output
    assert not out.exists()
    assert not [p.name for p in tmp_path.iterdir() if "out" in p.name or p.name.endswith(".partial")]
