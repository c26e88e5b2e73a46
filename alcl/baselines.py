"""Fixed-width backprop models for the continual-learning baselines.

Baselines see every column at every time; absent (NaN) columns are filled in
by :class:`FillAbsent` in front of an MLP built from the same encoder layer
as the AL blocks (:class:`alcl.backbones.MLPEncoder`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from alcl.backbones.mlp import MLPEncoder


class FillAbsent(nn.Module):
    """Replace absent (NaN) inputs by zero, so a fixed-width model can read them."""

    def forward(self, x: Tensor) -> Tensor:
        return torch.nan_to_num(x, nan=0.0)


def backprop_mlp(
    n_features: int, widths: Sequence[int], n_classes: int, dropout: float = 0.0
) -> nn.Sequential:
    """FillAbsent -> the AL encoder layers of ``widths`` -> a linear head, trained end to end."""
    layers: list[nn.Module] = [FillAbsent()]
    prev = n_features
    for width in widths:
        layers.append(MLPEncoder(prev, int(width), dropout=dropout))
        prev = int(width)
    layers.append(nn.Linear(prev, n_classes))
    return nn.Sequential(*layers)
