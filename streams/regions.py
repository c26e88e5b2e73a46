"""Image release pieces: bands, quadrants, patches, channels and resolution levels.

Every piece is a set of pixel columns of an :class:`~streams.layout.ImageLayout`
(all channels of a region, unless the pieces are channels):

- ``horizontal_bands``: ``n_pieces`` bands of consecutive image rows, top first;
- ``vertical_bands``: ``n_pieces`` bands of consecutive image columns, left first;
- ``quadrants``: the 2x2 patch grid (top-left, top-right, bottom-left, bottom-right);
- ``patches``: a k x k grid of patches in row-major order (``patch_grid`` = k);
- ``channels``: one piece per colour channel;
- ``resolution``: an interlaced pyramid. For strides s_1 > ... > s_L = 1, level l
  releases the pixels (h, w) with h % s_l == 0 and w % s_l == 0 that no
  coarser level released. Level 1 is a subsampled, coarse image; each later
  level adds the detail in between, and the last completes the image. Every
  column is still one pixel, so the image can always be rebuilt.

Bands and patch edges split H and W as evenly as possible (``np.array_split``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from streams.layout import ImageLayout
from streams.schedule import Piece
from streams.validation import DataError


def image_pieces(
    layout: ImageLayout,
    grouping: str,
    n_pieces: int,
    patch_grid: int = 2,
    strides: Sequence[int] | None = None,
) -> list[Piece]:
    """The pieces of ``grouping`` for images of ``layout.shape``; see the module docstring."""
    c, h, w = layout.shape
    if grouping == "horizontal_bands":
        return [
            (f"rows{r[0]}-{r[-1]}", layout.columns(rows=r)) for r in _split(h, n_pieces, "rows")
        ]
    if grouping == "vertical_bands":
        return [
            (f"cols{q[0]}-{q[-1]}", layout.columns(cols=q)) for q in _split(w, n_pieces, "columns")
        ]
    if grouping in ("quadrants", "patches"):
        k = 2 if grouping == "quadrants" else patch_grid
        if k < 1:
            raise DataError(f"patch_grid must be >= 1, got {k}.")
        return [
            (f"patch({i},{j})", layout.columns(rows=r, cols=q))
            for i, r in enumerate(_split(h, k, "rows"))
            for j, q in enumerate(_split(w, k, "columns"))
        ]
    if grouping == "channels":
        if c < 2:
            raise DataError(
                "grouping 'channels' needs colour images, but these images have 1 channel; "
                "use bands, patches or resolution."
            )
        return [(f"channel{i}", layout.columns(channels=np.array([i]))) for i in range(c)]
    if grouping == "resolution":
        return _resolution(layout, _strides(strides, n_pieces))
    raise DataError(f"{grouping!r} is not an image grouping.")


def _split(size: int, parts: int, what: str) -> list[np.ndarray]:
    if not 1 <= parts <= size:
        raise DataError(f"cannot cut {size} image {what} into {parts} pieces.")
    return np.array_split(np.arange(size), parts)


def _strides(strides: Sequence[int] | None, n_levels: int) -> list[int]:
    if strides is None:
        return [2**i for i in reversed(range(n_levels))]
    out = [int(s) for s in strides]
    if not out or out[-1] != 1 or any(a <= b for a, b in zip(out, out[1:], strict=False)):
        raise DataError(
            f"resolution_strides {out} must decrease strictly and end with 1 "
            "(the last level completes the image), e.g. [4, 2, 1]."
        )
    return out


def _resolution(layout: ImageLayout, strides: list[int]) -> list[Piece]:
    c, h, w = layout.shape
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    taken = np.zeros((h, w), dtype=bool)
    pieces = []
    for s in strides:
        if s > max(h, w):
            raise DataError(f"resolution stride {s} exceeds the image size {h}x{w}.")
        level = (rows % s == 0) & (cols % s == 0) & ~taken
        taken |= level
        mask = np.broadcast_to(level, (c, h, w))
        pieces.append((f"stride{s}", np.flatnonzero(mask).astype(np.int64)))
    return pieces
