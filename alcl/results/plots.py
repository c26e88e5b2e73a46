"""Figures drawn from a results folder alone (never from live objects).

Every figure is saved as PNG and PDF under ``<folder>/figures``, drawn at a paper's
single-column width (:data:`PRINT_WIDTH`) with no text under :data:`MIN_FONT` there. Its first
line (:func:`alcl.results.captions.caption`) names the dataset, the stream kind and grouping, the number of
experiences and how many seeds its numbers come from. Runs of the same strategy with several
seeds are drawn as their mean with ±1 std error bars (the sample std, ddof 1, as in the
tables; ``mean ± std`` in the matrix cells);
with one seed there is no spread to show, and none is drawn. Each strategy keeps one colour,
marker and line style in every figure; lines are shifted a little sideways so that equal
curves stay visible, and a strategy whose curves equal an earlier one's says so in the legend.
Strategies that used the task-label oracle are marked in every legend and title.
"""

from __future__ import annotations

import re
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from alcl.evaluation.record import RunRecord
from alcl.results.captions import caption, legend_label, mixed_seeds, read_grouping
from alcl.results.files import FIGURES_DIR, load_runs
from alcl.results.page import fit_to_page, legend_below
from alcl.results.plots_adaptive import adaptive_figure, exit_depth_figure
from alcl.results.tables import display_name

PRINT_WIDTH = 3.5
"""Width (inches) every figure is drawn at: one column of a two-column paper."""
MIN_FONT = 8.0
"""No text is smaller than this (pt) once a figure is printed at :data:`PRINT_WIDTH`."""
FONT = 8.5
"""The size (pt) of every text; a little above :data:`MIN_FONT`, for a figure that has to be
saved cropped."""
PAD = 0.02
"""Inches of margin around a figure that has to be saved cropped (it could not fit its page)."""
COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
LINESTYLES = ("-", "--", "-.", ":")
FUTURE_GREY = "0.85"
"""The colour of matrix cells R[i][j], j > i: a test set not yet trained on (in no metric)."""


def pyplot():
    """matplotlib's pyplot on the Agg backend, in alcl's figure style (imported on demand)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import cycler

    # Ten colours, solid first and then dashed: up to 20 lines stay distinguishable.
    styles = cycler(linestyle=["-", "--"]) * cycler(color=COLORS)
    plt.rcParams.update(
        {
            "axes.prop_cycle": styles,
            "figure.dpi": 100,
            "savefig.dpi": 200,
            "font.size": FONT,
            "axes.titlesize": FONT,
            "axes.labelsize": FONT,
            "xtick.labelsize": FONT,
            "ytick.labelsize": FONT,
            "legend.fontsize": FONT,
            "figure.titlesize": FONT,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "legend.frameon": False,
        }
    )
    return plt


def strategy_style(index: int) -> dict[str, Any]:
    """Colour, marker and line style of the ``index``-th strategy, the same in every figure."""
    return {
        "color": COLORS[index % len(COLORS)],
        "marker": MARKERS[index % len(MARKERS)],
        "linestyle": LINESTYLES[index // len(COLORS) % len(LINESTYLES)],
    }


# ----------------------------------------------------------------------------- helpers


def _by_strategy(runs: list[RunRecord]) -> dict[str, list[RunRecord]]:
    groups: dict[str, list[RunRecord]] = defaultdict(list)
    for run in runs:
        groups[run.strategy].append(run)
    return dict(groups)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", name)


def _stack(runs: list[RunRecord], get) -> np.ndarray:
    """Rows of ``get(run)`` over seeds, as floats with NaN for missing values."""
    values = [[np.nan if v is None else v for v in get(run)] for run in runs]
    return np.array(values, dtype=float)


def _offsets(n: int) -> np.ndarray:
    """Sideways shifts (in x units) of ``n`` curves on an experience axis: equal ones stay seen."""
    step = min(0.06, 0.3 / max(n, 1))
    return (np.arange(n) - (n - 1) / 2) * step


def _line(ax, x, rows: np.ndarray, label: str, style: dict[str, Any]) -> None:
    """Mean over seeds, with ±1 std error bars when there are several seeds."""
    mean = _nanmean(rows)
    ax.plot(x, mean, label=label, markersize=4, linewidth=1.2, **style)
    if rows.shape[0] > 1:
        std = _nanstd(rows)
        ax.errorbar(x, mean, yerr=std, fmt="none", ecolor=style["color"], elinewidth=0.7, capsize=2)


def _nanmean(rows: np.ndarray) -> np.ndarray:
    """Mean over seeds (axis 0), ignoring NaN; NaN, without a warning, where all are NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(rows, axis=0)


def _nanstd(rows: np.ndarray, axis: int | None = 0) -> np.ndarray:
    """Sample standard deviation over seeds (ddof 1, as in the tables), ignoring NaN."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanstd(rows, axis=axis, ddof=1)


def _same_as(groups: dict[str, list[RunRecord]], keys: tuple[str, ...]) -> dict[str, str]:
    """Strategies whose mean curves ``keys`` equal an earlier strategy's: name -> that one."""
    means = {}
    for name, runs in groups.items():
        if not runs[0].trains_once and all(k in runs[0].curves for k in keys):
            rows = [_stack(runs, lambda r, k=k: r.curves[k]) for k in keys]
            means[name] = np.concatenate([_nanmean(r) for r in rows])
    same = {}
    names = list(means)
    for i, name in enumerate(names):
        for earlier in names[:i]:
            a, b = means[name], means[earlier]
            if a.shape == b.shape and np.allclose(a, b, atol=1e-9, equal_nan=True):
                same[name] = earlier
                break
    return same


def save_figure(fig, folder: Path, name: str) -> list[Path]:
    """Save ``fig`` as ``<folder>/figures/<name>.png`` and ``.pdf``, each written atomically,
    at exactly its drawn size once it fits that page (:func:`alcl.results.page.fit_to_page`);
    a drawing that still cannot fit is cropped to its extent, with a warning."""
    out = folder / FIGURES_DIR
    out.mkdir(parents=True, exist_ok=True)
    overflow = fit_to_page(fig)
    crop = {}
    if overflow > 0.0:
        warnings.warn(
            f"figure {name} reaches {overflow:.2f} in past its page; saved cropped to its "
            "drawing, so it prints smaller than drawn",
            stacklevel=2,
        )
        crop = {"bbox_inches": "tight", "pad_inches": PAD}
    paths = []
    for ext in ("png", "pdf"):
        path = out / f"{name}.{ext}"
        tmp = out / f".{name}.tmp.{ext}"
        fig.savefig(tmp, **crop)
        tmp.replace(path)
        paths.append(path)
    return paths


def _legend_rows(n: int, ncols: int = 2) -> int:
    return -(-n // ncols)


def _figure(plt, n_rows: int, panel_height: float, n_legend: int, ncols: int = 2, **kw):
    """A single-column figure of ``n_rows`` stacked panels with room for a legend below."""
    height = n_rows * panel_height + 0.45 + 0.17 * _legend_rows(n_legend, ncols)
    return plt.subplots(
        n_rows, 1, figsize=(PRINT_WIDTH, height), layout="constrained", squeeze=False, **kw
    )


def _legend_below(fig, ax, ncols: int = 2) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        legend_below(fig, handles, labels, ncols, handlelength=2.6)


def _experiments_axis(ax, n: int, label: bool = True, first: int = 1) -> np.ndarray:
    x = np.arange(first, n + 1)
    ax.set_xticks(x)
    ax.set_xlim(first - 0.3, n + 0.3)
    if label:
        ax.set_xlabel("after experience")
    return x


# ----------------------------------------------------------------------------- figures


def _mixed(groups: dict[str, list[RunRecord]]) -> bool:
    return mixed_seeds([r for runs in groups.values() for r in runs])


def _curve_figure(plt, groups, n_exp: int, panels, ylabel: str, text: str, forgetting: bool):
    """Stacked panels of per-experience curves, one line per strategy (shared by two figures).

    ``forgetting``: curves from the second experience on, and no offline bound.
    """
    keys = tuple(key for key, _ in panels)
    same = _same_as(groups, keys)
    mixed = _mixed(groups)
    fig, axes = _figure(plt, len(panels), 1.7, len(groups), sharex=True)
    continual = [name for name, runs in groups.items() if not runs[0].trains_once]
    shifts = dict(zip(continual, _offsets(len(continual)), strict=True))
    for ax, (key, title) in zip(axes[:, 0], panels, strict=True):
        first = 2 if forgetting else 1  # forgetting after the first experience is 0
        x = _experiments_axis(ax, n_exp, label=ax is axes[-1, 0], first=first)
        for index, (name, runs) in enumerate(groups.items()):
            label = legend_label(name, runs, mixed) + (f" (= {same[name]})" if name in same else "")
            if key not in runs[0].curves or (forgetting and runs[0].trains_once):
                continue
            rows = _stack(runs, lambda r, k=key: r.curves[k])
            if runs[0].trains_once:
                _offline(ax, rows, label)
            else:
                x_shift = x + shifts[name]
                _line(ax, x_shift, rows[:, first - 1 :], label, strategy_style(index))
        ax.set_title(title)
        ax.set_ylabel(ylabel)
    fig.suptitle(text)
    _legend_below(fig, axes[0, 0])
    return fig


def _offline(ax, rows: np.ndarray, label: str) -> None:
    """An offline bound (trained once on everything): a grey dashed level, ±1 std shaded."""
    mean = float(np.nanmean(rows))
    ax.axhline(mean, linestyle=(0, (4, 2)), color="0.35", linewidth=1.0, label=label)
    if rows.shape[0] > 1:
        std = float(_nanstd(rows, axis=None))
        ax.axhspan(mean - std, mean + std, color="0.5", alpha=0.1, linewidth=0)


def accuracy_figure(plt, groups: dict[str, list[RunRecord]], n_exp: int, text: str):
    """Average accuracy as released and with the current features, after every experience."""
    panels = (
        ("avg_accuracy", "as released: average accuracy"),
        ("current_accuracy", "current features: average accuracy"),
    )
    return _curve_figure(plt, groups, n_exp, panels, "accuracy", text, forgetting=False)


def forgetting_figure(plt, groups: dict[str, list[RunRecord]], n_exp: int, text: str):
    """Forgetting (Avalanche's) and max forgetting as released, from the second experience."""
    panels = (
        ("forgetting", "forgetting (Avalanche's; = −BWT)"),
        ("max_forgetting", "max forgetting (best earlier − now)"),
    )
    return _curve_figure(plt, groups, n_exp, panels, "forgetting", text, forgetting=True)


def exits_figure(plt, groups: dict[str, list[RunRecord]], text: str):
    """Test accuracy of every exit of every network with exits, after every experience."""
    al = {name: runs for name, runs in groups.items() if runs[0].al is not None}
    n_exp = max(len(runs[0].al.exit_accuracy) for runs in al.values())
    fig, axes = _figure(plt, len(al), 1.8, n_exp)
    later = plt.get_cmap("viridis").resampled(
        256
    )  # experiences in order, dark to light (not yellow)
    for ax, (name, runs) in zip(axes[:, 0], al.items(), strict=True):
        n = len(runs[0].al.exit_accuracy)
        for i, shift in zip(range(n), _offsets(n), strict=True):
            rows = _stack(runs, lambda r, i=i: r.al.exit_accuracy[i])
            depths = np.arange(1, rows.shape[1] + 1) + shift
            style = {**strategy_style(i), "color": later(0.85 * i / max(n - 1, 1))}
            _line(ax, depths, rows, f"after exp. {i + 1}", style)
        ax.set_xlabel("exit (block depth)")
        ax.set_ylabel("test accuracy\n(current features)")
        ax.set_title(f"{display_name(name, runs[0].task_oracle)}: accuracy of every exit")
        ax.set_xticks(np.arange(1, n + 1))
    fig.suptitle(text)
    _legend_below(fig, axes[-1, 0])
    return fig


def answer_exits_figure(plt, groups: dict[str, list[RunRecord]], text: str):
    """The exit that answers each feature set after the last experience (``answer:
    best_valid``), counted over seeds, against the full path's (the diagonal)."""
    chose = {n: runs for n, runs in groups.items() if runs[0].al and runs[0].al.answer_exits}
    fig, axes = _figure(plt, len(chose), 2.0, 2)
    for ax, (name, runs) in zip(axes[:, 0], chose.items(), strict=True):
        tables = [r.al.answer_exits[-1] for r in runs]
        depth = max(len(t) for t in tables)
        d = np.arange(1, depth + 1)
        ax.plot(d, d, linestyle="--", color="0.6", label="full path (exit = block)")
        counts: dict[tuple[int, int], int] = {}
        for table in tables:
            for block, exit_ in enumerate(table, start=1):
                counts[block, exit_] = counts.get((block, exit_), 0) + 1
        cells = [(b, e, n) for (b, e), n in counts.items()]
        xs, ys, ns = (np.array(v) for v in zip(*cells, strict=True))
        ax.scatter(xs, ys, s=25 + 175 * ns / len(tables), color="C0", alpha=0.7,
                   label="chosen on validation (area: seeds)")  # fmt: skip
        for x, y, n in zip(xs, ys, ns, strict=True):
            ax.annotate(str(n), (x, y), textcoords="offset points", xytext=(7, -3))
        ax.set_xticks(d)
        ax.set_yticks(d)
        ax.set_xlabel("feature set (deepest block its rows reach)")
        ax.set_ylabel("answering exit")
        ax.set_title(f"{display_name(name, runs[0].task_oracle)}: exit per feature set")
    fig.suptitle(text)
    _legend_below(fig, axes[-1, 0], ncols=1)
    return fig


def _future(runs: list[RunRecord], shape: tuple[int, int]) -> np.ndarray:
    """True for R[i][j], j > i: experience j's test set before training on it (in no metric)."""
    if runs[0].trains_once:
        return np.zeros(shape, dtype=bool)
    return np.triu(np.ones(shape, dtype=bool), k=1)


def matrix_spread(n_cols: int) -> bool:
    """Whether matrix cells have room for a ``±std`` line (up to 6 test sets)."""
    return n_cols <= 6


def _cell_text(mean: float, std: float | None, n_cols: int) -> str:
    """A cell's ``mean`` (and ``±std``), with fewer digits as cells get narrower."""
    digits = 3 if n_cols <= 4 else 2
    text = f"{mean:.{digits}f}"
    if std is not None and matrix_spread(n_cols):
        return text + f"\n±{std:.{digits}f}"
    return text if n_cols <= 6 else text.removeprefix("0")


def matrix_figure(plt, name: str, runs: list[RunRecord], text: str):
    """The as-released accuracy matrix R of one strategy: mean (colour) and mean ± std (text).

    Cells R[i][j] with j > i (a test set not yet trained on) are grey and empty: no metric
    reads them. Past 8 experiences the cells hold no numbers (the colour bar reads them).
    """
    rows = np.array([r.accuracy_matrix for r in runs], dtype=float)
    mean = rows.mean(axis=0)
    std = rows.std(axis=0, ddof=1) if len(runs) > 1 else np.zeros_like(mean)
    n_rows, n_cols = mean.shape
    future = _future(runs, mean.shape)
    side = min(0.42, 2.4 / n_cols)
    fig, ax = plt.subplots(figsize=(PRINT_WIDTH, side * n_rows + 1.5), layout="constrained")
    cmap = plt.get_cmap("viridis").with_extremes(bad=FUTURE_GREY)
    image = ax.imshow(
        np.ma.masked_array(mean, future), vmin=0.0, vmax=1.0, cmap=cmap, aspect="auto"
    )
    for i in range(n_rows):
        for j in range(n_cols):
            if future[i, j] or n_cols > 8:
                continue
            cell = _cell_text(mean[i, j], std[i, j] if len(runs) > 1 else None, n_cols)
            color = "black" if mean[i, j] > 0.6 else "white"
            ax.text(j, i, cell, ha="center", va="center", fontsize=FONT, color=color)
    ax.set_xticks(range(n_cols), [str(j + 1) for j in range(n_cols)])
    labels = ["offline"] if runs[0].trains_once else [str(i + 1) for i in range(n_rows)]
    ax.set_yticks(range(n_rows), labels)
    note = "\n(grey: not yet trained on, in no metric)" if future.any() else ""
    ax.set_xlabel("test set of experience" + note)
    ax.set_ylabel("after training\nexperience")
    ax.grid(False)
    ax.set_title(f"{display_name(name, runs[0].task_oracle)}: accuracy as released")
    fig.suptitle(text)
    fig.colorbar(image, ax=ax, fraction=0.06, pad=0.03, label="accuracy")
    return fig


def _log_ticks(low: float, high: float) -> list[float]:
    """Readable ticks from ``low`` to ``high`` on a log axis: 1-2-5 steps, or 1-9 if too few."""
    decades = range(int(np.floor(np.log10(low))) - 1, int(np.ceil(np.log10(high))) + 1)
    for steps in ((1, 2, 5), (1, 2, 3, 5, 7), tuple(range(1, 10))):
        ticks = [s * 10.0**d for d in decades for s in steps if low <= s * 10.0**d <= high]
        if len(ticks) >= 4:
            return ticks
    return ticks


def accuracy_time_figure(plt, groups: dict[str, list[RunRecord]], text: str):
    """Final as-released average accuracy against training time, one point per strategy.

    Hollow markers: the offline Joint bound, and strategies using the task-label oracle.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    mixed = _mixed(groups)
    fig, axes = _figure(plt, 1, 2.6, len(groups))
    ax = axes[0, 0]
    spans = []
    for index, (name, runs) in enumerate(groups.items()):
        acc = np.array([r.final["avg_accuracy"] for r in runs], dtype=float)
        seconds = np.array([sum(r.train_seconds) for r in runs], dtype=float)
        spans += [seconds.min(), seconds.max()]
        style = strategy_style(index)
        hollow = runs[0].trains_once or runs[0].task_oracle
        point = (seconds.mean(), acc.mean())
        mfc = "none" if hollow else style["color"]
        marker = {"marker": style["marker"], "color": style["color"], "markersize": 5}
        ax.plot(*point, linestyle="none", mfc=mfc, label=legend_label(name, runs, mixed), **marker)
        if len(runs) > 1:
            ax.errorbar(
                *point,
                xerr=seconds.std(ddof=1),
                yerr=acc.std(ddof=1),
                fmt="none",
                ecolor=style["color"],
                capsize=2,
                elinewidth=0.8,
            )
    ax.set_xscale("log")
    low, high = min(spans) / 1.3, max(spans) * 1.3
    ax.set_xlim(low, high)
    ax.xaxis.set_major_locator(FixedLocator(_log_ticks(low, high)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("training time over all experiences (s, log scale)")
    ax.set_ylabel("final average accuracy\n(as released)")
    fig.suptitle(text)
    _legend_below(fig, ax)
    return fig


# ----------------------------------------------------------------------------- all


def _matrix_caption(runs: list[RunRecord], grouping: str | None) -> str:
    n_cols = len(runs[0].accuracy_matrix[0])
    return caption(runs, grouping, spread=matrix_spread(n_cols), n_experiences=n_cols)


def figures(folder: str | Path, plt, part: int = 0, parts: int = 1) -> Iterator[tuple[str, Any]]:
    """Every figure the results in ``folder`` support, as (file name, Figure), drawn one at a
    time (the caller saves and closes each before the next is drawn). With ``parts`` > 1,
    only every ``parts``-th figure from number ``part`` on: the share of one of ``parts``
    processes drawing together."""
    folder = Path(folder)
    runs = load_runs(folder)
    if not runs:
        raise FileNotFoundError(f"{folder} holds no finished runs to plot.")
    grouping = read_grouping(folder)
    groups = _by_strategy(runs)
    n_exp = max(r.n_experiences for r in runs)
    text = caption(runs, grouping)
    adaptive = {
        name: group
        for name, group in groups.items()
        if all(r.al is not None and r.al.adaptive is not None for r in group)
    }
    means = (
        caption([r for g in adaptive.values() for r in g], grouping, spread=False)
        if adaptive
        else ""
    )
    draws: dict[str, Callable[[], Any]] = {
        "accuracy": lambda: accuracy_figure(plt, groups, n_exp, text),
        "forgetting": lambda: forgetting_figure(plt, groups, n_exp, text) if n_exp > 1 else None,
        "al_exits": lambda: (
            exits_figure(plt, groups, text) if any(r.al is not None for r in runs) else None
        ),
        "adaptive": lambda: adaptive_figure(plt, adaptive, caption=means) if adaptive else None,
        "exit_depths": lambda: (
            exit_depth_figure(plt, adaptive, caption=means) if adaptive else None
        ),
        "accuracy_vs_time": lambda: accuracy_time_figure(plt, groups, text),
        "answer_exits": lambda: (
            answer_exits_figure(plt, groups, text)
            if any(r.al is not None and r.al.answer_exits for r in runs)
            else None
        ),
    }
    for name, group in groups.items():
        draws[f"matrix_{_safe(name)}"] = lambda name=name, group=group: matrix_figure(
            plt, name, group, _matrix_caption(group, grouping)
        )
    for number, (name, draw) in enumerate(draws.items()):
        if number % parts != part:
            continue
        fig = draw()
        if fig is not None:
            yield name, fig


def draw_all(folder: str | Path, part: int = 0, parts: int = 1) -> list[Path]:
    """Draw every figure the results in ``folder`` support (with ``parts`` > 1, this
    process's share, see :func:`figures`); return the written files."""
    folder = Path(folder)
    plt = pyplot()
    written = []
    for name, fig in figures(folder, plt, part, parts):
        written += save_figure(fig, folder, name)
        plt.close(fig)
    return written
