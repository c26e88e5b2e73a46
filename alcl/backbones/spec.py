"""What every backbone shares: the block spec it is told, the width rule, and the table that
backbones register themselves in (:func:`register_backbone`, used where each class is defined)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


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
class BackboneSpec:
    """A backbone name: its class, what it reads, and its options' type.

    ``reads``: ``vectors`` (any columns), ``images`` (an image dataset) or
    ``tokens`` (a text dataset with the ``tokens`` encoding).
    """

    cls: type
    reads: str
    options: type
    description: str = ""
    absent_modes: tuple[str, ...] = field(default=("zero", "zero+mask", "mean"))


BACKBONES: dict[str, BackboneSpec] = {}
"""Every backbone by name; filled by :func:`register_backbone` as the backbone modules are imported
(:func:`alcl.backbones.backbones` imports them all)."""


def register_backbone(
    name: str,
    reads: str,
    options: type,
    description: str = "",
    absent_modes: tuple[str, ...] = ("zero", "zero+mask", "mean"),
):
    """Class decorator: register the backbone class below it as ``name``."""

    def register(cls: type) -> type:
        BACKBONES[name] = BackboneSpec(cls, reads, options, description, absent_modes)
        return cls

    return register
