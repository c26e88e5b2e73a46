"""Shared pieces of the benchmarks: thread setup, timing side by side, tables, and results
compared without their wall-clock timings.

Timing ratios are measured side by side in one process: the variants run
interleaved, round after round, and each one's median over the rounds is
reported, so that load from other processes falls on both sides alike.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch


def setup(threads: int) -> str:
    """Fix PyTorch's thread count and freeze the import-time heap out of the garbage collector.

    On a shared machine, more intra-op threads than free cores make small
    operations wait on each other, so the benchmarks default to one thread.
    ``gc.freeze`` keeps full collections of the (large) import-time heap
    from landing at random inside a timed region. Returns a description.
    """
    torch.set_num_threads(threads)
    gc.collect()
    gc.freeze()
    return f"torch {torch.__version__}, {threads} thread(s), device cpu"


def interleaved(variants: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """Wall-clock seconds of every variant, run in turn for ``rounds`` rounds."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


WALL_CLOCK = ("seconds", "latency", "throughput", "speedup")
"""Keys holding wall-clock measurements, which differ from run to run by nature."""


def without_timings(record: Any) -> Any:
    """``record`` (a run record, or plain data) without any key that holds a wall-clock
    measurement."""
    if hasattr(record, "to_dict"):
        record = record.to_dict()
    if isinstance(record, dict):
        return {
            k: without_timings(v)
            for k, v in record.items()
            if not any(word in k for word in WALL_CLOCK)
        }
    if isinstance(record, list):
        return [without_timings(v) for v in record]
    return record


def bands_al_config(
    name: str, width: int = 256, epochs: int = 1, batch_size: int = 128, **training
) -> dict:
    """The raw config of AL alone on the Fashion-MNIST row bands as ``alcl run`` reads it
    (4 experiences, widths 4 x ``width``, Adam 1e-3, seed 0, one thread, no latency probe):
    what the speed benchmarks measure. ``training``: more training keys (e.g. precision)."""
    return {
        "name": name,
        "seeds": [0],
        "device": "cpu",
        "threads": 1,
        "stream": {
            "dataset": "fashion_mnist",
            "grouping": "horizontal_bands",
            "n_experiences": 4,
            "valid_fraction": 0.15,
        },  # fmt: skip
        "model": {"widths": [width] * 4, "label_dim": 32},
        "training": {
            "epochs": epochs,
            "batch_size": batch_size,
            "optimizer": "adam",
            "lr": 0.001,
            **training,
        },  # fmt: skip
        "adaptive": {"latency_repeats": 0},
        "strategies": ["al"],
    }
