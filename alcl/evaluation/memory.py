"""What a strategy stores of past data: the number of training samples it keeps.

Rehearsal methods keep samples (Replay's and DER's buffers, GEM's and A-GEM's per-experience
memories, Cumulative's whole past); regularisation methods, AL and the routing references keep
none. Tables list this count beside the parameter count, so a comparison shows what each
method was allowed to keep. It is read from the strategy after training, so it is what the
method really held, not what its settings asked for.
"""

from __future__ import annotations

from typing import Any

from avalanche.training import Cumulative


def stored_samples(strategy: Any, trained_on: int = 0, trains_once: bool = False) -> int:
    """Training samples ``strategy`` holds after its last experience.

    ``trained_on``: the training samples of the whole stream; a strategy that trains once on
    all of them (Joint) holds them all.
    """
    if trains_once:
        return trained_on
    total = 0
    for owner in [strategy, *getattr(strategy, "plugins", [])]:
        policy = getattr(owner, "storage_policy", None)
        if policy is not None and getattr(policy, "buffer", None) is not None:
            total += len(policy.buffer)  # Replay, DER (class-balanced buffers)
        memory_x = getattr(owner, "memory_x", None)
        if isinstance(memory_x, dict):  # GEM: one tensor of patterns per experience
            total += sum(len(patterns) for patterns in memory_x.values())
        buffers = getattr(owner, "buffers", None)
        if isinstance(buffers, list):  # A-GEM: one dataset per experience
            total += sum(len(buffer) for buffer in buffers)
    if isinstance(strategy, Cumulative) and strategy.dataset is not None:
        total += len(strategy.dataset)
    return total
