"""Bag-of-embeddings backbone (fastText-style): block 1 embeds the tokens, without positions;
every later block is a position-wise Linear + ReLU; the bridge or head reads the masked mean.

With one block it is fastText's classifier (Joulin et al. 2017): the mean of the token
embeddings, then a linear layer. The ``bag-of-embeddings`` reference strategy
(:mod:`alcl.baselines.bag_of_embeddings`) trains exactly that by backprop, to show what a
sequence model's blocks add over its embeddings.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from alcl.backbones.mlp import NoOptions
from alcl.backbones.sequence import TOKEN_ABSENT_MODES, SequenceBackboneBase
from alcl.backbones.spec import register_backbone


class PositionwiseLayer(nn.Module):
    """``(h, mask) -> ReLU(Linear(h))`` at every position (no mixing across tokens)."""

    def __init__(self, in_width: int, width: int, dropout: float) -> None:
        super().__init__()
        self.linear = nn.Linear(in_width, width)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, h: Tensor, mask: Tensor) -> Tensor:
        return self.drop(self.linear(h).relu())


@register_backbone(
    "bag",
    "tokens",
    NoOptions,
    "bag of embeddings (fastText): block 1 embeds tokens without positions; each further "
    "block is a position-wise Linear + ReLU; masked mean pooling",
    absent_modes=TOKEN_ABSENT_MODES,
)
@dataclass(frozen=True)
class BagBackbone(SequenceBackboneBase):
    options: NoOptions = NoOptions()
    name = "bag"

    def layer(self, index: int, in_width: int) -> nn.Module:
        return PositionwiseLayer(in_width, self.width(index), self.dropout)
