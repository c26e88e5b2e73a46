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
