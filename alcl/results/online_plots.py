"""The online protocol's figure: the cumulative error rate over the stream, per learner.

It reads the records the online runs wrote under a folder (:mod:`alcl.results.online_report`:
``alcl run`` and :mod:`experiments.benchmarks.trapezoidal` alike), never live objects: one
panel per data set, the mean over shuffles with a band of ±1 std.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from alcl.results.online_report import pattern_label, read_online_runs
from alcl.results.page import legend_below
from alcl.results.plots import pyplot, save_figure, strategy_style

COLUMN_WIDTH = 3.5  # inches: one column of a two-column paper
SETTLE = 0.05  # the x axis starts after this share of the stream


def plot_error_rates(folder: Path) -> list[Path]:
    """``<folder>/figures/error_rate.{png,pdf}``; nothing (an empty list) if no run is on disk."""
    runs = read_online_runs(folder)
    if not runs:
        return []
    plt = pyplot()
    learners = list(dict.fromkeys(name for by in runs.values() for name in by))
    fig, axes = plt.subplots(
        len(runs), 1, figsize=(COLUMN_WIDTH, 2.1 * len(runs) + 0.9), squeeze=False,
        layout="constrained",
    )  # fmt: skip
    for ax, (dataset, by_learner) in zip(axes[:, 0], sorted(runs.items()), strict=True):
        top = 0.0
        for name, records in by_learner.items():
            at = np.array(records[0]["curve_at"])
            rates = np.array([r["error_rate"] for r in records if r["curve_at"] == list(at)])
            mean = rates.mean(axis=0)
            std = rates.std(axis=0, ddof=1) if len(rates) > 1 else np.zeros_like(mean)
            style = strategy_style(learners.index(name))
            ax.plot(at, mean, color=style["color"], linestyle=style["linestyle"], label=name)
            ax.fill_between(at, mean - std, mean + std, color=style["color"], alpha=0.15, lw=0)
            settled = at >= SETTLE * at[-1]
            top = max(top, float((mean + std)[settled].max()))
        # the first rows' rates swing between 0 and 1; show the stream once it has settled
        ax.set_xlim(SETTLE * at[-1], at[-1])
        ax.set_ylim(0.0, min(1.0, 1.1 * top))
        n = max(len(records) for records in by_learner.values())
        patterns = sorted({pattern_label(r) for rs in by_learner.values() for r in rs})
        shuffles = "1 shuffle" if n == 1 else f"mean ± 1 std of {n} shuffles"
        ax.set_title(f"{dataset}, {', '.join(patterns)}\n{shuffles}")
        ax.set_ylabel("cumulative error rate")
    axes[-1, 0].set_xlabel("instances seen")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    legend_below(fig, handles, labels, ncols=3)
    paths = save_figure(fig, Path(folder), "error_rate")
    plt.close(fig)
    return paths
