"""Figures of AL's adaptive inference, drawn from the results files alone.

- ``adaptive``: test accuracy against mean FLOPs per sample and against
  wall-clock seconds per sample, one point per threshold, with every
  shortcut depth, the full path and the threshold chosen on validation marked;
- ``exit_depths``: how many test samples leave at each depth under the
  chosen threshold.

Runs of the same strategy with several seeds are averaged point by point.
:func:`alcl.results.plots.draw_all` calls these for every run that has ``al.adaptive``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from alcl.evaluation.record import RunRecord


def _mean(values: list[Any]) -> float:
    present = [float(v) for v in values if v is not None]
    return float(np.mean(present)) if present else float("nan")


def _shortcuts(runs: list[RunRecord]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Accuracy, FLOPs and seconds per sample of every shortcut depth (mean over seeds)."""
    acc = np.mean([r.al.exit_accuracy[-1] for r in runs], axis=0)
    flops = np.mean([r.al.compute["flops_per_sample"]["shortcut"] for r in runs], axis=0)
    seconds = np.full(len(acc), np.nan)
    latencies = [r.al.compute.get("latency") for r in runs]
    if all(latencies):
        seconds = np.mean(
            [np.array(lat["shortcut_seconds_per_batch"]) / lat["batch_size"] for lat in latencies],
            axis=0,
        )
    return acc, flops, seconds


def _panel(ax, x, acc, shortcut_x, shortcut_acc, full, chosen, color, name) -> None:
    ax.plot(x, acc, marker="o", markersize=3, color=color, label=f"{name}: thresholds")
    ax.plot(
        shortcut_x,
        shortcut_acc,
        linestyle="none",
        marker="s",
        markerfacecolor="none",
        color=color,
        label=f"{name}: shortcut depths",
    )
    for depth, (sx, sy) in enumerate(zip(shortcut_x, shortcut_acc, strict=True), start=1):
        ax.annotate(str(depth), (sx, sy), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.plot(
        *full, marker="*", markersize=11, linestyle="none", color=color, label=f"{name}: full path"
    )
    ax.plot(
        *chosen,
        marker="o",
        markersize=11,
        markerfacecolor="none",
        linestyle="none",
        color="black",
        label=f"{name}: chosen on validation",
    )


def adaptive_figure(plt, groups: dict[str, list[RunRecord]]):
    """Accuracy against FLOPs and against latency, one point per threshold.

    Runs that measured no latency (``adaptive.latency_repeats: 0``) get the compute
    panel alone rather than an empty latency panel.
    """
    from matplotlib.ticker import EngFormatter

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    timed = False
    for i, (name, runs) in enumerate(groups.items()):
        color = colors[i % len(colors)]
        tests = [r.al.adaptive["test"] for r in runs]
        picks = [r.al.adaptive["test_at_threshold"] for r in runs]
        acc = np.mean([t["accuracy"] for t in tests], axis=0)
        flops = np.mean([t["mean_flops"] for t in tests], axis=0)
        seconds = np.array(
            [_mean([t["seconds_per_sample"][k] for t in tests]) for k in range(len(acc))]
        )
        full_acc = _mean([t["full_path"]["accuracy"] for t in tests])
        full_flops = _mean([t["full_path"]["mean_flops"] for t in tests])
        full_seconds = _mean([t["full_path"]["seconds_per_sample"] for t in tests])
        pick_acc = _mean([p["accuracy"] for p in picks])
        s_acc, s_flops, s_seconds = _shortcuts(runs)
        timed |= bool(np.isfinite(seconds).any())
        _panel(
            left,
            flops,
            acc,
            s_flops,
            s_acc,
            (full_flops, full_acc),
            (_mean([p["mean_flops"] for p in picks]), pick_acc),
            color,
            name,
        )
        _panel(
            right,
            seconds * 1e6,
            acc,
            s_seconds * 1e6,
            s_acc,
            (full_seconds * 1e6, full_acc),
            (_mean([p["seconds_per_sample"] for p in picks]) * 1e6, pick_acc),
            color,
            name,
        )
    batch = next(iter(groups.values()))[0].al.adaptive["test"]["batch_size"]
    left.xaxis.set_major_formatter(EngFormatter())
    left.set_xlabel("mean FLOPs per sample (FlopCounterMode)")
    left.set_ylabel("test accuracy (current features)")
    left.set_title("accuracy vs compute")
    if not timed:
        fig.delaxes(right)
        fig.set_size_inches(7, 3.8)
        left.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
        return fig
    right.set_xlabel(f"wall-clock µs per sample (batches of {batch})")
    right.set_title("accuracy vs latency")
    right.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), fontsize=8)
    return fig


def exit_depth_figure(plt, groups: dict[str, list[RunRecord]]):
    """Share of test samples leaving at each depth, at the threshold chosen on validation."""
    fig, ax = plt.subplots(figsize=(5.4, 3.4))
    width = 0.8 / max(len(groups), 1)
    for i, (name, runs) in enumerate(groups.items()):
        counts = np.array([r.al.adaptive["test_at_threshold"]["exit_counts"] for r in runs])
        share = (counts / counts.sum(axis=1, keepdims=True)).mean(axis=0)
        depths = np.arange(1, len(share) + 1)
        threshold = runs[0].al.adaptive["threshold"]
        label = f"{name} (threshold {'full path' if threshold is None else threshold})"
        ax.bar(depths + (i - (len(groups) - 1) / 2) * width, share, width=width, label=label)
    ax.set_xlabel("exit depth")
    ax.set_ylabel("share of test samples")
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="upper center", fontsize=8)
    return fig
