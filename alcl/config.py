"""The method's config sections: ``model`` (encoders, label codes, absent columns) and
``training`` (the budget every strategy shares).

Each section is one dataclass, and that object itself reaches the code that uses it: the
strategy builders (:mod:`alcl.registry`), the growth rule and the AL block read its fields.
Its ``check`` names each bad value with ``need(ok, message)``; the experiment config
(:mod:`experiments.config`) reads YAML into these classes and calls it. A choice list is
imported from the module whose code implements the choices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alcl.baselines.fixed_width import ABSENT_MODES
from alcl.block_init import BLOCK_INITS
from alcl.training.loop import LOOPS
from alcl.training.optim import OPTIMIZERS
from alcl.training.precision import PRECISIONS

Need = Callable[[bool, str], None]


@dataclass
class ModelConfig:
    widths: list[int] = field(default_factory=lambda: [128, 128, 128, 128])
    label_dim: int = 32
    bridge_hidden: int = 0  # AL bridge: 0 is pool -> Linear -> Tanh; > 0 adds a hidden ReLU layer
    detach_t: bool = True  # AL: the associated loss moves b only (public AL code also moves g)
    block_init: str = "default"  # new blocks' weights: see alcl.block_init.BLOCK_INITS
    layers_per_block: int = 1
    dropout: float = 0.0
    absent: str = (
        "zero+mask"  # zero+mask | zero | mean: how fixed-width baselines see absent columns
    )
    backbone: str = "mlp"  # mlp | cnn | vgg | resnet | lstm | transformer | bag (alcl.backbones)
    backbone_options: dict[str, dict[str, Any]] = field(default_factory=dict)  # per backbone name

    def check(self, need: Need) -> None:
        need(
            len(self.widths) > 0 and min(self.widths) > 0,
            "model.widths must list positive ints.",
        )
        need(self.label_dim > 0, "model.label_dim must be > 0.")
        need(self.bridge_hidden >= 0, "model.bridge_hidden must be >= 0 (0: no hidden layer).")
        need(0.0 <= self.dropout < 1.0, "model.dropout must lie in [0, 1).")
        need(
            self.block_init in BLOCK_INITS,
            f"model.block_init must be one of {list(BLOCK_INITS)}, got {self.block_init!r}.",
        )
        need(
            self.absent in ABSENT_MODES,
            f"model.absent must be one of {list(ABSENT_MODES)}, got {self.absent!r}.",
        )

    @property
    def chosen_backbone_options(self) -> dict[str, Any]:
        """The options given for the chosen backbone (``backbone_options[backbone]``)."""
        return self.backbone_options.get(self.backbone, {})


@dataclass
class TrainingConfig:
    epochs: int = 30
    batch_size: int = 32
    eval_batch_size: int = 1024
    optimizer: str = "adam"  # adam | adamw | sgd
    lr: float = 0.003
    weight_decay: float = 0.0
    loop: str = "fast"  # fast (tensor batches, lean callbacks) | avalanche (as shipped)
    precision: str = "fp32"  # fp32 | bf16 (training forward passes under autocast)

    def check(self, need: Need) -> None:
        need(self.epochs >= 1, "training.epochs must be >= 1.")
        need(self.batch_size >= 1 and self.eval_batch_size >= 1, "batch sizes must be >= 1.")
        need(self.lr > 0, "training.lr must be > 0.")
        need(
            self.optimizer in OPTIMIZERS,
            f"training.optimizer must be one of {list(OPTIMIZERS)}, got {self.optimizer!r}.",
        )
        need(
            self.loop in LOOPS,
            f"training.loop must be one of {list(LOOPS)}, got {self.loop!r}.",
        )
        need(
            self.precision in PRECISIONS,
            f"training.precision must be one of {list(PRECISIONS)}, got {self.precision!r}.",
        )
