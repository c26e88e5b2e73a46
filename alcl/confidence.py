"""How sure an exit is of its answer: a probability-based confidence in [0, 1] per sample.

Adaptive inference (:mod:`alcl.inference`) lets a sample leave at the first
exit whose confidence clears a threshold; the network stores which kind of
confidence its calibrated threshold refers to (:meth:`alcl.network.ALNetwork.set_exit_rule`).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

CONFIDENCES = ("max_prob", "entropy")


def confidence(logits: Tensor, kind: str = "max_prob") -> Tensor:
    """A probability-based confidence in [0, 1] per sample.

    ``max_prob`` is the largest softmax probability; ``entropy`` is
    1 - H(p) / log(C), the normalised entropy of the softmax.
    """
    if kind == "max_prob":
        return torch.softmax(logits, dim=1).amax(dim=1)
    if kind == "entropy":
        log_p = torch.log_softmax(logits, dim=1)
        h = -(log_p.exp() * log_p).sum(dim=1)
        return 1.0 - h / math.log(logits.shape[1])
    raise ValueError(f"unknown confidence {kind!r}; choose one of {list(CONFIDENCES)}.")
