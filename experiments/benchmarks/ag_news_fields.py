"""Benchmark: AG News, title released first and description second, 10 seeds.

The data is the published AG News test split (7,600 items) that ships beside
the project in ../shared/data/ag_news_test.csv; train, validation and test
sets are carved from it, stratified and seeded. Texts are TF-IDF bags of
words per field (vocabulary and idf from training samples only). Each
strategy's learning rate and epochs are chosen on validation (tuning seed 100),
then every evaluation seed runs with the chosen setting (mean ± 95 % CI,
AL − strategy paired over seeds).

    OMP_NUM_THREADS=1 python -m experiments.benchmarks.ag_news_fields [--path CSV] [--seeds 0 ... 9]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

from experiments.benchmarks.tuned_streams import tune_then_run
from experiments.config import CONFIG_DIR, load_config

GRID = {"lr": [0.001, 0.003], "epochs": [5, 10]}
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ag_news_test.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default=str(SHARED), help=f"the CSV file (default: {SHARED})")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--out", help="results folder (default: a temporary folder)")
    args = parser.parse_args()
    if not Path(args.path).is_file():
        sys.exit(
            f"AG News data not found at {args.path}: this benchmark needs the published test "
            "split (columns label,title,description), which ships in ../shared/data/ beside "
            "the project; pass --path to point at a copy."
        )
    cfg = load_config(CONFIG_DIR / "ag_news_fields.yaml")
    cfg = dataclasses.replace(
        cfg, seeds=args.seeds, device="cpu", stream=dataclasses.replace(cfg.stream, path=args.path)
    )
    folder = Path(args.out or tempfile.mkdtemp(prefix="alcl-ag-news-"))
    agg = tune_then_run(cfg, GRID, args.seeds, folder)
    al, replay = agg["al"], agg["replay"]
    print(
        f"\nAL as-released avg accuracy {al['avg_accuracy']:.4f} above Replay's "
        f"{replay['avg_accuracy']:.4f}: {al['avg_accuracy'] > replay['avg_accuracy']}"
    )


if __name__ == "__main__":
    main()
