"""Benchmark: this machine's float32 GEMM peak, and how close AL's training and inference get.

1. **Peak.** ``torch.matmul`` on square float32 matrices (1024, 2048) and at the shapes an
   AL block multiplies in training (batch x inputs x width, both ways for the backward
   pass); the best rate is "the peak".
2. **Training.** AL alone on the Fashion-MNIST row-band stream (4 experiences, widths
   4 x ``--width``, batch ``--batch-size``, ``--epochs``), as ``alcl run`` trains it: the
   FLOPs of every training call are counted once with ``FlopCounterMode``, then a second,
   uncounted run with the same seed is timed (``train_seconds``: the training calls,
   which include reading each experience's tensors and caching the frozen blocks).
3. **Inference.** The trained network's full path and adaptive inference at its
   calibrated threshold on the test split with every column, at batch 1024 and 64:
   FLOPs per sample from :func:`alcl.compute.exit_costs` (the same counter), median
   wall time over rounds.

Each rate is printed with its fraction of the peak. One torch thread; quote the load
average printed with it.

    OMP_NUM_THREADS=1 python -m experiments.benchmarks.roofline [--width 256] [--epochs 1]
"""

from __future__ import annotations

import argparse
import os
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from experiments.benchmarks.common import markdown_table, median, setup


def gemm_rate(m: int, k: int, n: int, rounds: int = 5) -> float:
    """GFLOP/s of ``(m x k) @ (k x n)`` in float32 (median of rounds, ~0.2 s each)."""
    a, b = torch.randn(m, k), torch.randn(k, n)
    flops = 2 * m * k * n
    calls = max(1, int(0.2 * 150e9 / flops))
    for _ in range(3):
        a @ b
    rates = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            a @ b
        rates.append(flops * calls / (time.perf_counter() - start) / 1e9)
    return median(rates)


def peak(batch: int, width: int) -> tuple[float, list[list]]:
    """The best measured rate, and a table of every shape measured."""
    inputs = width + 784 // 4  # a grown block reads the previous width plus one band
    shapes = {
        "square 1024": (1024, 1024, 1024),
        "square 2048": (2048, 2048, 2048),
        f"block forward {batch}x{inputs}x{width}": (batch, inputs, width),
        f"block grad W {inputs}x{batch}x{width}": (inputs, batch, width),
        f"block grad x {batch}x{width}x{inputs}": (batch, width, inputs),
    }
    rows = [[name, *shape, gemm_rate(*shape)] for name, shape in shapes.items()]
    return max(r[-1] for r in rows), rows


def _config(args) -> object:
    from experiments.benchmarks.common import bands_al_config
    from experiments.config import config_from_dict

    return config_from_dict(bands_al_config("roofline", args.width, args.epochs, args.batch_size))


def training(args):
    """(counted training GFLOP, timed training seconds, the trained strategy's network, stream)."""
    from avalanche.training.templates import SupervisedTemplate

    from experiments.runner import build_stream, run_one

    cfg = _config(args)
    stream = build_stream(cfg.stream, 0)
    original = SupervisedTemplate.train
    counter = FlopCounterMode(display=False)

    def counted(self, *a, **k):
        with counter:
            return original(self, *a, **k)

    SupervisedTemplate.train = counted
    try:
        run_one(cfg, 0, 0, stream, "cpu")
    finally:
        SupervisedTemplate.train = original
    nets = []

    def keep(self, *a, **k):
        nets.append(self.model)
        return original(self, *a, **k)

    SupervisedTemplate.train = keep
    try:
        record = run_one(cfg, 0, 0, stream, "cpu")
    finally:
        SupervisedTemplate.train = original
    return counter.get_total_flops() / 1e9, sum(record.train_seconds), nets[-1], stream


def inference_rates(net, stream, rounds: int) -> list[list]:
    """Full path and adaptive (at the calibrated threshold) at batch 1024 and 64."""
    from alcl import inference
    from alcl.compute import exit_costs

    last = stream.n_experiences - 1
    x = torch.cat(
        [torch.as_tensor(stream.arrays("test", j, upto=last)[0]) for j in range(last + 1)]
    )
    net.eval()
    costs = exit_costs(net)
    rows = []
    with torch.no_grad():
        full_flops = float(inference.full_path(net, x).flops.float().mean())
        adaptive_flops = float(inference.adaptive(net, x).flops.float().mean())
        for batch in (1024, 64):
            chunks = list(torch.split(x, batch))
            for name, fn, flops in (
                ("full path", lambda c: inference.full_path(net, c), full_flops),
                ("adaptive", lambda c: inference.adaptive(net, c), adaptive_flops),
            ):
                times = []
                for _ in range(rounds):
                    start = time.perf_counter()
                    for c in chunks:
                        fn(c)
                    times.append(time.perf_counter() - start)
                seconds = median(times)
                rows.append([name, batch, flops, len(x) * flops / seconds / 1e9])
    del costs
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(setup(1))
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    best, rows = peak(args.batch_size, args.width)
    print(markdown_table(["matmul", "m", "k", "n", "GFLOP/s"], rows))
    print(f"peak (best of these): {best:.1f} GFLOP/s\n")
    gflop, seconds, net, stream = training(args)
    rate = gflop / seconds
    print(
        f"training: {gflop:.1f} GFLOP in {seconds:.2f} s = {rate:.1f} GFLOP/s, "
        f"{rate / best:.0%} of peak (target >= 40%)"
    )
    table = inference_rates(net, stream, args.rounds)
    rows = [[*r, f"{r[-1] / best:.0%}"] for r in table]
    print(markdown_table(["path", "batch", "FLOPs/sample", "GFLOP/s", "of peak"], rows))
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
