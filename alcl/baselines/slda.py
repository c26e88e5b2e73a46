"""``slda``: streaming linear discriminant analysis on the raw columns, a replay-free
reference for classes that arrive later.

Hayes & Kanan, "Lifelong Machine Learning with Deep Streaming Linear Discriminant Analysis"
(CVPR-W 2020), keep one mean per class and one shared covariance, updated with every
training sample; nothing else is learnt and no sample is stored. Here the features are the
stream's columns themselves (no backbone), so it answers a reviewer's question about
``al: head: lda`` (:mod:`alcl.class_heads`): how much of AL's class-incremental accuracy the
LDA head alone would give without AL's blocks. The statistics and the discriminant are
:mod:`alcl.class_heads`' (counts, sums and one second moment, float64; the covariance
shrunk towards its scale by ``shrinkage``; the class shares as priors), so it is
scikit-learn's ``LinearDiscriminantAnalysis(solver="lsqr")`` on the rows seen so far.
Avalanche's ``StreamingLDA`` does the same one sample at a time in Python, starts its
covariance at all ones, and keeps its statistics outside the model's ``state_dict``, which
checkpoints would lose; this one is exact for any batch size and resumes.

Absent columns (NaN) read 0, the training mean of a standardised column. Each training
experience adds its rows once, whatever ``training.epochs`` says: the statistics are sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from avalanche.training.templates import SupervisedTemplate
from torch import Tensor, nn

from alcl import class_heads
from alcl.registry import Problem, bounded, range_problems, register_strategy
from alcl.training.loop import fast_loop_class, loop_kwargs
from streams.layout import TextLayout
from streams.validation import DataError


class StreamingLDANet(nn.Module):
    """Class counts, sums and the second moment of the columns, and the LDA they give."""

    def __init__(self, n_features: int, n_classes: int, shrinkage: float) -> None:
        super().__init__()
        self.n_classes = n_classes
        self.shrinkage = shrinkage
        count, total, gram = class_heads.empty_statistics(n_classes, n_features)
        self.register_buffer("count", count)
        self.register_buffer("total", total)
        self.register_buffer("gram", gram)
        self._solved: tuple[Tensor, Tensor, Tensor] | None = None

    @torch.no_grad()
    def observe(self, x: Tensor, y: Tensor) -> None:
        class_heads.add_statistics(self.count, self.total, self.gram, torch.nan_to_num(x), y)
        self._solved = None

    def forward(self, x: Tensor) -> Tensor:
        if self._solved is None and bool((self.count > 0).any()):
            self._solved = class_heads.solve(self.count, self.total, self.gram, self.shrinkage)
        return class_heads.log_probabilities(torch.nan_to_num(x), self.n_classes, self._solved)

    def _load_from_state_dict(self, *args, **kwargs) -> None:
        self._solved = None
        super()._load_from_state_dict(*args, **kwargs)

    @property
    def n_parameters(self) -> int:
        """The numbers it keeps: counts, sums and the second moment."""
        return self.count.numel() + self.total.numel() + self.gram.numel()


class StreamingLDA(SupervisedTemplate):
    """Avalanche's template around a :class:`StreamingLDANet`: no optimizer, no backward
    pass; the first epoch of each experience adds its minibatches to the statistics."""

    def check_model_and_optimizer(self, **kwargs) -> None:
        """Nothing to adapt: one input per column from the start."""

    def training_epoch(self, **kwargs) -> None:
        if self.clock.train_exp_epochs > 0:
            return  # the statistics are sums: a second pass would count every row twice
        for mbatch in self.dataloader:
            self.mbatch = mbatch
            self._unpack_minibatch()
            self._before_training_iteration(**kwargs)
            self.mb_output = self.model(self.mb_x)  # what the loggers' training accuracy reads
            self.model.observe(self.mb_x, self.mb_y)
            self.loss = self._make_empty_loss()
            self._after_training_iteration(**kwargs)


@dataclass(frozen=True)
class SLDAParams:
    shrinkage: float = bounded(0.1, 0.0, 1.0)  # the covariance shrunk towards its scale

    def problems(self) -> list[str]:
        return range_problems(self)


@register_strategy(
    "slda",
    StreamingLDA,
    SLDAParams,
    "streaming LDA on the raw columns (Hayes & Kanan 2020): class means and one shared "
    "covariance, no sample stored; absent columns read 0",
    reads_nan=True,
)
def build_slda(problem: Problem, model: Any, training: Any, params: SLDAParams, **run):
    if isinstance(problem.layout, TextLayout) and problem.layout.encoding == "tokens":
        raise DataError(
            "slda reads columns as numbers, and these hold token ids; drop it from this "
            "stream's strategies, or use encoding bow or tfidf."
        )
    net = StreamingLDANet(problem.n_features, problem.n_classes, params.shrinkage)
    strategy = fast_loop_class(StreamingLDA)(
        model=net,
        optimizer=torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.0),
        criterion=nn.CrossEntropyLoss(),
        **loop_kwargs(training, run.get("device", "cpu"), run.get("evaluator"), run.get("plugins")),
    )
    strategy.optimizer = None  # the statistics update themselves; nothing for checkpoints
    return strategy
