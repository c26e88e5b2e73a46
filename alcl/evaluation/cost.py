"""What a run records about an AL network's cost: FLOPs per exit, parameters per block, and the
wall-clock latency of every shortcut (:mod:`alcl.compute` counts and times; this module reports).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from alcl import inference
from alcl.compute import exit_costs, parameters_per_block, wall_time
from alcl.early_exits import EarlyExits


@torch.no_grad()
def exit_latency(
    net: EarlyExits, x: Tensor, batch_size: int, repeats: int = 5, warmup: int = 2
) -> dict[str, Any]:
    """Latency of one batch of ``batch_size`` rows of ``x`` through each shortcut, and throughput."""
    batch = x[:batch_size]
    seconds = [
        wall_time(lambda k=k: inference.shortcut(net, batch, k), x.device, repeats, warmup)
        for k in range(1, net.depth + 1)
    ]
    return {
        "batch_size": len(batch),
        "repeats": repeats,
        "device": str(x.device),
        "shortcut_seconds_per_batch": seconds,
        "shortcut_samples_per_second": [len(batch) / t for t in seconds],
    }


def compute_report(
    net: EarlyExits, x: Tensor, batch_size: int = 256, repeats: int = 5
) -> dict[str, Any]:
    """Everything the results files record about an AL network's cost.

    ``x`` are samples with every column (for the latency probe); ``repeats``
    of 0 skips the wall-clock measurement.
    """
    was_training = net.training
    net.eval()
    try:
        report: dict[str, Any] = {
            "flop_counter": "torch.utils.flop_counter.FlopCounterMode",
            "flops_per_sample": exit_costs(net).as_dict(),
            "parameters_per_block": parameters_per_block(net),
        }
        if repeats > 0:
            report["latency"] = exit_latency(net, x, batch_size, repeats)
    finally:
        net.train(was_training)
    return report
