"""Figures drawn from a results folder alone (never from live objects).

Every figure is saved as PNG and PDF under ``<folder>/figures``. Runs of the
same strategy with different seeds are drawn as their mean with a ±1 std band
(error bars in the comparison figure, ``mean ± std`` in the matrix cells).
Strategies that used the task-label oracle are marked in every legend and title.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import numpy as np

from alcl.evaluation.record import RunRecord
from alcl.results.files import FIGURES_DIR, load_runs
from alcl.results.plots_adaptive import adaptive_figure, exit_depth_figure
from alcl.results.tables import display_name


def pyplot():
    """matplotlib's pyplot on the Agg backend, in alcl's figure style (imported on demand)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import cycler

    # Ten colours, solid first and then dashed: up to 20 strategies stay distinguishable.
    styles = cycler(linestyle=["-", "--"]) * cycler(color=plt.get_cmap("tab10").colors)
    plt.rcParams.update(
        {
            "axes.prop_cycle": styles,
            "figure.dpi": 100,
            "savefig.dpi": 200,
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "legend.frameon": False,
        }
    )
    return plt


def _by_strategy(runs: list[RunRecord]) -> dict[str, list[RunRecord]]:
    groups: dict[str, list[RunRecord]] = defaultdict(list)
    for run in runs:
        groups[run.strategy].append(run)
    return dict(groups)


def _name(name: str, runs: list[RunRecord]) -> str:
    return display_name(name, runs[0].task_oracle)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", name)


def _stack(runs: list[RunRecord], get) -> np.ndarray:
    """Rows of ``get(run)`` over seeds, as floats with NaN for missing values."""
    values = [[np.nan if v is None else v for v in get(run)] for run in runs]
    return np.array(values, dtype=float)


def _line(ax, x, rows: np.ndarray, label: str, **style) -> None:
    mean = np.nanmean(rows, axis=0)
    line = ax.plot(x, mean, marker="o", markersize=4, label=label, **style)[0]
    if rows.shape[0] > 1:
        std = np.nanstd(rows, axis=0)
        ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2, linewidth=0)


def save_figure(fig, folder: Path, name: str) -> list[Path]:
    """Save ``fig`` as ``<folder>/figures/<name>.png`` and ``.pdf``, each written atomically."""
    out = folder / FIGURES_DIR
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "pdf"):
        path = out / f"{name}.{ext}"
        tmp = out / f".{name}.tmp.{ext}"
        fig.savefig(tmp, bbox_inches="tight")
        tmp.replace(path)
        paths.append(path)
    return paths


def _height(groups) -> float:
    """Figure height that leaves room for one legend line per strategy."""
    return max(3.4, 0.2 * len(groups) + 0.6)


def _experiments_axis(ax, n: int) -> np.ndarray:
    x = np.arange(1, n + 1)
    ax.set_xticks(x)
    ax.set_xlabel("after experience")
    return x


def accuracy_figure(plt, groups, n_exp: int):
    fig, axes = plt.subplots(1, 2, figsize=(9, _height(groups)), sharey=True)
    panels = (
        ("avg_accuracy", "as released: average accuracy"),
        ("current_accuracy", "current features"),
    )
    for ax, (key, title) in zip(axes, panels, strict=True):
        x = _experiments_axis(ax, n_exp)
        for name, runs in groups.items():
            rows = _stack(runs, lambda r, k=key: r.curves[k])
            if runs[0].trains_once:
                mean, std = np.nanmean(rows), np.nanstd(rows)
                ax.axhline(
                    mean, linestyle="--", color="0.4", label=f"{_name(name, runs)} (offline)"
                )
                if len(runs) > 1:
                    ax.axhspan(mean - std, mean + std, color="0.4", alpha=0.12, linewidth=0)
            else:
                _line(ax, x, rows, _name(name, runs))
        ax.set_title(title)
    axes[0].set_ylabel("accuracy")
    axes[1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    return fig


def forgetting_figure(plt, groups, n_exp: int):
    fig, axes = plt.subplots(1, 2, figsize=(9, _height(groups)), sharey=True)
    panels = (
        ("forgetting", "forgetting (Avalanche's; = -BWT)"),
        ("max_forgetting", "max forgetting (best earlier − now)"),
    )
    for ax, (key, title) in zip(axes, panels, strict=True):
        x = _experiments_axis(ax, n_exp)
        for name, runs in groups.items():
            if not runs[0].trains_once and key in runs[0].curves:
                rows = _stack(runs, lambda r, k=key: r.curves[k])[:, 1:]
                _line(ax, x[1:], rows, _name(name, runs))
        ax.set_title(title)
        ax.set_xlim(0.8, n_exp + 0.2)
    axes[0].set_ylabel("forgetting (as released)")
    axes[1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    return fig


def exits_figure(plt, groups):
    al = {name: runs for name, runs in groups.items() if runs[0].al is not None}
    fig, axes = plt.subplots(1, len(al), figsize=(4.6 * len(al), 3.4), squeeze=False)
    for ax, (name, runs) in zip(axes[0], al.items(), strict=True):
        n_exp = len(runs[0].al.exit_accuracy)
        for i in range(n_exp):
            rows = _stack(runs, lambda r, i=i: r.al.exit_accuracy[i])
            _line(ax, np.arange(1, rows.shape[1] + 1), rows, f"after exp. {i + 1}")
        ax.set_xlabel("exit (block depth)")
        ax.set_title(f"{_name(name, runs)}: accuracy of every exit")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0][0].set_ylabel("test accuracy (current features)")
    axes[0][-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


def matrix_figure(plt, name: str, runs: list[RunRecord]):
    """The as-released accuracy matrix R of one strategy: mean (colour) and mean ± std (text)."""
    rows = np.array([r.accuracy_matrix for r in runs], dtype=float)
    mean, std = rows.mean(axis=0), rows.std(axis=0)
    n_rows, n_cols = mean.shape
    fig, ax = plt.subplots(figsize=(1.1 * n_cols + 1.8, 0.8 * n_rows + 1.4))
    image = ax.imshow(mean, vmin=0.0, vmax=1.0, cmap="viridis", aspect="auto")
    for i in range(n_rows):
        for j in range(n_cols):
            text = f"{mean[i, j]:.3f}" + (f"\n±{std[i, j]:.3f}" if len(runs) > 1 else "")
            color = "black" if mean[i, j] > 0.6 else "white"
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color=color)
    ax.set_xticks(range(n_cols), [str(j + 1) for j in range(n_cols)])
    labels = ["offline"] if runs[0].trains_once else [str(i + 1) for i in range(n_rows)]
    ax.set_yticks(range(n_rows), labels)
    ax.set_xlabel("test set of experience")
    ax.set_ylabel("after training experience")
    ax.grid(False)
    seeds = f"{len(runs)} seed{'s' if len(runs) > 1 else ''}"
    ax.set_title(f"{_name(name, runs)}: accuracy as released ({seeds})", fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.05, pad=0.03)
    return fig


def accuracy_time_figure(plt, groups):
    """Final as-released average accuracy against training time, one point per strategy.

    Hollow markers: the offline Joint bound, and strategies using the task-label oracle.
    """
    fig, ax = plt.subplots(figsize=(7.4, 4.2))
    colors = plt.get_cmap("tab10").colors
    for index, (name, runs) in enumerate(groups.items()):
        acc = np.array([r.final["avg_accuracy"] for r in runs], dtype=float)
        seconds = np.array([sum(r.train_seconds) for r in runs], dtype=float)
        hollow = runs[0].trains_once or runs[0].task_oracle
        color = colors[index % len(colors)]
        ax.errorbar(
            seconds.mean(),
            acc.mean(),
            xerr=seconds.std(),
            yerr=acc.std(),
            fmt="o^s"[index // len(colors) % 3],
            color=color,
            mfc="none" if hollow else color,
            markersize=6,
            capsize=2,
            linewidth=1,
            label=_name(name, runs) + (" (offline)" if runs[0].trains_once else ""),
        )
    ax.set_xscale("log")
    plain = plt.FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.set_xlabel("training time, summed over experiences (s, log scale)")
    ax.set_ylabel("final average accuracy (as released)")
    n_seeds = max(len(runs) for runs in groups.values())
    ax.set_title(f"mean ± std over {n_seeds} seed{'s' if n_seeds > 1 else ''}", fontsize=9)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    return fig


def draw_all(folder: str | Path) -> list[Path]:
    """Draw every figure the results in ``folder`` support; return the written files."""
    folder = Path(folder)
    runs = load_runs(folder)
    if not runs:
        raise FileNotFoundError(f"{folder} holds no finished runs to plot.")
    plt = pyplot()
    groups = _by_strategy(runs)
    n_exp = max(r.n_experiences for r in runs)
    adaptive = {
        name: group
        for name, group in groups.items()
        if all(r.al is not None and r.al.adaptive is not None for r in group)
    }
    # Each figure is drawn, saved and closed in turn, so only one is open at a time.
    figures = {
        "accuracy": lambda: accuracy_figure(plt, groups, n_exp),
        "forgetting": lambda: forgetting_figure(plt, groups, n_exp) if n_exp > 1 else None,
        "al_exits": lambda: (
            exits_figure(plt, groups) if any(r.al is not None for r in runs) else None
        ),
        "adaptive": lambda: adaptive_figure(plt, adaptive) if adaptive else None,
        "exit_depths": lambda: exit_depth_figure(plt, adaptive) if adaptive else None,
        "accuracy_vs_time": lambda: accuracy_time_figure(plt, groups),
    }
    for name, group in groups.items():
        figures[f"matrix_{_safe(name)}"] = lambda name=name, group=group: matrix_figure(
            plt, name, group
        )
    written = []
    for name, draw in figures.items():
        fig = draw()
        if fig is not None:
            written += save_figure(fig, folder, name)
            plt.close(fig)
    return written
