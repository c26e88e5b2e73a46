"""Accuracy of every AL exit, as an Avalanche metric: :class:`ExitAccuracy`.

Put it in an ``EvaluationPlugin`` (its loggers then receive ``Top1_Acc_Exit<k>/eval_phase/
<stream>`` once per evaluation) or in a strategy's plugins, and read :meth:`ExitAccuracy.result`
after ``strategy.eval(stream)``. Each exit k counts the rows whose columns reach block k, over
the experiences of the evaluated stream (``result(upto=i)``: those released up to experience
i, the test sets seen so far); on a current-feature view every row reaches every exit. A model without exits (any baseline) leaves it empty.
"""

from __future__ import annotations

import torch
from avalanche.evaluation.metric_definitions import PluginMetric
from avalanche.evaluation.metric_results import MetricValue
from avalanche.evaluation.metric_utils import get_metric_name

from alcl import inference
from alcl.early_exits import EarlyExits


class ExitAccuracy(PluginMetric[list[float]]):
    """Per exit k = 1..L: accuracy of the shortcut at k on the rows that reach block k."""

    def __init__(self) -> None:
        super().__init__()
        # per evaluated experience (its ``released_at``): correct and total rows per exit
        self.correct: dict[int, list[int]] = {}
        self.total: dict[int, list[int]] = {}
        self._key = 0

    def reset(self) -> None:
        self.correct, self.total, self._key = {}, {}, 0

    def result(self, upto: int | None = None) -> list[float] | None:
        """Accuracy of every exit over the last evaluation, pooled over its experiences (those
        released up to experience ``upto``, if given); None for a model without exits."""
        keys = [k for k in sorted(self.total) if upto is None or k <= upto]
        if not keys:
            return None
        depth = max(len(self.total[k]) for k in keys)
        correct, total = [0] * depth, [0] * depth
        for key in keys:
            for d, (c, n) in enumerate(zip(self.correct[key], self.total[key], strict=True)):
                correct[d] += c
                total[d] += n
        return [c / max(n, 1) for c, n in zip(correct, total, strict=True)]

    def _count(self, k: int, logits: torch.Tensor, y: torch.Tensor) -> None:
        self.correct[self._key][k] += int((logits.argmax(dim=1) == y).sum())
        self.total[self._key][k] += len(y)

    @torch.no_grad()
    def update(self, net: EarlyExits, x: torch.Tensor, y: torch.Tensor, key: int = 0) -> None:
        """Count the predictions of every exit of ``net`` on rows ``x`` with labels ``y``
        (rows of the experience released at ``key``)."""
        self._key = key
        for counts in (self.correct, self.total):
            row = counts.setdefault(key, [])
            row.extend([0] * (net.depth - len(row)))
        limit = net.usable_depth(x)
        if bool((limit == net.depth).all()):  # every row reaches every exit: one shared pass
            for k, logits in enumerate(inference.all_exits(net, x)):
                self._count(k, logits, y)
            return
        for k in range(1, int(limit.max()) + 1):
            rows = limit >= k
            self._count(k - 1, inference.shortcut(net, x[rows], k), y[rows])

    def before_eval(self, strategy, **kwargs) -> None:
        self.reset()

    def after_eval_iteration(self, strategy, **kwargs) -> None:
        if isinstance(strategy.model, EarlyExits):
            experience = strategy.experience
            key = getattr(experience, "released_at", experience.current_experience)
            self.update(strategy.model, strategy.mb_x, strategy.mb_y, key)

    def after_eval(self, strategy, **kwargs) -> list[MetricValue] | None:
        values = self.result()
        if values is None:
            return None
        step = strategy.clock.train_iterations
        name = get_metric_name(self, strategy, add_task=False)  # Top1_Acc_Exit/eval_phase/...
        return [
            MetricValue(self, name.replace("/", f"{k}/", 1), value, step)
            for k, value in enumerate(values, start=1)
        ]

    def __str__(self) -> str:
        return "Top1_Acc_Exit"
