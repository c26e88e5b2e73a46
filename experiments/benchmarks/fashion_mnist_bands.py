"""Benchmark: real Fashion-MNIST, 4 horizontal bands with new images per experience, 10 seeds.

AL against Naive, Replay (1,000 images) and Cumulative, with Joint as the
current-feature reference, all on MLPs of the same widths. Each strategy's
learning rate and epochs are chosen on validation (tuning seed 100), then every
evaluation seed runs with the chosen setting. Prints the mean ± 95 % CI of the as-released
average accuracy, forgetting, final current-feature accuracy and training
time, then checks the targets of the issue on the measured means.

    OMP_NUM_THREADS=1 python -m experiments.benchmarks.fashion_mnist_bands [--seeds 0 ... 9] [--out DIR]

(On a busy 2-core machine one torch thread per process is far faster than two.)
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

from experiments.benchmarks.tuned_streams import tune_then_run
from experiments.config import CONFIG_DIR, load_config

GRID = {"lr": [0.001, 0.003], "epochs": [5, 10]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--out", help="results folder (default: a temporary folder)")
    args = parser.parse_args()
    cfg = dataclasses.replace(
        load_config(CONFIG_DIR / "fashion_mnist_bands.yaml"), seeds=args.seeds, device="cpu"
    )
    folder = Path(args.out or tempfile.mkdtemp(prefix="alcl-fashion-mnist-"))
    agg = tune_then_run(cfg, GRID, args.seeds, folder)
    al, replay, joint = agg["al"], agg["replay"], agg["joint"]
    gap = joint["current_accuracy"] - al["current_accuracy"]
    print()
    print(
        f"AL as-released avg accuracy {al['avg_accuracy']:.4f} above Replay's "
        f"{replay['avg_accuracy']:.4f}: {al['avg_accuracy'] > replay['avg_accuracy']}"
    )
    print(
        f"AL final current accuracy {al['current_accuracy']:.4f} within 2 points of Joint's "
        f"{joint['current_accuracy']:.4f} (gap {100 * gap:.2f} points): {gap <= 0.02}"
    )


if __name__ == "__main__":
    main()
