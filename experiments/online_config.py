"""What ``protocol: online`` accepts: online learners as strategy entries, and the checks of
a whole online config (:mod:`experiments.config` calls both).

Under the online protocol the strategies are online learners (:mod:`alcl.online`), each
checked by building it once; the batch sections (``model``, ``training``, ``adaptive``) and
the stream keys that cut experiences must keep their defaults, since nothing reads them.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from typing import Any

from alcl.calibration import AdaptiveConfig
from alcl.config import ModelConfig, TrainingConfig
from experiments.errors import ConfigError
from experiments.schema import check_label, entry_parts
from streams import StreamConfig
from streams.evolving import PATTERNS, pattern_of

ONLINE_STREAM_KEYS = (
    "dataset", "path", "data_root", "download", "target", "n_features", "header",
    "file_encoding", "grouping", "n_experiences", "base_features", "presence", "lifetime",
)  # fmt: skip
"""The stream keys the online protocol reads: which table to load, and its feature-evolving
pattern (``grouping``, with ``n_experiences`` chunks); the others cut experiences."""


def online_entry(entry: Any, index: int) -> tuple[str, str, dict[str, Any]]:
    """A ``strategies:`` entry under ``protocol: online``: a registered online learner and its
    keyword hyper-parameters (checked by building it once), as name, label and parameters."""
    from alcl.online import ONLINE_LEARNERS, build_learner, hyper_parameters

    where, name, label, entry = entry_parts(entry, index, "an online learner's name")
    if name not in ONLINE_LEARNERS:
        raise ConfigError(
            f"{where}: unknown online learner {name!r}; choose one of {sorted(ONLINE_LEARNERS)} "
            "(protocol online runs online learners, not the batch strategies)."
        )
    if "training" in entry:
        raise ConfigError(
            f"{where}.training applies to protocol batch; an online learner takes its "
            "settings (lr, ...) as its own keys."
        )
    allowed = list(hyper_parameters(name))
    for key in entry:
        if key not in allowed:
            near = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            raise ConfigError(
                f"{where}: online learner {name!r} has no hyper-parameter {key!r}; allowed: "
                f"{allowed or 'none'} (and label).{hint}"
            )
    check_label(label, where)
    try:
        build_learner(name, 16, 2, 0, **entry)  # the values alone; the data is checked later
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{where}: {err}") from None
    return name, label, entry


def check_online(cfg: Any, need: Callable[[bool, str], None]) -> None:
    """What an online config (an :class:`experiments.config.ExperimentConfig`) may hold
    beyond the checks every config gets: the batch sections at their defaults, the step size
    and a feature-evolving pattern."""
    defaults = StreamConfig()
    for key in dataclasses.fields(StreamConfig):
        if key.name not in ONLINE_STREAM_KEYS:
            need(
                getattr(cfg.stream, key.name) == getattr(defaults, key.name),
                f"stream.{key.name} applies to protocol batch; protocol online reads only the "
                "table and its feature-evolving pattern: remove it.",
            )
    for section, cls in (("model", ModelConfig), ("training", TrainingConfig)):
        need(
            getattr(cfg, section) == cls(),
            f"{section} applies to protocol batch; an online learner takes its settings as "
            f"its own keys under strategies: remove the {section} section.",
        )
    need(
        cfg.adaptive == AdaptiveConfig(),
        "adaptive applies to protocol batch (early exits calibrated on validation rows); "
        "remove the adaptive section.",
    )
    cfg.online.check(need)
    need(
        cfg.stream.grouping in PATTERNS,
        f"protocol online streams a feature-evolving pattern: set stream.grouping to one of "
        f"{list(PATTERNS)} (with stream.n_experiences chunks), got {cfg.stream.grouping!r}.",
    )
    for problem in pattern_of(cfg.stream).problems():
        need(False, problem)
