"""Transformer backbone: block 1 embeds the tokens (plus sinusoidal positions); every later
block is ``layers_per_block`` pre-norm encoder layers.

Attention ignores padding and absent positions (the token mask); newly
released positions join the sequence with their own positions (see
:mod:`alcl.backbones.sequence`). The bridge reads the masked mean over tokens.
The layer is written out (rather than ``nn.TransformerEncoderLayer``) so that
its inference never takes PyTorch's fused fast path, which FLOP counting
cannot see; attention runs through ``scaled_dot_product_attention``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor, nn

from alcl.backbones.sequence import TOKEN_ABSENT_MODES, SequenceBackboneBase
from alcl.backbones.spec import register_backbone


class EncoderLayer(nn.Module):
    """Pre-norm self-attention and feed-forward, each with a residual connection."""

    def __init__(self, width: int, heads: int, feedforward: int, dropout: float) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"the transformer width {width} is not divisible by heads={heads}.")
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.ff = nn.Sequential(
            nn.Linear(width, feedforward * width), nn.GELU(), nn.Linear(feedforward * width, width)
        )
        self.dropout = dropout
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, h: Tensor, mask: Tensor) -> Tensor:
        b, n, d = h.shape
        q, k, v = self.qkv(self.norm1(h)).view(b, n, 3, self.heads, d // self.heads).unbind(2)
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        keys = mask.clone()
        keys[:, 0] |= ~mask.any(dim=1)  # a row without tokens attends to position 0, not to nothing
        attn = F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=keys[:, None, None, :],
            dropout_p=self.dropout if self.training else 0.0,
        )
        h = h + self.drop(self.out(attn.transpose(1, 2).reshape(b, n, d)))
        return h + self.drop(self.ff(self.norm2(h)))


class TransformerLayers(nn.Module):
    """An input projection (when the width changes), then encoder layers."""

    def __init__(
        self, in_width: int, width: int, layers: int, opts: TransformerOptions, dropout: float
    ):
        super().__init__()
        self.project = nn.Linear(in_width, width) if in_width != width else nn.Identity()
        self.layers = nn.ModuleList(
            EncoderLayer(width, opts.heads, opts.feedforward, dropout) for _ in range(layers)
        )

    def forward(self, h: Tensor, mask: Tensor) -> Tensor:
        h = self.project(h)
        for layer in self.layers:
            h = layer(h, mask)
        return h


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


@register_backbone(
    "transformer",
    "tokens",
    TransformerOptions,
    "block 1 embeds tokens (with sinusoidal positions); each further block is an encoder layer",
    absent_modes=TOKEN_ABSENT_MODES,
)
@dataclass(frozen=True)
class TransformerBackbone(SequenceBackboneBase):
    options: TransformerOptions = TransformerOptions()
    positional = True
    name = "transformer"

    def layer(self, index: int, in_width: int) -> nn.Module:
        return TransformerLayers(
            in_width, self.width(index), self.layers_per_block, self.options, self.dropout
        )
