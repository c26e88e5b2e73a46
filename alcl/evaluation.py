"""Accuracy per evaluation experience, recorded through Avalanche's own eval loop.

:class:`ExperienceAccuracy` is a plugin, so any strategy (AL or a baseline)
is evaluated by the same code, with the same batches, as Avalanche's metrics.
:func:`exit_accuracies` reads every AL exit directly from the network.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch
from avalanche.core import SupervisedPlugin

from alcl import inference
from alcl.network import ALNetwork


class ExperienceAccuracy(SupervisedPlugin):
    """Counts correct predictions per eval experience, keyed by ``experience.released_at``."""

    def __init__(self) -> None:
        super().__init__()
        self.correct: dict[int, int] = defaultdict(int)
        self.total: dict[int, int] = defaultdict(int)

    def before_eval(self, strategy, **kwargs) -> None:
        self.correct.clear()
        self.total.clear()

    def after_eval_iteration(self, strategy, **kwargs) -> None:
        key = getattr(strategy.experience, "released_at", strategy.experience.current_experience)
        pred = strategy.mb_output.argmax(dim=1)
        self.correct[key] += int((pred == strategy.mb_y).sum())
        self.total[key] += len(strategy.mb_y)

    def accuracies(self) -> list[float]:
        return [self.correct[k] / self.total[k] for k in sorted(self.total)]


def evaluate(strategy, stream, plugin: ExperienceAccuracy) -> list[float]:
    """Accuracy on every experience of ``stream`` (in order), via ``strategy.eval``."""
    strategy.eval(stream)
    return plugin.accuracies()


@torch.no_grad()
def exit_accuracies(
    net: ALNetwork, x: np.ndarray, y: np.ndarray, device: str = "cpu", batch_size: int = 4096
) -> list[float]:
    """Accuracy of every shortcut exit 1..L on samples that have all the columns L reads."""
    was_training = net.training
    net.eval()
    correct = np.zeros(net.depth)
    for start in range(0, len(y), batch_size):
        xb = torch.as_tensor(x[start : start + batch_size], device=device)
        yb = torch.as_tensor(y[start : start + batch_size], device=device)
        for k, logits in enumerate(inference.all_exits(net, xb)):
            correct[k] += int((logits.argmax(dim=1) == yb).sum())
    net.train(was_training)
    return (correct / max(len(y), 1)).tolist()
