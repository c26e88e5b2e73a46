"""How a new block's weights start (``model.block_init``), for every growing stack alike."""

from __future__ import annotations

import torch
from torch import nn

BLOCK_INITS = ("default", "orthogonal", "xavier")
"""``model.block_init``: PyTorch's default initialisation of every new block, or orthogonal
(Saxe et al. 2014) or Glorot-uniform (Glorot & Bengio 2010) weights with zero biases."""


@torch.no_grad()
def initialise(block: nn.Module, scheme: str) -> None:
    """Re-initialise the weights of a new block's linear, convolutional and LSTM layers by
    ``scheme`` (:data:`BLOCK_INITS`); ``default`` keeps PyTorch's (and draws nothing more, so
    default runs are unchanged). Embeddings and normalisation layers keep theirs."""
    if scheme == "default":
        return
    if scheme not in BLOCK_INITS:
        raise ValueError(f"block_init must be one of {list(BLOCK_INITS)}, got {scheme!r}.")
    fill = nn.init.orthogonal_ if scheme == "orthogonal" else nn.init.xavier_uniform_
    for module in block.modules():
        if isinstance(module, nn.Linear | nn.Conv1d | nn.Conv2d):
            fill(module.weight)
            if module.bias is not None:
                module.bias.zero_()
        elif isinstance(module, nn.LSTM):
            for name, value in module.named_parameters():
                (fill if name.startswith("weight") else nn.init.zeros_)(value)
