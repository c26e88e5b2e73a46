"""Accuracy per evaluation experience, recorded through Avalanche's own eval loop.

:class:`ExperienceAccuracy` is a plugin, so any strategy (AL or a baseline)
is evaluated by the same code, with the same batches, as Avalanche's metrics.
Every AL exit's accuracy is :class:`alcl.evaluation.exits.ExitAccuracy`.
"""

from __future__ import annotations

from collections import defaultdict

from avalanche.core import SupervisedPlugin


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
