"""Optimizer factories, so every strategy builds its optimizer from the same settings.

Optimizers use PyTorch's fused implementation where the parameters' device
supports it, for every strategy alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}

OptimizerFactory = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]


def optimizer_factory(
    name: str = "adam", lr: float = 1e-3, weight_decay: float = 0.0
) -> OptimizerFactory:
    """A function that builds the named optimizer over the parameters it is given."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {sorted(OPTIMIZERS)}.")
    if lr <= 0:
        raise ValueError(f"lr must be > 0, got {lr}.")
    cls = OPTIMIZERS[name]
    extra = {"momentum": 0.9} if name == "sgd" else {}

    def build(params: Iterable[nn.Parameter]) -> torch.optim.Optimizer:
        params = list(params)
        try:
            # One fused kernel per step instead of ~10 small ops per parameter
            # tensor: on small models the per-op overhead dominates the step.
            return cls(params, lr=lr, weight_decay=weight_decay, fused=True, **extra)
        except (RuntimeError, TypeError, ValueError):  # a device or dtype without fused kernels
            return cls(params, lr=lr, weight_decay=weight_decay, **extra)

    return build


def optimizer_for(training: Any) -> OptimizerFactory:
    """The optimizer factory the ``training`` config section names (family, lr, weight decay)."""
    return optimizer_factory(training.optimizer, training.lr, training.weight_decay)
