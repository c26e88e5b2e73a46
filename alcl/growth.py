"""The growth rule: how an AL network answers a new experience.

At each training experience the rule freezes every block the network has,
then appends blocks. The first appended block is *feature-augmented*: its
encoder reads the previous block's output concatenated with the newly
released columns. Further appended blocks (and every block appended when
an experience brings no new columns) are plain layer accumulation.

The rule is the same for every :class:`alcl.network.BlockStack`: the stack
turns each new encoder into its own kind of block (an AL block for
:class:`ALNetwork`, an encoder with a classifier head for the ``bp-grow``
control), so AL and its backprop control grow identically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from alcl.backbones import BlockSpec
from alcl.block import GrowingBlock
from alcl.block_init import initialise
from alcl.config import ModelConfig
from alcl.network import BlockStack


@dataclass(frozen=True)
class GrowthRule:
    """``blocks_per_experience`` blocks per experience (``initial_blocks`` for the first).

    ``backbone`` supplies each new block's encoder, pooling and width (the
    protocol of :mod:`alcl.backbones`); it is told the block's index, the
    width of the block below and the columns the block reads.

    ``model`` is the ``model`` config section: what the stack needs beyond the encoder
    to build a block (the label-code width ``label_dim`` of an AL block). ``freeze`` set
    to False keeps old blocks training (the ``al-nofreeze`` control). ``warm_start``
    starts each appended AL block near the exit of the block below it
    (:meth:`alcl.block.ALBlock.start_as`) instead of at random.
    """

    backbone: object
    model: ModelConfig = field(default_factory=ModelConfig)
    blocks_per_experience: int = 1
    initial_blocks: int | None = None
    freeze: bool = True
    warm_start: bool = False

    def __post_init__(self) -> None:
        if self.blocks_per_experience < 1 or (self.initial_blocks or 1) < 1:
            raise ValueError("blocks_per_experience and initial_blocks must be >= 1.")
        if self.model.label_dim < 1:
            raise ValueError(f"label_dim must be >= 1, got {self.model.label_dim}.")

    def blocks_after(self, n_experiences: int) -> int:
        """How many blocks the network has after ``n_experiences`` experiences."""
        first = self.initial_blocks or self.blocks_per_experience
        return first + (n_experiences - 1) * self.blocks_per_experience

    def grow(
        self, net: BlockStack, new_columns: Sequence[int] | torch.Tensor
    ) -> list[GrowingBlock]:
        """Freeze the network (if ``freeze``) and append this experience's blocks.

        New blocks are created on the CPU; the caller moves the network to its device.
        """
        columns = torch.as_tensor(new_columns, dtype=torch.long).flatten()
        if net.depth == 0 and columns.numel() == 0:
            raise ValueError("the first experience must release some columns for block 1 to read.")
        if self.freeze:
            net.freeze()
        count = (
            self.blocks_per_experience
            if net.depth
            else (self.initial_blocks or self.blocks_per_experience)
        )
        added = []
        for i in range(count):
            index = net.depth
            prev_width = net.blocks[-1].width if index else None
            side = columns if i == 0 else columns[:0]
            f = self.backbone.encoder(BlockSpec(index, prev_width, side))
            block = net.make_block(
                f,
                self.backbone.pool(index),
                self.backbone.width(index),
                side,
                self.model,
                first=index == 0,
                pooled_width=self.backbone.pooled_width(index),
            )
            initialise(block, self.model.block_init)  # before a warm start, which overrides it
            if self.warm_start and index and hasattr(block, "start_as"):
                block.start_as(net.blocks[-1])  # after its random init: the same draws
            net.append(block)
            added.append(block)
        return added
