"""MLP backbone: each block's encoder is Linear -> ReLU layers over [s_prev, new columns]."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import Tensor, nn

from alcl.backbones.spec import BlockSpec, check_stack, register_backbone, width_at
from alcl.fusion import concat_vectors


class MLPEncoder(nn.Module):
    """f for an MLP block; also the layer of the backprop reference MLP."""

    def __init__(self, in_features: int, width: int, n_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(n_layers):
            layers += [nn.Linear(in_features if i == 0 else width, width), nn.ReLU()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        self.net = nn.Sequential(*layers)

    def forward(self, s_prev: Tensor | None, side: Tensor | None = None) -> Tensor:
        return self.net(concat_vectors(s_prev, side))


@dataclass(frozen=True)
class NoOptions:
    """The MLP has no options beyond ``model.widths``, ``layers_per_block`` and ``dropout``."""

    def problems(self, widths: Sequence[int] = ()) -> list[str]:
        return []


@register_backbone("mlp", "vectors", NoOptions, "Linear -> ReLU layers")
@dataclass(frozen=True)
class MLPBackbone:
    """Block widths for an MLP; block i has width ``widths[i]`` (the last width repeats)."""

    widths: Sequence[int] = (128, 128, 128, 128)
    layers_per_block: int = 1
    dropout: float = 0.0
    reads_absent = False  # absent columns must be filled in before an MLP reads them

    def __post_init__(self) -> None:
        check_stack(self.widths, self.layers_per_block)

    def width(self, index: int) -> int:
        return width_at(self.widths, index)

    def encoder(self, spec: BlockSpec) -> nn.Module:
        """The encoder of a block reading ``spec.prev_width`` features plus its side columns."""
        return MLPEncoder(
            (spec.prev_width or 0) + spec.n_side,
            self.width(spec.index),
            self.layers_per_block,
            self.dropout,
        )

    def pooled_width(self, index: int) -> int:
        return self.width(index)

    def pool(self, index: int) -> nn.Module:
        """How the encoder output becomes the bridge's input vector (already a vector)."""
        return nn.Identity()
