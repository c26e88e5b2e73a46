"""Strategies by name: each registers itself where it is defined, with its class, its builder and
its hyper-parameters, the way timm's models do.

A strategy module declares a frozen dataclass of hyper-parameters (the schema of its
``strategies:`` entry: field names, types and defaults) and decorates its builder::

    @dataclass(frozen=True)
    class ReplayParams(FixedWidthParams):
        mem_size: int = 200

    @register_strategy("replay", Replay, ReplayParams, "experience replay", fixed_width=True)
    def build_replay(problem, model, training, params, **run): ...

so a reader goes from a name to its class and builder in one step. The modules that
register are listed in :data:`STRATEGY_MODULES`; :func:`strategies` imports them (torch and
Avalanche) the first time the table is needed.

Every builder gets the problem size (:class:`Problem`), the shared ``model`` and ``training``
config sections (:class:`alcl.config.ModelConfig`, :class:`alcl.config.TrainingConfig`) and
its own parameters, so every strategy is built on equal terms: the same epochs, batch size,
optimizer and encoder widths.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

STRATEGY_MODULES = (
    "alcl.strategy",
    "alcl.baselines.bp_grow",
    "alcl.baselines.avalanche",
    "alcl.baselines.pnn",
    "alcl.baselines.snapshot_route",
    "alcl.baselines.bp_matched",
    "alcl.baselines.bag_of_embeddings",
    "alcl.baselines.online_peers",
    "alcl.baselines.slda",
)
"""Where strategies register themselves (imported by :func:`strategies`)."""

ROUTED = "routed"
"""The ``absent`` value recorded for growing stacks, which never read absent columns."""
OWN = "own"
"""The ``absent`` value recorded for a strategy that reads NaN itself (the online peers)."""


@dataclass(frozen=True)
class Problem:
    """What a strategy is built for: the stream's column and class counts, its layout
    (:class:`streams.ImageLayout`, :class:`streams.TextLayout`) for structured backbones, and
    the columns each experience releases (``groups``; empty when unknown), for a baseline
    sized to what AL will grow into (``bp-matched``)."""

    n_features: int
    n_classes: int
    layout: Any = None
    groups: tuple[tuple[int, ...], ...] = ()


def bounded(default: Any, low: float | None = None, high: float | None = None, *,
            above: bool = False) -> Any:  # fmt: skip
    """A hyper-parameter field with its allowed range: ``low <= value <= high`` (``above``:
    strictly greater than ``low``). Checked by :func:`range_problems` when a config is loaded,
    so a bad value fails before anything runs, with the key and the range in the message."""
    return dataclasses.field(default=default, metadata={"range": (low, high, above)})


def range_problems(params: Any) -> list[str]:
    """Every field of ``params`` outside the range its :func:`bounded` declares."""
    out = []
    for f in dataclasses.fields(params):
        if "range" not in f.metadata:
            continue
        low, high, above = f.metadata["range"]
        value = getattr(params, f.name)
        too_low = low is not None and (value <= low if above else value < low)
        too_high = high is not None and value > high
        if too_low or too_high:
            lo = "" if low is None else (f"> {low}" if above else f">= {low}")
            hi = "" if high is None else f"<= {high}"
            allowed = " and ".join(x for x in (lo, hi) if x)
            out.append(f"{f.name} must be {allowed}, got {value!r}")
    return out


@dataclass(frozen=True)
class NoParams:
    """A strategy without hyper-parameters of its own."""

    def problems(self) -> list[str]:
        """What is wrong with these values (empty when they can run)."""
        return range_problems(self)


@dataclass(frozen=True)
class StrategyEntry:
    """A strategy name: the class it builds, its builder, and its hyper-parameters' dataclass.

    ``fixed_width``: a backprop model with one input per column, which sees absent columns
    through ``FillAbsent`` (its params have an ``absent`` field; empty means ``model.absent``).
    ``task_oracle``: trained and evaluated with a task label per experience, which the
    feature-incremental setting does not provide; results are marked as using that oracle.
    ``stores_samples``: keeps past training samples (rehearsal).
    ``backbone``: the backbone it always builds on, whatever ``model.backbone`` names (empty:
    ``model.backbone``); the config checks that the stream suits it.
    ``reads_nan``: it reads absent columns (NaN) itself, its own way (recorded as "own").
    ``two_classes``: it is a binary classifier (OLSF); on more classes its builder refuses.
    ``routes_rows``: it answers each row by a part chosen from the columns the row has
    (snapshot-route), so a row lacking a released column breaks it; growing stacks do too.
    """

    name: str
    cls: type
    build: Callable[..., Any]
    params: type
    description: str = ""
    trains_once: bool = False
    fixed_width: bool = False
    task_oracle: bool = False
    stores_samples: bool = False
    backbone: str = ""
    source: str = ""
    reads_nan: bool = False
    two_classes: bool = False
    routes_rows: bool = False

    def options(self, given: dict[str, Any] | None = None) -> Any:
        """The typed hyper-parameters: defaults overlaid by ``given`` (checked by the config)."""
        return self.params(**(given or {}))

    def resolve(self, given: dict[str, Any] | None = None) -> dict[str, Any]:
        """Every hyper-parameter's value, as plain data (for the results files)."""
        return dataclasses.asdict(self.options(given))

    def absent_mode(self, given: dict[str, Any], default: str) -> str:
        """How this strategy sees absent columns, given its parameters and ``model.absent``."""
        if self.reads_nan:
            return OWN
        if not self.fixed_width:
            return ROUTED
        return self.options(given).absent or default


_REGISTRY: dict[str, StrategyEntry] = {}


def register_strategy(
    name: str, cls: type, params: type = NoParams, description: str = "", **flags: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: register the builder below it as strategy ``name`` (building a ``cls``)."""

    def register(build: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY and _REGISTRY[name].build is not build:
            raise ValueError(f"strategy {name!r} is registered twice.")
        _REGISTRY[name] = StrategyEntry(name, cls, build, params, description, **flags)
        return build

    return register


def strategies() -> dict[str, StrategyEntry]:
    """Every registered strategy by name (importing the modules that register them)."""
    for module in STRATEGY_MODULES:
        importlib.import_module(module)
    return _REGISTRY


def strategy_entry(name: str) -> StrategyEntry:
    table = strategies()
    if name not in table:
        raise ValueError(f"unknown strategy {name!r}; choose one of {sorted(table)}.")
    return table[name]


def build_strategy(
    name: str,
    params: dict[str, Any] | Any,
    problem: Problem,
    model: Any,
    training: Any,
    *,
    device: str = "cpu",
    evaluator: Any = None,
    plugins: list[Any] | None = None,
) -> Any:
    """Build strategy ``name`` with its hyper-parameters (a mapping, or its params dataclass)."""
    entry = strategy_entry(name)
    options = params if isinstance(params, entry.params) else entry.options(params)
    return entry.build(
        problem, model, training, options, device=device, evaluator=evaluator, plugins=plugins
    )
