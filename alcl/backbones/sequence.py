"""What the sequence backbones (LSTM, Transformer) share: the embedding block, the block
encoder around a sequence layer, and pooling.

- block 1 is the embedding block: its encoder embeds its token positions
  (:class:`alcl.fusion.TokenEmbedding`), padding and absent positions masked;
- a later block reads the previous hidden sequence, plus, when it reads new
  positions, their embeddings appended along the sequence with their mask
  (:func:`alcl.fusion.concat_sequences`), and runs its layer (supplied by the
  backbone) on that; padded positions of its output are set to 0.

Outputs are packed sequences ``(B, L, width + 1)`` with the mask last. The
bridge reads them through :class:`MaskedMean` (or :class:`LastState`): no
flatten-to-linear bridge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from alcl.backbones.spec import BlockSpec, check_stack, width_at
from alcl.fusion import TokenEmbedding, concat_sequences, pack_sequence, unpack_sequence
from streams.layout import TextLayout


class MaskedMean(nn.Module):
    """Packed ``(B, L, D + 1)`` -> ``(B, D)``: the mean over real tokens (0 for a row with none)."""

    def forward(self, s: Tensor) -> Tensor:
        h, mask = unpack_sequence(s)
        m = mask.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)


class LastState(nn.Module):
    """Packed ``(B, L, D + 1)`` -> ``(B, D)``: the features at each row's last real token."""

    def forward(self, s: Tensor) -> Tensor:
        h, mask = unpack_sequence(s)
        steps = torch.arange(1, h.shape[1] + 1, device=h.device)
        last = (mask * steps).argmax(dim=1)
        return h[torch.arange(h.shape[0], device=h.device), last]


class SequenceEncoder(nn.Module):
    """f of a sequence block after the first: fuse new positions, run ``layer``, re-mask.

    ``layer(h, mask)`` maps ``(B, L, D_in)`` features to ``(B, L, D_out)``.
    """

    def __init__(self, layer: nn.Module, side: TokenEmbedding | None = None) -> None:
        super().__init__()
        self.side, self.layer = side, layer

    def forward(self, s_prev: Tensor | None, side: Tensor | None = None) -> Tensor:
        if s_prev is None:
            raise ValueError("a sequence block after the first needs the previous block's output.")
        fused = concat_sequences(s_prev, None if self.side is None else self.side(side))
        h, mask = unpack_sequence(fused)
        out = self.layer(h, mask)
        return pack_sequence(out * mask.unsqueeze(-1).to(out.dtype), mask)


class EmbeddingEncoder(nn.Module):
    """f of the embedding block (block 1): its token positions embedded, as a packed sequence."""

    def __init__(self, embedding: TokenEmbedding) -> None:
        super().__init__()
        self.embedding = embedding

    def forward(self, s_prev: Tensor | None, side: Tensor | None = None) -> Tensor:
        if s_prev is not None or side is None:
            raise ValueError("the embedding block reads token columns and nothing else.")
        return self.embedding(side)


TOKEN_ABSENT_MODES = ("zero", "zero+mask")
"""How a fixed-width model may see absent tokens: token ids have no mean (masked padding)."""


@dataclass(frozen=True)
class SequenceBackboneBase:
    """Widths, layout and options shared by the sequence backbones.

    ``widths[0]`` is the embedding size; ``widths[i]`` the width of block i's
    layer. Subclasses supply ``layer(index, in_width) -> nn.Module``.
    """

    widths: Sequence[int]
    layout: Any
    layers_per_block: int = 1
    dropout: float = 0.0
    options: Any = None
    reads_absent = True  # absent positions read as padding, which the mask hides
    positional = False  # whether embeddings carry sinusoidal position encodings
    name = "sequence"

    def __post_init__(self) -> None:
        if not isinstance(self.layout, TextLayout) or self.layout.encoding != "tokens":
            raise ValueError(
                f"backbone {self.name!r} reads token ids; use a text dataset with "
                "stream.encoding: tokens (or backbone mlp for bow/tfidf columns)."
            )
        check_stack(self.widths, self.layers_per_block)

    def width(self, index: int) -> int:
        return width_at(self.widths, index)

    def pool(self, index: int) -> nn.Module:
        return MaskedMean()

    def pooled_width(self, index: int) -> int:
        return self.width(index)

    def layer(self, index: int, in_width: int) -> nn.Module:
        """Block ``index``'s sequence layer, ``(h, mask) -> h'`` of width(index)."""
        raise NotImplementedError

    def embedding(self, columns: Any, dim: int) -> TokenEmbedding:
        return TokenEmbedding(
            columns, self.layout.vocab_size, dim, positional=self.positional, dropout=self.dropout
        )

    def encoder(self, spec: BlockSpec) -> nn.Module:
        if spec.prev_width is None:
            return EmbeddingEncoder(self.embedding(spec.columns, self.width(spec.index)))
        side = self.embedding(spec.columns, spec.prev_width) if len(spec.columns) else None
        return SequenceEncoder(self.layer(spec.index, spec.prev_width), side)
