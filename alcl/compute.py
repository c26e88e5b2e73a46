"""Compute accounting for AL networks: FLOPs per exit, parameters per block, wall-clock timing.

FLOPs are counted by PyTorch's own :class:`torch.utils.flop_counter.FlopCounterMode`
on the very functions inference runs (:meth:`ALBlock.encode` and the exit head
:meth:`ALNetwork.exit_logits`: the bridge, then the label decoders). It counts matrix products and convolutions
(2 FLOPs per multiply-add), and, with formulas added here, the fused LSTM
and CPU attention kernels it does not see; element-wise work (activations,
softmax) is not counted. Per exit depth k (1-based):

- ``encode[k]``: block k's encoder f_k;
- ``decode[k]``: exit k's head: for AL block k's bridge b_k, then h_k, ..., h_1; for the
  ``bp-exits`` reference its linear head (one exit's logits);
- ``shortcut[k]`` = encode[1..k] + decode[k]: the shortcut, and the full path
  for a sample whose deepest exit is k;
- ``adaptive_exit[k]`` = encode[1..k] + decode[1..k]: a sample that leaves
  adaptive inference at depth k, having paid one confidence decode per depth.

Wall-clock time (:func:`wall_time`) is ``time.perf_counter``, after warm-up, as the
median of several repeats, synchronising CUDA before reading the clock. The
latency of every shortcut and the report a run records are in
:mod:`alcl.evaluation.cost`.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import torch
from torch import Tensor
from torch.utils.flop_counter import FlopCounterMode


class ExitNetwork(Protocol):
    """What the cost accounting and the inference paths (:mod:`alcl.inference`) need of a
    network: its blocks, and the logits of exit ``depth`` from block ``depth``'s features.
    :class:`alcl.network.ALNetwork` is the one alcl builds; it uses these modules for its
    default full path, so they describe it by this protocol instead of importing it."""

    n_features: int
    n_classes: int
    blocks: Any
    exit_threshold: Tensor

    @property
    def depth(self) -> int: ...

    @property
    def exit_rule(self) -> tuple[float, str] | None: ...

    def exit_logits(self, s: Tensor, depth: int) -> Tensor: ...

    def depth_limits(self, x: Tensor) -> Tensor | None: ...

    def usable_depth(self, x: Tensor) -> Tensor: ...

    def parameters(self) -> Any: ...


@dataclass(frozen=True)
class ExitCosts:
    """FLOPs per sample of each part of an AL network's inference (lists indexed by depth - 1)."""

    encode: tuple[int, ...]
    decode: tuple[int, ...]

    @cached_property
    def shortcut(self) -> list[int]:
        return [sum(self.encode[: k + 1]) + self.decode[k] for k in range(len(self.encode))]

    @cached_property
    def adaptive_exit(self) -> list[int]:
        return [
            sum(self.encode[: k + 1]) + sum(self.decode[: k + 1]) for k in range(len(self.encode))
        ]

    @cached_property
    def shortcut_tensor(self) -> Tensor:
        return torch.tensor(self.shortcut, dtype=torch.long)

    @cached_property
    def adaptive_exit_tensor(self) -> Tensor:
        return torch.tensor(self.adaptive_exit, dtype=torch.long)

    def shortcut_on(self, device: torch.device, depth: int, n: int) -> Tensor:
        """The shortcut's FLOPs at ``depth`` for ``n`` samples on ``device``, filled from a
        Python number (no index kernel on the hot path of one-row requests)."""
        return torch.full((n,), self.shortcut[depth - 1], dtype=torch.long, device=device)

    def as_dict(self) -> dict[str, list[int]]:
        return {
            "encode": list(self.encode),
            "decode": list(self.decode),
            "shortcut": self.shortcut,
            "adaptive_exit": self.adaptive_exit,
        }


def _prod(shape: Any) -> int:
    return math.prod(int(d) for d in shape)


def _rnn_layer_flops(input_shape, w_ih, w_hh, *args, out_shape=None, **kwargs) -> int:
    """CPU LSTM layer (``mkldnn_rnn_layer``): 2 FLOPs per multiply-add of both weight
    matrices, for every row and time step."""
    return 2 * _prod(input_shape[:-1]) * (_prod(w_ih) + _prod(w_hh))


def _cudnn_rnn_flops(input_shape, weights, *args, out_shape=None, **kwargs) -> int:
    """cuDNN recurrent layers: as above, over every weight matrix of every layer and direction."""
    return 2 * _prod(input_shape[:-1]) * sum(_prod(w) for w in weights if len(w) == 2)


def _cpu_attention_flops(query_shape, key_shape, value_shape, *args, out_shape=None, **kw) -> int:
    """CPU fused attention: counted as PyTorch counts its GPU attention kernels."""
    from torch.utils.flop_counter import sdpa_flop_count

    return sdpa_flop_count(query_shape, key_shape, value_shape)


def _extra_formulas() -> dict[Any, Callable[..., int]]:
    """FLOP formulas for fused kernels :class:`FlopCounterMode` does not count by itself
    (as of torch 2.x: LSTMs on CPU and cuDNN, and attention on CPU), so recurrent and
    attention backbones are priced like the rest."""
    aten = torch.ops.aten
    formulas = {
        "mkldnn_rnn_layer": _rnn_layer_flops,
        "_cudnn_rnn": _cudnn_rnn_flops,
        "_scaled_dot_product_flash_attention_for_cpu": _cpu_attention_flops,
    }
    return {getattr(aten, k): f for k, f in formulas.items() if hasattr(aten, k)}


def count_flops(fn: Callable[[], Any]) -> int:
    """FLOPs of one call of ``fn``, as :class:`FlopCounterMode` counts them (plus the fused
    recurrent and attention kernels it leaves out, see :func:`_extra_formulas`)."""
    with FlopCounterMode(display=False, custom_mapping=_extra_formulas()) as counter:
        fn()
    return int(counter.get_total_flops())


_PROBE_ROWS = 2  # batch-norm-style layers refuse a batch of one


@torch.no_grad()
def _measure_exit_costs(net: ExitNetwork) -> ExitCosts:
    device = net.exit_threshold.device
    dtype = next(net.parameters()).dtype
    x = torch.zeros(_PROBE_ROWS, net.n_features, device=device, dtype=dtype)
    encode, decode, s = [], [], None
    for k, block in enumerate(net.blocks, start=1):
        box: dict[str, Tensor] = {}

        def run_encoder(block=block, s_prev=s, box=box) -> None:
            box["s"] = block.encode(s_prev, x)

        encode.append(count_flops(run_encoder) // _PROBE_ROWS)
        s = box["s"]
        decode.append(count_flops(lambda k=k, s=s: net.exit_logits(s, k)) // _PROBE_ROWS)
    return ExitCosts(tuple(encode), tuple(decode))


def per_blocks(net: Any, name: str, build: Callable[[Any], Any]) -> Any:
    """``build(net)``, kept on ``net`` as the plain attribute ``name`` and built again only
    when its blocks change (blocks appended or replaced)."""
    key = tuple(id(block) for block in net.blocks)
    cached = getattr(net, name, None)
    if cached is None or cached[0] != key:
        cached = (key, build(net))
        object.__setattr__(net, name, cached)  # plain attribute, not a submodule
    return cached[1]


def exit_costs(net: ExitNetwork) -> ExitCosts:
    """FLOPs per sample of every exit of ``net``; counted once per network shape, then reused."""
    return per_blocks(net, "_exit_costs", _measure_exit_costs)


def parameters_per_block(net: ExitNetwork) -> list[int]:
    """Number of parameters of each block (f, b, g and h together)."""
    return [sum(p.numel() for p in block.parameters()) for block in net.blocks]


def wall_times(
    fn: Callable[[], Any], device: torch.device | str, repeats: int = 5, warmup: int = 2
) -> list[float]:
    """Wall-clock seconds of each of ``repeats`` calls of ``fn``, after ``warmup`` calls."""
    cuda = torch.device(device).type == "cuda"
    times = []
    for i in range(warmup + repeats):
        if cuda:
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        fn()
        if cuda:
            torch.cuda.synchronize(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return times


def wall_time(
    fn: Callable[[], Any], device: torch.device | str, repeats: int = 5, warmup: int = 2
) -> float:
    """Median wall-clock seconds of one call of ``fn``, after ``warmup`` calls."""
    return statistics.median(wall_times(fn, device, repeats, warmup))


def timed_rows(x: Tensor, n: int) -> Tensor:
    """At most ``n`` evenly spaced rows of ``x`` (all of them for ``n`` = 0): what a latency
    probe times, so that its cost stays small whatever the size of the set."""
    if n <= 0 or len(x) <= n:
        return x
    return x[torch.linspace(0, len(x) - 1, n, device=x.device).round().long()]


def seconds_per_sample_range(
    fn: Callable[[Tensor], Any], x: Tensor, batch_size: int, repeats: int = 5, warmup: int = 1
) -> tuple[float, float, float]:
    """Median, fastest and slowest wall-clock seconds per sample over ``repeats`` runs of
    ``fn`` over ``x`` in batches of ``batch_size``."""
    batches = list(torch.split(x, batch_size))

    def run_all() -> None:
        for batch in batches:
            fn(batch)

    times = [t / max(len(x), 1) for t in wall_times(run_all, x.device, repeats, warmup)]
    return statistics.median(times), min(times), max(times)
