"""Benchmark: ``training.precision: bf16`` against float32 on the Fashion-MNIST row bands.

AL alone on the bands config (4 experiences, widths 4 x ``--width``, batch 128, Adam 1e-3,
``--epochs``), for every seed twice, float32 and bf16, run in turn seed by seed (so load
falls on both alike): final average accuracy as released and with current features, paired
over seeds (mean difference, 95 % t CI, Wilcoxon signed-rank p), and training seconds
(median ratio). The target: the same accuracy within 0.3 points.

    OMP_NUM_THREADS=1 python -m experiments.benchmarks.bf16 [--seeds 10] [--epochs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics

import numpy as np

from experiments.benchmarks.common import markdown_table, setup, verdict


def _config(args, precision: str):
    from experiments.benchmarks.common import bands_al_config
    from experiments.config import config_from_dict

    raw = bands_al_config("bf16", args.width, args.epochs, precision=precision)
    return config_from_dict(raw)


def main() -> None:
    from alcl.results.stats import mean_ci, paired
    from experiments.runner import build_stream, run_one

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--width", type=int, default=256)
    args = parser.parse_args()
    print(setup(1))
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    configs = {p: _config(args, p) for p in ("fp32", "bf16")}
    values = {p: {"avg_accuracy": [], "current_accuracy": [], "train": []} for p in configs}
    for seed in range(args.seeds):
        stream = build_stream(configs["fp32"].stream, seed)
        for precision, cfg in configs.items():
            record = run_one(cfg, 0, seed, stream, "cpu")
            values[precision]["avg_accuracy"].append(record.final["avg_accuracy"])
            values[precision]["current_accuracy"].append(record.final["current_accuracy"])
            values[precision]["train"].append(sum(record.train_seconds))
        print(f"seed {seed} done", flush=True)
    rows = []
    worst = 0.0
    for metric in ("avg_accuracy", "current_accuracy"):
        a, b = (np.array(values[p][metric]) for p in ("fp32", "bf16"))
        test = paired(a, b)
        fa, fb = mean_ci(a), mean_ci(b)
        diff = mean_ci(b - a)
        worst = max(worst, abs(diff.mean) * 100)
        rows.append(
            [metric, f"{fa.mean:.4f} ± {fa.half_width:.4f}", f"{fb.mean:.4f} ± {fb.half_width:.4f}",
             f"{diff.mean * 100:+.2f} ± {diff.half_width * 100:.2f}", f"{test.p_value:.3g}"]
        )  # fmt: skip
    print(f"\nAL, Fashion-MNIST bands, {args.epochs} epochs, {args.seeds} seeds (mean ± 95 % CI)")
    header = ["metric", "float32", "bf16", "bf16 - fp32 (points)", "Wilcoxon p"]
    print(markdown_table(header, rows))
    ratio = statistics.median(
        f / b for f, b in zip(values["fp32"]["train"], values["bf16"]["train"], strict=True)
    )
    print(f"training seconds, median over seeds: float32 "
          f"{statistics.median(values['fp32']['train']):.2f} s, bf16 "
          f"{statistics.median(values['bf16']['train']):.2f} s; speed-up {ratio:.2f}x")  # fmt: skip
    print(f"largest mean difference {worst:.2f} points (target <= 0.3): {verdict(worst <= 0.3)}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
