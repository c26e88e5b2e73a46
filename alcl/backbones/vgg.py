"""VGG backbone: each block is a VGG stage, ``layers_per_block`` 3x3 conv -> batch norm -> ReLU
layers, then 2x2 max-pooling (the thesis's VGG-AL has a stage per block).

Block widths are the stages' channels. Fusion and pooling: :mod:`alcl.backbones.conv`.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from alcl.backbones.conv import ConvBackboneBase, ConvOptions, conv_layer, downsample
from alcl.backbones.spec import register_backbone


@dataclass(frozen=True)
class VGGOptions(ConvOptions):
    pass


@register_backbone(
    "vgg",
    "images",
    VGGOptions,
    "VGG stages: 3x3 conv -> batch norm -> ReLU layers, then 2x2 max-pooling",
)
@dataclass(frozen=True)
class VGGBackbone(ConvBackboneBase):
    options: VGGOptions = VGGOptions()
    name = "vgg"

    def stage(self, index: int, in_channels: int) -> nn.Module:
        width = self.width(index)
        layers = conv_layer(in_channels, width, 3, batch_norm=True)
        for _ in range(self.layers_per_block - 1):
            layers += conv_layer(width, width, 3, batch_norm=True)
        return nn.Sequential(*layers, downsample())
