"""Figures drawn from a results folder alone (never from live objects).

Every figure is saved as PNG and PDF under ``<folder>/figures``. Runs of the
same strategy with different seeds are drawn as their mean with a ±1 std band.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from alcl.plots_adaptive import adaptive_figure, exit_depth_figure
from alcl.results import FIGURES_DIR, load_runs


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
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


def _by_strategy(runs: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        groups[run["strategy"]].append(run)
    return dict(groups)


def _stack(runs: list[dict[str, Any]], get) -> np.ndarray:
    """Rows of ``get(run)`` over seeds, as floats with NaN for missing values."""
    values = [[np.nan if v is None else v for v in get(run)] for run in runs]
    return np.array(values, dtype=float)


def _line(ax, x, rows: np.ndarray, label: str, **style) -> None:
    mean = np.nanmean(rows, axis=0)
    line = ax.plot(x, mean, marker="o", markersize=4, label=label, **style)[0]
    if rows.shape[0] > 1:
        std = np.nanstd(rows, axis=0)
        ax.fill_between(x, mean - std, mean + std, color=line.get_color(), alpha=0.2, linewidth=0)


def _save(fig, folder: Path, name: str) -> list[Path]:
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


def _experiments_axis(ax, n: int) -> np.ndarray:
    x = np.arange(1, n + 1)
    ax.set_xticks(x)
    ax.set_xlabel("after experience")
    return x


def accuracy_figure(plt, groups, n_exp: int):
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    panels = (
        ("avg_accuracy", "as released: average accuracy"),
        ("current_accuracy", "current features"),
    )
    for ax, (key, title) in zip(axes, panels, strict=True):
        x = _experiments_axis(ax, n_exp)
        for name, runs in groups.items():
            rows = _stack(runs, lambda r, k=key: r["curves"][k])
            if runs[0]["trains_once"]:
                ax.axhline(np.nanmean(rows), linestyle="--", color="0.4", label=f"{name} (offline)")
            else:
                _line(ax, x, rows, name)
        ax.set_title(title)
    axes[0].set_ylabel("accuracy")
    axes[1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


def forgetting_figure(plt, groups, n_exp: int):
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    x = _experiments_axis(ax, n_exp)
    for name, runs in groups.items():
        if not runs[0]["trains_once"]:
            _line(ax, x[1:], _stack(runs, lambda r: r["curves"]["forgetting"])[:, 1:], name)
    ax.set_ylabel("forgetting (as released)")
    ax.set_xlim(0.8, n_exp + 0.2)
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


def exits_figure(plt, groups):
    al = {name: runs for name, runs in groups.items() if "al" in runs[0]}
    fig, axes = plt.subplots(1, len(al), figsize=(4.6 * len(al), 3.4), squeeze=False)
    for ax, (name, runs) in zip(axes[0], al.items(), strict=True):
        n_exp = len(runs[0]["al"]["exit_accuracy"])
        for i in range(n_exp):
            rows = _stack(runs, lambda r, i=i: r["al"]["exit_accuracy"][i])
            _line(ax, np.arange(1, rows.shape[1] + 1), rows, f"after exp. {i + 1}")
        ax.set_xlabel("exit (block depth)")
        ax.set_title(f"{name}: accuracy of every exit")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0][0].set_ylabel("test accuracy (current features)")
    axes[0][-1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
    return fig


def draw_all(folder: str | Path) -> list[Path]:
    """Draw every figure the results in ``folder`` support; return the written files."""
    folder = Path(folder)
    runs = load_runs(folder)
    if not runs:
        raise FileNotFoundError(f"{folder} holds no finished runs to plot.")
    plt = _pyplot()
    groups = _by_strategy(runs)
    n_exp = max(r["stream"]["n_experiences"] for r in runs)
    adaptive = {
        name: group
        for name, group in groups.items()
        if all("adaptive" in r.get("al", {}) for r in group)
    }
    figures = {
        "accuracy": accuracy_figure(plt, groups, n_exp),
        "forgetting": forgetting_figure(plt, groups, n_exp) if n_exp > 1 else None,
        "al_exits": exits_figure(plt, groups) if any("al" in r for r in runs) else None,
        "adaptive": adaptive_figure(plt, adaptive) if adaptive else None,
        "exit_depths": exit_depth_figure(plt, adaptive) if adaptive else None,
    }
    written = []
    for name, fig in figures.items():
        if fig is not None:
            written += _save(fig, folder, name)
            plt.close(fig)
    return written
