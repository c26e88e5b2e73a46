"""What an online learner is, and where each one registers itself.

An online learner sees a stream one row (or one minibatch) at a time and, for each, first
predicts and then learns (the prequential protocol, :mod:`alcl.online.prequential`). Absent
columns are NaN. A learner is built by its class from ``n_features``, ``n_classes``, a
``seed`` and its own keyword hyper-parameters, whose defaults are its paper's.

``@register_online("name")`` on the class makes it reachable by name, timm-style: the
registry is filled where the learners are defined.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch

ONLINE_LEARNERS: dict[str, type[OnlineLearner]] = {}


def register_online(name: str):
    """Class decorator: make the learner available as ``name`` (in configs and benchmarks)."""

    def add(cls: type[OnlineLearner]) -> type[OnlineLearner]:
        if name in ONLINE_LEARNERS:
            raise ValueError(f"online learner {name!r} is registered twice.")
        cls.name = name
        ONLINE_LEARNERS[name] = cls
        return cls

    return add


class OnlineLearner:
    """Predict, then learn: :meth:`step` is the whole interface.

    ``stores_samples`` is False for every learner here: none keeps past rows.
    """

    name: ClassVar[str] = "?"
    stores_samples: ClassVar[bool] = False

    def __init__(self, n_features: int, n_classes: int, seed: int = 0) -> None:
        if n_features < 1 or n_classes < 2:
            raise ValueError(
                f"an online learner needs >= 1 feature and >= 2 classes, got {n_features} "
                f"and {n_classes}."
            )
        self.n_features = n_features
        self.n_classes = n_classes
        self.rng = np.random.default_rng(seed)

    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Predict the labels of rows ``x`` (NaN: absent), then learn from ``y``; return the
        predictions, made before learning."""
        raise NotImplementedError

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Class scores (n, n_classes) of rows ``x`` whose argmax is what :meth:`step` would
        predict, changing nothing (no learning, no random draw): how a batch evaluation
        asks the learner (:mod:`alcl.baselines.online_peers`)."""
        raise NotImplementedError(f"online learner {self.name!r} has no scores().")

    def state_tensors(self) -> dict[str, torch.Tensor]:
        """Everything this learner has learnt, as named tensors (for safe checkpoints): every
        array, number and random generator among its attributes, nested objects included."""
        out: dict[str, torch.Tensor] = {}
        _flatten(self.__dict__, "", out)
        return out

    def load_state_tensors(self, tensors: dict[str, torch.Tensor]) -> None:
        """Put back what :meth:`state_tensors` gave, into a learner built with the same
        arguments."""
        _restore(self.__dict__, "", tensors)


def _int_tensor(value: int) -> torch.Tensor:
    """A Python int of any size (a PCG64 state) as little-endian bytes, sign first."""
    body = abs(value).to_bytes((abs(value).bit_length() + 7) // 8 or 1, "little")
    return torch.tensor([1 if value < 0 else 0, *body], dtype=torch.uint8)


def _tensor_int(tensor: torch.Tensor) -> int:
    sign, *body = tensor.tolist()
    value = int.from_bytes(bytes(body), "little")
    return -value if sign else value


def _flatten(value, name: str, out: dict[str, torch.Tensor]) -> None:
    if isinstance(value, np.random.Generator):
        state = value.bit_generator.state
        for key in ("state", "inc"):
            out[f"{name}.rng_{key}"] = _int_tensor(state["state"][key])
        out[f"{name}.rng_has_uint32"] = torch.tensor(state["has_uint32"])
        out[f"{name}.rng_uinteger"] = _int_tensor(state["uinteger"])
    elif isinstance(value, np.ndarray):
        out[name] = torch.from_numpy(value.copy())
    elif isinstance(value, bool | np.bool_):
        out[name] = torch.tensor(bool(value))
    elif isinstance(value, int | np.integer):
        out[name] = torch.tensor(int(value), dtype=torch.int64)
    elif isinstance(value, float | np.floating):
        out[name] = torch.tensor(float(value), dtype=torch.float64)  # not float32's default
    elif isinstance(value, dict):
        for key, inner in value.items():
            _flatten(inner, f"{name}.{key}" if name else str(key), out)
    elif isinstance(value, list | tuple):
        for i, inner in enumerate(value):
            _flatten(inner, f"{name}.{i}", out)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        _flatten(vars(value), name, out)
    # strings, None and functions are settings, fixed when the learner is built


def _restore(value, name: str, tensors: dict[str, torch.Tensor]):
    """``value`` with the saved state put in (in place where it can be, else a new value)."""
    if isinstance(value, np.random.Generator):
        state = value.bit_generator.state
        state["state"] = {k: _tensor_int(tensors[f"{name}.rng_{k}"]) for k in ("state", "inc")}
        state["has_uint32"] = int(tensors[f"{name}.rng_has_uint32"])
        state["uinteger"] = _tensor_int(tensors[f"{name}.rng_uinteger"])
        value.bit_generator.state = state
        return value
    if isinstance(value, np.ndarray):
        return tensors[name].numpy().copy()
    if isinstance(value, bool | int | float | np.bool_ | np.number):
        return type(value)(tensors[name].item())
    if isinstance(value, dict):
        for key in list(value):
            value[key] = _restore(value[key], f"{name}.{key}" if name else str(key), tensors)
        return value
    if isinstance(value, list):
        value[:] = [_restore(inner, f"{name}.{i}", tensors) for i, inner in enumerate(value)]
        return value
    if isinstance(value, tuple):
        return tuple(_restore(inner, f"{name}.{i}", tensors) for i, inner in enumerate(value))
    if hasattr(value, "__dict__") and not isinstance(value, type):
        _restore(vars(value), name, tensors)
    return value


def hyper_parameters(name: str) -> dict[str, object]:
    """Learner ``name``'s keyword hyper-parameters and their defaults (its papers'), read off
    its constructor: the schema of its config entry."""
    import inspect

    import alcl.online  # noqa: F401  (registers every learner)

    fixed = ("self", "n_features", "n_classes", "seed")
    signature = inspect.signature(ONLINE_LEARNERS[name].__init__)
    return {k: p.default for k, p in signature.parameters.items() if k not in fixed}


def build_learner(name: str, n_features: int, n_classes: int, seed: int, **params) -> OnlineLearner:
    """The registered learner ``name``; unknown names and parameters fail with the choices."""
    import alcl.online  # noqa: F401  (registers every learner)

    if name not in ONLINE_LEARNERS:
        raise ValueError(
            f"unknown online learner {name!r}; choose one of {sorted(ONLINE_LEARNERS)}."
        )
    cls = ONLINE_LEARNERS[name]
    try:
        return cls(n_features, n_classes, seed, **params)
    except TypeError as err:
        raise ValueError(f"online learner {name!r}: {err}") from None
