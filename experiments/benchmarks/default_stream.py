"""Benchmark: the default digits stream (4 row bands), AL against the baselines, 3 seeds.

Prints mean ± std per strategy of the as-released average accuracy, forgetting,
BWT, final current-feature accuracy and training time, then checks the
targets of issue 2 against those measured means.

    python -m experiments.benchmarks.default_stream [--seeds 0 1 2] [--out DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile

from alcl.results.files import load_runs
from alcl.results.tables import aggregate, summary_rows
from experiments.config import load_config
from experiments.runner import run_experiment

COLUMNS = ("avg_accuracy", "forgetting", "bwt", "current_accuracy", "train_seconds")


def print_table(agg: list[dict], columns: tuple[str, ...] = COLUMNS) -> None:
    """A Markdown table per strategy: mean ± 95 % t CI of ``columns``, then AL − strategy in
    as-released accuracy, paired over seeds (rows from :func:`alcl.results.tables.aggregate`)."""
    from alcl.results.tables import mean_ci_cell, paired_cell

    print("| strategy | seeds | " + " | ".join(columns) + " | al − strategy (p, al higher) |")
    print("|---" * (len(columns) + 3) + "|")
    for row in agg:
        cells = [mean_ci_cell(row, k) for k in columns]
        print(
            f"| {row['strategy']} | {row['seeds']} | "
            + " | ".join(cells)
            + f" | {paired_cell(row, 'avg_accuracy')} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--out", help="results folder (default: a temporary folder)")
    args = parser.parse_args()
    cfg = dataclasses.replace(load_config(), seeds=args.seeds, device="cpu")
    out = args.out or tempfile.mkdtemp(prefix="alcl-default-stream-")
    folder = run_experiment(cfg, out=out, progress=True)
    agg = {row["strategy"]: row for row in aggregate(summary_rows(load_runs(folder)))}
    print(f"digits, 4 experiences, seeds {args.seeds}; results in {folder}\n")
    print_table(list(agg.values()))
    al, replay = agg["al"], agg["replay"]
    print()
    print(
        f"AL as-released avg accuracy {al['avg_accuracy']:.4f} >= 0.82: {al['avg_accuracy'] >= 0.82}"
    )
    print(
        f"AL above Replay ({replay['avg_accuracy']:.4f}): {al['avg_accuracy'] > replay['avg_accuracy']}"
    )
    print(
        f"AL final current accuracy {al['current_accuracy']:.4f} >= 0.95: {al['current_accuracy'] >= 0.95}"
    )


if __name__ == "__main__":
    main()
