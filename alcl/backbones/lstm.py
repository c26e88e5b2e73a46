"""LSTM backbone: block 1 embeds the tokens; every later block is an LSTM of its width.

Each block's LSTM starts from a zero state and reads the previous block's
hidden sequence (with newly released positions appended, see
:mod:`alcl.backbones.sequence`); no state is passed between blocks. The
bridge reads the masked mean over tokens, or the state at the last token
(option ``pool: last``).

Option ``bidirectional`` runs each block's LSTM both ways (``width // 2`` units per
direction, so a block keeps its width); option ``packed`` runs it over each row's real
tokens only (``nn.utils.rnn.pack_padded_sequence``), so padding never enters the state: a
backward LSTM over a padded row would otherwise start from the padding. A row's real tokens
need not be contiguous (released segments each carry their own padding); they are moved to
the front in order, run packed, and put back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from alcl.backbones.sequence import TOKEN_ABSENT_MODES, LastState, MaskedMean, SequenceBackboneBase
from alcl.backbones.spec import register_backbone


class LSTMLayer(nn.Module):
    """``layers`` stacked LSTMs, ``(h, mask) -> outputs`` (batch first); ``bidirectional``:
    ``width // 2`` units each way; ``packed``: over each row's real tokens only."""

    def __init__(
        self,
        in_width: int,
        width: int,
        layers: int,
        dropout: float,
        bidirectional: bool = False,
        packed: bool = False,
    ) -> None:
        super().__init__()
        self.lstm = nn.LSTM(
            in_width,
            width // 2 if bidirectional else width,
            num_layers=layers,
            batch_first=True,
            dropout=dropout if layers > 1 else 0,
            bidirectional=bidirectional,
        )
        self.packed = packed
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, h: Tensor, mask: Tensor) -> Tensor:
        if not self.packed:
            out, _ = self.lstm(h)
            return self.drop(out)
        # real tokens first, in their order (a stable sort of "is padding"), then packed
        order = torch.sort((~mask).to(torch.uint8), dim=1, stable=True).indices
        front = h.gather(1, order.unsqueeze(-1).expand_as(h))
        lengths = mask.sum(dim=1).clamp(min=1).cpu()  # a row without tokens reads one (masked)
        packed = pack_padded_sequence(front, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=h.shape[1])
        back = torch.empty_like(out).scatter_(1, order.unsqueeze(-1).expand_as(out), out)
        return self.drop(back)


SEQUENCE_POOLS = ("mean", "last")


@dataclass(frozen=True)
class LSTMOptions:
    pool: str = "mean"  # mean: masked mean over tokens | last: the state at the last token
    bidirectional: bool = False  # both directions, width // 2 units each
    packed: bool = False  # over each row's real tokens only (padding never enters the state)

    def problems(self, widths: Sequence[int] = ()) -> list[str]:
        out = []
        if self.pool not in SEQUENCE_POOLS:
            out.append(f"pool must be one of {list(SEQUENCE_POOLS)}, got {self.pool!r}")
        odd = [w for w in widths[1:] if w % 2]
        if self.bidirectional and odd:
            out.append(
                "bidirectional splits each LSTM block's width between two directions; make "
                f"widths[1:] even, got {list(widths[1:])}"
            )
        return out


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
        return LSTMLayer(
            in_width,
            self.width(index),
            self.layers_per_block,
            self.dropout,
            self.options.bidirectional,
            self.options.packed,
        )

    def pool(self, index: int) -> nn.Module:
        return LastState() if self.options.pool == "last" and index > 0 else MaskedMean()
