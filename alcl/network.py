"""The AL network: a growing stack of AL blocks trained by their local losses.

The network computes; it does not decide when to grow (that is
:mod:`alcl.growth`) nor how to predict beyond its default full path (that is
:mod:`alcl.inference`). It stores the early-exit rule chosen on validation
(:mod:`alcl.calibration`) as buffers, so the rule travels with ``state_dict``
(:class:`alcl.early_exits.EarlyExits`).

:class:`BlockStack` is what every growing stack shares, AL or not: the list of
blocks, freezing, and the column routing (how deep a sample can go given the
columns it has). The backprop control ``bp-grow`` (:mod:`alcl.baselines.bp_grow`) is
another :class:`BlockStack`, grown by the same :class:`alcl.growth.GrowthRule`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from alcl import class_heads, inference
from alcl.block import ALBlock, GrowingBlock, make_block
from alcl.early_exits import EarlyExits

if TYPE_CHECKING:
    from alcl.config import ModelConfig


@dataclass
class TrainStep:
    """Result of one local-loss pass: the summed loss, per-block parts, and where rows exited.

    ``logits`` (each row's deepest-exit logits, without gradient) are decoded
    on first access only: most training loops never read them.
    """

    loss: Tensor
    per_block: list[tuple[Tensor, Tensor]]  # (associated, autoencoder), detached
    net: BlockStack = field(repr=False)
    n_rows: int = 0
    # (rows, code, depth, bridged): rows (None = all) exiting at depth, with the
    # bridge output t̂ (bridged) or the features s that the bridge still has to map
    exits: list[tuple[Tensor | None, Tensor, int, bool]] = field(default_factory=list)
    computed_logits: Tensor | None = None  # a stack without label codes passes its logits

    @cached_property
    def logits(self) -> Tensor:
        if self.computed_logits is not None:
            return self.computed_logits
        out = None
        with torch.no_grad():
            for rows, code, depth, bridged in self.exits:
                t_hat = code if bridged else self.net.blocks[depth - 1].b(code)
                decoded = self.net.decode(t_hat, depth)
                if rows is None:
                    return decoded
                if out is None:
                    out = decoded.new_empty(self.n_rows, self.net.n_classes)
                out[rows] = decoded
        return out


@dataclass
class Prefix:
    """Outputs of the first ``depth`` blocks for a batch: their s and t (e.g. from a cache)."""

    depth: int
    s: Tensor
    t: Tensor


FILL_SUM, FILL_COUNT = "fill_sum", "fill_count"
"""Buffers of an imputing stack: per column, the sum and count of shown training cells."""


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
        model: ModelConfig,
        first: bool,
        pooled_width: int | None = None,
    ) -> GrowingBlock:
        """Wrap a backbone's encoder ``f`` into this stack's kind of block (for the growth rule);
        ``pool`` maps its output to ``pooled_width`` values (default ``width``); ``model`` is
        the ``model`` config section (label-code width and the other block settings)."""
        raise NotImplementedError

    def append(self, block: GrowingBlock) -> None:
        self.blocks.append(block)

    def freeze(self) -> None:
        """Freeze every existing block."""
        for block in self.blocks:
            block.freeze()

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for block in self.blocks if not block.frozen for p in block.parameters()]

    def frozen_depth(self) -> int:
        """How many leading blocks are frozen (their outputs never change)."""
        depth = 0
        for block in self.blocks:
            if not block.frozen:
                break
            depth += 1
        return depth

    def observe_shown(self, x: Tensor) -> None:
        """Add the shown (non-NaN) cells of training rows ``x`` to the per-column means that
        :meth:`inputs` fills absent cells with (``al: impute``). The buffers are registered on
        first use, so a stack that never imputes keeps its ``state_dict``."""
        if FILL_SUM not in self._buffers:
            zeros = torch.zeros(self.n_features, dtype=torch.float64, device=x.device)
            self.register_buffer(FILL_SUM, zeros)
            self.register_buffer(FILL_COUNT, zeros.clone())
        shown = ~torch.isnan(x)
        self._buffers[FILL_SUM] += torch.where(shown, x, 0.0).sum(dim=0, dtype=torch.float64)
        self._buffers[FILL_COUNT] += shown.sum(dim=0)

    def inputs(self, x: Tensor) -> Tensor:
        """``x`` as the blocks read it: unchanged, or (``al: impute``) with every absent cell of
        a column shown by some training row set to that column's mean over them, so the row
        reaches every block whose columns have been shown; never-shown columns stay NaN."""
        total = self._buffers.get(FILL_SUM)
        if total is None or not bool(x.isnan().any()):
            return x
        count = self._buffers[FILL_COUNT]
        mean = torch.where(count > 0, total / count.clamp(min=1), math.nan).to(x.dtype)
        return torch.where(torch.isnan(x), mean, x)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        for name in (FILL_SUM, FILL_COUNT):
            if prefix + name in state_dict and name not in self._buffers:
                self.register_buffer(name, torch.empty_like(state_dict[prefix + name]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def check_input(self, x: Tensor) -> None:
        if x.dim() < 2 or x.shape[1] != self.n_features:
            raise ValueError(
                f"expected inputs of shape (batch, {self.n_features}), got {tuple(x.shape)}."
            )
        if self.depth == 0:
            raise RuntimeError("the network has no blocks yet; train it on an experience first.")

    def check_labels(self, y: Tensor, n_rows: int) -> None:
        if y.dtype != torch.long or y.dim() != 1 or y.shape[0] != n_rows:
            raise ValueError("y must be a 1-D long tensor with one label per row of x.")
        if len(y) and bool(((y < 0) | (y >= self.n_classes)).any()):
            raise ValueError(
                f"labels must lie in [0, {self.n_classes - 1}], got {int(y.min())}..{int(y.max())}."
            )

    def usable_depth(self, x: Tensor) -> Tensor:
        """Per sample, how many leading blocks have all their columns present."""
        limit = self.depth_limits(x)
        if limit is None:
            return torch.full((x.shape[0],), self.depth, dtype=torch.long, device=x.device)
        return limit

    def depth_limits(self, x: Tensor) -> Tensor | None:
        """Like :meth:`usable_depth`, but None when every sample can use every block.

        Data with no absent column at all is recognised by one sum over ``x``
        (NaN marks absent columns and propagates through a sum).
        """
        self.check_input(x)
        x = self.inputs(x)
        if not bool(x.sum().isnan()):
            return None
        ok = torch.ones(x.shape[0], dtype=torch.bool, device=x.device)
        depth = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        for block in self.blocks:
            if block.columns.numel():
                ok = ok & block.present(x)
            depth += ok
        return depth


class ALNetwork(EarlyExits, BlockStack):
    """A stack of :class:`ALBlock` trained by local losses, one exit per block."""

    def __init__(self, n_features: int, n_classes: int) -> None:
        super().__init__(n_features, n_classes)
        self.init_exit_rule()

    def make_block(
        self,
        f: nn.Module,
        pool: nn.Module,
        width: int,
        columns: Tensor,
        model: ModelConfig,
        first: bool,
        pooled_width: int | None = None,
    ) -> ALBlock:
        return make_block(f, pool, width, columns, self.n_classes, model, first, pooled_width)

    def decode(self, t_hat: Tensor, depth: int) -> Tensor:
        """Decode a label code predicted at ``depth`` (1-based) through h_depth, ..., h_1 to logits."""
        t = t_hat
        for k in range(depth - 1, -1, -1):  # indexing: a ModuleList slice is a new module
            t = self.blocks[k].h(t)
        return t

    def exit_logits(self, s: Tensor, depth: int) -> Tensor:
        """AL's exit: block ``depth``'s bridge b, then the label decoders h_depth, ..., h_1;
        with class statistics (``al: head: lda``), LDA on the pooled features instead."""
        block = self.blocks[depth - 1]
        if class_heads.has_statistics(self):
            return class_heads.class_logits(self, block.b[0](s).flatten(1), depth)
        return self.decode(block.b(s), depth)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        class_heads.register_for_load(self, state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def label_code(self, y: Tensor, dtype: torch.dtype) -> Tensor:
        """t_0: the one-hot label (a scatter: unlike F.one_hot, it never synchronises a GPU)."""
        return torch.zeros(len(y), self.n_classes, dtype=dtype, device=y.device).scatter_(
            1, y.unsqueeze(1), 1.0
        )

    def prefix(self, x: Tensor, y: Tensor, depth: int) -> Prefix:
        """s and t after the first ``depth`` blocks, computed without gradient."""
        x = self.inputs(x)
        s, t = None, self.label_code(y, x.dtype)
        with torch.no_grad():
            for block in self.blocks[:depth]:
                s, t = block.encode(s, x), block.g(t)
        return Prefix(depth, s, t)

    def local_losses(
        self,
        x: Tensor,
        y: Tensor,
        *,
        start: Prefix | None = None,
        limit: Tensor | int | None = None,
    ) -> TrainStep:
        """Sum of the local losses of all unfrozen blocks, for one backward pass.

        Frozen blocks run forward without building a graph. Each sample takes
        part in the blocks its columns reach; the step's ``logits`` are each
        sample's deepest-exit logits (decoded without gradient when read).

        ``start`` gives the outputs of the first frozen blocks (from a cache),
        which are then not run. ``limit`` gives each row's usable depth (or
        one int for every row); a caller that passes it has checked ``x`` and
        ``y`` already (the strategy does so once per experience, not per batch).
        """
        x = self.inputs(x)
        if limit is None:
            self.check_input(x)
            self.check_labels(y, x.shape[0])
            limit = self.depth_limits(x)
            limit = self.depth if limit is None else limit
        if start is None:
            s, t, depth0 = None, self.label_code(y, x.dtype), 0
        else:
            s, t, depth0 = start.s, start.t, start.depth
        total: Tensor | None = None
        per_block: list[tuple[Tensor, Tensor]] = []
        exits: list[tuple[Tensor | None, Tensor, int, bool]] = []
        # Rows leave the batch at their limit; before the shallowest limit none does.
        if isinstance(limit, int):
            lim, first_exit, last = None, limit, limit
        else:
            lim, last = limit, self.depth
            first_exit = int(limit.min()) if len(limit) else self.depth
        if first_exit <= depth0:
            raise ValueError(
                f"some rows lack the columns of block {first_exit + 1}, so they cannot reach "
                "the blocks being trained; every training row needs block 1's columns "
                "(and, with a cached prefix, those of every cached block)."
            )
        rows, ya = None, y
        for k in range(depth0 + 1, last + 1):
            block = self.blocks[k - 1]
            if block.frozen:
                with torch.no_grad():
                    s, t = block.encode(s, x, rows), block.g(t)
                code, bridged = s, False
            else:
                out = block.local(s, t, x, ya, rows)
                total = out.loss if total is None else total + out.loss
                per_block.append((out.associated.detach(), out.autoencoder.detach()))
                s, t = out.s.detach(), out.t.detach()
                code, bridged = out.t_hat.detach(), True
            if k < first_exit:
                continue
            if k == last:  # every row left exits here
                exits.append((rows, code, k, bridged))
                break
            done = lim == k
            n_done = int(done.sum())
            if n_done == len(lim):
                exits.append((rows, code, k, bridged))
                break
            if n_done:
                leave = done.nonzero().squeeze(1)
                exits.append((leave if rows is None else rows[leave], code[leave], k, bridged))
                keep = (~done).nonzero().squeeze(1)
                rows = keep if rows is None else rows[keep]
                s, t, ya, lim = s[keep], t[keep], ya[keep], lim[keep]
        if total is None:
            raise RuntimeError(
                "no row of this batch reached a trainable block (all stop at frozen blocks, "
                "or every block is frozen); there is nothing to train."
            )
        return TrainStep(total, per_block, self, x.shape[0], exits)

    def forward(self, x: Tensor) -> Tensor:
        """Full-path logits, each sample routed by the columns it has."""
        return inference.full_path(self, x).logits
