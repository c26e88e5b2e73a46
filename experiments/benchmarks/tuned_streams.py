"""Choose each strategy's training setting on validation, then run it on the evaluation seeds.

For every strategy of a config and every setting of a small grid (for example
learning rate x epochs), train on the tuning seeds' streams (never evaluation seeds) and
read a *validation* metric: the as-released validation average accuracy, or, for a strategy
that trains once (Joint, which has no stream order), the current-feature one. The best
setting per strategy (the mean over tuning seeds) then runs on every evaluation seed, and
only then are test metrics read; no tuning run is a result. Every strategy gets the same
grid. The results folder is an ordinary one (``alcl plot`` redraws it); ``training.json``
holds the training section each strategy ran with, and ``tuning.json`` every validation
score of the grid.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
from pathlib import Path
from typing import Any

from alcl.evaluation.record import RunRecord
from alcl.results.files import load_runs, run_path, write_json, write_summary
from alcl.results.tables import aggregate, summary_rows
from experiments.benchmarks.default_stream import print_table
from experiments.config import ExperimentConfig, dump_config
from experiments.runner import build_stream, load_data, quiet_avalanche, run_one

COLUMNS = ("avg_accuracy", "forgetting", "current_accuracy", "train_seconds")


def _with(cfg: ExperimentConfig, setting: dict[str, Any]) -> ExperimentConfig:
    return dataclasses.replace(cfg, training=dataclasses.replace(cfg.training, **setting))


def validation_score(record: RunRecord) -> float:
    """The number a setting is chosen by; never a test number."""
    key = "valid_current_accuracy" if record.trains_once else "valid_avg_accuracy"
    return float(record.final[key])


def tune(
    cfg: ExperimentConfig, grid: dict[str, list], seeds: list[int], data, device: str = "cpu"
) -> tuple[dict[str, dict], list[dict]]:
    """The best grid setting per strategy on the tuning ``seeds``' validation sets (their
    mean), and every score."""
    streams = {seed: build_stream(cfg.stream, seed, data) for seed in seeds}
    settings = [
        dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())
    ]
    scores = []
    for setting in settings:
        for index, entry in enumerate(cfg.strategies):
            start = time.perf_counter()
            values = []
            for seed, stream in streams.items():
                with quiet_avalanche():
                    values.append(
                        validation_score(run_one(_with(cfg, setting), index, seed, stream, device))
                    )
            score = sum(values) / len(values)
            scores.append({"strategy": entry.key, **setting, "validation": score})
            print(
                f"  tune {entry.key:12s} {setting}  validation {score:.4f}  "
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    chosen = {}
    for entry in cfg.strategies:
        best = max((s for s in scores if s["strategy"] == entry.key), key=lambda s: s["validation"])
        chosen[entry.key] = {k: best[k] for k in grid}
    return chosen, scores


def run_seeds(
    cfg: ExperimentConfig,
    chosen: dict[str, dict],
    seeds: list[int],
    data,
    folder: Path,
    device: str = "cpu",
) -> Path:
    """Run every strategy with its chosen setting on every seed; write an ordinary results folder,
    plus ``training.json``: the training section each strategy ran with, by strategy key."""
    from alcl.results.files import atomic_write_text

    atomic_write_text(folder / "config.yaml", dump_config(dataclasses.replace(cfg, seeds=seeds)))
    run_cfgs = [_with(cfg, chosen.get(entry.key, {})) for entry in cfg.strategies]
    write_json(
        folder / "training.json",
        {
            entry.key: dataclasses.asdict(run_cfg.training)
            for entry, run_cfg in zip(cfg.strategies, run_cfgs, strict=True)
        },
    )
    for seed in seeds:
        stream = build_stream(cfg.stream, seed, data)
        for index, (entry, run_cfg) in enumerate(zip(cfg.strategies, run_cfgs, strict=True)):
            with quiet_avalanche():
                record = run_one(run_cfg, index, seed, stream, device)
            write_json(run_path(folder, entry.key, seed), record.to_dict())
            write_summary(folder)
            print(
                f"  ran {entry.key:12s} seed {seed}: {sum(record.train_seconds):.0f} s",
                flush=True,
            )
    return folder


def tune_then_run(
    cfg: ExperimentConfig,
    grid: dict[str, list],
    seeds: list[int],
    folder: Path,
    tune_seeds: list[int] = (100,),
) -> dict[str, dict]:
    """Tune on ``tune_seeds``' validation sets, run the evaluation ``seeds``, print the table
    (mean ± 95 % CI, AL − strategy paired over seeds); return the aggregate rows."""
    tune_seeds = list(tune_seeds)
    if set(tune_seeds) & set(seeds):
        raise ValueError(
            f"tuning seeds {sorted(set(tune_seeds) & set(seeds))} are also evaluation seeds; "
            "a tuning run must never be a result."
        )
    data = load_data(cfg.stream)
    start = time.perf_counter()
    chosen, scores = tune(cfg, grid, tune_seeds, data)
    write_json(
        folder / "tuning.json",
        {"grid": grid, "seeds": tune_seeds, "scores": scores, "chosen": chosen},
    )
    run_seeds(cfg, chosen, seeds, data, folder)
    agg = aggregate(summary_rows(load_runs(folder)))
    print(
        f"\n{cfg.stream.dataset}: {cfg.stream.n_experiences} experiences, seeds {seeds}; "
        f"{time.perf_counter() - start:.0f} s in all; results in {folder}"
    )
    print(f"chosen on validation (tuning seeds {tune_seeds}): {chosen}\n")
    print_table(agg, COLUMNS)
    return {row["strategy"]: row for row in agg}
