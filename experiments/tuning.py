"""Tuning on an equal budget: every strategy gets the same number of grid points, chosen on
validation with tuning seeds that are never evaluation seeds.

A suite (or any experiment run by :mod:`experiments.suite`) may carry a ``tune:`` section::

    tune:
      seeds: [100]                  # tuning seeds, disjoint from `seeds`
      budget: 4                     # grid points per strategy, the same for every strategy
      metric: valid_avg_accuracy    # chosen on validation: valid_avg_accuracy | valid_current_accuracy
      grid:
        all: {lr: [0.001, 0.003], epochs: [10, 20]}   # for every strategy
        ewc: {ewc_lambda: [1, 10, 100, 1000]}           # by strategy label (or name)

A grid key is a ``training:`` key (lr, epochs, ...: set for that strategy alone, see
:class:`experiments.config.StrategyConfig`) or one of the strategy's hyper-parameters. A
strategy's grid is the product of ``all`` and its own entry (its own values win). A grid with
more points than the budget is cut to ``budget`` points drawn at random (seeded by the first
tuning seed and the strategy's label), as in a random search with an equal number of trials
(Bergstra & Bengio 2012); a grid with fewer points is refused, because that strategy would
get a smaller budget. Every point runs with every tuning seed; the point with the best mean
``metric`` (the first in order on a tie) is chosen, per strategy and per stream. Tuning runs
live under ``<root>/tuning/`` and never enter a result table.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import random
import typing
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alcl.config import TrainingConfig
from experiments.config import ExperimentConfig, StrategyConfig
from experiments.errors import ConfigError

TUNE_METRICS = ("valid_avg_accuracy", "valid_current_accuracy")
"""What a point is chosen by (higher is better): validation accuracy, as released or current."""
ALL = "all"
CHOSEN_FILE = "chosen.json"


@dataclass
class TuneConfig:
    """The ``tune:`` section: tuning seeds, the budget per strategy, the metric and the grid."""

    seeds: list[int] = field(default_factory=lambda: [100])
    budget: int = 4
    metric: str = "valid_avg_accuracy"
    grid: dict[str, dict[str, list[Any]]] = field(default_factory=dict)


@dataclass
class Point:
    """One grid point of one strategy: hyper-parameters and training keys it sets."""

    params: dict[str, Any]
    training: dict[str, Any]

    def label(self) -> str:
        values = {**self.params, **self.training}
        return ",".join(f"{k}={v}" for k, v in sorted(values.items())) or "defaults"


def parse_tune(raw: Any, eval_seeds: list[int]) -> TuneConfig:
    """Check a raw ``tune:`` mapping (keys, types, seeds disjoint from ``eval_seeds``)."""
    if not isinstance(raw, dict):
        raise ConfigError("tune must be a mapping with seeds, budget, metric and grid.")
    allowed = [f.name for f in dataclasses.fields(TuneConfig)]
    for key in raw:
        if key not in allowed:
            raise ConfigError(f"unknown key tune.{key}; allowed keys are {allowed}.")
    tune = TuneConfig(**raw)
    if (
        not isinstance(tune.seeds, list)
        or not tune.seeds
        or not all(isinstance(s, int) and not isinstance(s, bool) for s in tune.seeds)
    ):
        raise ConfigError(f"tune.seeds must be a non-empty list of ints, got {tune.seeds!r}.")
    shared = sorted(set(tune.seeds) & set(eval_seeds))
    if shared:
        raise ConfigError(
            f"tune.seeds {shared} are also evaluation seeds; a tuning run must never be a result. "
            "Use other seeds (e.g. 100 and up)."
        )
    if not isinstance(tune.budget, int) or isinstance(tune.budget, bool) or tune.budget < 1:
        raise ConfigError(f"tune.budget must be an int >= 1, got {tune.budget!r}.")
    if tune.metric not in TUNE_METRICS:
        raise ConfigError(f"tune.metric must be one of {list(TUNE_METRICS)}, got {tune.metric!r}.")
    if not isinstance(tune.grid, dict):
        raise ConfigError("tune.grid must map 'all' or a strategy label to {key: [values]}.")
    for who, keys in tune.grid.items():
        if not isinstance(keys, dict) or not keys:
            raise ConfigError(f"tune.grid.{who} must map keys to non-empty lists of values.")
        for key, values in keys.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(f"tune.grid.{who}.{key} must be a non-empty list of values.")
    return tune


def _grid_of(tune: TuneConfig, strategy: StrategyConfig) -> dict[str, list[Any]]:
    own = tune.grid.get(strategy.key, tune.grid.get(strategy.name, {}))
    return {**tune.grid.get(ALL, {}), **own}


def grid_points(tune: TuneConfig, strategy: StrategyConfig) -> list[Point]:
    """The ``budget`` points a strategy is tuned on (see the module docs)."""
    grid = _grid_of(tune, strategy)
    training_keys = {f.name for f in dataclasses.fields(TrainingConfig)}
    param_keys = set(typing.get_type_hints(strategy.entry.params))
    for key in grid:
        if key not in training_keys and key not in param_keys:
            raise ConfigError(
                f"tune.grid: {key!r} is neither a training key nor a hyper-parameter of "
                f"strategy {strategy.key!r}; allowed: {sorted(training_keys | param_keys)}."
            )
    combos = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    if len(combos) < tune.budget:
        raise ConfigError(
            f"tune.grid gives strategy {strategy.key!r} {len(combos)} point(s), fewer than "
            f"tune.budget = {tune.budget}; every strategy needs the same budget, so add values "
            "to its grid or lower the budget."
        )
    if len(combos) > tune.budget:
        rng = random.Random(tune.seeds[0] * 1_000_003 + zlib.crc32(strategy.key.encode()))
        keep = sorted(rng.sample(range(len(combos)), tune.budget))
        combos = [combos[i] for i in keep]
    return [
        Point(
            {**strategy.params, **{k: v for k, v in c.items() if k not in training_keys}},
            {**strategy.training, **{k: v for k, v in c.items() if k in training_keys}},
        )
        for c in combos
    ]


def point_label(strategy: StrategyConfig, index: int) -> str:
    return f"{strategy.key}@{index}"


def tuning_config(cfg: ExperimentConfig, tune: TuneConfig, folder: Path) -> dict[str, Any]:
    """The raw config of a stream's tuning runs: every strategy's points, the tuning seeds."""
    data = cfg.to_dict()
    strategies = []
    for strategy in cfg.strategies:
        for i, point in enumerate(grid_points(tune, strategy)):
            strategies.append(
                {
                    "name": strategy.name,
                    "label": point_label(strategy, i),
                    **point.params,
                    **({"training": point.training} if point.training else {}),
                }
            )
    return {**data, "strategies": strategies, "seeds": list(tune.seeds), "output": str(folder)}


def choose(cfg: ExperimentConfig, tune: TuneConfig, folder: Path) -> tuple[ExperimentConfig, dict]:
    """``cfg`` with each strategy set to its best point in the tuning runs of ``folder``, and a
    report of every point's score (written to ``folder/chosen.json``)."""
    from alcl.results.files import load_runs, write_json

    scores: dict[str, list[float]] = {}
    for run in load_runs(folder):
        value = run.final.get(tune.metric)
        scores.setdefault(run.strategy, []).append(math.nan if value is None else float(value))
    chosen, report = [], {}
    for strategy in cfg.strategies:
        points = grid_points(tune, strategy)
        rows = []
        for i, point in enumerate(points):
            values = scores.get(point_label(strategy, i), [])
            if len(values) < len(tune.seeds):
                raise ConfigError(
                    f"{folder}: tuning point {point_label(strategy, i)} has {len(values)} of "
                    f"{len(tune.seeds)} finished runs; run the suite again to finish it."
                )
            mean = float(sum(values) / len(values))
            rows.append({"point": point.label(), "params": point.params,
                         "training": point.training, tune.metric: mean})  # fmt: skip
        best = max(range(len(rows)), key=lambda i: (_finite(rows[i][tune.metric]), -i))
        point = points[best]
        chosen.append(dataclasses.replace(strategy, params=point.params, training=point.training))
        report[strategy.key] = {"chosen": best, "points": rows}
    write_json(folder / CHOSEN_FILE, {"metric": tune.metric, "seeds": tune.seeds, **report})
    return dataclasses.replace(cfg, strategies=chosen), report


def _finite(value: float) -> float:
    return -math.inf if math.isnan(value) else value


def chosen_markdown(reports: dict[str, dict], metric: str) -> str:
    """One table of every stream's chosen points: ``stream | strategy | chosen | metric``."""
    lines = [
        f"# Tuned settings (chosen on {metric}, tuning seeds only)",
        "",
        f"| stream | strategy | chosen | {metric} | points tried |",
        "|---|---|---|---|---|",
    ]
    for stream, report in reports.items():
        for strategy, entry in report.items():
            best = entry["points"][entry["chosen"]]
            lines.append(
                f"| {stream} | {strategy} | {best['point']} | {best[metric]:.4f} | "
                f"{len(entry['points'])} |"
            )
    return "\n".join(lines) + "\n"


def read_reports(root: Path, names: list[str]) -> dict[str, dict]:
    """The ``chosen.json`` of each stream's tuning folder under ``root`` (those that exist)."""
    out = {}
    for name in names:
        path = root / name / CHOSEN_FILE
        if path.is_file():
            data = json.loads(path.read_text())
            out[name] = {k: v for k, v in data.items() if k not in ("metric", "seeds")}
    return out
