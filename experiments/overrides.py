"""``--set key=value``: change one key of a config from the command line, before it is checked.

Keys are dotted paths into the YAML mapping: ``training.epochs=5``,
``stream.dataset=wine``, ``seeds=[0,1,2]``. Values are read as YAML, so
``5`` is an int, ``0.001`` a float, ``[0, 1]`` a list, ``null`` None, and
``fast`` a string. Inside ``strategies`` a path step picks an entry by its
position or by its label or name: ``strategies.replay.mem_size=100``,
``strategies.0.cache_mb=0``. Keys under ``sweep`` are whole dotted keys:
``sweep.training.lr=[0.001,0.003]`` sets the sweep axis ``training.lr``.

The result is checked like a config file, so a misspelt key or a wrong type
fails with the key and the allowed values named.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from experiments.errors import ConfigError


def parse_assignment(text: str) -> tuple[str, Any]:
    """``"training.epochs=5"`` -> ``("training.epochs", 5)`` (the value read as YAML)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set expects key=value (e.g. training.epochs=5), got {text!r}.")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as err:
        raise ConfigError(f"--set {key}: the value {raw!r} is not valid YAML ({err}).") from err
    return key, value


def _strategy_entry(strategies: list, step: str, key: str) -> dict:
    """The entry of ``strategies`` that ``step`` names (an index, a label or a name), as a mapping."""
    if step.isdigit():
        index = int(step)
        if index >= len(strategies):
            raise ConfigError(f"{key}: strategies has {len(strategies)} entries, no index {index}.")
    else:
        names = [
            (e.get("label") or e.get("name")) if isinstance(e, dict) else e for e in strategies
        ]
        if step not in names:
            raise ConfigError(
                f"{key}: no strategy labelled or named {step!r}; entries are {names}."
            )
        index = names.index(step)
    if isinstance(strategies[index], str):
        strategies[index] = {"name": strategies[index]}
    if not isinstance(strategies[index], dict):
        raise ConfigError(f"{key}: strategies[{index}] is neither a name nor a mapping.")
    return strategies[index]


def set_dotted(
    data: dict[str, Any], key: str, value: Any, default_strategies: Sequence[str] = ()
) -> None:
    """Set ``key`` (a dotted path) of the raw config mapping ``data`` to ``value``, in place.

    A path into ``strategies`` of a mapping without them starts from ``default_strategies``.
    """
    steps = key.split(".")
    if any(not s for s in steps):
        raise ConfigError(f"{key!r} is not a dotted key such as training.epochs.")
    if steps[0] == "sweep" and len(steps) > 1:
        sweep = data.get("sweep")
        if sweep is None:
            sweep = data["sweep"] = {}
        if not isinstance(sweep, dict):
            raise ConfigError("sweep must be a mapping of dotted keys to lists of values.")
        sweep[".".join(steps[1:])] = value
        return
    node: Any = data
    for depth, step in enumerate(steps[:-1]):
        where = ".".join(steps[: depth + 1])
        if isinstance(node, list) and steps[depth - 1] == "strategies":
            node = _strategy_entry(node, step, key)
            continue
        if not isinstance(node, dict):
            raise ConfigError(f"{key}: {'.'.join(steps[:depth])} is not a mapping.")
        if node.get(step) is None:
            if step == "strategies":
                node[step] = list(default_strategies)
            else:
                node[step] = {}
        node = node[step]
        if not isinstance(node, (dict, list)):
            raise ConfigError(f"{key}: {where} holds {node!r}, not a mapping.")
    last = steps[-1]
    if isinstance(node, list):
        if len(steps) < 2 or steps[-2] != "strategies":
            raise ConfigError(f"{key}: {'.'.join(steps[:-1])} is a list; set it whole instead.")
        if last.isdigit() and int(last) < len(node):
            node[int(last)] = value
            return
        raise ConfigError(
            f"{key}: set a strategy's hyper-parameter (strategies.<label>.<key>) or the whole list."
        )
    node[last] = value


def apply_overrides(
    data: dict[str, Any] | None, assignments: Iterable[str], default_strategies: Sequence[str] = ()
) -> dict[str, Any]:
    """A copy of the raw config mapping ``data`` with every ``key=value`` of ``assignments`` set."""
    result = copy.deepcopy(data or {})
    for text in assignments:
        set_dotted(result, *parse_assignment(text), default_strategies)
    return result
