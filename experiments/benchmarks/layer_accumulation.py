"""Benchmark: dynamic layer accumulation, CNN-AL on Fashion-MNIST, accuracy after each added block.

Runs the ``thesis_layer_accumulation_cpu`` config (3 rounds over the same
images: AL trains block 1, freezes it, adds block 2, ...; bp-grow grows the
same CNN blocks by backprop through per-block heads; bp retrains the full CNN
each round) on the given seeds through the normal runner, so the folder holds
the usual results and figures. Prints each strategy's test-accuracy curve
(mean over seeds) and checks the issue's target: AL's curve is non-decreasing
within noise, where noise is two binomial standard errors of a test accuracy
(``2 * sqrt(p (1 - p) / n_test)``), the thesis's shape (CIFAR-10 VGG-AL:
81.8 -> 91.3 -> 91.6 -> 91.8).

    OMP_NUM_THREADS=1 python -m experiments.benchmarks.layer_accumulation [--seeds 0] [--out DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import tempfile

import numpy as np

from alcl.results.files import load_runs
from experiments.benchmarks.common import markdown_table, verdict
from experiments.config import CONFIG_DIR, load_config
from experiments.runner import build_stream, run_experiment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--config", default=str(CONFIG_DIR / "thesis_layer_accumulation_cpu.yaml"))
    parser.add_argument("--out", help="results folder (default: a temporary folder)")
    args = parser.parse_args()
    cfg = dataclasses.replace(load_config(args.config), seeds=args.seeds, device="cpu")
    out = args.out or tempfile.mkdtemp(prefix="alcl-layer-accumulation-")
    folder = run_experiment(cfg, out=out, progress=True)
    n_test = len(build_stream(cfg.stream, args.seeds[0]).test_stream[0].dataset)
    curves: dict[str, np.ndarray] = {}
    for run in load_runs(folder):
        curves.setdefault(run.strategy, []).append(run.curves["avg_accuracy"])
    curves = {name: np.mean(rows, axis=0) for name, rows in curves.items()}
    rounds = len(next(iter(curves.values())))
    print(f"\nFashion-MNIST, {rounds} rounds, seeds {args.seeds}, {n_test} test images; {folder}\n")
    header = ["strategy", *[f"after round {i + 1}" for i in range(rounds)]]
    print(markdown_table(header, [[name, *map(float, c)] for name, c in curves.items()]))
    al = curves["al"]
    worst = min(float(b - a) for a, b in zip(al[:-1], al[1:], strict=True))
    noise = 2 * math.sqrt(al[-1] * (1 - al[-1]) / n_test)
    print(
        f"\nAL curve {' -> '.join(f'{a:.4f}' for a in al)}: largest step down "
        f"{max(0.0, -worst):.4f}, noise {noise:.4f}; non-decreasing within noise: "
        f"{verdict(worst >= -noise)}"
    )


if __name__ == "__main__":
    main()
