"""The AL network: a growing stack of AL blocks trained by their local losses.

The network computes; it does not decide when to grow (that is
:mod:`alcl.growth`) nor how to predict beyond its default full path (that is
:mod:`alcl.inference`).

:class:`BlockStack` is what every growing stack shares, AL or not: the list of
blocks, freezing, and the column routing (how deep a sample can go given the
columns it has). The backprop control ``bp-grow`` (:mod:`alcl.bp_grow`) is
another :class:`BlockStack`, grown by the same :class:`alcl.growth.GrowthRule`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from alcl import inference
from alcl.block import ALBlock, GrowingBlock, make_block


@dataclass
class TrainStep:
    """Result of one local-loss pass: the summed loss and per-block parts."""

    loss: Tensor
    logits: Tensor
    per_block: list[tuple[Tensor, Tensor]]  # (associated, autoencoder), detached


class BlockStack(nn.Module):
    """A stack of :class:`GrowingBlock` over inputs with ``n_features`` columns (NaN = absent)."""

    def __init__(self, n_features: int, n_classes: int) -> None:
        super().__init__()
        if n_features < 1 or n_classes < 2:
            raise ValueError(
                f"need n_features >= 1 and n_classes >= 2, got {n_features}, {n_classes}."
            )
        self.n_features = n_features
        self.n_classes = n_classes
        self.blocks = nn.ModuleList()

    @property
    def depth(self) -> int:
        return len(self.blocks)

    def make_block(
        self,
        f: nn.Module,
        pool: nn.Module,
        width: int,
        columns: Tensor,
        label_dim: int,
        first: bool,
    ) -> GrowingBlock:
        """Wrap a backbone's encoder ``f`` into this stack's kind of block (for the growth rule)."""
        raise NotImplementedError

    def append(self, block: GrowingBlock) -> None:
        self.blocks.append(block)

    def freeze(self) -> None:
        """Freeze every existing block."""
        for block in self.blocks:
            block.freeze()

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for block in self.blocks if not block.frozen for p in block.parameters()]

    def check_input(self, x: Tensor) -> None:
        if x.dim() < 2 or x.shape[1] != self.n_features:
            raise ValueError(
                f"expected inputs of shape (batch, {self.n_features}), got {tuple(x.shape)}."
            )
        if self.depth == 0:
            raise RuntimeError("the network has no blocks yet; train it on an experience first.")

    def check_labels(self, x: Tensor, y: Tensor) -> None:
        if y.dtype != torch.long or y.dim() != 1 or y.shape[0] != x.shape[0]:
            raise ValueError("y must be a 1-D long tensor with one label per row of x.")
        if len(y) and (y.min() < 0 or y.max() >= self.n_classes):
            raise ValueError(
                f"labels must lie in [0, {self.n_classes - 1}], got {int(y.min())}..{int(y.max())}."
            )

    def usable_depth(self, x: Tensor) -> Tensor:
        """Per sample, how many leading blocks have all their columns present."""
        self.check_input(x)
        present = ~torch.isnan(x)
        ok = torch.ones(x.shape[0], dtype=torch.long, device=x.device)
        depth = torch.zeros_like(ok)
        for block in self.blocks:
            if block.columns.numel():
                ok = ok & present[:, block.columns].all(dim=1).long()
            depth += ok
        return depth


class ALNetwork(BlockStack):
    """A stack of :class:`ALBlock` trained by local losses, one exit per block."""

    def make_block(
        self,
        f: nn.Module,
        pool: nn.Module,
        width: int,
        columns: Tensor,
        label_dim: int,
        first: bool,
    ) -> ALBlock:
        return make_block(f, pool, width, columns, self.n_classes, label_dim, first)

    def local_losses(self, x: Tensor, y: Tensor) -> TrainStep:
        """Sum of the local losses of all unfrozen blocks, for one backward pass.

        Frozen blocks run forward without building a graph. Each sample takes
        part in the blocks its columns reach; ``logits`` are each sample's
        deepest-exit logits (computed without gradient, for metrics).
        """
        self.check_input(x)
        self.check_labels(x, y)
        limit = self.usable_depth(x)
        total = x.new_zeros(())
        per_block: list[tuple[Tensor, Tensor]] = []
        logits = x.new_empty(x.shape[0], self.n_classes)
        active = torch.arange(x.shape[0], device=x.device)
        s, t = None, F.one_hot(y, self.n_classes).to(x.dtype)
        xa, ya = x, y
        for k, block in enumerate(self.blocks, start=1):
            if block.frozen:
                with torch.no_grad():
                    s, t = block.encode(s, xa), block.g(t)
            else:
                out = block.local(s, t, xa, ya)
                total = total + out.loss
                per_block.append((out.associated.detach(), out.autoencoder.detach()))
                s, t = out.s.detach(), out.t.detach()
            done = limit[active] == k
            if done.any():
                with torch.no_grad():
                    logits[active[done]] = inference.decode(self, block.b(s[done]), k)
            keep = ~done
            if not keep.any():
                break
            active, s, t, xa, ya = active[keep], s[keep], t[keep], xa[keep], ya[keep]
        return TrainStep(total, logits, per_block)

    def forward(self, x: Tensor) -> Tensor:
        """Full-path logits, each sample routed by the columns it has."""
        return inference.full_path(self, x).logits
