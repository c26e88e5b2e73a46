"""ResNet backbone: each block is a residual stage of ``layers_per_block`` basic units.

Block 1 starts with the stem (3x3 conv -> batch norm -> ReLU) and keeps the
resolution; every later stage halves it in its first unit, whose projection
shortcut (1x1 conv) also absorbs the fused side channels. Block widths are
the stages' channels. Fusion and pooling: :mod:`alcl.backbones.conv`.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from alcl.backbones.conv import ConvBackboneBase, ConvOptions, conv_layer
from alcl.backbones.spec import register_backbone


class BasicUnit(nn.Module):
    """Two 3x3 conv -> batch norm layers with an identity (or projection) shortcut, then ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *conv_layer(c_in, c_out, 3, batch_norm=True, stride=stride),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        return self.relu(self.body(x) + self.shortcut(x))


@dataclass(frozen=True)
class ResNetOptions(ConvOptions):
    pass


@register_backbone(
    "resnet",
    "images",
    ResNetOptions,
    "ResNet stages of basic residual units (block 1 adds the stem)",
)
@dataclass(frozen=True)
class ResNetBackbone(ConvBackboneBase):
    options: ResNetOptions = ResNetOptions()
    name = "resnet"

    def stage(self, index: int, in_channels: int) -> nn.Module:
        width = self.width(index)
        if index == 0:
            units: list[nn.Module] = [*conv_layer(in_channels, width, 3, batch_norm=True)]
            units += [BasicUnit(width, width) for _ in range(self.layers_per_block)]
        else:
            units = [BasicUnit(in_channels, width, stride=2)]
            units += [BasicUnit(width, width) for _ in range(self.layers_per_block - 1)]
        return nn.Sequential(*units)
