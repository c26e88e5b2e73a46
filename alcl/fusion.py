"""How a block's encoder combines the previous block's output with newly released inputs.

Every backbone fuses side inputs through this module, so the rule for a
modality is written once:

- vectors: ``[s_prev, side]`` along features (:func:`concat_vectors`);
- images: the block's columns are put back in place as an image plus a
  presence mask, absent pixels 0 (:class:`ImageCanvas`, built on the stream
  helper :func:`streams.masked_image`). Block 1 reads that directly; a later
  block passes its newly visible region through a small conv, resizes the
  result to the previous feature map and concatenates it as channels
  (:class:`ImageSide`, :func:`concat_channels`);
- tokens: the block's positions are embedded, padding and absent positions
  masked (:class:`TokenEmbedding`; block 1's embedding is one of these too),
  and concatenated along the sequence with the previous hidden sequence and
  its mask (:func:`concat_sequences`).

A sequence travels between blocks as one tensor of shape
``(batch, length, width + 1)`` whose last feature is the token mask
(:func:`pack_sequence`, :func:`unpack_sequence`): the network, its cache and
the inference paths then handle every backbone's output as one tensor.

The fusion modules (side conv, side embedding) belong to the encoder of the
block they feed, so they are trained with it, by its optimizer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from streams.layout import PAD_ID, ImageLayout, masked_image


def concat_vectors(s_prev: Tensor | None, side: Tensor | None) -> Tensor:
    """Feature-augmented input for vector encoders: ``[s_prev, side]`` along features."""
    parts = [p for p in (s_prev, side) if p is not None]
    if not parts:
        raise ValueError("a block needs previous features or new columns; it received neither.")
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)


def _as_columns(columns: Sequence[int] | Tensor) -> Tensor:
    return torch.as_tensor(columns, dtype=torch.long).flatten()


# --- images ---------------------------------------------------------------------------------


class ImageCanvas(nn.Module):
    """A block's pixel columns put back in place: ``[image, mask]``, ``(B, 2C, H, W)``.

    Pixels outside the block's columns, and absent (NaN) ones, read 0 in the
    image and 0 in the mask, as :func:`streams.masked_image` gives them.
    """

    def __init__(self, columns: Sequence[int] | Tensor, layout: ImageLayout) -> None:
        super().__init__()
        cols = _as_columns(columns)
        if not isinstance(layout, ImageLayout):
            raise ValueError(f"an image canvas needs an ImageLayout, got {type(layout).__name__}.")
        if cols.numel() == 0 or int(cols.max()) >= layout.n_columns or int(cols.min()) < 0:
            raise ValueError(
                f"an image block reads pixel columns in [0, {layout.n_columns}), got "
                f"{cols.numel()} columns."
            )
        self.layout = layout
        self.every = cols.numel() == layout.n_columns and bool(
            torch.equal(cols, torch.arange(layout.n_columns))
        )
        self.register_buffer("columns", cols, persistent=False)

    @property
    def out_channels(self) -> int:
        return 2 * self.layout.shape[0]

    def forward(self, side: Tensor) -> Tensor:
        if self.every:
            rows = side
        else:
            rows = side.new_full((side.shape[0], self.layout.n_columns), math.nan)
            rows.index_copy_(1, self.columns, side)
        image, mask = masked_image(rows, self.layout)
        return torch.cat([image, mask], dim=1)


class ImageSide(nn.Module):
    """A newly visible region as feature channels: canvas -> conv -> ReLU, resized to a map's size."""

    def __init__(
        self, columns: Sequence[int] | Tensor, layout: ImageLayout, channels: int, kernel: int = 3
    ) -> None:
        super().__init__()
        self.canvas = ImageCanvas(columns, layout)
        self.conv = nn.Conv2d(self.canvas.out_channels, channels, kernel, padding=kernel // 2)
        self.out_channels = channels

    def forward(self, side: Tensor, size: Sequence[int]) -> Tensor:
        out = F.relu(self.conv(self.canvas(side)))
        if tuple(out.shape[-2:]) != tuple(size):
            out = F.adaptive_avg_pool2d(out, tuple(size))
        return out


def concat_channels(s_prev: Tensor, side_map: Tensor | None) -> Tensor:
    """Feature-augmented input for conv encoders: the previous map and the side map as channels."""
    return s_prev if side_map is None else torch.cat([s_prev, side_map], dim=1)


# --- token sequences ------------------------------------------------------------------------


def pack_sequence(h: Tensor, mask: Tensor) -> Tensor:
    """``(B, L, D)`` features and a ``(B, L)`` token mask as one ``(B, L, D + 1)`` tensor."""
    return torch.cat([h, mask.unsqueeze(-1).to(h.dtype)], dim=-1)


def unpack_sequence(s: Tensor) -> tuple[Tensor, Tensor]:
    """The features and the boolean token mask of a packed sequence."""
    return s[..., :-1], s[..., -1] > 0.5


def concat_sequences(s_prev: Tensor, side: Tensor | None) -> Tensor:
    """Feature-augmented input for sequence encoders: new positions appended, masks kept."""
    return s_prev if side is None else torch.cat([s_prev, side], dim=1)


def sinusoidal_positions(positions: Tensor, dim: int) -> Tensor:
    """Fixed sine/cosine encodings of integer ``positions``, ``(len(positions), dim)``."""
    pos = positions.to(torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    table = torch.zeros(len(positions), dim)
    table[:, 0::2] = torch.sin(pos * freq)
    table[:, 1::2] = torch.cos(pos * freq[: dim // 2])
    return table


class TokenEmbedding(nn.Module):
    """A block's token positions embedded: a packed ``(B, len(columns), dim + 1)`` sequence.

    Column values are token ids (``streams.token_ids`` semantics): padding and
    absent positions (NaN) embed to 0 and are masked out. With ``positional``,
    fixed sinusoidal encodings of the columns' positions in the text are added.
    """

    def __init__(
        self,
        columns: Sequence[int] | Tensor,
        vocab_size: int,
        dim: int,
        positional: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        cols = _as_columns(columns)
        if cols.numel() == 0:
            raise ValueError("a token embedding needs at least one position column.")
        self.embed = nn.Embedding(vocab_size, dim, padding_idx=PAD_ID)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.register_buffer(
            "positions", sinusoidal_positions(cols, dim) if positional else None, persistent=False
        )

    def forward(self, side: Tensor) -> Tensor:
        ids = side.nan_to_num(float(PAD_ID)).long()
        mask = ids != PAD_ID
        h = self.embed(ids)
        if self.positions is not None:
            h = h + self.positions.to(h.dtype)
        h = self.drop(h) * mask.unsqueeze(-1).to(h.dtype)
        return pack_sequence(h, mask)
