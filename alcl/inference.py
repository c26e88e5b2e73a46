"""AL inference paths: shortcut at any depth, full path, and adaptive early exit.

- shortcut at depth k: f_1..f_k, then exit k's head (AL: b_k, then h_k, ..., h_1) -> logits;
- full path: shortcut at the deepest block a sample can reach;
- adaptive: walk k = 1, 2, ... and let a sample exit at the first depth whose
  confidence clears a threshold. Samples that exit stop being computed: the
  batch is compacted, and deeper blocks run only on the undecided ones.

A sample can reach block k only if it has every column blocks 1..k read
(absent columns are NaN), so routing by the columns an experience has is
built into every path. A network that chose its answering exits on validation
(:mod:`alcl.answer_exits`) answers each row at most at the exit chosen for the
deepest block it reaches; the full path is then that exit.

The walker returns, per sample, the logits, the exit depth and the FLOPs it
spent: the encoders it ran plus every decode it needed (one confidence
decode per depth visited when thresholding, one decode at the exit for the
full path), priced by :func:`alcl.compute.exit_costs`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import islice

import torch
from torch import Tensor

from alcl.compute import ExitNetwork, exit_costs
from alcl.confidence import CONFIDENCES, confidence
from alcl.lean_chain import lean_chain


@dataclass
class Prediction:
    """Per sample: logits, the 1-based exit depth, and the FLOPs spent to get there."""

    logits: Tensor
    exit_depth: Tensor
    flops: Tensor  # int64, as counted by torch.utils.flop_counter (see alcl.compute)

    @property
    def labels(self) -> Tensor:
        return self.logits.argmax(dim=1)


def _filled(net: ExitNetwork, x: Tensor) -> Tensor:
    """``x`` with the absent cells an imputing stack fills (``al: impute``); else ``x``."""
    inputs = getattr(net, "inputs", None)
    return x if inputs is None else inputs(x)


def _answer_depths(net: ExitNetwork, x: Tensor) -> Tensor | None:
    """Per row, the deepest exit that may answer it: the deepest block its columns reach, or
    the exit chosen on validation for that feature set (:mod:`alcl.answer_exits`)."""
    answer = getattr(net, "answer_depths", None)
    return answer(x) if answer is not None else net.depth_limits(x)


def _every_answer_depth(net: ExitNetwork, x: Tensor) -> Tensor:
    """:func:`_answer_depths` as a tensor for every row, refusing a row no exit can serve."""
    limit = _answer_depths(net, x)
    if limit is None:
        return torch.full((x.shape[0],), net.depth, dtype=torch.long, device=x.device)
    if x.shape[0] and int(limit.min()) == 0:
        _refuse_unreachable(limit)
    return limit


def answer_depths(net: ExitNetwork, x: Tensor) -> Tensor:
    """Per row, the exit that answers it: one value per feature set (the deepest block its
    columns reach, or the exit chosen for that set); a row no exit can serve is refused."""
    return _every_answer_depth(net, _filled(net, x))


def _refuse_unreachable(limit: Tensor) -> None:
    bad = int((limit == 0).nonzero()[0])
    raise ValueError(
        f"sample {bad} lacks columns that block 1 reads, so no exit can serve it; "
        "every sample needs the first released feature group."
    )


def _resolve_rule(net: ExitNetwork, threshold: float | None, kind: str | None) -> tuple[float, str]:
    if threshold is None:
        rule = net.exit_rule
        if rule is None:
            raise ValueError(
                "this network has no calibrated exit threshold; pass threshold= or "
                "calibrate it on validation data (alcl.calibration.calibrate)."
            )
        threshold, stored_kind = rule
        kind = kind or stored_kind
    kind = kind or "max_prob"
    if kind not in CONFIDENCES:
        raise ValueError(f"unknown confidence {kind!r}; choose one of {list(CONFIDENCES)}.")
    return float(threshold), kind


@torch.no_grad()
def adaptive(
    net: ExitNetwork,
    x: Tensor,
    threshold: float | None = None,
    kind: str | None = None,
    max_depth: int | None = None,
) -> Prediction:
    """Adaptive inference: each sample exits at the first confident depth.

    Without ``threshold`` the network's calibrated rule is used. A sample
    never goes deeper than ``max_depth`` or than the blocks its columns
    allow; there it exits whatever its confidence. A threshold of 0 exits
    everything at depth 1; a threshold above 1 gives the full path (and
    computes no confidence on the way). Runs without autograd.
    """
    by_set = _feature_set_thresholds(net) if threshold is None else None
    threshold, kind = _resolve_rule(net, threshold, kind)
    x = _filled(net, x)
    costs = exit_costs(net)
    limit = _answer_depths(net, x)  # None: every sample is answered by the deepest block
    top = net.depth if max_depth is None else max(1, min(max_depth, net.depth))
    n = x.shape[0]
    if n == 0:
        empty = torch.zeros(0, dtype=torch.long, device=x.device)
        return Prediction(x.new_zeros(0, net.n_classes), empty, empty)
    if by_set is not None:  # each row's threshold is its feature set's
        if limit is None:
            limit = torch.full((n,), net.depth, dtype=torch.long, device=x.device)
        threshold = by_set.to(x.device)[limit].to(torch.float32)
        if bool((threshold > 1.0).all()):
            threshold = math.inf
    if limit is None:
        shallowest = deepest = top
    else:
        limit = limit.clamp(max=top)
        shallowest, deepest = (int(v) for v in torch.aminmax(limit))
        if shallowest == 0:
            _refuse_unreachable(limit)
    thresholding = isinstance(threshold, Tensor) or threshold <= 1.0
    if limit is None and not thresholding:  # the full path of complete rows: the plain chain
        depth = torch.full((n,), top, dtype=torch.long, device=x.device)
        return Prediction(_chain(net, x, top), depth, costs.shortcut_on(x.device, top, n))
    logits: Tensor | None = None
    exit_depth = torch.empty(n, dtype=torch.long, device=x.device)
    rows: Tensor | None = None  # rows of x still undecided; None while all are
    s, lim, thr = None, limit, threshold  # thr: one threshold, or each undecided row's
    for k in range(1, deepest + 1):
        block = net.blocks[k - 1]
        s = block.encode(s, x, rows)
        if k == deepest:  # everyone left exits here
            out = net.exit_logits(s, k)
            logits, exit_depth = _write(logits, exit_depth, rows, out, k)
            break
        if thresholding:
            out = net.exit_logits(s, k)
            done = confidence(out, kind) >= thr
            if k >= shallowest:
                done |= lim == k
        elif k >= shallowest:
            out, done = None, lim == k
        else:
            continue  # the full path: nobody can exit before the shallowest limit
        n_done = int(done.sum())  # the walk's one sync per depth
        if n_done == 0:
            continue
        if n_done == len(done):
            out = out if out is not None else net.exit_logits(s, k)
            logits, exit_depth = _write(logits, exit_depth, rows, out, k)
            break
        leave = torch.nonzero_static(done, size=n_done).squeeze(1)
        stay = torch.nonzero_static(~done, size=len(done) - n_done).squeeze(1)
        out = out[leave] if out is not None else net.exit_logits(s[leave], k)
        logits, exit_depth = _write(
            logits, exit_depth, leave if rows is None else rows[leave], out, k
        )
        rows = stay if rows is None else rows[stay]
        s = s[stay]
        lim = None if lim is None else lim[stay]
        thr = thr[stay] if isinstance(thr, Tensor) else thr
    table = costs.adaptive_exit_tensor if thresholding else costs.shortcut_tensor
    return Prediction(logits, exit_depth, table.to(x.device)[exit_depth - 1])


@torch.no_grad()
def adaptive_routed(
    net: ExitNetwork,
    x: Tensor,
    threshold: float | None = None,
    kind: str | None = None,
    batch_size: int = 64,
    deep_batch_size: int = 1024,
) -> Prediction:
    """Adaptive inference over a whole evaluation set whose rows come in batches of
    ``batch_size``: block 1 runs per batch, and the rows each batch leaves undecided are
    queued per depth, so every deeper block runs on batches of ``deep_batch_size`` rows
    instead of on the few rows one batch leaves. Each row exits where :func:`adaptive`
    would let it (the same rule, the same limits; only the batch its logits are computed
    in differs).
    """
    by_set = _feature_set_thresholds(net) if threshold is None else None
    threshold, kind = _resolve_rule(net, threshold, kind)
    x = _filled(net, x)
    if batch_size < 1 or deep_batch_size < 1:
        raise ValueError(f"batch sizes must be >= 1, got {batch_size} and {deep_batch_size}.")
    n = x.shape[0]
    if n == 0:
        return adaptive(net, x, threshold, kind)
    limit = _every_answer_depth(net, x)
    row_threshold = None if by_set is None else by_set.to(x.device)[limit].to(torch.float32)
    if row_threshold is None:
        thresholding = threshold <= 1.0
    else:  # each row's threshold is its feature set's
        thresholding = bool((row_threshold <= 1.0).any())
    logits = x.new_empty(n, net.n_classes)
    exit_depth = torch.empty(n, dtype=torch.long, device=x.device)
    rows = torch.arange(n, device=x.device)  # the rows still undecided, in order
    s_rows: Tensor | None = None  # their features after the last block run
    for k in range(1, net.depth + 1):
        block, chunk = net.blocks[k - 1], batch_size if k == 1 else deep_batch_size
        kept_rows, kept_s = [], []
        for start in range(0, len(rows), chunk):
            r = rows[start : start + chunk]
            s = block.encode(None if s_rows is None else s_rows[start : start + chunk], x, r)
            done = limit[r] == k
            out = None
            if thresholding and k < net.depth:
                out = net.exit_logits(s, k)
                done |= confidence(out, kind) >= (
                    threshold if row_threshold is None else row_threshold[r]
                )
            if k == net.depth:
                done = torch.ones_like(done)
            leave = done.nonzero().squeeze(1)
            if len(leave):
                chosen = out[leave] if out is not None else net.exit_logits(s[leave], k)
                logits[r[leave]] = chosen
                exit_depth[r[leave]] = k
            stay = (~done).nonzero().squeeze(1)
            kept_rows.append(r[stay])
            kept_s.append(s[stay])
        rows = torch.cat(kept_rows)
        if not len(rows):
            break
        s_rows = torch.cat(kept_s)
    costs = exit_costs(net)
    table = costs.adaptive_exit_tensor if thresholding else costs.shortcut_tensor
    return Prediction(logits, exit_depth, table.to(x.device)[exit_depth - 1])


def _chain(net: ExitNetwork, x: Tensor, depth: int) -> Tensor:
    """Shortcut logits at ``depth`` for complete rows: without module calls where the
    network allows it (:mod:`alcl.lean_chain`, the same bits), else through the modules."""
    lean = lean_chain(net)
    if lean is not None:
        return lean(x, depth)
    s = None
    for block in islice(net.blocks, depth):  # a ModuleList slice would build a module
        s = block.encode(s, x)
    return net.exit_logits(s, depth)


def _feature_set_thresholds(net: ExitNetwork) -> Tensor | None:
    """The network's per-feature-set thresholds (index: answering depth), if it has them."""
    table = getattr(net, "feature_set_thresholds", None)
    return None if table is None else table()


def _write(
    logits: Tensor | None, exit_depth: Tensor, rows: Tensor | None, out: Tensor, depth: int
) -> tuple[Tensor, Tensor]:
    """Record ``out`` as the logits of ``rows`` (None: every row) exiting at ``depth``."""
    if rows is None:
        return out, exit_depth.fill_(depth)
    if logits is None:
        logits = out.new_empty(len(exit_depth), out.shape[1])
    logits[rows] = out
    exit_depth[rows] = depth
    return logits, exit_depth


def full_path(net: ExitNetwork, x: Tensor) -> Prediction:
    """Each sample through every block it can reach (the deepest exit)."""
    return adaptive(net, x, threshold=math.inf, kind="max_prob")


def shortcut(net: ExitNetwork, x: Tensor, depth: int) -> Tensor:
    """Logits of the shortcut at ``depth`` (1-based) for samples that can reach it."""
    if not 1 <= depth <= net.depth:
        raise ValueError(f"depth must lie in 1..{net.depth}, got {depth}.")
    x = _filled(net, x)
    if (net.usable_depth(x) < depth).any():
        raise ValueError(f"some samples lack the columns that blocks 1..{depth} read.")
    return _chain(net, x, depth)


def all_exits(net: ExitNetwork, x: Tensor) -> list[Tensor]:
    """Logits of every shortcut 1..L, sharing one pass through the encoders."""
    x = _filled(net, x)
    if (net.usable_depth(x) < net.depth).any():
        raise ValueError("all_exits needs samples with every column the network reads.")
    return _every_exit(net, x)


def _every_exit(net: ExitNetwork, x: Tensor) -> list[Tensor]:
    outs, s = [], None
    for k, block in enumerate(net.blocks, start=1):
        s = block.encode(s, x)
        outs.append(net.exit_logits(s, k))
    return outs


@dataclass
class ExitTable:
    """Every exit's logits for a batch, computed once: what any threshold would decide can be
    read off it without running the network again (:func:`decide`)."""

    logits: Tensor  # (L, n, C): exit k's logits in row k - 1 (NaN past a sample's limit)
    limit: Tensor  # (n,): the deepest exit each sample can reach


@torch.no_grad()
def exit_table(net: ExitNetwork, x: Tensor) -> ExitTable:
    """The logits of every exit for every sample of ``x``, in one pass through the encoders.

    A sample that lacks the columns of a deeper block gets NaN logits there; :func:`decide`
    never reads them.
    """
    x = _filled(net, x)
    limit = _every_answer_depth(net, x)
    return ExitTable(torch.stack(_every_exit(net, x)), limit)


def decide(net: ExitNetwork, table: ExitTable, threshold: float, kind: str) -> Prediction:
    """What :func:`adaptive` at ``threshold`` predicts, read off an :class:`ExitTable`: each
    sample leaves at the first depth whose confidence clears the threshold, or at its limit.
    A threshold above 1 is the full path."""
    depths = torch.arange(1, table.logits.shape[0] + 1, device=table.limit.device)
    at_limit = depths[:, None] >= table.limit[None, :]
    thresholding = threshold <= 1.0
    if thresholding:
        confident = torch.stack([confidence(out, kind) for out in table.logits]) >= threshold
        leave = confident | at_limit
    else:
        leave = at_limit
    exit_depth = leave.int().argmax(dim=0) + 1  # the first depth that lets the sample go
    rows = torch.arange(table.logits.shape[1], device=exit_depth.device)
    costs = exit_costs(net)
    cost = costs.adaptive_exit_tensor if thresholding else costs.shortcut_tensor
    return Prediction(
        table.logits[exit_depth - 1, rows], exit_depth, cost.to(exit_depth.device)[exit_depth - 1]
    )
