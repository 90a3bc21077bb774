"""Post-strata of an estimate: the finest partition of a population whose cells are all published.

Weighting every leaf stratum by its headcount is best, but one secret cell anywhere would then
withhold every population above it — the whole administration's share included, so that a
release of a small wave published no estimate at all. A population is therefore post-stratified
over the finest partition into strata nodes (boxes: one node of each stratum dimension) whose
cells are all published. Only when even the population's own box is secret is the estimate
withheld.

Which partition is used depends only on which cells are published, and the estimate on those
cells' counts and the boxes' headcounts (sums of leaf headcounts, which are public: they are in
the wave's configuration and the release parameters). So an estimate says nothing the tables do
not already say.

The search: a box is split along one dimension into the children of its node when every child
can itself be partitioned; each child is refined independently, so the result can mix levels
(department cells for most groups, one group whole). "Finest" means the most boxes with people
in them; on a tie a split beats the whole box (its empty parts change nothing, and the leaves
say more plainly what was used), and the first dimension beats later ones. Boxes are memoised, so a table of
6 groups × 20 departments costs a few hundred box checks for all of its populations together.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

from .tables import Dimension, Key

Box = Key
Partition = tuple[Box, ...]


def partition_finder(
    dimensions: Sequence[Dimension],
    usable: Callable[[Box], bool],
    inhabited: Callable[[Box], bool],
) -> Callable[[Box], Partition | None]:
    """A function from a population (one node per dimension) to its finest usable partition.

    `usable(box)`: every cell the estimate would read for the box is published.
    `inhabited(box)`: somebody belongs to the box (headcount > 0); only such boxes count towards
    "finest", so splitting off empty combinations never wins. Returns None when the population's
    own box is not usable: then no partition is."""
    children = [d.children for d in dimensions]
    memo: dict[Box, tuple[Partition, int] | None] = {}

    def best(box: Box) -> tuple[Partition, int] | None:
        if box in memo:
            return memo[box]
        if not usable(box):
            memo[box] = None
            return None
        choice: tuple[Partition, int] = ((box,), int(inhabited(box)))
        whole = True  # on a tie a split wins over the whole box: its empty parts change nothing
        for axis, node in enumerate(box):
            kids = children[axis].get(node)
            if not kids:
                continue
            parts = [best((*box[:axis], kid, *box[axis + 1 :])) for kid in kids]
            if any(part is None for part in parts):
                continue
            weight = sum(part[1] for part in parts if part is not None)
            if weight > choice[1] or whole and weight == choice[1]:
                choice = (tuple(itertools.chain.from_iterable(p[0] for p in parts if p is not None)), weight)
                whole = False
        memo[box] = choice
        return choice

    def finest(population: Box) -> Partition | None:
        if len(population) != len(dimensions):
            raise ValueError(f"population {population!r} needs one node for each of {len(dimensions)} dimensions")
        found = best(tuple(population))
        return None if found is None else found[0]

    return finest


def is_leaf_box(box: Box, dimensions: Sequence[Dimension]) -> bool:
    """Whether every node of the box is a leaf: the box is one stratum of the table."""
    return all(node not in d.children for node, d in zip(box, dimensions))
