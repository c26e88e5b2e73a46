"""Suites: one experiment per stream, the same strategies and seeds on each, and one scoreboard.

A suite file is a config file (every key of ``alcl run``: seeds, model, training, adaptive,
strategies, ...) with a ``streams:`` list instead of one ``stream:`` section. Each entry names
its folder and sets stream keys over the suite's ``stream:`` section (if any)::

    seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    strategies: [al, naive, replay]
    streams:
      - {name: digits-contiguous-3, dataset: digits, n_experiences: 3}
      - {name: wine-random-4, dataset: wine, grouping: random, n_experiences: 4}
      - name: ag-news-fields
        dataset: ag_news
        path: ../shared/data/ag_news_test.csv
        grouping: fields
        optional: true                  # skipped, with a message, when its data is missing
        set: {training.epochs: 10}      # dotted keys set for this stream only

``alcl suite SUITE`` runs every stream x strategy x seed, in sequence or on Ray
(``--ray``, ``--address``), into ``<root>/<stream name>/`` (a normal results folder each) and
writes ``<root>/scoreboard.md`` and the critical-difference figure
(:mod:`alcl.results.scoreboard`). It resumes like ``alcl run``: finished runs are kept and
unfinished ones continue from their checkpoints.

With a ``tune:`` section (:mod:`experiments.tuning`), every strategy is first tuned per stream
on an equal budget, with the tuning seeds, into ``<root>/tuning/<stream name>/``; the chosen
values then run with the evaluation seeds (and are listed in ``<root>/tuning.md``).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from experiments.config import DEFAULT_STRATEGIES, ConfigError, config_from_dict, load_raw
from experiments.overrides import apply_overrides, set_dotted
from experiments.sweep import Sweep, Variant
from experiments.tuning import TuneConfig, parse_tune, tuning_config

SUITE_FILE = "suite.yaml"
TUNING_DIR = "tuning"
TUNING_FILE = "tuning.md"
ENTRY_KEYS = ("name", "optional", "set")
"""Keys of a ``streams:`` entry that are not stream keys."""


@dataclass
class Suite:
    """A suite's streams as checked experiment configs, and the streams it skips (with why)."""

    root: Path
    base: dict[str, Any]  # the raw suite, without its streams
    entries: list[dict[str, Any]]
    variants: list[Variant]
    skipped: dict[str, str] = field(default_factory=dict)
    tune: TuneConfig | None = None

    def as_sweep(self) -> Sweep:
        """The suite as a sweep over its streams (for :mod:`experiments.sweep_runner`)."""
        names = [v.name for v in self.variants]
        return Sweep(self.root, self.base, {"stream": names}, self.variants, SUITE_FILE)

    def tuning_sweep(self) -> Sweep:
        """The tuning runs: per stream, every strategy's grid points with the tuning seeds."""
        root = self.root / TUNING_DIR
        variants = [
            Variant(
                v.name,
                {"stream": v.name},
                config_from_dict(tuning_config(v.config, self.tune, root / v.name)),
            )
            for v in self.variants
        ]
        names = [v.name for v in variants]
        return Sweep(root, self.base, {"stream": names}, variants, SUITE_FILE)

    def runs(self) -> int:
        return sum(len(v.config.seeds) * len(v.config.strategies) for v in self.variants)

    def tuning_runs(self) -> int:
        if self.tune is None:
            return 0
        per_stream = len(self.tune.seeds) * self.tune.budget
        return sum(per_stream * len(v.config.strategies) for v in self.variants)

    def describe(self) -> str:
        tuned = f" after {self.tuning_runs()} tuning run(s)" if self.tune else ""
        lines = [
            f"suite of {len(self.variants)} stream(s), {self.runs()} run(s){tuned} "
            f"into {self.root}:"
        ]
        lines += [f"  {v.name}" for v in self.variants]
        lines += [f"  {name}: skipped ({why})" for name, why in self.skipped.items()]
        return "\n".join(lines)


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


def _entry(raw: Any, index: int, seen: set[str]) -> dict[str, Any]:
    where = f"streams[{index}]"
    if not isinstance(raw, dict) or "name" not in raw:
        raise ConfigError(f"{where} must be a mapping with a 'name' (its folder) and stream keys.")
    name = raw["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"{where}.name must be a folder name of letters, digits and _.+- , got {name!r}."
        )
    if name in seen:
        raise ConfigError(f"{where}: stream name {name!r} appears twice; names are folders.")
    seen.add(name)
    if not isinstance(raw.get("optional", False), bool):
        raise ConfigError(f"{where}.optional must be true or false.")
    if not isinstance(raw.get("set", {}), dict):
        raise ConfigError(f"{where}.set must map dotted keys to values, e.g. training.epochs: 5.")
    return raw


def expand_suite(data: dict[str, Any], out: str | Path | None = None) -> Suite:
    """Check a raw suite mapping and turn each stream entry into an experiment config."""
    base = copy.deepcopy(data)
    raw_streams = base.pop("streams", None)
    if not isinstance(raw_streams, list) or not raw_streams:
        raise ConfigError(
            "a suite needs a non-empty `streams:` list, each entry a mapping with a name and "
            "stream keys (e.g. {name: digits-3, dataset: digits, n_experiences: 3})."
        )
    if "sweep" in base:
        raise ConfigError("a suite cannot also hold a sweep section; run the sweep separately.")
    raw_tune = base.pop("tune", None)
    root = Path(out or base.get("output") or f"results/{base.get('name', 'suite')}").absolute()
    seen: set[str] = set()
    entries = [_entry(raw, i, seen) for i, raw in enumerate(raw_streams)]
    variants = []
    for entry in entries:
        variant = copy.deepcopy(base)
        stream = {k: v for k, v in entry.items() if k not in ENTRY_KEYS}
        variant["stream"] = {**(variant.get("stream") or {}), **stream}
        variant["output"] = str(root / entry["name"])
        try:
            for key, value in entry.get("set", {}).items():
                set_dotted(variant, key, value, DEFAULT_STRATEGIES)
            cfg = config_from_dict(variant)
        except ConfigError as err:
            raise ConfigError(f"suite stream {entry['name']}: {err}") from err
        variants.append(Variant(entry["name"], {"stream": entry["name"]}, cfg))
    tune = None
    if raw_tune is not None:
        seeds = sorted({s for v in variants for s in v.config.seeds})
        tune = parse_tune(raw_tune, seeds)
        base["tune"] = raw_tune  # part of the suite's claim: other grids, other results
        for v in variants:  # every grid is checked before anything runs
            try:
                config_from_dict(tuning_config(v.config, tune, root / TUNING_DIR / v.name))
            except ConfigError as err:
                raise ConfigError(f"suite stream {v.name}: {err}") from err
    kept = {k: v for k, v in base.items() if k != "output"}
    return Suite(root, kept, entries, variants, tune=tune)


def load_suite(path: str | Path, overrides=(), out: str | Path | None = None) -> Suite:
    """Read a suite file, apply ``key=value`` overrides (to every stream), expand it."""
    return expand_suite(apply_overrides(load_raw(path), overrides, DEFAULT_STRATEGIES), out)


def check_data(suite: Suite) -> dict[str, Any]:
    """Load every stream's data once, before anything is written; drop the optional streams
    whose data is missing (recorded in ``suite.skipped``). Returns the data by stream name."""
    from experiments.runner import load_data
    from streams import DataError

    data, kept = {}, []
    for entry, variant in zip(suite.entries, suite.variants, strict=True):
        try:
            data[variant.name] = load_data(variant.config.stream)
        except (DataError, FileNotFoundError) as err:
            if not entry.get("optional", False):
                raise ConfigError(f"suite stream {variant.name}: {err}") from err
            suite.skipped[variant.name] = str(err).splitlines()[0]
            continue
        kept.append(variant)
    suite.variants = kept
    if not kept:
        raise ConfigError("every stream of this suite was skipped; nothing to run.")
    return data


def run_suite(
    suite: Suite,
    *,
    ray: bool = False,
    address: str | None = None,
    num_cpus: int | None = None,
    progress: bool = True,
) -> Path:
    """Run every stream of ``suite`` (in sequence, or on Ray), then write its scoreboard.

    With a ``tune:`` section the tuning runs go first, and each stream's strategies then run
    with the values chosen on its validation sets."""
    from alcl.results.files import atomic_write_text
    from alcl.results.scoreboard import write_scoreboard
    from experiments.tuning import choose, chosen_markdown

    data = check_data(suite)
    for name, why in suite.skipped.items():
        print(f"alcl suite: skipping stream {name}: {why}")
    run = dict(ray=ray, address=address, num_cpus=num_cpus, progress=progress)
    if suite.tune is not None:
        if progress:
            print(f"tuning: {suite.tuning_runs()} run(s)", flush=True)
        _run_streams(suite.tuning_sweep(), data, plots=False, **run)
        reports = {}
        for variant in suite.variants:
            folder = suite.root / TUNING_DIR / variant.name
            variant.config, reports[variant.name] = choose(variant.config, suite.tune, folder)
        atomic_write_text(suite.root / TUNING_FILE, chosen_markdown(reports, suite.tune.metric))
        if progress:
            print(f"evaluation: {suite.runs()} run(s)", flush=True)
    _run_streams(suite.as_sweep(), data, plots=True, **run)
    write_scoreboard(suite.root, [v.name for v in suite.variants], suite.skipped)
    return suite.root


def _run_streams(
    sweep: Sweep,
    data: dict[str, Any],
    *,
    plots: bool,
    ray: bool,
    address: str | None,
    num_cpus: int | None,
    progress: bool,
) -> None:
    """Every run of ``sweep`` (one variant per stream), in sequence or on Ray."""
    from experiments.sweep import claim, write_sweep_tables

    if ray or address:
        from experiments.sweep_runner import run_sweep

        result = run_sweep(
            sweep, address=address, num_cpus=num_cpus, progress=progress, plots=plots
        )
        if result.failures:
            print(result.report())
        return
    from experiments.runner import run_experiment

    claim(sweep)
    for variant in sweep.variants:
        if progress:
            print(f"stream {variant.name}", flush=True)
        run_experiment(
            variant.config, variant.folder, progress, plots=plots, data=data[variant.name]
        )
    write_sweep_tables(sweep)
