"""Benchmark: static digits, a 4-block AL MLP (full path) against the backprop MLP of the same widths.

"Static" is a one-experience stream with every column visible. For each model
the learning rate and epochs are chosen on the validation split (mean over
seeds); only then is the test accuracy of the chosen setting read.

    python -m experiments.benchmarks.static_digits [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from experiments.config import config_from_dict
from experiments.runner import build_stream, run_one

GRID = {"lr": [0.001, 0.003], "epochs": [30, 60]}
MODELS = {
    "al (4 blocks)": {"name": "al", "initial_blocks": 4},
    "backprop MLP": {"name": "naive"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    streams = {}
    results: dict[str, list[tuple[dict, float, float]]] = {name: [] for name in MODELS}
    for lr, epochs in itertools.product(GRID["lr"], GRID["epochs"]):
        cfg = config_from_dict(
            {
                "device": "cpu",
                "stream": {"dataset": "digits", "n_experiences": 1},
                "model": {"widths": [128, 128, 128, 128]},
                "training": {"lr": lr, "epochs": epochs},
                "strategies": list(MODELS.values()),
            }
        )
        for index, name in enumerate(MODELS):
            valid, test = [], []
            for seed in args.seeds:
                if seed not in streams:
                    streams[seed] = build_stream(cfg.stream, seed)
                final = run_one(cfg, index, seed, streams[seed], "cpu").final
                valid.append(final["valid_avg_accuracy"])
                test.append(final["avg_accuracy"])
            results[name].append(({"lr": lr, "epochs": epochs}, float(np.mean(valid)), test))
            print(
                f"{name:14s} lr={lr:<6} epochs={epochs:<3} valid {np.mean(valid):.4f}", flush=True
            )

    print(f"\nstatic digits, seeds {args.seeds}: setting chosen on validation, then test")
    print("| model | chosen setting | valid | test (mean ± std) |")
    print("|---|---|---|---|")
    chosen = {}
    for name, rows in results.items():
        setting, valid, test = max(rows, key=lambda r: r[1])
        chosen[name] = float(np.mean(test))
        print(f"| {name} | {setting} | {valid:.4f} | {np.mean(test):.4f} ± {np.std(test):.4f} |")
    al, bp = chosen["al (4 blocks)"], chosen["backprop MLP"]
    print(f"\nAL full path >= 0.98: {al >= 0.98}; AL no worse than backprop ({bp:.4f}): {al >= bp}")


if __name__ == "__main__":
    main()
