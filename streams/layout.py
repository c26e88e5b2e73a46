"""What the columns of a stream mean: pixels of an image, or tokens and words of a text.

A stream is always a table of columns (absent columns are NaN), so an MLP
reads any modality unchanged. A layout records how the columns map back to
the original structure, so that a conv or sequence backbone can rebuild it:

- :class:`ImageLayout`: column ``c*H*W + h*W + w`` is pixel ``(c, h, w)``;
  :func:`masked_image` turns a batch of rows into images plus a presence mask.
- :class:`TextLayout`: the columns of each piece (a field such as the title,
  or a segment of token positions) and the vocabulary; with the ``tokens``
  encoding :func:`token_ids` turns rows into token ids plus an attention mask.

The helpers take torch tensors but import nothing: they only use tensor methods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAD_ID = 0
UNK_ID = 1


@dataclass(frozen=True)
class ImageLayout:
    """Columns are the pixels of a ``(C, H, W)`` image flattened in C, H, W order.

    ``pixel_max`` is the largest raw value (255 for 8-bit images); without
    standardisation pixels are divided by it.
    """

    shape: tuple[int, int, int]
    pixel_max: float = 255.0

    @property
    def n_columns(self) -> int:
        c, h, w = self.shape
        return c * h * w

    def column(self, c: int, h: int, w: int) -> int:
        """The column holding pixel ``(c, h, w)``."""
        return int(np.ravel_multi_index((c, h, w), self.shape))

    def pixel(self, column: int) -> tuple[int, int, int]:
        """The pixel ``(c, h, w)`` held by ``column``."""
        c, h, w = np.unravel_index(int(column), self.shape)
        return int(c), int(h), int(w)

    def columns(
        self,
        channels: np.ndarray | slice = slice(None),
        rows: np.ndarray | slice = slice(None),
        cols: np.ndarray | slice = slice(None),
    ) -> np.ndarray:
        """Sorted column indices of the pixels in ``channels`` x ``rows`` x ``cols``."""
        grid = np.arange(self.n_columns).reshape(self.shape)
        return np.sort(grid[channels][:, rows][:, :, cols].ravel()).astype(np.int64)


@dataclass(frozen=True)
class TextLayout:
    """How a text stream's columns were made.

    ``pieces`` name the units of release (fields such as ``title``, or
    ``segment1``...), ``spans[i]`` is the half-open column range of piece i.
    With ``encoding == "tokens"`` each column is one token position holding a
    token id (``PAD_ID`` past the end of the text); with ``bow``/``tfidf``
    each column is one vocabulary word of one piece. ``vocabulary[i]`` is the
    token of id i (0 is padding, 1 the unknown token).
    """

    encoding: str
    pieces: tuple[str, ...]
    spans: tuple[tuple[int, int], ...]
    vocabulary: tuple[str, ...]
    max_length: int

    @property
    def n_columns(self) -> int:
        return self.spans[-1][1]

    @property
    def vocab_size(self) -> int:
        return len(self.vocabulary)

    def piece_columns(self, index: int) -> np.ndarray:
        start, stop = self.spans[index]
        return np.arange(start, stop, dtype=np.int64)


def masked_image(x, layout: ImageLayout):
    """Rows ``(B, C*H*W)`` with NaN for absent pixels -> ``(image, mask)``, both ``(B, C, H, W)``.

    Absent pixels become 0 in ``image`` (the mean of a standardised pixel);
    ``mask`` is 1.0 where the pixel is present and 0.0 where it is absent, so a
    conv backbone can read ``torch.cat([image, mask], dim=1)``.
    """
    if x.dim() != 2 or x.shape[1] != layout.n_columns:
        raise ValueError(
            f"expected rows of shape (batch, {layout.n_columns}) for images {layout.shape}, "
            f"got {tuple(x.shape)}."
        )
    present = ~x.isnan()
    shape = (x.shape[0], *layout.shape)
    image = x.nan_to_num(0.0).reshape(shape)
    return image, present.to(x.dtype).reshape(shape)


def token_ids(x, layout: TextLayout):
    """Rows of token-id columns -> ``(ids, mask)``, both ``(B, n_columns)``.

    Not-yet-released positions (NaN) and padding both become ``PAD_ID`` in
    ``ids`` (a long tensor); ``mask`` is True only for real, released tokens.
    """
    if layout.encoding != "tokens":
        raise ValueError(
            f"token_ids needs the 'tokens' text encoding, this stream uses {layout.encoding!r}."
        )
    if x.dim() != 2 or x.shape[1] != layout.n_columns:
        raise ValueError(
            f"expected rows of shape (batch, {layout.n_columns}), got {tuple(x.shape)}."
        )
    ids = x.nan_to_num(float(PAD_ID)).long()
    return ids, ids != PAD_ID
