"""How a block's encoder combines the previous block's output with newly released inputs.

Every backbone fuses side inputs through one of these functions, so the rule
for a modality is written once.
"""

from __future__ import annotations

import torch
from torch import Tensor


def concat_vectors(s_prev: Tensor | None, side: Tensor | None) -> Tensor:
    """Feature-augmented input for vector encoders: ``[s_prev, side]`` along features."""
    parts = [p for p in (s_prev, side) if p is not None]
    if not parts:
        raise ValueError("a block needs previous features or new columns; it received neither.")
    return parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
