"""The Associated Learning block and its local losses (DESIGN §1).

Block i owns four modules:

- ``f`` encoder, s_{i-1} (+ newly released columns) -> s_i, supplied by a backbone;
- ``b`` bridge, s_i -> t̂_i, a prediction of the label code;
- ``g`` label encoder, t_{i-1} -> t_i (t_0 is the one-hot label);
- ``h`` label decoder, t_i -> t_{i-1} (block 1 decodes to class logits).

Its inputs s_{i-1} and t_{i-1} are detached, so no gradient ever crosses
blocks: a block learns only from its own associated and autoencoder losses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor, nn

if TYPE_CHECKING:
    from alcl.config import ModelConfig


@dataclass
class BlockOutput:
    """What one block produces for a batch: features, label code and local losses."""

    s: Tensor
    t: Tensor
    t_hat: Tensor  # b(s), the bridge's prediction of t: the exit's input to the decoders
    associated: Tensor
    autoencoder: Tensor

    @property
    def loss(self) -> Tensor:
        return self.associated + self.autoencoder


class GrowingBlock(nn.Module):
    """What every block of a growing stack shares: an encoder ``f`` over
    [previous block's output, this block's ``columns`` of the input], a width,
    and freezing.

    The AL block below adds the AL parts and local losses; the backprop
    control ``bp-grow`` (:mod:`alcl.baselines.bp_grow`) adds a linear classifier head.
    """

    def __init__(self, f: nn.Module, columns: Sequence[int] | Tensor, width: int) -> None:
        super().__init__()
        self.f = f
        self.register_buffer("columns", torch.as_tensor(columns, dtype=torch.long).flatten())
        self.width = width
        self.frozen = False
        cols = self.columns.tolist()
        # A contiguous run of columns (a band of pixels, a block of a table) is
        # read as a slice: a view, with no gather of the input.
        contiguous = bool(cols) and cols == list(range(cols[0], cols[0] + len(cols)))
        self._span = slice(cols[0], cols[-1] + 1) if contiguous else None

    def side_input(self, x: Tensor, rows: Tensor | None = None) -> Tensor | None:
        """This block's columns of ``x`` (of the given ``rows`` only, if any); None if it reads none."""
        if not self.columns.numel():
            return None
        side = x[:, self._span] if self._span is not None else x.index_select(1, self.columns)
        return side if rows is None else side.index_select(0, rows)

    def present(self, x: Tensor) -> Tensor:
        """Per row, whether every column this block reads is present (not NaN).

        Inputs are finite apart from NaN for absent columns, so a row sum is
        NaN exactly when a column is absent; a sum is much cheaper than isnan+all.
        """
        side = self.side_input(x)
        if side is None:
            return torch.ones(x.shape[0], dtype=torch.bool, device=x.device)
        return ~side.sum(dim=1).isnan()

    def encode(self, s_prev: Tensor | None, x: Tensor, rows: Tensor | None = None) -> Tensor:
        """f: fuse the previous features with this block's columns of ``x`` (of ``rows``)."""
        return self.f(s_prev, self.side_input(x, rows))

    def freeze(self) -> None:
        """Stop training this block: no gradients, and eval mode from now on."""
        self.frozen = True
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> GrowingBlock:
        # A frozen block stays in eval mode so that dropout or batch-norm
        # statistics cannot change it while its successors train.
        return super().train(mode and not self.frozen)

    def extra_repr(self) -> str:
        return f"columns={self.columns.numel()}, width={self.width}, frozen={self.frozen}"


class ALBlock(GrowingBlock):
    """One AL block. ``columns`` are the raw input columns this block reads (may be empty)."""

    def __init__(
        self,
        f: nn.Module,
        b: nn.Module,
        g: nn.Module,
        h: nn.Module,
        columns: Sequence[int] | Tensor,
        first: bool,
        width: int,
        detach_t: bool = True,
    ) -> None:
        super().__init__(f, columns, width)
        self.b, self.g, self.h = b, g, h
        self.first = first
        self.detach_t = detach_t

    def local(
        self,
        s_prev: Tensor | None,
        t_prev: Tensor,
        x: Tensor,
        y: Tensor,
        rows: Tensor | None = None,
    ) -> BlockOutput:
        """Forward with the local losses; inputs are detached so gradients stay in this block.

        ``x`` holds the raw inputs; ``rows`` (if given) says which of its rows
        ``s_prev``, ``t_prev`` and ``y`` belong to.
        """
        s_in = None if s_prev is None else s_prev.detach()
        t_in = t_prev.detach()
        s = self.encode(s_in, x, rows)
        t = self.g(t_in)
        t_hat = self.b(s)
        # detach_t: the label code is the target b learns to reach; otherwise g is also pulled
        # towards b's output (as in public AL code), held apart by the autoencoder loss
        associated = F.mse_loss(t_hat, t.detach() if self.detach_t else t)
        decoded = self.h(t)
        if self.first:
            autoencoder = F.cross_entropy(decoded, y)
        else:
            autoencoder = F.mse_loss(decoded, t_in)
        return BlockOutput(s, t, t_hat, associated, autoencoder)

    @torch.no_grad()
    def start_as(self, parent: ALBlock) -> None:
        """Warm start: begin near ``parent``'s exit, where the shapes agree (MLP blocks).

        The encoder passes the parent's features through (an identity block in the first
        layer's weight, the new columns' weights scaled by 0.1, identity for any further
        square layer), the bridge is a copy of the parent's, and the label encoder and
        decoder start as identity maps. So the new exit starts close to the parent's instead
        of at chance, and a short budget or a small experience cannot make it collapse.
        """
        layers = [m for m in getattr(self.f, "net", []) if isinstance(m, nn.Linear)]
        if not layers:
            return  # not an MLP encoder: it keeps its random start
        first, width = layers[0], parent.width
        if first.weight.shape[0] == width and first.weight.shape[1] >= width:
            first.weight[:, :width] = torch.eye(width)
            first.weight[:, width:] *= 0.1
            first.bias.zero_()
        for layer in layers[1:]:
            if layer.weight.shape[0] == layer.weight.shape[1]:
                layer.weight.copy_(torch.eye(layer.weight.shape[0]))
                layer.bias.zero_()
        mine, theirs = list(self.b.parameters()), list(parent.b.parameters())
        if [p.shape for p in mine] == [p.shape for p in theirs]:
            for a, b in zip(mine, theirs, strict=True):
                a.copy_(b)
        for module in (self.g[0], self.h[0]):
            if module.weight.shape[0] == module.weight.shape[1]:
                module.weight.copy_(torch.eye(module.weight.shape[0]))
                module.bias.zero_()


# Label codes live in (-1, 1). Tanh codes trained faster and more robustly
# than sigmoid codes on the digits stream (a sigmoid code at lr 1e-3 failed
# to train deeper blocks in 60 epochs; see experiments/benchmarks/).


def label_encoder(n_in: int, label_dim: int) -> nn.Module:
    """g: a linear map into a tanh label code."""
    return nn.Sequential(nn.Linear(n_in, label_dim), nn.Tanh())


def label_decoder(label_dim: int, n_out: int, first: bool) -> nn.Module:
    """h: decodes a label code one level up; block 1 decodes to class logits."""
    if first:
        return nn.Linear(label_dim, n_out)
    return nn.Sequential(nn.Linear(label_dim, n_out), nn.Tanh())


def bridge(pool: nn.Module, width: int, label_dim: int, hidden: int = 0) -> nn.Module:
    """b: pools the encoder output to a vector, then predicts the label code (through a
    hidden ReLU layer of ``hidden`` units when ``hidden`` > 0, as the thesis's CNN does)."""
    if hidden:
        return nn.Sequential(
            pool, nn.Linear(width, hidden), nn.ReLU(), nn.Linear(hidden, label_dim), nn.Tanh()
        )
    return nn.Sequential(pool, nn.Linear(width, label_dim), nn.Tanh())


def make_block(
    f: nn.Module,
    pool: nn.Module,
    width: int,
    columns: Sequence[int] | Tensor,
    n_classes: int,
    model: ModelConfig,
    first: bool,
    pooled_width: int | None = None,
) -> ALBlock:
    """Assemble a block around a backbone's encoder ``f``, whose output has ``width`` features
    (channels, units) and is pooled to ``pooled_width`` values (default: ``width``) for b;
    ``model`` (the ``model`` config section) gives the label-code width."""
    label_dim = model.label_dim
    code_in = n_classes if first else label_dim
    return ALBlock(
        f=f,
        b=bridge(pool, pooled_width or width, label_dim, model.bridge_hidden),
        g=label_encoder(code_in, label_dim),
        h=label_decoder(label_dim, code_in, first),
        columns=columns,
        first=first,
        width=width,
        detach_t=model.detach_t,
    )
