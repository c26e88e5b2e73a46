"""Choose the shared training settings of the tabular suites on validation splits.

For breast_cancer and wine (3 experiences of contiguous column groups) it runs
every strategy of the full suite but Joint over a small grid of epochs and
learning rates (batch size, optimizer and widths stay those of the digits
suite), and picks the setting with the highest validation as-released average
accuracy, averaged over strategies and seeds. Test accuracy is never read.
Ties go to the digits settings (30 epochs, lr 3e-3).

    python -m experiments.benchmarks.tune_shared [--datasets wine] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
from pathlib import Path

from alcl.results.files import load_runs
from experiments.benchmarks.baseline_suite import suite_config
from experiments.config import config_from_dict
from experiments.runner import run_experiment

EPOCHS = (30, 60)
LRS = (0.001, 0.003, 0.01)
DIGITS_SETTING = (30, 0.003)


def validation_score(folder: Path) -> tuple[float, float]:
    """Mean and min over strategies of the seed-averaged validation as-released accuracy."""
    by_strategy: dict[str, list[float]] = {}
    for run in load_runs(folder):
        by_strategy.setdefault(run.strategy, []).append(run.final["valid_avg_accuracy"])
    means = [sum(v) / len(v) for v in by_strategy.values()]
    return sum(means) / len(means), min(means)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["breast_cancer", "wine"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", help="parent results folder (default: a temporary folder)")
    args = parser.parse_args()
    parent = Path(args.out or tempfile.mkdtemp(prefix="alcl-tune-shared-"))
    for dataset in args.datasets:
        print(f"\n## {dataset}: validation as-released accuracy, mean over strategies\n")
        print("| epochs | lr | mean over strategies | worst strategy |")
        print("|---|---|---|---|")
        scores = {}
        for epochs, lr in itertools.product(EPOCHS, LRS):
            data = suite_config(dataset, args.seeds, {"epochs": epochs, "lr": lr}).to_dict()
            data["strategies"] = [s for s in data["strategies"] if s["name"] != "joint"]
            folder = parent / f"{dataset}-e{epochs}-lr{lr}"
            run_experiment(config_from_dict(data), out=folder, progress=False, plots=False)
            scores[(epochs, lr)] = validation_score(folder)
            print(
                f"| {epochs} | {lr} | {scores[epochs, lr][0]:.4f} | {scores[epochs, lr][1]:.4f} |"
            )
        best = max(scores, key=lambda k: (round(scores[k][0], 4), k == DIGITS_SETTING))
        print(f"\nchosen for {dataset}: epochs {best[0]}, lr {best[1]}")


if __name__ == "__main__":
    main()
