"""``ALStrategy``: Associated Learning as an Avalanche training strategy.

The strategy orchestrates and the network computes:

- ``model_adaptation`` (training only) applies the growth rule with the
  experience's ``new_columns``: freeze the existing blocks, append new ones;
- ``make_optimizer`` builds a fresh optimizer over the trainable blocks only;
- ``forward``/``criterion`` return the sum of the local losses while training
  and ordinary logits/cross-entropy in evaluation, where each sample is routed
  by the columns its experience has.

Cheap growth. When the experience's data fits in memory and reading it
applies no transform, it is served as large shuffled tensor batches
instead of Avalanche's per-sample loader (:mod:`alcl.training.loop`). Frozen blocks
are deterministic (always in eval mode), so their outputs s and t at the last
frozen block are then computed once per experience and cached next to the
data; the new blocks train on the cache. The cache is bounded by
``cache_mb``; beyond it (or when some training rows stop inside the frozen
blocks) training streams through the frozen blocks as before. The cached
values are the ones streaming computes (the same operations on the same
rows, with the same batches drawn), so the cache changes speed, not results:
a test checks bit-identical parameters on CPU. (A matrix-multiply kernel
chosen by batch size can round a row differently in a tiny batch: on the
machine alcl was developed on, only batches of fewer than 12 rows did.)

Everything else (plugins, ``EvaluationPlugin`` and loggers) is Avalanche's
supervised template, unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import torch
from avalanche.core import BasePlugin
from avalanche.training.plugins.evaluation import EvaluationPlugin, default_evaluator
from avalanche.training.templates import SupervisedTemplate
from torch import nn

from alcl import class_heads
from alcl.answer_exits import ANSWERS
from alcl.backbones import backbone_for
from alcl.config import ModelConfig, TrainingConfig
from alcl.growth import GrowthRule
from alcl.network import ALNetwork, BlockStack, Prefix, TrainStep
from alcl.registry import Problem, bounded, range_problems, register_strategy
from alcl.training.loader import TensorBatches
from alcl.training.loop import FastLoop, loop_kwargs
from alcl.training.optim import OptimizerFactory, optimizer_for

_CHUNK = 4096  # rows per forward pass when preparing an experience's batches


class ALStrategy(FastLoop, SupervisedTemplate):
    """Train an :class:`ALNetwork` on a stream, growing it at every experience.

    ``fast_loop`` serves in-memory data as tensor minibatches and skips
    callbacks no plugin implements (:class:`alcl.training.loop.FastLoop`);
    ``cache_mb`` bounds the cache of frozen-block outputs (0 disables it).
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
        fast_loop: bool = True,
        precision: str = "fp32",
        cache_mb: float = 1024.0,
        answer: str = "deepest",
        impute: bool = False,
        head: str = "codes",
        lda_shrinkage: float = 0.1,
    ) -> None:
        if not isinstance(model, self.network_type):
            raise TypeError(
                f"{type(self).__name__} trains a {self.network_type.__name__}, "
                f"got {type(model).__name__}."
            )
        if cache_mb < 0:
            raise ValueError(f"cache_mb must be >= 0, got {cache_mb}.")
        if head not in class_heads.HEADS:
            raise ValueError(f"head must be one of {list(class_heads.HEADS)}, got {head!r}.")
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
            fast_loop=fast_loop,
            precision=precision,
        )
        self.growth = growth
        self.optimizer_factory = optimizer_factory
        self.cache_mb = cache_mb
        self.answer = answer  # which exit answers each feature set (alcl.answer_exits)
        self.impute = impute  # absent cells read the column's mean over shown training cells
        self.head = head  # how exits answer: label decoders, or class statistics (alcl.class_heads)
        self.lda_shrinkage = lda_shrinkage
        self.head_rows: tuple[torch.Tensor, torch.Tensor] | None = None  # rows for the statistics
        self.last_step: TrainStep | None = None
        self.prepared_batches: TensorBatches | None = None  # this experience's batches
        self.cached_depth = 0  # blocks whose outputs the batches carry (0: none cached)
        self.batch_fields: dict[str, int] = {}  # where the prepared batches carry limit, s, t
        self.uniform_depth: int | None = None  # the usable depth of every row, when they agree

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

    def make_train_dataloader(self, **kwargs):
        self.prepared_batches, self.cached_depth = None, 0
        super().make_train_dataloader(**kwargs)

    def check_model_and_optimizer(self, **kwargs) -> None:
        self.model = self.model_adaptation()
        self.make_optimizer(**kwargs)
        self.prepare_batches()

    @torch.no_grad()
    def prepare_batches(self) -> bool:
        """Once the network has grown: check the experience's tensors once and cache what is fixed.

        With tensor batches, every row's usable depth is computed (and the
        data checked) once per experience instead of once per batch, and, when
        the memory bound allows, s and t at the last frozen block are cached.
        The batches then carry ``[x, y, (limit,) (s, t,) task]``: the limit
        only if rows differ in it. Returns whether the frozen-block cache is in use.
        """
        net, loader = self.model, self.dataloader
        self.prepared_batches, self.cached_depth, self.batch_fields = None, 0, {}
        if not isinstance(loader, TensorBatches):
            if self.impute or self.head == "lda":
                option = "impute" if self.impute else "head lda"
                raise RuntimeError(
                    f"al with {option} learns its statistics from an experience's tensors, which "
                    "only the fast loop gathers; set training.loop: fast."
                )
            return False
        x, y = loader.tensors[0], loader.tensors[1]
        self.head_rows = (x, y) if self.head == "lda" else None
        if self.impute:  # this experience's shown cells join the means, before any use
            net.observe_shown(x)
        net.check_input(x)
        net.check_labels(y, len(x))
        chunks = list(zip(torch.split(x, _CHUNK), torch.split(y, _CHUNK), strict=True))
        limit = torch.cat([net.usable_depth(xc) for xc, _ in chunks])
        shallowest, deepest = (int(v) for v in torch.aminmax(limit))
        extra = {} if shallowest == deepest else {"limit": limit}
        self.uniform_depth = deepest if shallowest == deepest else None
        depth = net.frozen_depth()
        if (
            isinstance(net, ALNetwork)  # other stacks have no label codes to cache
            and 0 < depth < net.depth
            and self.cache_mb > 0
            and shallowest > depth  # else some rows stop inside the frozen blocks
            and not any(block.training for block in net.blocks[:depth])
        ):
            # s may be a vector, a feature map or a sequence: its size per row is read
            # from the first chunk, which is kept if the whole cache fits the bound.
            first = net.prefix(*chunks[0], depth)
            row_bytes = (first.s[0].numel() + first.t[0].numel()) * first.s.element_size()
            if len(x) * row_bytes <= self.cache_mb * 2**20:  # else stream through frozen blocks
                parts = [first] + [net.prefix(xc, yc, depth) for xc, yc in chunks[1:]]
                extra["s"] = torch.cat([p.s for p in parts])
                extra["t"] = torch.cat([p.t for p in parts])
                self.cached_depth = depth
        self.batch_fields = {name: 2 + i for i, name in enumerate(extra)}
        self.prepared_batches = loader.extended(list(extra.values()))
        self.dataloader = self.prepared_batches
        return self.cached_depth > 0

    def training_step(self) -> TrainStep:
        """The loss of one training minibatch: for AL, the sum of the local losses.

        With prepared tensor batches, each row's usable depth (and, with the
        cache, the frozen blocks' outputs) come with the batch.
        """
        if self.prepared_batches is None or self.dataloader is not self.prepared_batches:
            return self.model.local_losses(self.mb_x, self.mb_y)
        fields, batch = self.batch_fields, self.mbatch
        limit = batch[fields["limit"]] if "limit" in fields else self.uniform_depth
        start = None
        if self.cached_depth:
            start = Prefix(self.cached_depth, batch[fields["s"]], batch[fields["t"]])
        return self.model.local_losses(self.mb_x, self.mb_y, start=start, limit=limit)

    def forward(self):
        """Evaluation: the logits, each row routed by its columns. Training: the step's local
        losses go to :attr:`last_step` (the criterion reads them), and the returned
        ``mb_output`` is the deepest-exit logits, decoded only when a plugin may read them
        (:meth:`~alcl.training.loop.FastLoop.iteration_output_read`), else None."""
        if not self.is_training:
            return self.model(self.mb_x)
        self.last_step = self.training_step()
        return self.last_step.logits if self.iteration_output_read() else None

    def criterion(self):
        if self.is_training:
            return self.last_step.loss
        return self._criterion(self.mb_output, self.mb_y)

    def _after_training_exp(self, **kwargs):
        """With ``head: lda``: the experience's rows join every exit's class statistics, and
        each row is answered by the deepest exit that has seen every class
        (:mod:`alcl.class_heads`), before any evaluation or plugin reads the network."""
        if self.head == "lda" and self.head_rows is not None:
            class_heads.observe(self.model, *self.head_rows, self.lda_shrinkage)
            self.model.set_answer_exits(class_heads.covering_exits(self.model))
            self.head_rows = None
        super()._after_training_exp(**kwargs)

    def _train_cleanup(self):
        super()._train_cleanup()
        self.prepared_batches = None  # release the experience's tensors and cache
        self.last_step = None
        self.head_rows = None


@dataclass(frozen=True)
class GrowthParams:
    """The hyper-parameters of a growing stack (AL and its controls): blocks per experience
    (``initial_blocks`` 0 means ``blocks_per_experience``) and the frozen-block cache bound."""

    blocks_per_experience: int = bounded(1, 1)
    initial_blocks: int = bounded(0, 0)
    cache_mb: float = bounded(1024.0, 0.0)

    def problems(self) -> list[str]:
        return range_problems(self)


@dataclass(frozen=True)
class ALParams(GrowthParams):
    freeze: bool = True
    answer: str = "deepest"  # see alcl.answer_exits.ANSWERS
    warm_start: bool = False  # each new block starts near its parent's exit (ALBlock.start_as)
    impute: bool = False  # absent cells of shown columns read their mean over training rows
    head: str = "codes"  # see alcl.class_heads.HEADS: lda learns classes that arrive later
    lda_shrinkage: float = bounded(0.1, 0.0, 1.0)  # head lda: covariance shrunk to its scale

    def problems(self) -> list[str]:
        wrong = [] if self.answer in ANSWERS else [
            f"answer must be one of {list(ANSWERS)}, got {self.answer!r}"
        ]  # fmt: skip
        if self.head not in class_heads.HEADS:
            wrong.append(f"head must be one of {list(class_heads.HEADS)}, got {self.head!r}")
        elif self.head == "lda" and not self.freeze:
            wrong.append(
                "head lda needs freeze: true (the class statistics of a block that keeps "
                "training would describe features it no longer computes)"
            )
        return super().problems() + wrong

    def stream_problems(self, kind: str) -> list[str]:
        """What this AL cannot do on a stream of ``kind`` (checked by the experiment config)."""
        if kind in ("class_incremental", "mixed") and self.freeze and self.head == "codes":
            return [
                "al cannot learn a class that first appears after experience 1 of a "
                f"{kind} stream with head codes: block 1's label autoencoder, its "
                "only way to the logits, is frozen before the class arrives; set head: lda "
                "(class statistics on the frozen blocks' features, alcl.class_heads), or run "
                "al-nofreeze (it learns them, and forgets as fine-tuning does)"
            ]
        return []


def build_growing(
    problem: Problem,
    model: ModelConfig,
    training: TrainingConfig,
    params: GrowthParams,
    *,
    network: type[BlockStack] = ALNetwork,
    strategy: type[ALStrategy] | None = None,
    freeze: bool = True,
    device: str = "cpu",
    evaluator=None,
    plugins=None,
) -> ALStrategy:
    """AL (local losses) or one of its controls, grown by the same :class:`GrowthRule`."""
    growth = GrowthRule(
        backbone_for(model, problem.layout),
        model,
        blocks_per_experience=params.blocks_per_experience,
        initial_blocks=params.initial_blocks or None,
        freeze=getattr(params, "freeze", freeze),
        warm_start=getattr(params, "warm_start", False),
    )
    return (strategy or ALStrategy)(
        model=network(problem.n_features, problem.n_classes),
        growth=growth,
        optimizer_factory=optimizer_for(training),
        cache_mb=params.cache_mb,
        answer=getattr(params, "answer", "deepest"),
        impute=getattr(params, "impute", False),
        head=getattr(params, "head", "codes"),
        lda_shrinkage=getattr(params, "lda_shrinkage", 0.1),
        **loop_kwargs(training, device, evaluator, plugins),
    )


register_strategy(
    "al",
    ALStrategy,
    ALParams,
    "Associated Learning: freeze old blocks, append feature-augmented ones "
    "(initial_blocks 0 means blocks_per_experience; cache_mb bounds the cache of "
    "frozen-block outputs, 0 disables it; answer best_valid lets each feature set be "
    "answered by its best exit on validation, deepest by the full path)",
)(build_growing)
register_strategy(
    "al-nofreeze",
    ALStrategy,
    GrowthParams,
    "control: AL that appends blocks but keeps training the old ones",
)(partial(build_growing, freeze=False))
