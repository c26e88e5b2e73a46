"""Checking a config mapping against a dataclass: keys, types and the one-line errors.

What every config section and strategy entry is checked with (:mod:`experiments.config`,
:mod:`experiments.online_config`): :func:`section` builds a section's dataclass from its
mapping, :func:`section_values` checks the keys and types given, :func:`entry_parts` reads
a ``strategies:`` entry's name and label, and :func:`unknown_key` names the nearest key.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Sequence
from typing import Any

from experiments.errors import ConfigError


def type_ok(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(type_ok(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if origin is list:
        (inner,) = typing.get_args(hint)
        return isinstance(value, list) and all(type_ok(v, inner) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def as_float(value: Any) -> Any:
    """Ints as floats, and numbers such as ``1e-3`` that YAML 1.1 reads as strings; else as is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        return float(value)
    return value


def type_name(hint: Any) -> str:
    return str(hint).replace("typing.", "") if not isinstance(hint, type) else hint.__name__


def unknown_key(key: Any, where: str, allowed: Sequence[str]) -> ConfigError:
    """The error for an unknown key: every key allowed at its level, and the nearest one."""
    near = difflib.get_close_matches(str(key), list(allowed), n=1, cutoff=0.6)
    hint = f" Did you mean {near[0]!r}?" if near else ""
    return ConfigError(f"unknown key {where}.{key}; allowed keys are {list(allowed)}.{hint}")


def section(cls: type, data: Any, where: str) -> Any:
    """The dataclass ``cls`` of a config section's mapping, each key and type checked."""
    return cls(**section_values(cls, data, where))


def section_values(cls: type, data: Any, where: str) -> dict[str, Any]:
    """The given keys of a section's mapping (``None``: none), checked against ``cls``'s fields."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{where} must be a mapping of keys to values, got {type(data).__name__}."
        )
    hints = typing.get_type_hints(cls)
    allowed = [f.name for f in dataclasses.fields(cls)]
    values = {}
    for key, value in data.items():
        if key not in allowed:
            raise unknown_key(key, where, allowed)
        value = as_float(value) if hints[key] is float else value
        if not type_ok(value, hints[key]):
            raise ConfigError(
                f"{where}.{key} must be {type_name(hints[key])}, got {value!r} ({type(value).__name__})."
            )
        values[key] = value
    return values


def entry_parts(entry: Any, index: int, what: str) -> tuple[str, str, Any, dict[str, Any]]:
    """A ``strategies:`` entry (a name, or a mapping with a ``name``): where it is, its name,
    its label and its other keys (``what`` names the kind of entry for the error)."""
    where = f"strategies[{index}]"
    if isinstance(entry, str):
        entry = {"name": entry}
    if not isinstance(entry, dict) or "name" not in entry:
        raise ConfigError(f"{where} must be {what} or a mapping with a 'name' key, got {entry!r}.")
    entry = dict(entry)
    return where, entry.pop("name"), entry.pop("label", ""), entry


def check_label(label: Any, where: str) -> None:
    if not isinstance(label, str):
        raise ConfigError(f"{where}.label must be a string, got {label!r}.")
