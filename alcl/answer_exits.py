"""Which exit answers each feature set: the deepest one, or the best on validation.

A row whose columns reach block d is answered by exit d (``deepest``, the default): the
full path. Deeper is not always better: a block trained on one experience's samples can be
worse than the exit before it. With ``answer: best_valid`` (a hyper-parameter of ``al``),
after each experience the exits 1..d that the newest feature set (the rows reaching the
deepest block d) may use are scored on the validation sets seen so far, with the columns
of now, and the most accurate one (ties: the deeper) answers those rows from then on. Older
feature sets keep the exit chosen when they were newest: their blocks are frozen, so their
scores cannot change. The choice is stored in the network
(:meth:`alcl.network.EarlyExits.set_answer_exits`), and every inference path (full path,
adaptive early exit, the threshold curves) treats a row's answering exit as its deepest.
Test data never chooses.
"""

from __future__ import annotations

import torch
from torch import Tensor

from alcl import inference
from alcl.early_exits import EarlyExits

ANSWERS = ("deepest", "best_valid")
"""``answer`` of ``al``: the full path, or the exit chosen on validation per feature set."""


@torch.no_grad()
def exit_accuracies(net: EarlyExits, x: Tensor, y: Tensor, batch_size: int = 4096) -> list[float]:
    """Accuracy of every exit on rows that reach every block."""
    correct = torch.zeros(net.depth, dtype=torch.long)
    for xb, yb in zip(torch.split(x, batch_size), torch.split(y, batch_size), strict=True):
        for k, logits in enumerate(inference.all_exits(net, xb)):
            correct[k] += int((logits.argmax(1) == yb).sum())
    return (correct.double() / max(len(y), 1)).tolist()


def choose_answer_exit(net: EarlyExits, x_valid: Tensor, y_valid: Tensor) -> list[int]:
    """Score exits 1..depth on ``(x_valid, y_valid)`` (rows with every column the network
    reads), let the best of those up to the deepest feature set's current answering exit
    (the deepest exit, unless class statistics cap it) answer that feature set, and return
    the network's table
    (entry d - 1: the exit that answers rows reaching block d)."""
    if len(y_valid) == 0:
        raise ValueError("cannot choose an answering exit on an empty validation set.")
    was_training = net.training
    net.eval()
    try:
        scores = exit_accuracies(net, x_valid, y_valid)
    finally:
        net.train(was_training)
    table = net.answer_exits()
    allowed = range(table[-1])  # with head lda, only exits up to the one that has seen every class
    best = max(allowed, key=lambda k: (round(scores[k], 12), k)) + 1
    table[-1] = best
    net.set_answer_exits(table)
    return table
