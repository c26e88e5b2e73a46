"""Choose each strategy's training setting on validation, then run it on several seeds.

For every strategy of a config and every setting of a small grid (for example
learning rate x epochs), train on one seed's stream and read a *validation*
metric: the as-released validation average accuracy, or, for a strategy that
trains once (Joint, which has no stream order), the current-feature one. The
best setting per strategy is then run on every seed, and only then are test
metrics read. The results folder is an ordinary one (``alcl plot`` redraws
it); ``training.json`` holds the training section each strategy ran with, and
``tuning.json`` every validation score of the grid.
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
    cfg: ExperimentConfig, grid: dict[str, list], seed: int, data, device: str = "cpu"
) -> tuple[dict[str, dict], list[dict], dict[str, RunRecord]]:
    """The best grid setting per strategy on ``seed``'s validation sets, every score, and the
    chosen setting's record per strategy (a run is a function of its config and seed, so
    that record is the one a rerun on ``seed`` would write)."""
    stream = build_stream(cfg.stream, seed, data)
    settings = [
        dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())
    ]
    scores, records = [], {}
    for setting in settings:
        for index, entry in enumerate(cfg.strategies):
            start = time.perf_counter()
            with quiet_avalanche():
                record = run_one(_with(cfg, setting), index, seed, stream, device)
            score = validation_score(record)
            scores.append({"strategy": entry.key, **setting, "validation": score})
            records[entry.key, tuple(setting.items())] = record
            print(
                f"  tune {entry.key:12s} {setting}  validation {score:.4f}  "
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
    chosen = {}
    for entry in cfg.strategies:
        best = max((s for s in scores if s["strategy"] == entry.key), key=lambda s: s["validation"])
        chosen[entry.key] = {k: best[k] for k in grid}
    kept = {key: records[key, tuple(chosen[key].items())] for key in chosen}
    return chosen, scores, kept


def run_seeds(
    cfg: ExperimentConfig,
    chosen: dict[str, dict],
    seeds: list[int],
    data,
    folder: Path,
    device: str = "cpu",
    done: dict[tuple[str, int], RunRecord] | None = None,
) -> Path:
    """Run every strategy with its chosen setting on every seed; write an ordinary results folder,
    plus ``training.json``: the training section each strategy ran with, by strategy key.

    ``done`` maps (strategy key, seed) to a record already computed with the chosen
    setting (during tuning); it is written instead of running again.
    """
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
            record = (done or {}).get((entry.key, seed))
            if record is None:
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
    cfg: ExperimentConfig, grid: dict[str, list], seeds: list[int], folder: Path
) -> dict[str, dict]:
    """Tune on ``seeds[0]``'s validation sets, run all seeds, print the table; return the means."""
    data = load_data(cfg.stream)
    start = time.perf_counter()
    chosen, scores, kept = tune(cfg, grid, seeds[0], data)
    write_json(
        folder / "tuning.json", {"grid": grid, "seed": seeds[0], "scores": scores, "chosen": chosen}
    )
    done = {(key, seeds[0]): record for key, record in kept.items()}
    run_seeds(cfg, chosen, seeds, data, folder, done=done)
    agg = aggregate(summary_rows(load_runs(folder)))
    print(
        f"\n{cfg.stream.dataset}: {cfg.stream.n_experiences} experiences, seeds {seeds}; "
        f"{time.perf_counter() - start:.0f} s in all; results in {folder}"
    )
    print(f"chosen on validation (seed {seeds[0]}): {chosen}\n")
    print_table(agg, COLUMNS)
    return {row["strategy"]: row for row in agg}
