"""Symbols, legend and labels shared by every release file (CSV, XLSX, charts, JSON).

Symbols follow German official statistics: `.` secret ("Geheimhaltung"), `-` nothing ("nichts
vorhanden", a true zero), and `x` for a table field that cannot hold a number — here a group in
which no codes were issued ("nicht befragt", see `coverage`). Every release carries the legend,
so a symbol is never read as a missing value, and every file uses the same symbols.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .coverage import NOT_SURVEYED
from .protect import ProtectedCell
from .tables import TOTAL

SYMBOLS = {"secret": ".", "nothing": "-", "not_surveyed": "x"}

LANGUAGES = ("de", "en")

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
        "not_surveyed_key": "nicht befragt (x)",
        "not_surveyed": "nicht befragt: in dieser Gruppe wurden keine Codes ausgegeben "
        "(z. B. weil sie kleiner ist als die Mindestgröße einer Schicht); die Null sagt hier nichts",
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
        "Antwortquote (gültige Antworten) %|wenn alle anderen nein %|wenn alle anderen ja %|Gewichtet nach|Hinweis",
        "estimate_note": "Ein Anteil ruht nur auf veröffentlichten Zellen: gewichtet wird nach den feinsten Zellen, "
        "die alle veröffentlicht sind; wo eine feinere Zelle geheim ist, wird zusammengefasst. "
        "Die beiden Zahlen „wenn alle anderen …“ zeigen, was die Gewichtung nicht ausgleichen kann: den Anteil, "
        "wenn alle, die nicht geantwortet haben, nein bzw. ja geantwortet hätten.",
        "not_published": "nicht veröffentlicht (die Zellen dieser Gruppe sind geheim oder zu wenige haben geantwortet)",
        "not_surveyed_estimate": "nicht befragt",
        "unweighted": "ungewichtet (eine einzige Schicht)",
        "unweighted_merged": "ungewichtet (feinere Zellen sind geheim; nur die Zellen der Gruppe selbst sind veröffentlicht)",
        "weighted_by": "{count} Zellen nach {dimensions}",
        "merged": "(zusammengefasst, weil feinere Zellen geheim sind: {cells})",
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
        "not_surveyed_key": "not surveyed (x)",
        "not_surveyed": "not surveyed: no codes were issued in this group (e.g. because it is smaller than the "
        "minimum stratum size); its zero says nothing",
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
        "Response rate (valid answers) %|If all others said no %|If all others said yes %|Weighted by|Note",
        "estimate_note": "A share rests on published cells only: it is weighted by the finest cells that are all "
        "published, merged where a finer cell is secret. The two \"if all others …\" figures show what "
        "weighting cannot fix: the share if everyone who did not answer had said no, or yes.",
        "not_published": "not published (the cells of this group are secret, or too few answered)",
        "not_surveyed_estimate": "not surveyed",
        "unweighted": "unweighted (a single stratum)",
        "unweighted_merged": "unweighted (finer cells are secret; only the group's own cells are published)",
        "weighted_by": "{count} cells by {dimensions}",
        "merged": "(merged because finer cells are secret: {cells})",
    },
}


def text_for(lang: str) -> dict[str, str]:
    if lang not in _TEXT:
        raise ValueError(f"language {lang!r} is not one of {LANGUAGES}")
    return _TEXT[lang]


def legend(lang: str) -> list[tuple[str, str]]:
    """The symbol explanations every release carries, so a `.` is not read as a missing value."""
    text = text_for(lang)
    return [
        (SYMBOLS["secret"], text["secret"]),
        (SYMBOLS["nothing"], text["nothing"]),
        (SYMBOLS["not_surveyed"], text["not_surveyed"]),
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
        return text_for(lang)["total"] if node == TOTAL else node


def published_status(cell: ProtectedCell) -> str:
    """`safe`, `zero`, `secret` or `not_surveyed`: the reason for a suppression is itself
    disclosive, so it stays inside; that a stratum got no codes is public (see `coverage`)."""
    if cell.count is None:
        return "secret"
    if cell.status == NOT_SURVEYED:
        return NOT_SURVEYED
    return "zero" if cell.count == 0 else "safe"


def published_count(cell: ProtectedCell) -> int | None:
    """The count as released: None when secret or not surveyed (a symbol stands there instead)."""
    return None if published_status(cell) in ("secret", NOT_SURVEYED) else cell.count


def display_value(cell: ProtectedCell) -> str:
    """The cell as printed: the count, `.` when secret, `-` when nothing (a true zero), `x` when
    not surveyed."""
    status = published_status(cell)
    if status == "secret":
        return SYMBOLS["secret"]
    if status == NOT_SURVEYED:
        return SYMBOLS["not_surveyed"]
    if cell.count == 0:
        return SYMBOLS["nothing"]
    return str(cell.count)


def symbol(cell: ProtectedCell) -> str:
    """The legend's symbol standing for the cell, or "" when its count is shown."""
    shown = display_value(cell)
    return shown if shown in SYMBOLS.values() else ""
