"""Demšar's critical-difference diagram: methods' mean ranks over streams, and who ties.

The rank axis runs from 1 (best, left) to k (right). Each method hangs from its mean rank by
an elbow line to its name: the best half to the left, the worst half to the right. A bar
above the axis shows the critical difference (:func:`alcl.results.stats.nemenyi_cd`); thick
bars below it join every maximal group of methods whose mean ranks differ by less than it
(:func:`cliques`), i.e. that the Nemenyi test cannot tell apart.

The figure is laid out in inches (one axes over the whole figure, y pointing down), with the
figure's width fitted to the longest names, so up to a dozen methods never overlap.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

ROW = 0.22
"""Vertical distance between two methods' name lines (inches)."""
CLIQUE_ROW = 0.1
"""Vertical distance between two clique bars (inches)."""
FONT = 10
"""Points. The diagram spans both columns of a paper (names hang on both sides of the axis):
at 7 in wide its text stays at or above 8 pt (the title is a point larger)."""


def cliques(ranks: Sequence[float], cd: float) -> list[tuple[int, ...]]:
    """Maximal groups (≥ 2 methods) whose mean ranks differ pairwise by less than ``cd``.

    Methods are taken in rank order; a group is every method from one method up to the last
    within ``cd`` of it, and groups contained in an earlier (bigger) one are skipped. Each
    group lists method indices (positions in ``ranks``) from the best rank to the worst.
    """
    values = np.asarray(ranks, dtype=float)
    order = np.argsort(values, kind="stable")
    groups: list[tuple[int, ...]] = []
    last_end = -1
    for start in range(order.size):
        end = start
        while end + 1 < order.size and values[order[end + 1]] - values[order[start]] < cd:
            end += 1
        if end > start and end > last_end:
            groups.append(tuple(int(i) for i in order[start : end + 1]))
            last_end = end
    return groups


def _clique_rows(values: np.ndarray, groups: list[tuple[int, ...]], gap: float) -> list[int]:
    """A row for each clique bar: the first row whose bars all end ``gap`` ranks before it."""
    ends: list[float] = []
    rows = []
    for group in groups:
        lo, hi = values[group[0]], values[group[-1]]
        row = next((r for r, end in enumerate(ends) if end + gap < lo), len(ends))
        if row == len(ends):
            ends.append(hi)
        else:
            ends[row] = hi
        rows.append(row)
    return rows


def _label(name: str, rank: float, left: bool) -> str:
    return f"{name}  ({rank:.2f})" if left else f"({rank:.2f})  {name}"


def cd_figure(plt, names: Sequence[str], ranks: Sequence[float], cd: float, title: str = ""):
    """The critical-difference diagram of methods ``names`` with mean ``ranks``; a Figure.

    ``plt`` is pyplot (``alcl.results.plots.pyplot()``); the caller saves the
    figure (``bbox_inches="tight"`` is not needed: the layout already fits the names).
    """
    values = np.asarray(ranks, dtype=float)
    k = values.size
    if len(names) != k:
        raise ValueError(
            f"cd_figure got {len(names)} names and {k} ranks; pass one mean rank per method."
        )
    if k < 2:
        raise ValueError(f"a critical-difference diagram needs at least 2 methods, got {k}.")
    if not math.isfinite(cd) or cd <= 0:
        raise ValueError(f"cd must be a positive number, got {cd}; see stats.nemenyi_cd.")
    order = [int(i) for i in np.argsort(values, kind="stable")]
    n_left = math.ceil(k / 2)
    left, right = order[:n_left], order[n_left:][::-1]  # right: worst first (shortest line)
    groups = cliques(values, cd)

    fig = plt.figure(figsize=(6.0, 3.0))
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    texts = {
        i: ax.text(0, 0, _label(names[i], values[i], i in left), fontsize=FONT, va="center")
        for i in order
    }
    renderer = fig.canvas.get_renderer()

    def width(indices: list[int]) -> float:
        extents = [texts[i].get_window_extent(renderer).width / fig.dpi for i in indices]
        return max(extents, default=0.0)

    margin, gap = 0.15, 0.12
    x0 = margin + width(left) + gap + 0.1  # rank 1
    scale = max(0.5, 4.2 / (k - 1))  # inches per rank unit
    high = max(float(k), 1.0 + cd)
    x1 = x0 + scale * (high - 1.0)  # rank k (or the end of a CD longer than the axis)
    rows = _clique_rows(values, groups, gap=0.15 / scale)  # bars overhang their ends by 0.04 in

    def x(rank: float) -> float:
        return x0 + scale * (rank - 1.0)

    y = 0.15
    if title:
        ax.text((x0 + x1) / 2, y, title, fontsize=FONT + 1, ha="center", va="top")
        y += 0.3
    y_cd = y + 0.25
    y_axis = y_cd + 0.45
    # explicit linestyle: alcl's style cycles solid and dashed lines
    line = {"color": "black", "linestyle": "-", "linewidth": 1.0, "solid_capstyle": "butt"}

    # critical difference, above the axis
    ax.plot([x(1.0), x(1.0 + cd)], [y_cd, y_cd], **line)
    for end in (1.0, 1.0 + cd):
        ax.plot([x(end), x(end)], [y_cd - 0.04, y_cd + 0.04], **line)
    ax.text(x(1.0 + cd / 2), y_cd - 0.07, f"CD = {cd:.2f}", fontsize=FONT, ha="center", va="bottom")

    # rank axis: ticks up, labels above; half ranks as short ticks
    ax.plot([x(1.0), x(float(k))], [y_axis, y_axis], **line)
    for step in range(2 * k - 1):
        rank = 1.0 + step / 2
        length = 0.08 if step % 2 == 0 else 0.04
        ax.plot([x(rank), x(rank)], [y_axis, y_axis - length], **line)
        if step % 2 == 0:
            ax.text(x(rank), y_axis - 0.1, f"{rank:g}", fontsize=FONT, ha="center", va="bottom")

    # cliques: thick bars just below the axis, packed into as few rows as do not overlap
    y_clique = y_axis + 0.12
    for row, group in zip(rows, groups, strict=True):
        yy = y_clique + row * CLIQUE_ROW
        lo, hi = values[group[0]], values[group[-1]]
        ax.plot([x(lo) - 0.04, x(hi) + 0.04], [yy, yy], **{**line, "linewidth": 3.0})

    # methods: elbow lines from the axis to their names
    y_first = y_clique + (max(rows, default=-1) + 1) * CLIQUE_ROW + 0.15
    x_left, x_right = x0 - gap - 0.1, x1 + gap + 0.1
    for side, indices in ((True, left), (False, right)):
        for row, i in enumerate(indices):
            yy = y_first + row * ROW
            end = x_left if side else x_right
            ax.plot([x(values[i]), x(values[i]), end], [y_axis, yy, yy], **line)
            texts[i].set_position((end - 0.05 if side else end + 0.05, yy))
            texts[i].set_horizontalalignment("right" if side else "left")

    fig_w = x_right + 0.05 + width(right) + margin
    fig_h = y_first + (max(len(left), len(right)) - 1) * ROW + 0.25
    fig.set_size_inches(fig_w, fig_h)
    ax.set_xlim(0.0, fig_w)
    ax.set_ylim(fig_h, 0.0)
    return fig
