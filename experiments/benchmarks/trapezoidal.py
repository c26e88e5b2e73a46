"""The online feature-evolving benchmark: trapezoidal, haphazard (and obsolete) streams, prequential errors.

Every learner of :mod:`alcl.online` runs the online protocol (predict, then learn, one pass)
over 20 seeded shuffles of german, svmguide3 and magic04 (``../shared/data/feature_evolving``),
with the first 2 features as base features, as in Aux-Drop's Tables 4 and 5. It prints, per
pattern, the mean ± std of the error count (as the papers report it), the balanced accuracy,
the published number with the relative difference, the majority-class floor, instances per
second, and AL's paired difference to every learner (mean errors with a 95 % t interval, the
Wilcoxon signed-rank p-value, shuffles where AL erred less).

Each run is written as it ends to ``OUT/<pattern>/<dataset>/<learner>__shuffle<k>.json``; a
rerun skips the runs on disk, so an interrupted benchmark resumes. The error-rate figure is
drawn from those files (``OUT/<pattern>/figures/error_rate.png``).

``--patterns obsolete`` adds the pattern no paper here reports: the 22, 19 or 8 auxiliary
columns in 9 groups, group g arriving with chunk g + 1 and vanishing 5 chunks later, so rows
miss columns that AL's earlier blocks read; ``al`` (running means for them) and ``al-route``
(an earlier exit) measure the two policies.

    OMP_NUM_THREADS=1 python -m experiments.benchmarks.trapezoidal [--shuffles 20]
        [--patterns trapezoidal,haphazard] [--datasets german,svmguide3,magic04] [--out DIR]
    python -m experiments.benchmarks.trapezoidal --tune   # AL's grid, on tuning shuffles 100-102

AL's hyper-parameters (the defaults of :class:`alcl.online.al_online.ALOnline`) were chosen
with ``--tune`` on shuffles 100-102 of german and svmguide3, never on the evaluation shuffles
0-19. The peers use their papers' settings (Aux-Drop: lr 0.1, 0.01 on magic04).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from alcl.online import build_learner, prequential
from alcl.results.files import write_json
from alcl.results.online_report import (
    HEADER,
    majority_floor,
    markdown,
    online_record,
    online_rows,
    read_online_runs,
)
from experiments.benchmarks.common import setup
from streams import from_csv, from_libsvm, from_table
from streams.evolving import EvolvingPattern, online_stream

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "feature_evolving"
FILES = {
    "german": lambda d: from_table(d / "german.data-numeric"),
    "svmguide3": lambda d: from_libsvm(d / "svmguide3", n_features=21),
    "magic04": lambda d: from_csv(d / "magic04.data", target=-1),
}
HAPHAZARD_P = {"german": 0.73, "svmguide3": 0.72, "magic04": 0.68}
LEARNERS = ("majority", "ogd", "olsf", "odl", "aux_drop_odl", "aux_drop_ogd", "al", "al-route")
VARIANTS = {"al-route": ("al", {"absent": "route"})}
"""Rows that run a registered learner with other settings: AL's other absent-column policy
(rows missing a column an earlier block reads exit before that block, instead of reading
its running mean). On a trapezoidal stream no row misses such a column, so it equals al."""
PEERS = ("olsf", "odl", "aux_drop_odl", "aux_drop_ogd", "ogd")
PUBLISHED = {  # mean errors, Aux-Drop (TMLR 2023) Tables 4 (haphazard) and 5 (trapezoidal)
    "trapezoidal": {
        "german": {"olsf": 385.5, "aux_drop_odl": 312.2, "aux_drop_ogd": 320.9},
        "svmguide3": {"olsf": 361.7, "aux_drop_odl": 296.9, "aux_drop_ogd": 297.0},
        "magic04": {"olsf": 6147.4, "aux_drop_odl": 6361.25, "aux_drop_ogd": 5635.8},
    },
    "haphazard": {
        "german": {"aux_drop_odl": 300.4, "aux_drop_ogd": 312.8},
        "svmguide3": {"aux_drop_odl": 297.2, "aux_drop_ogd": 297.5},
        "magic04": {"aux_drop_odl": 5536.7, "aux_drop_ogd": 5382.8},
    },
}
TOLERANCE = {"olsf": 0.10}  # the tolerance; 5 % for the others


def learner_params(name: str, dataset: str) -> dict:
    """The papers' settings that differ by data set (Aux-Drop's learning rate on magic04)."""
    if name.startswith("aux_drop") or name == "odl":
        return {"lr": 0.01 if dataset == "magic04" else 0.1}
    return {}


def pattern_of(pattern: str, dataset: str) -> EvolvingPattern:
    return EvolvingPattern(pattern, n_chunks=10, base=2, p=HAPHAZARD_P[dataset])


def run_one(path: Path, table, pattern: str, dataset: str, learner: str, shuffle: int, extra=None):
    stream = online_stream(table.x, table.y, table.n_classes, pattern_of(pattern, dataset), shuffle)
    registered, variant = VARIANTS.get(learner, (learner, {}))
    params = {**learner_params(registered, dataset), **variant, **(extra or {})}
    model = build_learner(registered, table.n_features, table.n_classes, shuffle, **params)
    result = prequential(model, stream.x, stream.y, seed=shuffle)
    record = online_record(
        result,
        stream,
        pattern_of(pattern, dataset),
        learner=learner,  # the row's name (a variant runs a registered learner)
        order=LEARNERS.index(learner),
        params=params,
        dataset=dataset,
    )
    write_json(path, record)  # atomic: a crash never leaves half a file
    return record


def report(out: Path, pattern: str, datasets: list[str], shuffles: int) -> str:
    """Per data set, :func:`alcl.results.online_report.online_rows` with the published number
    and its relative difference beside the balanced accuracy."""
    runs = read_online_runs(out / pattern)
    lines = [f"## {pattern} ({shuffles} shuffles; errors mean ± std (ddof 1); bal. acc.)", ""]
    for dataset in datasets:
        by_learner = runs.get(dataset, {})
        if not by_learner:
            continue
        records = [r for rs in by_learner.values() for r in rs]
        rows = []
        for row in online_rows(by_learner):
            name = row[0]
            published = PUBLISHED.get(pattern, {}).get(dataset, {}).get(name)
            if published is None:
                vs = "-"
            else:
                mean = np.mean([r["errors"] for r in by_learner[name]])
                rel = mean / published - 1.0
                ok = abs(rel) <= TOLERANCE.get(name, 0.05)
                vs = f"{published:g} ({rel:+.1%}, {'met' if ok else 'NOT met'})"
            rows.append([*row[:6], vs, *row[6:]])
        lines += [
            f"### {dataset} (majority-class floor: {majority_floor(records):.1f} errors)",
            "",
            markdown([*HEADER[:6], "published (diff)", *HEADER[6:]], rows),
            "",
        ]
    return "\n".join(lines)


def tune() -> None:
    """AL's small grid on tuning shuffles 100-102 (never the evaluation shuffles)."""
    grid = [
        {"lr": lr, "steps": steps, "answer": answer}
        for lr in (0.003, 0.01, 0.03)
        for steps in (1, 3)
        for answer in ("hedge", "best")
    ]
    tables = {name: FILES[name](DATA) for name in ("german", "svmguide3")}
    for params in grid:
        cells = []
        for dataset, table in tables.items():
            for pattern in ("trapezoidal", "haphazard"):
                errors = []
                for shuffle in (100, 101, 102):
                    stream = online_stream(
                        table.x, table.y, 2, pattern_of(pattern, dataset), shuffle
                    )
                    model = build_learner("al", table.n_features, 2, shuffle, **params)
                    errors.append(prequential(model, stream.x, stream.y).errors)
                cells.append(f"{dataset}/{pattern}: {np.mean(errors):.1f}")
        print(params, "; ".join(cells), flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shuffles", type=int, default=20)
    parser.add_argument("--patterns", default="trapezoidal,haphazard")  # or obsolete
    parser.add_argument("--datasets", default="german,svmguide3,magic04")
    parser.add_argument("--learners", default=",".join(LEARNERS))  # al-route: haphazard only
    parser.add_argument("--out", default="results/benchmarks/trapezoidal")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tune", action="store_true")
    args = parser.parse_args(argv)
    print(setup(args.threads), f"load average {os.getloadavg()[0]:.2f}", flush=True)
    if not DATA.is_dir():
        sys.exit(f"the feature-evolving data is missing: {DATA} (see its README); nothing run.")
    if args.tune:
        tune()
        return
    out = Path(args.out)
    datasets, patterns = args.datasets.split(","), args.patterns.split(",")
    learners = args.learners.split(",")
    unknown = sorted(set(datasets) - set(FILES)) + sorted(set(learners) - set(LEARNERS))
    if unknown:
        sys.exit(
            f"unknown data set or learner {unknown}; choose from {list(FILES)}, {list(LEARNERS)}."
        )
    tables = {name: FILES[name](DATA) for name in datasets}
    start = time.perf_counter()
    for pattern in patterns:
        for dataset in datasets:
            for learner in learners:
                for shuffle in range(args.shuffles):
                    path = out / pattern / dataset / f"{learner}__shuffle{shuffle}.json"
                    if not path.exists():
                        run_one(path, tables[dataset], pattern, dataset, learner, shuffle)
                print(
                    f"{pattern} {dataset} {learner}: done ({time.perf_counter() - start:.0f} s)",
                    flush=True,
                )
    text = "\n".join(report(out, p, datasets, args.shuffles) for p in patterns)
    (out / "report.md").write_text(text)
    print(text)
    from alcl.results.online_plots import plot_error_rates

    for pattern in patterns:
        plot_error_rates(out / pattern)
    print(f"load average {os.getloadavg()[0]:.2f}; figures in {out}/<pattern>/figures")


if __name__ == "__main__":
    main()
