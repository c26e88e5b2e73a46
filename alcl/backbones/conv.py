"""What the conv backbones (CNN, VGG, ResNet) share: the block encoder around a stage, pooling.

A conv block's encoder f reads

- block 1: its pixel columns as ``[image, mask]`` (:class:`alcl.fusion.ImageCanvas`);
- a later block: the previous feature map, plus, when it reads new columns,
  the newly visible region through a small conv, resized to the map and
  concatenated as channels (:class:`alcl.fusion.ImageSide`),

and runs its stage (supplied by the backbone) on that. The bridge reads the
stage's map through average pooling, global or over a small grid
(:class:`GridAvgPool`): no flatten-to-linear bridge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from alcl.backbones.spec import BlockSpec, check_stack, width_at
from alcl.fusion import ImageCanvas, ImageSide, concat_channels
from streams.layout import ImageLayout


class GridAvgPool(nn.Module):
    """``(B, C, H, W)`` -> ``(B, C * grid**2)``: the means over a ``grid`` x ``grid`` grid of cells.

    ``grid`` 1 is global average pooling. A small grid keeps the coarse layout
    of the map, which a locally trained block otherwise has no reason to
    keep (auxiliary heads of greedy layer-wise training pool to 2 x 2 for
    that reason, Belilovsky et al. 2019); the bridge's size stays independent
    of the image size either way.
    """

    def __init__(self, grid: int = 1) -> None:
        super().__init__()
        self.grid = grid

    def forward(self, s: Tensor) -> Tensor:
        if self.grid == 1:
            return s.mean(dim=(2, 3))
        return F.adaptive_avg_pool2d(s, self.grid).flatten(1)

    def extra_repr(self) -> str:
        return f"grid={self.grid}"


class ConvEncoder(nn.Module):
    """f of a conv block: fuse the block's input (see the module docs), then run its ``stage``."""

    def __init__(
        self, stage: nn.Module, canvas: ImageCanvas | None = None, side: ImageSide | None = None
    ) -> None:
        super().__init__()
        self.canvas, self.side, self.stage = canvas, side, stage

    def forward(self, s_prev: Tensor | None, side: Tensor | None = None) -> Tensor:
        if s_prev is None:
            if self.canvas is None or side is None:
                raise ValueError("the first conv block needs pixel columns to read.")
            return self.stage(self.canvas(side))
        side_map = None if self.side is None else self.side(side, s_prev.shape[-2:])
        return self.stage(concat_channels(s_prev, side_map))


def conv_layer(
    c_in: int, c_out: int, kernel: int = 3, batch_norm: bool = True, stride: int = 1
) -> list[nn.Module]:
    """Conv (same padding) -> [batch norm] -> ReLU."""
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, kernel, stride, padding=kernel // 2, bias=not batch_norm)
    ]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    return [*layers, nn.ReLU(inplace=True)]


def downsample() -> nn.Module:
    """2x2 max-pooling that keeps a 1-pixel map at 1 pixel (so deep stacks never reach 0)."""
    return nn.MaxPool2d(2, ceil_mode=True)


@dataclass(frozen=True)
class ConvOptions:
    """What every conv backbone has: how a block fuses a newly visible image region (a small
    conv of ``side_channels``, kernel ``side_kernel``) and how its bridge pools its map
    (``pool_grid`` k: the averages over a k x k grid of cells, k = 1 being global average
    pooling; the bridge reads channels x k^2 values, whatever the image size)."""

    side_channels: int = 8
    side_kernel: int = 3
    pool_grid: int = 1

    def problems(self, widths: Sequence[int] = ()) -> list[str]:
        out = []
        if self.pool_grid < 1:
            out.append(f"pool_grid must be >= 1, got {self.pool_grid}")
        if self.side_channels < 1:
            out.append(f"side_channels must be >= 1, got {self.side_channels}")
        if self.side_kernel < 1 or self.side_kernel % 2 == 0:
            out.append(f"side_kernel must be a positive odd int, got {self.side_kernel}")
        return out


@dataclass(frozen=True)
class ConvBackboneBase:
    """Widths (channels), layout and options shared by the conv backbones.

    Subclasses supply ``stage(index, in_channels) -> nn.Module``.
    """

    widths: Sequence[int]
    layout: Any
    layers_per_block: int = 1
    dropout: float = 0.0
    options: ConvOptions = ConvOptions()
    reads_absent = True  # absent pixels become 0 with a 0 in the mask channel

    name = "conv"

    def __post_init__(self) -> None:
        if not isinstance(self.layout, ImageLayout):
            raise ValueError(
                f"backbone {self.name!r} reads images, but the stream's columns are not image "
                "pixels; use an image dataset (mnist, fashion_mnist, cifar10, cifar100) or "
                "backbone mlp."
            )
        check_stack(self.widths, self.layers_per_block)

    def width(self, index: int) -> int:
        return width_at(self.widths, index)

    def pool(self, index: int) -> nn.Module:
        return GridAvgPool(self.options.pool_grid)

    def pooled_width(self, index: int) -> int:
        return self.width(index) * self.options.pool_grid**2

    def stage(self, index: int, in_channels: int) -> nn.Module:
        """Block ``index``'s layers, reading ``in_channels`` channels; its output has width(index)."""
        raise NotImplementedError

    def encoder(self, spec: BlockSpec) -> nn.Module:
        reads = len(spec.columns) > 0
        if spec.prev_width is None:
            canvas = ImageCanvas(spec.columns, self.layout)
            stage = self.stage(spec.index, canvas.out_channels)
            return ConvEncoder(self._with_dropout(stage), canvas)
        side = None
        if reads:
            side = ImageSide(
                spec.columns, self.layout, self.options.side_channels, self.options.side_kernel
            )
        c_in = spec.prev_width + (side.out_channels if side is not None else 0)
        return ConvEncoder(self._with_dropout(self.stage(spec.index, c_in)), side=side)

    def _with_dropout(self, stage: nn.Module) -> nn.Module:
        return nn.Sequential(stage, nn.Dropout(self.dropout)) if self.dropout > 0 else stage
