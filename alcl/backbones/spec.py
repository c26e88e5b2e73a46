"""The backbone table: names, the inputs each backbone reads, and their typed options.

Importing this module is cheap (no torch), so configs can be checked against
it before anything heavy is loaded; :func:`alcl.backbones.build_backbone`
imports the chosen backbone's module only when a model is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

SEQUENCE_POOLS = ("mean", "last")


def check_stack(widths: Sequence[int], layers_per_block: int = 1) -> None:
    """Raise a ValueError unless ``widths`` lists positive ints and ``layers_per_block`` >= 1."""
    if not widths or any(int(w) < 1 for w in widths):
        raise ValueError(f"widths must be a non-empty list of positive ints, got {widths}.")
    if layers_per_block < 1:
        raise ValueError(f"layers_per_block must be >= 1, got {layers_per_block}.")


def width_at(widths: Sequence[int], index: int) -> int:
    """Block ``index``'s width (0-based); blocks beyond the list repeat its last width."""
    return int(widths[min(index, len(widths) - 1)])


@dataclass(frozen=True)
class BlockSpec:
    """What the growth rule (or a fixed-width model) tells a backbone about a block it builds.

    ``columns`` are the input columns the block's encoder reads besides the
    previous block's output (a 1-D long tensor, possibly empty); ``side_width``
    is how many values per row its encoder receives for them, which differs
    from ``len(columns)`` only when a fixed-width model widens its input (an
    MLP behind ``FillAbsent`` in ``zero+mask`` mode).
    """

    index: int
    prev_width: int | None
    columns: Any
    side_width: int | None = None

    @property
    def n_side(self) -> int:
        return int(len(self.columns)) if self.side_width is None else self.side_width


@dataclass(frozen=True)
class NoOptions:
    """The MLP has no options beyond ``model.widths``, ``layers_per_block`` and ``dropout``."""

    def problems(self, widths: Sequence[int] = ()) -> list[str]:
        return []


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
class CNNOptions(ConvOptions):
    kernel: int = 3
    batch_norm: bool = False

    def problems(self, widths: Sequence[int] = ()) -> list[str]:
        out = super().problems(widths)
        if self.kernel < 1 or self.kernel % 2 == 0:
            out.append(f"kernel must be a positive odd int, got {self.kernel}")
        return out


@dataclass(frozen=True)
class VGGOptions(ConvOptions):
    pass


@dataclass(frozen=True)
class ResNetOptions(ConvOptions):
    pass


@dataclass(frozen=True)
class LSTMOptions:
    pool: str = "mean"  # mean: masked mean over tokens | last: the state at the last token

    def problems(self, widths: Sequence[int] = ()) -> list[str]:
        if self.pool not in SEQUENCE_POOLS:
            return [f"pool must be one of {list(SEQUENCE_POOLS)}, got {self.pool!r}"]
        return []


@dataclass(frozen=True)
class TransformerOptions:
    heads: int = 4
    feedforward: int = 2  # the feed-forward layer's width, as a multiple of the model width

    def problems(self, widths: Sequence[int] = ()) -> list[str]:
        if self.heads < 1 or self.feedforward < 1:
            return [f"heads and feedforward must be >= 1, got {self.heads}, {self.feedforward}"]
        bad = [w for w in widths[1:] if w % self.heads]
        if bad:
            return [
                f"the widths of the encoder layers (widths[1:]) must be divisible by "
                f"heads={self.heads}, got {list(widths[1:])}"
            ]
        return []


@dataclass(frozen=True)
class BackboneSpec:
    """A backbone name: where its class lives, what it reads, and its options' type.

    ``reads``: ``vectors`` (any columns), ``images`` (an image dataset) or
    ``tokens`` (a text dataset with the ``tokens`` encoding).
    """

    target: str  # "module:Class"
    reads: str
    options: type
    description: str = ""
    absent_modes: tuple[str, ...] = field(default=("zero", "zero+mask", "mean"))


BACKBONES: dict[str, BackboneSpec] = {
    "mlp": BackboneSpec(
        "alcl.backbones.mlp:MLPBackbone", "vectors", NoOptions, "Linear -> ReLU layers"
    ),
    "cnn": BackboneSpec(
        "alcl.backbones.cnn:CNNBackbone",
        "images",
        CNNOptions,
        "conv (kernel) -> ReLU layers, then 2x2 max-pooling, per block",
    ),
    "vgg": BackboneSpec(
        "alcl.backbones.vgg:VGGBackbone",
        "images",
        VGGOptions,
        "VGG stages: 3x3 conv -> batch norm -> ReLU layers, then 2x2 max-pooling",
    ),
    "resnet": BackboneSpec(
        "alcl.backbones.resnet:ResNetBackbone",
        "images",
        ResNetOptions,
        "ResNet stages of basic residual units (block 1 adds the stem)",
    ),
    "lstm": BackboneSpec(
        "alcl.backbones.lstm:LSTMBackbone",
        "tokens",
        LSTMOptions,
        "block 1 embeds tokens; each further block is an LSTM",
        absent_modes=("zero", "zero+mask"),
    ),
    "transformer": BackboneSpec(
        "alcl.backbones.transformer:TransformerBackbone",
        "tokens",
        TransformerOptions,
        "block 1 embeds tokens (with sinusoidal positions); each further block is an encoder layer",
        absent_modes=("zero", "zero+mask"),
    ),
}
