"""Release charts for reports: grouped horizontal bars, PNG and SVG, the same bytes for the same table.

A chart must not say more than the table, nor less honestly: a secret cell is a gap with the
legend's `.` at the axis — never a bar of some length, which a reader would take for a small
count — a true zero is `-` and a group that was not surveyed `x`, both at the axis too. The
total (the margin over the first dimension) is drawn as the first group, because it is the
figure a reader looks for first; groups and colours read as labels, not codes.

matplotlib is imported inside `write_chart`, so the CSV path works without it.
"""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .protect import ProtectedTable
from .symbols import SYMBOLS, TableLabels, published_count, symbol, text_for
from .tables import TOTAL, Key

# Okabe & Ito (2008): distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")


def write_chart(
    protected: ProtectedTable, labels: TableLabels, path_stem: str | os.PathLike[str], *, lang: str = "de"
) -> tuple[Path, Path]:
    """The table as grouped horizontal bars, `<stem>.png` and `<stem>.svg`, for reports.

    First dimension as groups (its total first, then its leaves), last as bar colours (leaves), a
    middle one as one panel per leaf. A cell with a count is a bar labelled with it; any other
    cell is no bar, only its symbol at the axis (`.` secret, `-` nothing, `x` not surveyed), each
    symbol explained in the legend. In the SVG, bars carry the id `bar…` and the symbols of secret cells `secret…`.
    Uses `Figure` (no pyplot, no global backend) and default style in an rc context, with a fixed
    SVG hash salt and no dates, so the same table gives the same bytes."""
    import matplotlib
    import matplotlib.style
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    text = text_for(lang)
    dims = protected.table.dimensions
    group_dim = dims[0]
    colour_dim = dims[-1] if len(dims) >= 2 else None
    panel_dim = dims[1] if len(dims) == 3 else None
    groups = (TOTAL, *group_dim.leaves)
    colours: Sequence[str | None] = colour_dim.leaves if colour_dim else (None,)
    panels: Sequence[str | None] = panel_dim.leaves if panel_dim else (None,)

    def key(group: str, panel: str | None, colour: str | None) -> Key:
        return (group, *(n for n in (panel, colour) if n is not None))

    drawn = [protected.cells[key(g, p, c)] for g in groups for p in panels for c in colours]
    top = max([published_count(c) or 0 for c in drawn] + [1])
    shown_symbols = {symbol(c) for c in drawn} - {""}

    bars = len(groups) * len(colours)
    panel_height = 0.6 + 0.28 * bars + 0.12 * len(groups)
    legend_rows = math.ceil((len(colours) * (colour_dim is not None) + len(shown_symbols)) / 3)
    height = 0.9 + len(panels) * panel_height + 0.35 * legend_rows
    rc = {"svg.hashsalt": "wir-survey", "svg.fonttype": "path"}
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
                    count = published_count(cell)
                    if count:
                        ax.barh(y, count, height=thickness, color=PALETTE[c % len(PALETTE)], gid="bar")
                        ax.annotate(str(count), (count, y), xytext=(3, 0), textcoords="offset points",
                                    va="center", ha="left", fontsize=8)
                    else:  # a gap: the symbol stands at the axis, where no bar starts
                        mark = symbol(cell)
                        ax.annotate(mark, (0, y), xytext=(3, 0), textcoords="offset points", va="center",
                                    ha="left", fontsize=10, fontweight="bold",
                                    gid="secret" if mark == SYMBOLS["secret"] else None)
            ax.set_yticks(range(len(groups)), [labels.category(group_dim.name, g, lang) for g in groups])
            ax.get_yticklabels()[0].set_fontweight("bold")
            ax.axhline(0.5, color="#9E9E9E", linewidth=0.6)  # the total apart from its parts
            ax.set_ylim(len(groups) - 0.5, -0.5)  # the total on top, then the first category
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
        for name, mark in SYMBOLS.items():
            if mark in shown_symbols:
                handles.append(Line2D([], [], linestyle="none", marker=f"${mark}$", color="black",
                                      label=text[f"{name}_key"]))
        if handles:
            figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 3), frameon=False,
                          title=labels.dimension(colour_dim.name) if colour_dim is not None else None)
        figure.suptitle(labels.title, fontsize=12)
        figure.savefig(png, format="png", dpi=150, metadata={"Software": None})
        figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None})
    return png, svg


__all__ = ["PALETTE", "write_chart"]
