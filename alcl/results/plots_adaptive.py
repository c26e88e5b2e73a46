"""Figures of AL's adaptive inference, drawn from the results files alone.

- ``adaptive``: test accuracy against mean FLOPs per sample and against
  wall-clock seconds per sample, one point per threshold, with every
  shortcut depth, the full path and the threshold chosen on validation marked;
- ``exit_depths``: how many test samples leave at each depth under the
  chosen threshold.

Runs of the same strategy with several seeds are averaged point by point (no spread is
drawn); the caption that :func:`alcl.results.plots.draw_all` passes says over how many seeds
(:func:`alcl.results.plots.caption`), and the legend gives each strategy's seeds when they
differ. Both are drawn at a single column's width, legend below.
:func:`alcl.results.plots.draw_all` calls these for every run that has ``al.adaptive``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from alcl.evaluation.record import RunRecord
from alcl.results.page import legend_below

WIDTH = 3.5
"""Inches: one column (:data:`alcl.results.plots.PRINT_WIDTH`; not imported, plots imports us)."""
FONT = 8.5
"""Points (:data:`alcl.results.plots.FONT`)."""


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


def _seeds_label(name: str, runs: list[RunRecord], mixed: bool) -> str:
    n = len({r.seed for r in runs})
    return f"{name} ({n} seed{'s' if n != 1 else ''})" if mixed else name


_KEYS = ("accuracy", "mean_flops", "seconds_per_sample")


@dataclass
class _Curve:
    """One strategy's thresholds, shortcut depths, full path and chosen threshold (seed means)."""

    acc: np.ndarray
    flops: np.ndarray
    seconds: np.ndarray
    shortcut: tuple[np.ndarray, np.ndarray, np.ndarray]  # accuracy, FLOPs, seconds
    full: tuple[float, float, float]  # accuracy, FLOPs, seconds
    chosen: tuple[float, float, float]


def _curve(runs: list[RunRecord]) -> _Curve:
    tests = [r.al.adaptive["test"] for r in runs]
    picks = [r.al.adaptive["test_at_threshold"] for r in runs]
    acc = np.mean([t["accuracy"] for t in tests], axis=0)
    seconds = [_mean([t["seconds_per_sample"][k] for t in tests]) for k in range(len(acc))]
    return _Curve(
        acc,
        np.mean([t["mean_flops"] for t in tests], axis=0),
        np.array(seconds),
        _shortcuts(runs),
        tuple(_mean([t["full_path"][k] for t in tests]) for k in _KEYS),
        tuple(_mean([p[k] for p in picks]) for k in _KEYS),
    )


def _panel(ax, curve: _Curve, axis: int, scale: float, color, label: str) -> None:
    """One strategy on one panel: x is FLOPs (``axis`` 1) or seconds (2) times ``scale``."""
    x = (curve.flops, curve.seconds)[axis - 1] * scale
    sx, sy = curve.shortcut[axis] * scale, curve.shortcut[0]
    ax.plot(x, curve.acc, marker="o", markersize=3, linestyle="-", color=color, label=label)
    ax.plot(sx, sy, linestyle="none", marker="s", markerfacecolor="none", color=color)
    for depth, (px, py) in enumerate(zip(sx, sy, strict=True), start=1):
        ax.annotate(str(depth), (px, py), textcoords="offset points", xytext=(4, -9), fontsize=FONT)
    full_x, chosen_x = curve.full[axis] * scale, curve.chosen[axis] * scale
    ax.plot(full_x, curve.full[0], marker="*", markersize=10, linestyle="none", color=color)
    ax.plot(
        chosen_x,
        curve.chosen[0],
        marker="o",
        markersize=10,
        markerfacecolor="none",
        linestyle="none",
        color="black",
    )


def _marker_key() -> list:
    """Legend entries for the markers every strategy shares (drawn in black)."""
    from matplotlib.lines import Line2D

    plain = {"linestyle": "none", "color": "black"}
    return [
        Line2D([], [], marker="s", markerfacecolor="none", label="shortcut, depth k", **plain),
        Line2D([], [], marker="*", markersize=9, label="full path", **plain),
        Line2D(
            [],
            [],
            marker="o",
            markersize=9,
            markerfacecolor="none",
            label="chosen on validation",
            **plain,
        ),
    ]


def adaptive_figure(plt, groups: dict[str, list[RunRecord]], caption: str = ""):
    """Accuracy against FLOPs and against latency, one point per threshold.

    Runs that measured no latency (``adaptive.latency_repeats: 0``) get the compute
    panel alone rather than an empty latency panel. ``caption``: the figure's first line.
    """
    from matplotlib.ticker import EngFormatter

    curves = {name: _curve(runs) for name, runs in groups.items()}
    timed = any(np.isfinite(c.seconds).any() for c in curves.values())
    n_legend = len(groups) + 3
    height = (2 if timed else 1) * 2.1 + 0.45 + 0.17 * -(-n_legend // 2)
    fig, axes = plt.subplots(
        2 if timed else 1,
        1,
        figsize=(WIDTH, height),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    mixed = len({len({r.seed for r in runs}) for runs in groups.values()}) > 1
    for i, (name, curve) in enumerate(curves.items()):
        label = _seeds_label(name, groups[name], mixed) + ": thresholds"
        _panel(axes[0, 0], curve, 1, 1.0, colors[i % len(colors)], label)
        if timed:
            _panel(axes[1, 0], curve, 2, 1e6, colors[i % len(colors)], label)
    left = axes[0, 0]
    left.xaxis.set_major_formatter(EngFormatter())
    left.set_xlabel("mean FLOPs per sample (FlopCounterMode)")
    left.set_title("accuracy vs compute")
    for ax in axes[:, 0]:
        ax.set_ylabel("test accuracy\n(current features)")
    if timed:
        batch = next(iter(groups.values()))[0].al.adaptive["test"]["batch_size"]
        axes[1, 0].set_xlabel(f"wall-clock µs per sample (batches of {batch})")
        axes[1, 0].set_title("accuracy vs latency")
    handles = left.get_legend_handles_labels()[0] + _marker_key()
    legend_below(fig, handles, [h.get_label() for h in handles], ncols=2)
    fig.suptitle(caption)
    return fig


def _thresholds(runs: list[RunRecord]) -> str:
    """The chosen threshold, or its range over seeds when they chose differently."""
    values = {r.al.adaptive["threshold"] for r in runs}
    if values == {None}:
        return "full path"
    if len(values) == 1:
        return f"threshold {values.pop()}"
    numbers = sorted(v for v in values if v is not None)
    full = ", or full path" if None in values else ""
    return f"threshold {numbers[0]:g}–{numbers[-1]:g} by seed{full}"


def exit_depth_figure(plt, groups: dict[str, list[RunRecord]], caption: str = ""):
    """Share of test samples leaving at each depth, at the threshold chosen on validation."""
    fig, ax = plt.subplots(figsize=(WIDTH, 2.6 + 0.17 * len(groups)), layout="constrained")
    width = 0.8 / max(len(groups), 1)
    mixed = len({len({r.seed for r in runs}) for runs in groups.values()}) > 1
    for i, (name, runs) in enumerate(groups.items()):
        counts = np.array([r.al.adaptive["test_at_threshold"]["exit_counts"] for r in runs])
        share = (counts / counts.sum(axis=1, keepdims=True)).mean(axis=0)
        depths = np.arange(1, len(share) + 1)
        label = f"{_seeds_label(name, runs, mixed)} ({_thresholds(runs)})"
        ax.bar(depths + (i - (len(groups) - 1) / 2) * width, share, width=width, label=label)
    ax.set_xlabel("exit depth")
    ax.set_ylabel("share of test samples")
    ax.xaxis.get_major_locator().set_params(integer=True)
    handles, labels = ax.get_legend_handles_labels()
    legend_below(fig, handles, labels, ncols=1)
    fig.suptitle(caption)
    return fig
