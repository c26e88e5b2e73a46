"""Strategies by name: their hyper-parameters (for config checking) and how to build them.

Importing this module is cheap; Avalanche is imported only inside the builders.
A builder receives the problem size and the shared training settings, so every
strategy is built on equal terms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alcl.optim import optimizer_factory


@dataclass(frozen=True)
class Settings:
    """What every strategy shares: problem size, model widths and training budget."""

    n_features: int
    n_classes: int
    widths: tuple[int, ...]
    label_dim: int = 32
    layers_per_block: int = 1
    dropout: float = 0.0
    epochs: int = 30
    batch_size: int = 32
    eval_batch_size: int = 1024
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    device: str = "cpu"
    loop: str = "fast"  # fast: alcl.loop.FastLoop for every strategy; avalanche: as shipped


@dataclass(frozen=True)
class StrategySpec:
    """A strategy name's hyper-parameters ``{key: (type, default)}`` and builder."""

    builder: Callable[..., Any]
    params: dict[str, tuple[type, Any]] = field(default_factory=dict)
    description: str = ""
    trains_once: bool = False

    def resolve(self, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid by ``given``; the caller has checked keys and types."""
        return {key: given.get(key, default) for key, (_, default) in self.params.items()}


def _build_al(
    settings: Settings,
    evaluator,
    plugins,
    blocks_per_experience: int = 1,
    initial_blocks: int = 0,
    freeze: bool = True,
    cache_mb: float = 1024.0,
):
    from alcl.backbones import MLPBackbone
    from alcl.growth import GrowthRule
    from alcl.network import ALNetwork
    from alcl.strategy import ALStrategy

    backbone = MLPBackbone(settings.widths, settings.layers_per_block, settings.dropout)
    growth = GrowthRule(
        backbone,
        label_dim=settings.label_dim,
        blocks_per_experience=blocks_per_experience,
        initial_blocks=initial_blocks or None,
        freeze=freeze,
    )
    return ALStrategy(
        model=ALNetwork(settings.n_features, settings.n_classes),
        growth=growth,
        optimizer_factory=optimizer_factory(settings.optimizer, settings.lr, settings.weight_decay),
        cache_mb=cache_mb,
        **_loop_kwargs(settings, evaluator, plugins),
    )


def _loop_kwargs(settings: Settings, evaluator, plugins) -> dict[str, Any]:
    return {
        "train_mb_size": settings.batch_size,
        "train_epochs": settings.epochs,
        "eval_mb_size": settings.eval_batch_size,
        "device": settings.device,
        "evaluator": evaluator,
        "plugins": plugins,
        "fast_loop": settings.loop == "fast",
    }


def _baseline(class_name: str) -> Callable[..., Any]:
    def build(settings: Settings, evaluator, plugins, **params):
        import avalanche.training as training
        from torch import nn

        from alcl.baselines import backprop_mlp
        from alcl.loop import fast_loop_class

        model = backprop_mlp(
            settings.n_features, settings.widths, settings.n_classes, settings.dropout
        )
        optimizer = optimizer_factory(settings.optimizer, settings.lr, settings.weight_decay)(
            model.parameters()
        )
        return fast_loop_class(getattr(training, class_name))(
            model=model,
            optimizer=optimizer,
            criterion=nn.CrossEntropyLoss(),
            **_loop_kwargs(settings, evaluator, plugins),
            **params,
        )

    return build


STRATEGIES: dict[str, StrategySpec] = {
    "al": StrategySpec(
        _build_al,
        {
            "blocks_per_experience": (int, 1),
            "initial_blocks": (int, 0),
            "freeze": (bool, True),
            "cache_mb": (float, 1024.0),
        },
        "Associated Learning: freeze old blocks, append feature-augmented ones "
        "(initial_blocks 0 means blocks_per_experience; cache_mb bounds the cache of "
        "frozen-block outputs, 0 disables it)",
    ),
    "naive": StrategySpec(_baseline("Naive"), {}, "fine-tuning, no protection against forgetting"),
    "replay": StrategySpec(
        _baseline("Replay"),
        {"mem_size": (int, 200)},
        "experience replay from a class-balanced buffer",
    ),
    "cumulative": StrategySpec(
        _baseline("Cumulative"), {}, "retrain on all data seen so far (stores every sample)"
    ),
    "joint": StrategySpec(
        _baseline("JointTraining"),
        {},
        "offline training on every sample with every column: an upper bound for current accuracy",
        trains_once=True,
    ),
}


def build_strategy(
    name: str, params: dict[str, Any], settings: Settings, evaluator=None, plugins=None
):
    """Build strategy ``name`` with its resolved hyper-parameters."""
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; choose one of {sorted(STRATEGIES)}.")
    spec = STRATEGIES[name]
    return spec.builder(settings, evaluator, plugins, **spec.resolve(params))
