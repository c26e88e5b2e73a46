"""Class-statistics exits: how AL answers classes that arrive after its blocks froze.

AL's own exit decodes the bridge's label code through the label decoders h_k, ..., h_1, and
h_1 is frozen with block 1: a class that first appears in experience 2 or later has no way
to the logits. With ``head: lda`` (a hyper-parameter of ``al``), every exit k answers instead
with linear discriminant analysis on block k's pooled encoder output: after each training
experience, the experience's rows add their features to per-class sums and counts and to one
shared second-moment matrix per exit (streaming LDA: Hayes & Kanan, "Lifelong Machine
Learning with Deep Streaming Linear Discriminant Analysis", CVPR-W 2020; on a body frozen
after the first experience, Panos et al., "First Session Adaptation", ICCV 2023). No sample
is stored; the statistics are sums, d × (C + d) numbers per exit.

A frozen block's features never change, so its statistics stay valid; but block k exists
only from experience k on and has no statistics of the classes that came before. Every row
is therefore answered by the deepest exit its columns allow that holds statistics for every
class exit 1 has seen (:func:`covering_exits`, written into the network's answering table,
:meth:`alcl.early_exits.EarlyExits.set_answer_exits`). On a class-incremental stream, where
every experience shows the same columns, that is exit 1: the body trained on experience 1,
read by a classifier that grows with every class. On a feature-incremental stream whose
experiences all hold every class it is the full path.

Class scores are log-probabilities over the classes an exit has seen, with the classes'
shares of the rows it has seen as priors (scikit-learn's ``LinearDiscriminantAnalysis`` with
``solver="lsqr"`` gives the same on the same features); a class it has not seen scores
:data:`UNSEEN`.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

HEADS = ("codes", "lda")
"""``head`` of ``al``: AL's label decoders, or LDA on each exit's features (this module)."""

UNSEEN = -1.0e4
"""The score of a class an exit holds no statistics for: below any log-probability that
decides an argmax, finite so that a loss stays finite."""

_COUNT, _SUM, _GRAM, _SHRINK = "class_count", "class_sum", "class_gram", "class_shrinkage"


def _name(kind: str, depth: int) -> str:
    return f"{kind}_{depth}"


def has_statistics(net: nn.Module) -> bool:
    """Whether ``net`` answers through class statistics (it has observed an experience)."""
    return _SHRINK in net._buffers


def pooled_features(net: nn.Module, x: Tensor) -> list[tuple[Tensor, Tensor]]:
    """Per exit k = 1..depth: (rows reaching block k, their pooled block-k features)."""
    x = net.inputs(x)
    limit = net.usable_depth(x)
    rows = torch.arange(x.shape[0], device=x.device)
    s, out = None, []
    for k, block in enumerate(net.blocks, start=1):
        reach = (limit[rows] >= k).nonzero().squeeze(1)
        if not len(reach):
            break
        if len(reach) < len(rows):
            rows, s = rows[reach], (None if s is None else s[reach])
        s = block.encode(s, x, rows)
        out.append((rows, block.b[0](s).flatten(1)))
    return out


@torch.no_grad()
def observe(net: nn.Module, x: Tensor, y: Tensor, shrinkage: float, chunk: int = 4096) -> None:
    """Add training rows ``(x, y)`` to every exit's class statistics (buffers registered on
    first use, so a network that never observes keeps its ``state_dict``)."""
    if not 0.0 <= shrinkage <= 1.0:
        raise ValueError(f"shrinkage must lie in [0, 1], got {shrinkage}.")
    was_training = net.training
    net.eval()
    try:
        for xc, yc in zip(torch.split(x, chunk), torch.split(y, chunk), strict=True):
            for k, (rows, z) in enumerate(pooled_features(net, xc), start=1):
                _add(net, k, z, yc[rows])
    finally:
        net.train(was_training)
    if _SHRINK in net._buffers:
        net._buffers[_SHRINK].fill_(float(shrinkage))
    else:
        net.register_buffer(_SHRINK, torch.tensor(float(shrinkage), dtype=torch.float64))
    forget_weights(net)


def _add(net: nn.Module, depth: int, z: Tensor, y: Tensor) -> None:
    if _name(_COUNT, depth) not in net._buffers:
        for kind, value in zip(
            (_COUNT, _SUM, _GRAM),
            empty_statistics(net.n_classes, z.shape[1], z.device),
            strict=True,
        ):
            net.register_buffer(_name(kind, depth), value)
    add_statistics(*(net._buffers[_name(kind, depth)] for kind in (_COUNT, _SUM, _GRAM)), z, y)


def empty_statistics(n_classes: int, width: int, device=None) -> tuple[Tensor, Tensor, Tensor]:
    """Zero class counts (C), class sums (C x d) and second moment (d x d), in float64."""
    zeros = dict(dtype=torch.float64, device=device)
    return (
        torch.zeros(n_classes, **zeros),
        torch.zeros(n_classes, width, **zeros),
        torch.zeros(width, width, **zeros),
    )


def add_statistics(count: Tensor, total: Tensor, gram: Tensor, z: Tensor, y: Tensor) -> None:
    """Add rows ``z`` (n x d) with labels ``y`` to the statistics, in place."""
    z = z.double()
    count.index_add_(0, y, torch.ones_like(y, dtype=torch.float64))
    total.index_add_(0, y, z)
    gram.add_(z.T @ z)


def seen_classes(net: nn.Module, depth: int) -> set[int]:
    """The classes exit ``depth`` holds statistics for."""
    count = net._buffers.get(_name(_COUNT, depth))
    return set() if count is None else set((count > 0).nonzero().flatten().tolist())


def covering_exits(net: nn.Module) -> list[int]:
    """Per depth d = 1..depth: the deepest exit e <= d that has seen every class exit 1 has."""
    every = seen_classes(net, 1)
    table = []
    for d in range(1, net.depth + 1):
        table.append(max(e for e in range(1, d + 1) if e == 1 or seen_classes(net, e) >= every))
    return table


def forget_weights(net: nn.Module) -> None:
    """Drop the solved discriminants (after new statistics, or a loaded state)."""
    net.__dict__["_class_weights"] = {}


def _weights(net: nn.Module, depth: int) -> tuple[Tensor, Tensor, Tensor]:
    """(classes seen, their discriminant weights, biases) at exit ``depth``, solved once."""
    cache = net.__dict__.setdefault("_class_weights", {})
    if depth not in cache:
        stats = (net._buffers[_name(kind, depth)] for kind in (_COUNT, _SUM, _GRAM))
        cache[depth] = solve(*stats, float(net._buffers[_SHRINK]))
    return cache[depth]


def solve(
    count: Tensor, total: Tensor, gram: Tensor, shrinkage: float
) -> tuple[Tensor, Tensor, Tensor]:
    """LDA from the statistics: (classes seen, weights (seen x d), biases), float64."""
    seen = (count > 0).nonzero().flatten()
    if not len(seen):
        return seen, total[:0], count[:0]
    n, sums = count[seen], total[seen]
    means = sums / n.unsqueeze(1)
    # within-class scatter: the second moment minus each class's n * mean mean^T; its maximum
    # likelihood estimate, and the class shares as priors, as scikit-learn's LDA has them
    scatter = gram - sums.T @ means
    cov = scatter / float(n.sum())
    d = cov.shape[0]
    scale = float(torch.diagonal(cov).mean().clamp(min=1e-12))
    eye = torch.eye(d, dtype=cov.dtype, device=cov.device)
    cov = (1.0 - shrinkage) * cov + shrinkage * scale * eye + 1e-9 * scale * eye
    weight = torch.linalg.solve(cov, means.T).T
    bias = -0.5 * (means * weight).sum(dim=1) + torch.log(n / n.sum())
    return seen, weight, bias


def log_probabilities(
    features: Tensor, n_classes: int, solved: tuple[Tensor, Tensor, Tensor] | None
) -> Tensor:
    """LDA log-probabilities of ``features`` (n x d) over the classes seen, from
    :func:`solve`; unseen classes (every class, when ``solved`` is None) score :data:`UNSEEN`."""
    out = features.new_full((features.shape[0], n_classes), UNSEEN)
    if solved is None:
        return out
    seen, weight, bias = solved
    if len(seen):
        scores = features.double() @ weight.T + bias
        out[:, seen] = torch.log_softmax(scores, dim=1).to(features.dtype)
    return out


def class_logits(net: nn.Module, features: Tensor, depth: int) -> Tensor:
    """LDA log-probabilities at exit ``depth`` for pooled features (n, d), priors the class
    shares seen; unseen classes score :data:`UNSEEN`."""
    observed = _name(_COUNT, depth) in net._buffers  # not so for a block grown since
    return log_probabilities(features, net.n_classes, _weights(net, depth) if observed else None)


def register_for_load(net: nn.Module, state_dict: dict, prefix: str) -> None:
    """Before ``load_state_dict``: register the statistics buffers ``state_dict`` holds."""
    for key, value in state_dict.items():
        name = key[len(prefix) :]
        ours = name == _SHRINK or name.rsplit("_", 1)[0] in (_COUNT, _SUM, _GRAM)
        if key.startswith(prefix) and ours and name not in net._buffers:
            net.register_buffer(name, torch.empty_like(value))
    forget_weights(net)
