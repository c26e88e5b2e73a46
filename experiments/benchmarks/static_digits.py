"""Benchmark: static digits, a 4-block AL MLP (full path) against the backprop MLP of the same widths.

"Static" is a one-experience stream with every column visible. For each model the learning
rate and epochs are chosen on the validation split of the tuning seeds (never evaluation
seeds); the chosen setting then runs with every evaluation seed, and only its test accuracy is
read: mean ± 95 % t CI, and AL − BP paired over seeds with a Wilcoxon signed-rank p-value.

    python -m experiments.benchmarks.static_digits [--seeds 0 ... 9] [--tune-seeds 100]
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from alcl.results.stats import mean_ci, paired
from experiments.config import config_from_dict
from experiments.runner import build_stream, run_one

GRID = {"lr": [0.001, 0.003], "epochs": [30, 60]}
MODELS = {
    "al (4 blocks)": {"name": "al", "initial_blocks": 4},
    "backprop MLP": {"name": "naive"},
}


def _config(lr: float, epochs: int):
    return config_from_dict(
        {
            "device": "cpu",
            "stream": {"dataset": "digits", "n_experiences": 1},
            "model": {"widths": [128, 128, 128, 128]},
            "training": {"lr": lr, "epochs": epochs},
            "adaptive": {"latency_repeats": 0},
            "strategies": list(MODELS.values()),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--tune-seeds", type=int, nargs="+", default=[100])
    args = parser.parse_args()
    if set(args.seeds) & set(args.tune_seeds):
        parser.error("--tune-seeds must differ from --seeds: a tuning run is never a result.")
    streams: dict[int, object] = {}

    def final(cfg, index: int, seed: int) -> dict:
        if seed not in streams:
            streams[seed] = build_stream(cfg.stream, seed)
        return run_one(cfg, index, seed, streams[seed], "cpu").final

    chosen = {}
    for index, name in enumerate(MODELS):
        scores = []
        for lr, epochs in itertools.product(GRID["lr"], GRID["epochs"]):
            cfg = _config(lr, epochs)
            valid = np.mean([final(cfg, index, s)["valid_avg_accuracy"] for s in args.tune_seeds])
            scores.append((float(valid), lr, epochs))
            print(f"{name:14s} lr={lr:<6} epochs={epochs:<3} valid {valid:.4f}", flush=True)
        chosen[name] = max(scores, key=lambda r: r[0])  # first on a tie
    test = {}
    for index, name in enumerate(MODELS):
        _, lr, epochs = chosen[name]
        cfg = _config(lr, epochs)
        test[name] = [final(cfg, index, s)["avg_accuracy"] for s in args.seeds]

    print(
        f"\nstatic digits: chosen on validation with tuning seeds {args.tune_seeds}, "
        f"test over evaluation seeds {args.seeds}"
    )
    print("| model | chosen setting | valid (tuning seeds) | test (mean ± 95% CI) |")
    print("|---|---|---|---|")
    for name, (valid, lr, epochs) in chosen.items():
        print(
            f"| {name} | lr {lr}, {epochs} epochs | {valid:.4f} | {mean_ci(test[name]).format()} |"
        )
    al, bp = test["al (4 blocks)"], test["backprop MLP"]
    diff = paired(al, bp)
    print(
        f"\nAL − BP: {diff.ci.format()} (Wilcoxon p {diff.p_value:.4f}, {diff.method}; "
        f"AL higher on {diff.wins}/{diff.n} seeds)"
    )
    verdict = (
        "tie" if not diff.p_value < 0.05 else ("AL higher" if diff.mean_diff > 0 else "BP higher")
    )
    print(f"AL full path mean >= 0.98: {np.mean(al) >= 0.98}; AL vs BP: {verdict}")


if __name__ == "__main__":
    main()
