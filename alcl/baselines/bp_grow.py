"""``bp-grow``: the backprop control for AL's growing architecture.

It isolates what local learning adds. The network grows exactly as AL does
(the same :class:`alcl.growth.GrowthRule`: freeze the old blocks, append a
block whose encoder reads [previous block's output, newly released columns]),
with the same encoders, widths and column routing
(:meth:`alcl.network.BlockStack.usable_depth`). Only the training signal
differs: each block has a linear classifier head instead of AL's bridge and
label encoder/decoder, and the blocks being trained are trained end to end by
backpropagating the cross-entropy of their heads (with one block per
experience, the new block's head). A sample is predicted by the head of the
deepest block its columns reach, as AL's full path does.

``bp-exits`` is the same network and training, with every block's head as an exit
(:class:`alcl.network.EarlyExits`): its exits are measured and its adaptive inference is
calibrated on validation exactly as AL's are, so AL's early exits meet a backprop rival.
"""

from __future__ import annotations

from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from alcl.block import GrowingBlock
from alcl.config import ModelConfig
from alcl.early_exits import EarlyExits
from alcl.network import BlockStack, TrainStep
from alcl.registry import register_strategy
from alcl.strategy import ALStrategy, GrowthParams, build_growing


class BPBlock(GrowingBlock):
    """An encoder ``f`` (the same as an AL block's) with a linear classifier ``head``."""

    def __init__(self, f: nn.Module, head: nn.Module, columns, width: int) -> None:
        super().__init__(f, columns, width)
        self.head = head


class BPGrowNetwork(BlockStack):
    """A growing stack of :class:`BPBlock`, one classifier head per block."""

    def make_block(
        self,
        f: nn.Module,
        pool: nn.Module,
        width: int,
        columns: Tensor,
        model: ModelConfig,
        first: bool,
        pooled_width: int | None = None,
    ) -> BPBlock:
        # A backprop head maps straight to classes: AL's label-code settings do not apply.
        head = nn.Sequential(pool, nn.Linear(pooled_width or width, self.n_classes))
        return BPBlock(f, head, columns, width)

    def _walk(self, x: Tensor, y: Tensor | None):
        """Run every sample through the blocks it reaches; yield (depth, block, rows, s, y_rows).

        Frozen blocks run without a graph; trainable blocks keep it, so the
        cross-entropy of a deeper trainable head reaches the shallower
        trainable blocks (backprop inside the blocks being trained).
        """
        limit = self.usable_depth(x)
        if (limit == 0).any():
            bad = int((limit == 0).nonzero()[0])
            raise ValueError(
                f"sample {bad} lacks columns that block 1 reads; every sample needs the "
                "first released feature group."
            )
        active = torch.arange(x.shape[0], device=x.device)
        s, xa, ya = None, x, y
        for k, block in enumerate(self.blocks, start=1):
            if block.frozen:
                with torch.no_grad():
                    s = block.encode(s, xa)
            else:
                s = block.encode(s, xa)
            yield k, block, active, s, ya, limit[active] == k
            keep = limit[active] > k
            if not keep.any():
                break
            active, s, xa = active[keep], s[keep], xa[keep]
            ya = None if ya is None else ya[keep]

    def backprop_losses(self, x: Tensor, y: Tensor) -> TrainStep:
        """Cross-entropy of every trainable block's head, summed, for one backward pass.

        ``logits`` are each sample's deepest-exit logits, detached (for metrics).
        ``per_block`` is empty: bp-grow has no local losses.
        """
        self.check_input(x)
        self.check_labels(y, x.shape[0])
        total = x.new_zeros(())
        logits = x.new_empty(x.shape[0], self.n_classes)
        for _, block, rows, s, ys, done in self._walk(x, y):
            if not block.frozen:
                out = block.head(s)
                total = total + F.cross_entropy(out, ys)
                if done.any():
                    logits[rows[done]] = out[done].detach()
            elif done.any():
                with torch.no_grad():
                    logits[rows[done]] = block.head(s[done])
        return TrainStep(total, [], self, x.shape[0], computed_logits=logits)

    def forward(self, x: Tensor) -> Tensor:
        """Logits from the head of the deepest block each sample's columns reach."""
        logits = x.new_empty(x.shape[0], self.n_classes)
        for _, block, rows, s, _, done in self._walk(x, None):
            if done.any():
                logits[rows[done]] = block.head(s[done])
        return logits


class BPGrowStrategy(ALStrategy):
    """:class:`ALStrategy`'s growth and optimizer handling, trained by backprop instead."""

    network_type = BPGrowNetwork

    def training_step(self) -> TrainStep:
        return self.model.backprop_losses(self.mb_x, self.mb_y)


class BPExitsNetwork(EarlyExits, BPGrowNetwork):
    """bp-grow's network with every head an exit (per-exit accuracy, adaptive inference)."""

    def __init__(self, n_features: int, n_classes: int) -> None:
        super().__init__(n_features, n_classes)
        self.init_exit_rule()

    def exit_logits(self, s: Tensor, depth: int) -> Tensor:
        return self.blocks[depth - 1].head(s)


class BPExitsStrategy(BPGrowStrategy):
    network_type = BPExitsNetwork


register_strategy(
    "bp-exits",
    BPExitsStrategy,
    GrowthParams,
    "reference: bp-grow with each block's head as an early exit, calibrated as AL's exits are",
)(partial(build_growing, network=BPExitsNetwork, strategy=BPExitsStrategy))
register_strategy(
    "bp-grow",
    BPGrowStrategy,
    GrowthParams,
    "control: AL's growing architecture, one classifier head per block, trained by backprop",
)(partial(build_growing, network=BPGrowNetwork, strategy=BPGrowStrategy))
