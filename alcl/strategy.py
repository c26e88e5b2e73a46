"""``ALStrategy``: Associated Learning as an Avalanche training strategy.

The strategy orchestrates and the network computes:

- ``model_adaptation`` (training only) applies the growth rule with the
  experience's ``new_columns``: freeze the existing blocks, append new ones;
- ``make_optimizer`` builds a fresh optimizer over the trainable blocks only;
- ``forward``/``criterion`` return the sum of the local losses while training
  and ordinary logits/cross-entropy in evaluation, where each sample is routed
  by the columns its experience has.

Everything else (data loading, plugins, ``EvaluationPlugin`` and loggers) is
Avalanche's supervised template, unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from avalanche.core import BasePlugin
from avalanche.training.plugins.evaluation import EvaluationPlugin, default_evaluator
from avalanche.training.templates import SupervisedTemplate
from torch import nn

from alcl.growth import GrowthRule
from alcl.network import ALNetwork, BlockStack, TrainStep
from alcl.optim import OptimizerFactory


class ALStrategy(SupervisedTemplate):
    """Train an :class:`ALNetwork` on a stream, growing it at every experience.

    Subclasses train another kind of growing stack by setting ``network_type``
    and overriding :meth:`training_step` (the ``bp-grow`` control does).
    """

    network_type: type[BlockStack] = ALNetwork

    def __init__(
        self,
        *,
        model: BlockStack,
        growth: GrowthRule,
        optimizer_factory: OptimizerFactory,
        train_mb_size: int = 32,
        train_epochs: int = 1,
        eval_mb_size: int = 1024,
        device: str = "cpu",
        plugins: Sequence[BasePlugin] | None = None,
        evaluator: EvaluationPlugin | None = default_evaluator,
        eval_every: int = -1,
    ) -> None:
        if not isinstance(model, self.network_type):
            raise TypeError(
                f"{type(self).__name__} trains a {self.network_type.__name__}, "
                f"got {type(model).__name__}."
            )
        super().__init__(
            model=model,
            optimizer=None,
            criterion=nn.CrossEntropyLoss(),
            train_mb_size=train_mb_size,
            train_epochs=train_epochs,
            eval_mb_size=eval_mb_size,
            device=device,
            plugins=plugins,
            evaluator=evaluator,
            eval_every=eval_every,
        )
        self.growth = growth
        self.optimizer_factory = optimizer_factory
        self.last_step: TrainStep | None = None

    def new_columns(self) -> np.ndarray:
        """Columns released by the current experience.

        Streams from :mod:`streams` say so in ``experience.new_columns``. For a
        plain Avalanche stream, the first experience releases every column and
        later ones none (pure layer accumulation).
        """
        cols = getattr(self.experience, "new_columns", None)
        if cols is not None:
            return np.asarray(cols, dtype=np.int64)
        return np.arange(self.model.n_features) if self.model.depth == 0 else np.empty(0, np.int64)

    def model_adaptation(self, model: nn.Module | None = None) -> nn.Module:
        model = self.model if model is None else model
        if self.is_training:
            self.growth.grow(model, self.new_columns())
        return model.to(self.device)

    def make_optimizer(self, **kwargs) -> None:
        params = self.model.trainable_parameters()
        if not params:
            raise RuntimeError(
                "ALStrategy found no trainable block; the growth rule appended none."
            )
        self.optimizer = self.optimizer_factory(params)

    def check_model_and_optimizer(self, **kwargs) -> None:
        self.model = self.model_adaptation()
        self.make_optimizer(**kwargs)

    def training_step(self) -> TrainStep:
        """The loss of one training minibatch: for AL, the sum of the local losses."""
        return self.model.local_losses(self.mb_x, self.mb_y)

    def forward(self):
        if self.is_training:
            self.last_step = self.training_step()
            return self.last_step.logits
        return self.model(self.mb_x)

    def criterion(self):
        if self.is_training:
            return self.last_step.loss
        return self._criterion(self.mb_output, self.mb_y)
