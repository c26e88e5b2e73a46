"""LSTM backbone: block 1 embeds the tokens; every later block is an LSTM of its width.

Each block's LSTM starts from a zero state and reads the previous block's
hidden sequence (with newly released positions appended, see
:mod:`alcl.backbones.sequence`); no state is passed between blocks. The
bridge reads the masked mean over tokens, or the state at the last token
(option ``pool: last``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch import Tensor, nn

from alcl.backbones.sequence import TOKEN_ABSENT_MODES, LastState, MaskedMean, SequenceBackboneBase
from alcl.backbones.spec import register_backbone


class LSTMLayer(nn.Module):
    """``layers`` stacked LSTMs, ``(h, mask) -> outputs`` (batch first)."""

    def __init__(self, in_width: int, width: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.lstm = nn.LSTM(
            in_width,
            width,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0,
        )
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, h: Tensor, mask: Tensor) -> Tensor:
        out, _ = self.lstm(h)
        return self.drop(out)


SEQUENCE_POOLS = ("mean", "last")


@dataclass(frozen=True)
class LSTMOptions:
    pool: str = "mean"  # mean: masked mean over tokens | last: the state at the last token

    def problems(self, widths: Sequence[int] = ()) -> list[str]:
        if self.pool not in SEQUENCE_POOLS:
            return [f"pool must be one of {list(SEQUENCE_POOLS)}, got {self.pool!r}"]
        return []


@register_backbone(
    "lstm",
    "tokens",
    LSTMOptions,
    "block 1 embeds tokens; each further block is an LSTM",
    absent_modes=TOKEN_ABSENT_MODES,
)
@dataclass(frozen=True)
class LSTMBackbone(SequenceBackboneBase):
    options: LSTMOptions = LSTMOptions()
    name = "lstm"

    def layer(self, index: int, in_width: int) -> nn.Module:
        return LSTMLayer(in_width, self.width(index), self.layers_per_block, self.dropout)

    def pool(self, index: int) -> nn.Module:
        return LastState() if self.options.pool == "last" and index > 0 else MaskedMean()
