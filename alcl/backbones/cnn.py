"""CNN backbone: each block is ``layers_per_block`` conv -> ReLU layers, then 2x2 max-pooling.

Block widths are channels. ``kernel`` sets the conv size and ``batch_norm``
adds batch norm after each conv. Fusion and pooling: :mod:`alcl.backbones.conv`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import nn

from alcl.backbones.conv import ConvBackboneBase, ConvOptions, conv_layer, downsample
from alcl.backbones.spec import register_backbone


@dataclass(frozen=True)
class CNNOptions(ConvOptions):
    kernel: int = 3
    batch_norm: bool = False

    def problems(self, widths: Sequence[int] = ()) -> list[str]:
        out = super().problems(widths)
        if self.kernel < 1 or self.kernel % 2 == 0:
            out.append(f"kernel must be a positive odd int, got {self.kernel}")
        return out


@register_backbone(
    "cnn",
    "images",
    CNNOptions,
    "conv (kernel) -> ReLU layers, then 2x2 max-pooling, per block",
)
@dataclass(frozen=True)
class CNNBackbone(ConvBackboneBase):
    options: CNNOptions = CNNOptions()
    name = "cnn"

    def stage(self, index: int, in_channels: int) -> nn.Module:
        width, k, bn = self.width(index), self.options.kernel, self.options.batch_norm
        layers = conv_layer(in_channels, width, k, bn)
        for _ in range(self.layers_per_block - 1):
            layers += conv_layer(width, width, k, bn)
        return nn.Sequential(*layers, downsample())
