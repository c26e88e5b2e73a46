"""AL inference paths: shortcut at any depth, full path, and adaptive early exit.

- shortcut at depth k: f_1..f_k, then b_k, then h_k, ..., h_1 -> logits;
- full path: shortcut at the deepest block a sample can reach;
- adaptive: walk k = 1, 2, ... and let a sample exit at the first depth whose
  confidence clears a threshold. Samples that exit stop being computed: the
  batch is compacted, and deeper blocks run only on the undecided ones.

A sample can reach block k only if it has every column blocks 1..k read
(absent columns are NaN), so routing by the columns an experience has is
built into every path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

if TYPE_CHECKING:
    from alcl.network import ALNetwork

CONFIDENCES = ("max_prob", "entropy")


def confidence(logits: Tensor, kind: str = "max_prob") -> Tensor:
    """A probability-based confidence in [0, 1] per sample.

    ``max_prob`` is the largest softmax probability; ``entropy`` is
    1 - H(p) / log(C), the normalised entropy of the softmax.
    """
    p = torch.softmax(logits, dim=1)
    if kind == "max_prob":
        return p.max(dim=1).values
    if kind == "entropy":
        h = -(p * torch.log(p.clamp_min(1e-12))).sum(dim=1)
        return 1.0 - h / math.log(logits.shape[1])
    raise ValueError(f"unknown confidence {kind!r}; choose one of {list(CONFIDENCES)}.")


def decode(net: ALNetwork, t_hat: Tensor, depth: int) -> Tensor:
    """Decode a label code predicted at ``depth`` (1-based) through h_depth, ..., h_1 to logits."""
    t = t_hat
    for block in reversed(net.blocks[:depth]):
        t = block.h(t)
    return t


@dataclass
class Prediction:
    """Logits and the 1-based depth at which each sample exited."""

    logits: Tensor
    exit_depth: Tensor

    @property
    def labels(self) -> Tensor:
        return self.logits.argmax(dim=1)


def adaptive(
    net: ALNetwork,
    x: Tensor,
    threshold: float,
    kind: str = "max_prob",
    max_depth: int | None = None,
) -> Prediction:
    """Adaptive inference: each sample exits at the first confident depth.

    A sample never goes deeper than ``max_depth`` or than the blocks its
    columns allow; there it exits whatever its confidence. A threshold of 0
    exits everything at depth 1; a threshold above 1 gives the full path.
    """
    if kind not in CONFIDENCES:
        raise ValueError(f"unknown confidence {kind!r}; choose one of {list(CONFIDENCES)}.")
    limit = net.usable_depth(x)
    if max_depth is not None:
        limit = limit.clamp(max=max_depth)
    if (limit == 0).any():
        bad = int((limit == 0).nonzero()[0])
        raise ValueError(
            f"sample {bad} lacks columns that block 1 reads, so no exit can serve it; "
            "every sample needs the first released feature group."
        )
    n = x.shape[0]
    logits = x.new_empty(n, net.n_classes)
    exit_depth = torch.zeros(n, dtype=torch.long, device=x.device)
    active = torch.arange(n, device=x.device)
    thresholding = threshold <= 1.0
    s, xa = None, x
    for k, block in enumerate(net.blocks, start=1):
        s = block.encode(s, xa)
        done = limit[active] == k
        if thresholding:
            out = decode(net, block.b(s), k)
            done |= confidence(out, kind) >= threshold
            out = out[done]
        else:
            out = decode(net, block.b(s[done]), k) if done.any() else None
        if out is not None and out.numel():
            logits[active[done]] = out
            exit_depth[active[done]] = k
        keep = ~done
        if not keep.any():
            break
        active, s, xa = active[keep], s[keep], xa[keep]
    return Prediction(logits, exit_depth)


def full_path(net: ALNetwork, x: Tensor) -> Prediction:
    """Each sample through every block it can reach (the deepest exit)."""
    return adaptive(net, x, threshold=math.inf)


def shortcut(net: ALNetwork, x: Tensor, depth: int) -> Tensor:
    """Logits of the shortcut at ``depth`` (1-based) for samples that can reach it."""
    if not 1 <= depth <= net.depth:
        raise ValueError(f"depth must lie in 1..{net.depth}, got {depth}.")
    if (net.usable_depth(x) < depth).any():
        raise ValueError(f"some samples lack the columns that blocks 1..{depth} read.")
    s = None
    for block in net.blocks[:depth]:
        s = block.encode(s, x)
    return decode(net, net.blocks[depth - 1].b(s), depth)


def all_exits(net: ALNetwork, x: Tensor) -> list[Tensor]:
    """Logits of every shortcut 1..L, sharing one pass through the encoders."""
    if (net.usable_depth(x) < net.depth).any():
        raise ValueError("all_exits needs samples with every column the network reads.")
    outs, s = [], None
    for k, block in enumerate(net.blocks, start=1):
        s = block.encode(s, x)
        outs.append(decode(net, block.b(s), k))
    return outs
