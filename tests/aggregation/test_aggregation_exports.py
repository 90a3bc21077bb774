"""Release files from protected tables: symbols, the long CSV, the XLSX workbook and the charts."""
from __future__ import annotations

import dataclasses
import datetime
import zipfile

import openpyxl
import pandas as pd
import pytest

from aggregation import TOTAL, Dimension, Rules, build_table, protect
from aggregation.exports import (
    SYMBOLS,
    TableLabels,
    display_value,
    legend,
    long_frame,
    sheet_names,
    write_chart,
    write_table_csv,
    write_xlsx,
)

MARITAL = Dimension.flat("marital status", ["married", "divorced", "single"])
SEX = Dimension.flat("sex", ["M", "F"])
DEPARTMENT = Dimension.hierarchical("department", {"Directorate 3": ["32", "33"], "Directorate 5": ["50"]})
GROUP = Dimension.flat("group", ["medium", "senior"])
ANSWER = Dimension.flat("answer", ["yes", "no"])

MARITAL_LABELS = TableLabels(
    "Familienstand nach Geschlecht",
    {"marital status": "Familienstand", "sex": "Geschlecht"},
    {"marital status": {"married": "verheiratet", "divorced": "geschieden", "single": "ledig"},
     "sex": {"M": "Männer", "F": "Frauen"}},
)
STAFF_LABELS = TableLabels(
    "Antwort nach Fachbereich und Laufbahngruppe",
    {"department": "Fachbereich", "group": "Laufbahngruppe", "answer": "Antwort"},
    {"department": {"Directorate 3": "Dezernat III", "Directorate 5": "Dezernat V",
                    "32": "32 Personal", "33": "33 Finanzen", "50": "50 Soziales"},
     "group": {"medium": "mittlerer Dienst", "senior": "höherer Dienst"},
     "answer": {"yes": "ja", "no": "nein"}},
)
PARAMETERS = {"min_count": 3, "group_rule": False, "questionnaire_hash": "sha256:" + "ab" * 32,
              "wave": "agg-discrimination", "population": 412, "responses": 70, "release": "r-0001",
              "random_state": 0}
TODAY_YEAR = str(datetime.date.today().year)


@pytest.fixture(scope="module")
def marital():
    """The Handbook's marital status by sex (DESIGN.md section 7): one primary, three secondary."""
    counts = {("married", "M"): 38, ("married", "F"): 17, ("divorced", "M"): 7, ("divorced", "F"): 4,
              ("single", "M"): 3, ("single", "F"): 1}
    table = build_table("marital_by_sex", [MARITAL, SEX], counts)
    return protect([table], Rules(min_count=3, group_rule=False)).tables[0]


@pytest.fixture(scope="module")
def staff():
    """Three dimensions, the first hierarchical; a primary cell in 32 and a true zero in 50."""
    inner = {("32", "medium", "yes"): 2, ("32", "medium", "no"): 9, ("33", "medium", "yes"): 6,
             ("33", "medium", "no"): 7, ("50", "medium", "yes"): 8, ("50", "medium", "no"): 12,
             ("32", "senior", "yes"): 5, ("32", "senior", "no"): 6, ("33", "senior", "yes"): 7,
             ("33", "senior", "no"): 9, ("50", "senior", "yes"): 11, ("50", "senior", "no"): 0}
    table = build_table("answer_by_department_and_group", [DEPARTMENT, GROUP, ANSWER], inner)
    return protect([table], Rules(min_count=3, group_rule=False)).tables[0]


def render(ws) -> str:
    """The sheet as aligned text; rows with only a first cell (title, sub-headings) don't set widths."""
    rows = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    grid = [r for r in rows if any(r[1:])]
    widths = [max(len(r[i]) for r in grid) for i in range(ws.max_column)]
    lines = []
    for row in rows:
        if any(row[1:]):
            lines.append(" | ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(row, widths))))
        else:
            lines.append(row[0])
    return "\n".join(line.rstrip() for line in lines)


def read_cross_tab(ws, block_heading: str | None = None) -> dict[tuple[str, ...], object]:
    """(row label[, block label], column label) → value, read back from the sheet layout."""
    header_row = 4
    columns = {c: ws.cell(header_row, c).value for c in range(2, ws.max_column + 1)}
    found: dict[tuple[str, ...], object] = {}
    block: tuple[str, ...] = ()
    for r in range(header_row + 1, ws.max_row + 1):
        first = ws.cell(r, 1).value
        if block_heading and isinstance(first, str) and first.startswith(block_heading + ": "):
            block = (first.removeprefix(block_heading + ": "),)
        elif ws.cell(r, 2).value is not None:
            for c, heading in columns.items():
                found[(first, *block, heading)] = ws.cell(r, c).value
    return found


def test_display_symbols_follow_german_official_statistics(marital, staff):
    assert SYMBOLS == {"secret": ".", "nothing": "-", "not_surveyed": "x"}
    assert display_value(marital.cells[("single", "F")]) == "."  # primary
    assert display_value(marital.cells[("divorced", "M")]) == "."  # secondary
    assert display_value(marital.cells[("married", "M")]) == "38"
    assert display_value(staff.cells[("50", "senior", "no")]) == "-"
    german, english = legend("de"), legend("en")
    assert [s for s, _ in german] == [".", "-", "x", "Insgesamt"] and [s for s, _ in english] == [".", "-", "x", "Total"]
    assert "Geheimhaltung" in german[0][1] and "nichts vorhanden" in german[1][1] and "nicht befragt" in german[2][1]
    assert "secret" in english[0][1] and "zero" in english[1][1] and "not surveyed" in english[2][1]
    assert "include" in english[3][1]
    with pytest.raises(ValueError, match="language"):
        legend("fr")


def test_labels_fall_back_to_codes_and_total_by_language():
    labels = TableLabels("t", category_labels={"sex": {"F": "Frauen"}})
    assert labels.dimension("sex") == "sex"
    assert [labels.category("sex", n, "de") for n in SEX.nodes] == ["Insgesamt", "M", "Frauen"]
    assert labels.category("sex", TOTAL, "en") == "Total"
    assert TableLabels("t", category_labels={"sex": {TOTAL: "Alle"}}).category("sex", TOTAL) == "Alle"


def test_long_frame_has_one_row_per_cell_and_never_names_the_reason_for_a_secret(marital, staff):
    frame = long_frame(staff, STAFF_LABELS)
    assert list(frame.columns) == ["Fachbereich", "Laufbahngruppe", "Antwort", "count", "symbol", "display", "status"]
    assert len(frame) == len(staff.table.keys) == 6 * 3 * 3
    assert str(frame["count"].dtype) == "Int64"
    secret = frame["status"] == "secret"
    assert secret.sum() == len(staff.suppressed()) > 0
    assert frame.loc[secret, "count"].isna().all() and (frame.loc[secret, "display"] == ".").all()
    zero = frame["status"] == "zero"
    assert zero.sum() == 2 and (frame.loc[zero, "symbol"] == "-").all() and (frame.loc[zero, "count"] == 0).all()
    assert set(frame["status"]) == {"safe", "zero", "secret"}  # no primary/group/secondary
    first = frame.iloc[0]
    assert (first["Fachbereich"], first["count"], first["symbol"], first["display"]) == ("Insgesamt", 82, "", "82")
    english = long_frame(marital, MARITAL_LABELS, lang="en")
    assert english.iloc[0]["Familienstand"] == "Total"


def test_csv_round_trips_with_codes_labels_parents_and_the_legends_symbols(tmp_path, marital, staff):
    for protected, labels in ((marital, MARITAL_LABELS), (staff, STAFF_LABELS)):
        path = write_table_csv(protected, labels, tmp_path / f"{protected.id}.csv")
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        counts = pd.read_csv(path, usecols=["count"], dtype={"count": "Int64"})["count"]
        dims = protected.table.dimensions
        per_dimension = [c for d in dims for c in (d.name, f"{d.name}_label", f"{d.name}_parent")]
        assert list(frame.columns) == ["table", *per_dimension, "count", "symbol", "status"]
        assert len(frame) == len(protected.cells)
        assert (counts.isna() == (frame["status"] == "secret")).all()
        assert set(frame["status"]) <= {"safe", "zero", "secret"}
        # the same symbols as the workbook and the legend
        assert (frame["symbol"] == frame["status"].map({"secret": ".", "zero": "-", "safe": ""})).all()
        for i, key in enumerate(protected.table.keys):
            assert tuple(frame.loc[i, [d.name for d in dims]]) == key
            cell = protected.cells[key]
            if cell.count is None:
                assert counts.isna()[i]
            else:
                assert counts[i] == cell.count
    rows = pd.read_csv(tmp_path / "answer_by_department_and_group.csv", dtype=str, keep_default_na=False)
    row = rows[(rows["department"] == "32") & (rows["group"] == "medium") & (rows["answer"] == "yes")].iloc[0]
    assert (row["department_label"], row["department_parent"], row["count"], row["symbol"], row["status"]) == (
        "32 Personal", "Directorate 3", "", ".", "secret")
    assert set(rows.loc[rows["department"] == "Directorate 3", "department_parent"]) == {TOTAL}
    assert set(rows.loc[rows["department"] == TOTAL, "department_parent"]) == {""}
    assert (tmp_path / "marital_by_sex.csv").read_text(encoding="utf-8").startswith("table,marital status,")


EXPECTED_MARITAL_SHEET = """\
Familienstand nach Geschlecht

              | Geschlecht |        |
Familienstand |  Insgesamt | Männer | Frauen
Insgesamt     |         70 |     48 |     22
verheiratet   |         55 |     38 |     17
geschieden    |         11 |      . |      .
ledig         |          4 |      . |      .

Zeichenerklärung: siehe Blatt „Legende“."""


def test_xlsx_handbook_sheet_reads_as_a_cross_tab(tmp_path, marital, staff):
    path = write_xlsx([(marital, MARITAL_LABELS), (staff, STAFF_LABELS)], tmp_path / "release.xlsx",
                      parameters=PARAMETERS, title="Befragung AGG")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["marital_by_sex", "answer_by_department_and_group", "Legende", "Parameter"]
    ws = workbook["marital_by_sex"]
    text = render(ws)
    print(text)
    assert text == EXPECTED_MARITAL_SHEET
    assert ws["B5"].value == 70 and isinstance(ws["B5"].value, int) and ws["B5"].number_format == "#,##0"
    assert ws["C7"].value == "." and ws["C7"].alignment.horizontal == "right"
    assert ws["A4"].font.b and ws["B4"].font.b and ws["A1"].font.b and not ws["A6"].font.b
    assert ws.freeze_panes == "B5"
    assert ws.column_dimensions["A"].width >= len("Familienstand")


def test_xlsx_every_cell_margins_symbols_and_hierarchy(tmp_path, staff):
    path = write_xlsx([(staff, STAFF_LABELS)], tmp_path / "release.xlsx", parameters=PARAMETERS, title="Befragung AGG")
    ws = openpyxl.load_workbook(path).worksheets[0]
    shown = read_cross_tab(ws, "Laufbahngruppe")
    expected = long_frame(staff, STAFF_LABELS)
    assert len(shown) == len(expected)
    for _, row in expected.iterrows():
        value = shown[(row["Fachbereich"], row["Laufbahngruppe"], row["Antwort"])]
        assert value == (row["display"] if row["symbol"] else int(row["count"]))
    assert shown[("Insgesamt", "Insgesamt", "Insgesamt")] == staff.table.counts[(TOTAL, TOTAL, TOTAL)] == 82
    assert shown[("Dezernat V", "höherer Dienst", "nein")] == "-"
    assert shown[("32 Personal", "mittlerer Dienst", "ja")] == "."
    assert shown[("Dezernat III", "Insgesamt", "ja")] == 20
    cells = {ws.cell(r, 1).value: ws.cell(r, 1) for r in range(5, 13)}
    assert cells["32 Personal"].alignment.indent == 1 and cells["Dezernat III"].alignment.indent == 0
    assert cells["Dezernat III"].font.b and not cells["32 Personal"].font.b
    assert ws["A5"].value == "Laufbahngruppe: Insgesamt" and ws["A5"].font.b


def test_xlsx_legend_and_parameter_sheets_in_both_languages(tmp_path, marital):
    for lang, legend_name, parameter_name, total in (("de", "Legende", "Parameter", "Insgesamt"),
                                                     ("en", "Legend", "Parameters", "Total")):
        path = write_xlsx([(marital, MARITAL_LABELS)], tmp_path / f"{lang}.xlsx", parameters=PARAMETERS, lang=lang,
                          title="Survey")
        workbook = openpyxl.load_workbook(path)
        assert workbook.sheetnames == ["marital_by_sex", legend_name, parameter_name]
        rows = list(workbook[legend_name].iter_rows(min_row=4, values_only=True))
        assert rows == legend(lang)
        parameters = dict(workbook[parameter_name].iter_rows(min_row=4, values_only=True))
        assert parameters == {**PARAMETERS, "group_rule": {"de": "nein", "en": "no"}[lang]}
        assert workbook.worksheets[0]["A5"].value == total


def test_sheet_names_are_excel_safe_and_unique_even_for_long_similar_ids(tmp_path, marital):
    ids = ["employees_by_department_and_satisfaction_with_leadership_2023a",
           "employees_by_department_and_satisfaction_with_leadership_2023b",
           "EMPLOYEES_BY_DEPARTMENT_AND_SATISFACTION_WITH_LEADERSHIP_2023c",
           "a/b:c*d?[e]", "Legende", "'quoted'", "History"]
    names = sheet_names(ids, reserved=("Legende", "Parameter"))
    assert all(1 <= len(n) <= 31 and not set(n) & set("[]:*?/\\") and n[0] != "'" != n[-1] for n in names)
    assert len({n.casefold() for n in [*names, "legende", "parameter"]}) == len(ids) + 2
    assert names[:4] == ["employees_by_department_and_sat", "employees_by_department_and (2)",
                         "EMPLOYEES_BY_DEPARTMENT_AND (3)", "a_b_c_d__e_"]
    renamed = [dataclasses.replace(marital, table=dataclasses.replace(marital.table, id=i)) for i in ids]
    tables = [(protected, MARITAL_LABELS) for protected in renamed]
    workbook = openpyxl.load_workbook(write_xlsx(tables, tmp_path / "many.xlsx", parameters={}, title="t"))
    assert workbook.sheetnames == [*names, "Legende", "Parameter"]


def test_same_input_same_bytes_and_no_dates(tmp_path, marital, staff):
    tables = [(marital, MARITAL_LABELS), (staff, STAFF_LABELS)]
    first = write_xlsx(tables, tmp_path / "a.xlsx", parameters=PARAMETERS, title="t").read_bytes()
    second = write_xlsx(tables, tmp_path / "b.xlsx", parameters=PARAMETERS, title="t").read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
        assert TODAY_YEAR not in core and "1980-01-01T00:00:00Z" in core
        assert all(TODAY_YEAR.encode() not in archive.read(name) for name in archive.namelist())
    properties = openpyxl.load_workbook(tmp_path / "a.xlsx").properties
    assert properties.created == properties.modified == datetime.datetime(1980, 1, 1)
    png_a, svg_a = write_chart(staff, STAFF_LABELS, tmp_path / "a")
    png_b, svg_b = write_chart(staff, STAFF_LABELS, tmp_path / "b")
    assert svg_a.read_bytes() == svg_b.read_bytes() and png_a.read_bytes() == png_b.read_bytes()
    assert TODAY_YEAR.encode() not in svg_a.read_bytes() and b"<dc:date>" not in svg_a.read_bytes()
    assert b"tIME" not in png_a.read_bytes()


@pytest.mark.parametrize("lang,secret,nothing", [("de", "geheim (.)", "nichts vorhanden (-)"),
                                                  ("en", "secret (.)", "nothing (-)")])
def test_charts_draw_the_total_and_a_secret_cell_as_a_marked_gap(tmp_path, marital, staff, lang, secret, nothing):
    png, svg = write_chart(marital, MARITAL_LABELS, tmp_path / "marital.v1", lang=lang)
    assert (png.name, svg.name) == ("marital.v1.png", "marital.v1.svg")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    text = svg.read_text(encoding="utf-8")
    assert f"<!-- {secret} -->" in text and nothing not in text  # no zero among the cells drawn
    # The total comes first, with labels; a secret cell is its symbol at the axis and no bar at all.
    total = {"de": "Insgesamt", "en": "Total"}[lang]
    assert text.index(f"<!-- {total} -->") < text.index("<!-- verheiratet -->") and "<!-- married -->" not in text
    drawn = [marital.cells[(g, s)] for g in (TOTAL, *MARITAL.leaves) for s in SEX.leaves]
    assert text.count('id="secret') == sum(c.count is None for c in drawn) == 4
    assert text.count('id="bar') == sum(bool(c.count) for c in drawn) == 4  # two totals, two married
    assert "<!-- 48 -->" in text and "<!-- 22 -->" in text  # the totals by sex
    _, svg3 = write_chart(staff, STAFF_LABELS, tmp_path / "staff", lang=lang)
    text3 = svg3.read_text(encoding="utf-8")
    drawn3 = [c for k, c in staff.cells.items()
              if k[0] in (TOTAL, *DEPARTMENT.leaves) and k[1] != TOTAL and k[2] != TOTAL]
    assert f"<!-- {secret} -->" in text3 and f"<!-- {nothing} -->" in text3 and "<!-- - -->" in text3
    assert text3.count('id="secret') == sum(c.count is None for c in drawn3) == 8
    assert text3.count('id="bar') == sum(bool(c.count) for c in drawn3)
    assert "<!-- Laufbahngruppe: höherer Dienst -->" in text3 and "<!-- 82 -->" not in text3  # no grand total bar


def test_not_surveyed_cells_read_x_in_every_file(tmp_path):
    from aggregation.coverage import StratumCoverage, mark_not_surveyed, not_surveyed_keys

    table = build_table("by_group", [GROUP, ANSWER], {("medium", "yes"): 12, ("medium", "no"): 20})
    strata = [StratumCoverage({"group": "medium"}, 300, True), StratumCoverage({"group": "senior"}, 15, False)]
    protected = mark_not_surveyed(protect([table], Rules(min_count=3, group_rule=False)).tables[0],
                                  not_surveyed_keys(table, strata))
    frame = pd.read_csv(write_table_csv(protected, STAFF_LABELS, tmp_path / "t.csv"), dtype=str, keep_default_na=False)
    senior = frame[frame["group"] == "senior"]
    assert set(senior["symbol"]) == {"x"} and set(senior["status"]) == {"not_surveyed"} and set(senior["count"]) == {""}
    assert set(frame.loc[frame["group"] == "medium", "symbol"]) == {""}
    ws = openpyxl.load_workbook(write_xlsx([(protected, STAFF_LABELS)], tmp_path / "b.xlsx", parameters={},
                                           title="t")).worksheets[0]
    shown = read_cross_tab(ws)
    assert shown[("höherer Dienst", "ja")] == shown[("höherer Dienst", "Insgesamt")] == "x"
    assert shown[("mittlerer Dienst", "ja")] == 12
    _, svg = write_chart(protected, STAFF_LABELS, tmp_path / "chart")
    text = svg.read_text(encoding="utf-8")
    assert "<!-- x -->" in text and "<!-- nicht befragt (x) -->" in text and text.count('id="bar') == 4


def test_a_one_dimensional_chart_and_exactly_the_files_asked(tmp_path):
    table = build_table("answer", [ANSWER], {("yes",): 12, ("no",): 0})
    protected = protect([table], Rules(min_count=3, group_rule=False)).tables[0]
    labels = TableLabels("Antwort")
    write_chart(protected, labels, tmp_path / "chart")
    write_table_csv(protected, labels, tmp_path / "table.csv")
    write_xlsx([(protected, labels)], tmp_path / "book.xlsx", parameters={"min_count": 3}, title="t")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx", "chart.png", "chart.svg", "table.csv"]
    ws = openpyxl.load_workbook(tmp_path / "book.xlsx")["answer"]
    assert [[c.value for c in row] for row in ws["A3:B6"]] == [["answer", "Anzahl"], ["Insgesamt", 12], ["yes", 12],
                                                               ["no", "-"]]
    assert ws.freeze_panes == "B4"
    assert "<!-- - -->" in (tmp_path / "chart.svg").read_text(encoding="utf-8")


def test_labels_that_look_like_formulas_stay_text(tmp_path, marital):
    labels = dataclasses.replace(MARITAL_LABELS, title="=HYPERLINK(\"http://x\")",
                                 category_labels={"sex": {"M": "=1+1", "F": "@F"}})
    path = write_xlsx([(marital, labels)], tmp_path / "book.xlsx", parameters={"note": "=2*3"}, title="t")
    workbook = openpyxl.load_workbook(path)
    ws = workbook.worksheets[0]
    assert (ws["A1"].value, ws["C4"].value) == ('=HYPERLINK("http://x")', "=1+1")
    assert ws["A1"].data_type == ws["C4"].data_type == workbook["Parameter"]["B4"].data_type == "s"


def test_charts_leave_global_matplotlib_settings_alone(tmp_path, marital):
    import matplotlib

    keys = ["svg.hashsalt", "svg.fonttype", "hatch.linewidth", "font.size", "axes.prop_cycle", "figure.figsize"]
    with matplotlib.rc_context({"svg.hashsalt": "caller", "font.size": 13}):
        before = {k: matplotlib.rcParams[k] for k in keys}
        backend = dict.get(matplotlib.rcParams, "backend")  # raw: reading rcParams["backend"] would resolve it
        write_chart(marital, MARITAL_LABELS, tmp_path / "chart")
        assert {k: matplotlib.rcParams[k] for k in keys} == before
        assert dict.get(matplotlib.rcParams, "backend") is backend


def test_the_estimates_sheet_says_what_each_share_is_weighted_over(tmp_path):
    from aggregation.estimates import table_estimates

    stratum = Dimension.flat("stratum.group", ["medium", "senior", "top"])
    answer = Dimension.flat("answer", ["yes", "no"])
    table = build_table("by_group", [stratum, answer], {("medium", "yes"): 10, ("medium", "no"): 30,
                                                        ("senior", "yes"): 20, ("senior", "no"): 20,
                                                        ("top", "yes"): 2, ("top", "no"): 9})
    protected = protect([table], Rules()).tables[0]
    estimates = table_estimates(protected, {("medium",): 400, ("senior",): 100, ("top",): 30})
    labels = TableLabels("Antwort nach Gruppe", {"stratum.group": "Gruppe"},
                         {"stratum.group": {"medium": "mittlerer Dienst", "top": "Leitung"}})
    path = write_xlsx([(protected, labels)], tmp_path / "book.xlsx", parameters={}, title="t",
                      estimates=[(e, labels) for e in estimates])
    rows = {(r[1], r[2]): r for r in openpyxl.load_workbook(path)["Schätzungen"].iter_rows(min_row=5, values_only=True)}
    total, medium, top = rows[("Insgesamt", "yes")], rows[("mittlerer Dienst", "yes")], rows[("Leitung", "yes")]
    # The total: "top" has a secret cell, so only the total's own cells carry it.
    assert total[3] is not None and total[11].startswith("ungewichtet (feinere Zellen sind geheim")
    assert medium[3] == 25 and medium[11] == "ungewichtet (eine einzige Schicht)" and medium[12] is None
    assert top[3] is None and top[11] is None and top[12].startswith("nicht veröffentlicht")
