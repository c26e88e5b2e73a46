"""Sweeps: one config expanded into many experiments (run in parallel on Ray by
:mod:`experiments.sweep_runner`).

A config may carry a ``sweep:`` section mapping dotted keys to lists of
values; every combination (the Cartesian product) is one *variant*, a normal
experiment with those keys set::

    sweep:
      training.lr: [0.001, 0.003]
      stream.dataset: [digits, wine]
      strategies.replay.mem_size: [100, 200]    # a strategy's hyper-parameter, by label/name

Each variant runs every strategy for every seed of its config; each
(variant, strategy, seed) run is one Ray task using one CPU (and one torch
thread). ``alcl sweep`` starts a local Ray instance by default, or joins an
existing cluster with ``--address``. The results land in one tree::

    <root>/sweep.yaml                 the sweep (base config and axes)
    <root>/<variant>/...              a normal results folder per variant (``alcl run``'s layout)
    <root>/summary.csv                every run of every variant, with the variant's values
    <root>/aggregate.csv, .md         mean ± std over seeds per variant and strategy
    <root>/failures.json              runs that failed, with their errors (only if any)

A failed run is reported with its error and does not stop the others.
Running the same sweep into the same root again skips finished runs and
resumes unfinished ones from their checkpoints (:mod:`experiments.checkpoints`).
On a multi-node cluster the root must be on a filesystem every node sees
for resuming; finished runs' metrics are also sent back and written by the driver.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from experiments.config import (
    DEFAULT_STRATEGIES,
    ConfigError,
    ExperimentConfig,
    config_from_dict,
    load_raw,
)
from experiments.overrides import apply_overrides, set_dotted

SWEEP_FILE = "sweep.yaml"


@dataclass
class Variant:
    """One experiment of a sweep: the values it sets and its checked config."""

    name: str
    assignments: dict[str, Any]
    config: ExperimentConfig

    @property
    def folder(self) -> Path:
        return Path(self.config.output)


@dataclass
class Sweep:
    root: Path
    base: dict[str, Any]  # the raw config, without its sweep section
    axes: dict[str, list[Any]]
    variants: list[Variant]
    spec_file: str = SWEEP_FILE  # what the root's claim is written to (a suite: suite.yaml)

    def runs(self) -> list[tuple[Variant, int, int]]:
        """Every (variant, strategy index, seed), in order."""
        return [
            (v, index, seed)
            for v in self.variants
            for seed in v.config.seeds
            for index in range(len(v.config.strategies))
        ]

    def describe(self) -> str:
        lines = [
            f"sweep of {len(self.variants)} variant(s), {len(self.runs())} run(s) into {self.root}:"
        ]
        lines += [f"  {v.name}" for v in self.variants]
        return "\n".join(lines) + "\n\n" + yaml.safe_dump({"sweep": self.axes}, sort_keys=False)


def _value_text(value: Any) -> str:
    return (
        json.dumps(value, separators=(",", ":")) if isinstance(value, (list, dict)) else str(value)
    )


def _folder_name(assignments: dict[str, Any], taken: set[str], default: str) -> str:
    name = ",".join(f"{k}={_value_text(v)}" for k, v in assignments.items()) or default
    name = re.sub(r"[^A-Za-z0-9_.=,+-]", "_", name)[:150]
    unique, i = name, 1
    while unique in taken:
        i += 1
        unique = f"{name}-{i}"
    taken.add(unique)
    return unique


def expand_sweep(data: dict[str, Any], out: str | Path | None = None) -> Sweep:
    """Check a raw config with a ``sweep:`` section and expand it into its variants."""
    base = copy.deepcopy(data)
    axes = base.pop("sweep", None) or {}
    if not isinstance(axes, dict):
        raise ConfigError(
            "sweep must map dotted keys to lists of values, e.g. training.lr: [0.001, 0.003]."
        )
    for key, values in axes.items():
        if not isinstance(key, str) or not key or key.startswith("sweep"):
            raise ConfigError(f"sweep: {key!r} is not a dotted config key such as training.lr.")
        if not isinstance(values, list) or not values:
            raise ConfigError(f"sweep.{key} must be a non-empty list of values, got {values!r}.")
    # Absolute, so that Ray workers (whose working folder may differ) write where the driver reads.
    root = Path(out or base.get("output") or f"results/{base.get('name', 'default')}").absolute()
    variants, taken = [], set()
    for combo in itertools.product(*axes.values()):
        assignments = dict(zip(axes, combo, strict=True))
        name = _folder_name(assignments, taken, str(base.get("name", "default")))
        variant_data = copy.deepcopy(base)
        try:
            for key, value in assignments.items():
                set_dotted(variant_data, key, value, DEFAULT_STRATEGIES)
            variant_data["output"] = str(root / name)
            cfg = config_from_dict(variant_data)
        except ConfigError as err:
            raise ConfigError(f"sweep variant {name}: {err}") from err
        variants.append(Variant(name, assignments, cfg))
    return Sweep(root, {k: v for k, v in base.items() if k != "output"}, axes, variants)


def load_sweep(path: str | Path, overrides=(), out: str | Path | None = None) -> Sweep:
    """Read a sweep config file, apply ``key=value`` overrides, expand it."""
    return expand_sweep(apply_overrides(load_raw(path), overrides, DEFAULT_STRATEGIES), out)


def has_runs(variant: Variant) -> bool:
    return any((variant.folder / "metrics").glob("*.json"))


def claim(sweep: Sweep) -> None:
    """Use ``sweep.root`` for ``sweep``: every variant folder is checked first (its finished
    runs must be comparable: seeds, strategies and variants may be added), then the root's
    spec and every folder's config are written. Another kind of sweep (other axes) is refused."""
    from alcl.results.files import atomic_write_text
    from experiments.folders import check_output_folder, claim_folder, folder_conflict

    check_output_folder(sweep.root)
    text = yaml.safe_dump({"config": sweep.base, "sweep": sweep.axes}, sort_keys=False)
    existing = sweep.root / sweep.spec_file
    kind = Path(sweep.spec_file).stem
    if existing.is_file() and existing.read_text() != text:
        try:
            old_axes = (yaml.safe_load(existing.read_text()) or {}).get("sweep") or {}
        except yaml.YAMLError:
            old_axes = None
        if old_axes is None or set(old_axes) != set(sweep.axes):
            raise ConfigError(
                f"{sweep.root} already holds another {kind} (over {sorted(old_axes or [])}, "
                f"not {sorted(sweep.axes)}); pass another --out or remove the folder."
            )
    conflicts = [c for v in sweep.variants if (c := folder_conflict(v.folder, v.config))]
    if conflicts:
        more = f" ({len(conflicts) - 1} more folder(s) of this {kind} differ too)"
        raise ConfigError(conflicts[0] + (more if len(conflicts) > 1 else ""))
    atomic_write_text(existing, text)
    for variant in sweep.variants:
        claim_folder(variant.folder, variant.config)


def write_sweep_tables(sweep: Sweep) -> list[Path]:
    """Per-variant summaries, then the sweep's summary and aggregate tables."""
    from alcl.results.files import atomic_write_text, load_runs, write_summary
    from alcl.results.tables import (
        AGGREGATE_COLUMNS,
        SUMMARY_COLUMNS,
        aggregate,
        aggregate_markdown,
        csv_text,
        summary_rows,
    )
    from experiments.checkpoints import remove_empty_checkpoint_folder

    keys = tuple(sweep.axes)
    runs, groups = [], []
    for variant in sweep.variants:
        remove_empty_checkpoint_folder(variant.folder)
        if not has_runs(variant):
            continue
        write_summary(variant.folder)
        values = {
            "variant": variant.name,
            **{k: _value_text(v) for k, v in variant.assignments.items()},
        }
        rows = summary_rows(load_runs(variant.folder))
        runs += [{**values, **row} for row in rows]
        groups += [{**values, **row} for row in aggregate(rows)]
    return [
        atomic_write_text(
            sweep.root / "summary.csv", csv_text(runs, ("variant", *keys, *SUMMARY_COLUMNS))
        ),
        atomic_write_text(
            sweep.root / "aggregate.csv", csv_text(groups, ("variant", *keys, *AGGREGATE_COLUMNS))
        ),
        atomic_write_text(
            sweep.root / "aggregate.md", aggregate_markdown(groups, lead=("variant",))
        ),
    ]
