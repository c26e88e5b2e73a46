"""The full path of an MLP AL network without ``nn.Module`` calls, for one-row serving.

At batch 1 the full path's time is mostly Python: each ``nn.Module`` call costs several
microseconds of hooks and attribute look-ups, and a 4-block network makes about 30 of
them per row (encoders, bridge, label decoders). :func:`lean_chain` reads the layers of
the network once into plain lists of kernels with their tensors and runs them in order:
the same kernels on the same tensors in the same order as the modules would call them,
so the logits are bit-identical. It holds references to the parameters, never copies, so
training, ``load_state_dict`` and ``.to()`` are seen; it is rebuilt when blocks change.

Only networks built of Linear, ReLU, Tanh and Identity qualify: the MLP backbone (without
dropout) with its bridge and label decoders, answering through those decoders. For
anything else it returns None and the modules run as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import islice

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from alcl import class_heads
from alcl.backbones.mlp import MLPEncoder
from alcl.block import ALBlock
from alcl.compute import per_blocks
from alcl.fusion import concat_vectors

Kernel = tuple[Callable[..., Tensor], tuple]  # fn(z, *args)
_ELEMENTWISE = {nn.ReLU: torch.relu, nn.Tanh: torch.tanh}


class LeanChain:
    """Every block's encoder kernels, and every exit's bridge and decoder kernels."""

    def __init__(
        self,
        blocks: Sequence[ALBlock],
        encoders: list[list[Kernel]],
        bridges: list[list[Kernel]],
        decoders: list[list[Kernel]],
    ) -> None:
        self.blocks = list(blocks)
        self.encoders, self.bridges, self.decoders = encoders, bridges, decoders

    def __call__(self, x: Tensor, depth: int) -> Tensor:
        """Logits of the shortcut at ``depth`` for rows that have every column it reads."""
        s = None
        for block, kernels in zip(islice(self.blocks, depth), self.encoders, strict=False):
            s = _run(kernels, concat_vectors(s, block.side_input(x)))
        t = _run(self.bridges[depth - 1], s)
        for k in range(depth - 1, -1, -1):
            t = _run(self.decoders[k], t)
        return t


def _run(kernels: list[Kernel], z: Tensor) -> Tensor:
    for fn, args in kernels:
        z = fn(z, *args)
    return z


def _kernels(module: nn.Module) -> list[Kernel] | None:
    """The module's computation as kernels, or None if it holds anything else."""
    if isinstance(module, nn.Sequential):
        out: list[Kernel] = []
        for part in module:
            kernels = _kernels(part)
            if kernels is None:
                return None
            out += kernels
        return out
    if isinstance(module, nn.Linear):
        return [(F.linear, (module.weight, module.bias))]
    if type(module) in _ELEMENTWISE:
        return [(_ELEMENTWISE[type(module)], ())]
    if isinstance(module, nn.Identity):
        return []
    return None  # anything else, dropout included (it acts only in training mode)


def _build(net: nn.Module) -> LeanChain | None:
    blocks = list(net.blocks)
    if not blocks or not all(isinstance(b, ALBlock) for b in blocks):
        return None
    parts: list[list[list[Kernel] | None]] = [[], [], []]
    for block in blocks:
        if type(block.f) is not MLPEncoder:  # whose forward is: concatenate, then .net
            return None
        for store, module in zip(parts, (block.f.net, block.b, block.h), strict=True):
            store.append(_kernels(module))
    if any(k is None for store in parts for k in store):
        return None
    return LeanChain(blocks, *parts)


def lean_chain(net: nn.Module) -> LeanChain | None:
    """The network's :class:`LeanChain`, or None where the modules must run: a network
    that is not an MLP AL stack, or one whose exits answer through class statistics
    (:mod:`alcl.class_heads`)."""
    if class_heads.has_statistics(net) or not hasattr(net, "decode"):
        return None
    return per_blocks(net, "_lean_chain", _build)
