"""The experiment configuration: one documented schema, checked when loaded.

A config is YAML (or a dict) with these sections; every key is optional and
falls back to the default shown in the dataclasses below::

    name: default            # a label for the run
    seeds: [0]               # one run per strategy and seed
    device: auto             # cpu | cuda | auto
    threads: 0               # PyTorch CPU threads (0: PyTorch's default)
    jobs: 1                  # runs at once, in forked processes (0: one per core)
    output: results/default  # the results folder
    protocol: batch          # batch (experiences) | online (prequential, experiments.online_runner)
    stream: {...}            # StreamConfig
    model: {...}             # ModelConfig (shared by AL and the baselines)
    training: {...}          # TrainingConfig (the same budget for every strategy)
    adaptive: {...}          # AdaptiveConfig (AL early exits, calibrated on validation)
    logging: {...}           # LoggingConfig (Avalanche's loggers, per run)
    online: {...}            # OnlineConfig (protocol online: rows per step)
    strategies:              # names, or mappings with a name and hyper-parameters
      - al
      - {name: replay, mem_size: 200}

Unknown keys, wrong types and unknown names fail with a :class:`ConfigError`
that names the key and what is allowed. A ``sweep:`` section (dotted keys
mapped to lists of values) belongs to ``alcl sweep`` (:mod:`experiments.sweep`);
``--set key=value`` overrides are applied by :mod:`experiments.overrides`.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from alcl.calibration import AdaptiveConfig
from alcl.config import ModelConfig, TrainingConfig
from alcl.online.config import DEFAULT_LEARNERS, DEFAULT_SHUFFLES, OnlineConfig
from alcl.registry import StrategyEntry, strategies
from alcl.results.logs import LoggingConfig
from experiments.backbone_config import check_backbone
from experiments.errors import ConfigError
from experiments.online_config import check_online, online_entry
from experiments.overrides import apply_overrides
from experiments.schema import (
    as_float,
    check_label,
    entry_parts,
    section,
    section_values,
    type_name,
    type_ok,
    unknown_key,
)
from streams import StreamConfig, check_stream
from streams.evolving import HIDES_CELLS, PATTERNS, pattern_of

CONFIG_DIR = Path(__file__).parent / "configs"
DEFAULT_STRATEGIES = ("al", "naive", "replay", "cumulative", "joint")
"""The strategies of a (batch) config that names none."""
PROTOCOLS = ("batch", "online")
"""``batch``: experiences, trained in epochs and tested on held-out rows
(:mod:`experiments.runner`); ``online``: each row predicted, then learned, in one pass
(:mod:`experiments.online_runner`)."""


@dataclass
class StrategyConfig:
    """One ``strategies:`` entry: a registered name, an optional label, its hyper-parameters,
    and ``training`` keys that override the shared ``training:`` section for it alone (how a
    tuned lr or epoch count reaches one strategy; see :mod:`experiments.tuning`)."""

    name: str
    label: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.label or self.name

    @property
    def entry(self) -> StrategyEntry:
        """The registered strategy (:mod:`alcl.registry`): its class, builder and flags."""
        return strategies()[self.name]

    @property
    def options(self) -> Any:
        """The typed hyper-parameters: the entry's params dataclass, given values overlaid."""
        return self.entry.options(self.params)

    def training_for(self, shared: TrainingConfig) -> TrainingConfig:
        """The training settings this strategy runs with: ``shared``, its own keys overlaid."""
        return dataclasses.replace(shared, **self.training) if self.training else shared


@dataclass
class RunSettings:
    """The top-level keys: a label, the seeds, the device, CPU threads, runs at once, the
    results folder."""

    name: str = "default"
    seeds: list[int] = field(default_factory=lambda: [0])
    device: str = "auto"
    threads: int = 0
    jobs: int = 1  # runs at once in forked worker processes (0: one per core); see local_pool
    output: str = ""
    protocol: str = "batch"  # see PROTOCOLS


@dataclass
class ExperimentConfig(RunSettings):
    stream: StreamConfig = field(default_factory=StreamConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    adaptive: AdaptiveConfig = field(default_factory=AdaptiveConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    online: OnlineConfig = field(default_factory=OnlineConfig)
    strategies: list[StrategyConfig] = field(
        default_factory=lambda: [StrategyConfig(n) for n in DEFAULT_STRATEGIES]
    )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["strategies"] = [
            {
                "name": s.name,
                **({"label": s.label} if s.label else {}),
                **s.params,
                **({"training": dict(s.training)} if s.training else {}),
            }
            for s in self.strategies
        ]
        return data


def _strategy(entry: Any, index: int) -> StrategyConfig:
    where, name, label, entry = entry_parts(entry, index, "a strategy name")
    # keys of the shared training section, for this strategy alone (values checked in context
    # by config_from_dict, once the shared section is known)
    training = section_values(TrainingConfig, entry.pop("training", None), f"{where}.training")
    table = strategies()
    if name not in table:
        raise ConfigError(f"{where}: unknown strategy {name!r}; choose one of {sorted(table)}.")
    hints = typing.get_type_hints(table[name].params)
    for key, value in entry.items():
        if key not in hints:
            near = difflib.get_close_matches(key, list(hints) + ["training"], n=1, cutoff=0.6)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            raise ConfigError(
                f"{where}: strategy {name!r} has no hyper-parameter {key!r}; allowed: "
                f"{sorted(hints) or 'none'} (and label, training).{hint}"
            )
        kind = hints[key]
        value = entry[key] = as_float(value) if kind is float else value
        if not type_ok(value, kind):
            raise ConfigError(f"{where}.{key} must be {type_name(kind)}, got {value!r}.")
    check_label(label, where)
    for problem in table[name].options(entry).problems():
        raise ConfigError(f"{where}.{problem}.")
    return StrategyConfig(name, label, entry, training)


def _online_strategy(entry: Any, index: int) -> StrategyConfig:
    return StrategyConfig(*online_entry(entry, index))


def config_from_dict(data: dict[str, Any] | None) -> ExperimentConfig:
    """Check a plain mapping against the schema and build an :class:`ExperimentConfig`."""
    data = dict(data or {})
    sections = {
        "stream": StreamConfig,
        "model": ModelConfig,
        "training": TrainingConfig,
        "adaptive": AdaptiveConfig,
        "logging": LoggingConfig,
        "online": OnlineConfig,
    }
    protocol = data.get("protocol", RunSettings.protocol)
    if protocol not in PROTOCOLS:
        raise ConfigError(f"protocol must be one of {list(PROTOCOLS)}, got {protocol!r}.")
    online = protocol == "online"
    if online:
        data.setdefault("seeds", list(range(DEFAULT_SHUFFLES)))
        data.setdefault("strategies", list(DEFAULT_LEARNERS))
    if "streams" in data:
        raise ConfigError(
            "config.streams: this file is a suite of several streams; run it with "
            "`alcl suite FILE` (`alcl run` runs one experiment)."
        )
    if "sweep" in data:
        raise ConfigError(
            "config.sweep: this config describes a sweep of several experiments; run it with "
            "`alcl sweep CONFIG` (`alcl run` runs one experiment)."
        )
    top = [f.name for f in dataclasses.fields(RunSettings)] + [*sections, "strategies"]
    for key in data:
        if key not in top:
            raise unknown_key(key, "config", top)
    parts = {key: section(cls, data.pop(key, None), key) for key, cls in sections.items()}
    strategies = data.pop("strategies", None)
    if strategies is not None:
        if not isinstance(strategies, list) or not strategies:
            raise ConfigError("strategies must be a non-empty list of strategy names or mappings.")
        check = _online_strategy if online else _strategy
        parts["strategies"] = [check(s, i) for i, s in enumerate(strategies)]
    top = section(RunSettings, data, "config")
    cfg = ExperimentConfig(**dataclasses.asdict(top), **parts)
    _check_values(cfg)
    return cfg


def _check_values(cfg: ExperimentConfig) -> None:
    """Every problem of a whole config, the first one raised: the checks every config gets,
    then the protocol's own (:func:`experiments.online_config.check_online` for online)."""

    def need(ok: bool, message: str) -> None:
        if not ok:
            raise ConfigError(message)

    need(len(cfg.seeds) > 0, "seeds must list at least one seed.")
    need(cfg.threads >= 0, f"threads must be >= 0 (0: PyTorch's default), got {cfg.threads}.")
    need(cfg.jobs >= 0, f"jobs must be >= 0 (0: one run per CPU core), got {cfg.jobs}.")
    check_stream(cfg.stream, need)
    keys = [s.key for s in cfg.strategies]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    need(not twice, f"strategies {twice} appear twice; give each a distinct 'label'.")
    if cfg.protocol == "online":
        check_online(cfg, need)
    else:
        _check_batch(cfg, need)


def _check_batch(cfg: ExperimentConfig, need) -> None:
    """``protocol: batch``: the device, the pattern keys, the sections and every strategy on
    this stream."""
    need(
        cfg.online == OnlineConfig(),
        "online applies to protocol online; set protocol: online, or remove the online section.",
    )
    need(
        cfg.device in ("cpu", "cuda", "auto") or cfg.device.startswith("cuda:"),
        f"device must be cpu, cuda, cuda:N or auto, got {cfg.device!r}.",
    )
    if cfg.stream.grouping in PATTERNS and cfg.stream.kind == "feature_incremental":
        for problem in pattern_of(cfg.stream).problems():
            need(False, problem)
    else:
        defaults = StreamConfig()
        for key in ("base_features", "presence", "lifetime"):
            need(
                getattr(cfg.stream, key) == getattr(defaults, key),
                f"stream.{key} applies to groupings {list(PATTERNS)}, not "
                f"{cfg.stream.grouping!r}; remove it.",
            )
    cfg.model.check(need)
    cfg.training.check(need)
    for i, entry in enumerate(cfg.strategies):
        if entry.training:
            entry.training_for(cfg.training).check(
                lambda ok, message, i=i: need(ok, f"strategies[{i}]: {message}")
            )
    cfg.adaptive.check(need)
    for i, entry in enumerate(cfg.strategies):
        for problem in getattr(entry.options, "stream_problems", lambda kind: [])(cfg.stream.kind):
            need(False, f"strategies[{i}]: {problem}.")
        reads_any_row = (entry.entry.fixed_width or entry.entry.reads_nan) and not (
            entry.entry.routes_rows
        )
        reads_any_row = reads_any_row or getattr(entry.options, "impute", False)
        need(
            cfg.stream.grouping not in HIDES_CELLS or reads_any_row,
            f"strategies[{i}]: {entry.name} routes each row by the columns it has, and rows "
            f"of a {cfg.stream.grouping} stream lack columns that earlier blocks read, so it "
            "cannot train on this stream's batch form; drop it, or for al set impute: true "
            "(absent cells read their column's training mean).",
        )
    for i, entry in enumerate(cfg.strategies):
        if entry.name == "pnn":
            need(
                len(set(cfg.model.widths)) == 1,
                f"strategies[{i}]: pnn columns have one width per layer, so model.widths must "
                f"be equal, got {cfg.model.widths}.",
            )
    check_backbone(cfg.model, cfg.stream, cfg.strategies, need)


def load_raw(path: str | Path | None = None) -> dict[str, Any]:
    """The YAML mapping of a config file, unchecked; ``None`` reads the default experiment's."""
    path = Path(path) if path is not None else CONFIG_DIR / "default.yaml"
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist.")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path} is not valid YAML: {err}") from err
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a mapping at the top level.")
    return data or {}


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> ExperimentConfig:
    """Load a YAML config file (``None``: the default experiment), with ``key=value`` overrides."""
    data = load_raw(path)
    if overrides:
        data = apply_overrides(data, overrides, DEFAULT_STRATEGIES)
    return config_from_dict(data)


def dump_config(cfg: ExperimentConfig) -> str:
    return yaml.safe_dump(cfg.to_dict(), sort_keys=False)
