"""Strategies by name: their hyper-parameters (for config checking) and how to build them.

Importing this module is cheap; torch and Avalanche are imported only inside
the builders. A builder receives the problem size and the shared training
settings, so every strategy is built on equal terms: the same epochs, batch
size, optimizer (family, learning rate, weight decay) and encoder widths.

Defaults of the baselines' own hyper-parameters come from published
reproductions, named in each entry's ``source``. Those reproductions used
their own optimizers and budgets (often SGD); here every strategy uses the
shared optimizer and budget instead, which is what equal terms means. Memory
sizes are matched to Replay's 200 samples rather than copied, because the
published ones (GEM 1000, A-GEM 250 per experience) would store every
training sample of the small embedded data sets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

ABSENT_MODES = ("zero", "zero+mask", "mean")
"""How a fixed-width baseline sees absent columns (see :mod:`alcl.baselines`)."""

ROUTED = "routed"
"""The ``absent`` value recorded for growing stacks, which never read absent columns."""

CL_BASELINES = "ContinualAI/continual-learning-baselines"


@dataclass(frozen=True)
class Settings:
    """What every strategy shares: problem size, model widths and training budget."""

    n_features: int
    n_classes: int
    widths: tuple[int, ...]
    label_dim: int = 32
    layers_per_block: int = 1
    dropout: float = 0.0
    absent: str = "zero"
    epochs: int = 30
    batch_size: int = 32
    eval_batch_size: int = 1024
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    device: str = "cpu"
    loop: str = "fast"  # fast: alcl.loop.FastLoop for every strategy; avalanche: as shipped
    backbone: str = (
        "mlp"  # alcl.backbones.BACKBONES: the encoders of AL, its controls and baselines
    )
    backbone_options: dict[str, Any] = field(default_factory=dict)  # the chosen backbone's
    layout: Any = None  # the stream's layout (ImageLayout, TextLayout), for structured backbones

    def make_backbone(self):
        """The backbone every strategy builds its encoders from (``widths`` per block)."""
        from alcl.backbones import build_backbone

        return build_backbone(
            self.backbone,
            self.widths,
            layers_per_block=self.layers_per_block,
            dropout=self.dropout,
            layout=self.layout,
            options=self.backbone_options,
        )


@dataclass(frozen=True)
class StrategySpec:
    """A strategy name's hyper-parameters ``{key: (type, default)}`` and builder.

    ``fixed_width``: a backprop model with one input per column, which sees
    absent columns through ``FillAbsent`` (it takes an ``absent`` parameter;
    empty means ``model.absent``). ``task_oracle``: trained and evaluated with
    a task label per experience, which the feature-incremental setting does
    not provide; results are marked as using that oracle.
    """

    builder: Callable[..., Any]
    params: dict[str, tuple[type, Any]] = field(default_factory=dict)
    description: str = ""
    trains_once: bool = False
    fixed_width: bool = False
    task_oracle: bool = False
    source: str = ""

    def resolve(self, given: dict[str, Any]) -> dict[str, Any]:
        """Defaults overlaid by ``given``; the caller has checked keys and types."""
        return {key: given.get(key, default) for key, (_, default) in self.params.items()}

    def absent_mode(self, given: dict[str, Any], default: str) -> str:
        """How this strategy sees absent columns, given its parameters and ``model.absent``."""
        if not self.fixed_width:
            return ROUTED
        return self.resolve(given).get("absent") or default


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


def _optimizer(settings: Settings):
    from alcl.optim import optimizer_factory

    return optimizer_factory(settings.optimizer, settings.lr, settings.weight_decay)


def _build_growing(
    settings: Settings,
    evaluator,
    plugins,
    *,
    backprop: bool,
    blocks_per_experience: int = 1,
    initial_blocks: int = 0,
    freeze: bool = True,
    cache_mb: float = 1024.0,
):
    """AL (local losses) or its ``bp-grow`` control (backprop), grown by the same rule."""
    from alcl.growth import GrowthRule

    if backprop:
        from alcl.bp_grow import BPGrowNetwork as Network
        from alcl.bp_grow import BPGrowStrategy as Strategy
    else:
        from alcl.network import ALNetwork as Network
        from alcl.strategy import ALStrategy as Strategy

    growth = GrowthRule(
        settings.make_backbone(),
        label_dim=settings.label_dim,
        blocks_per_experience=blocks_per_experience,
        initial_blocks=initial_blocks or None,
        freeze=freeze,
    )
    return Strategy(
        model=Network(settings.n_features, settings.n_classes),
        growth=growth,
        optimizer_factory=_optimizer(settings),
        cache_mb=cache_mb,
        **_loop_kwargs(settings, evaluator, plugins),
    )


def _baseline(
    class_name: str, trains_once: bool = False, guard_zero_loss: bool = False, **fixed
) -> Callable[..., Any]:
    """Builder of Avalanche's ``class_name`` on the backprop reference of the shared backbone."""

    def build(settings: Settings, evaluator, plugins, absent: str = "", **params):
        import avalanche.training as training
        from torch import nn

        from alcl.backbones import check_absent
        from alcl.baselines import BackpropNet, NonZeroLoss, RunningMeans
        from alcl.loop import fast_loop_class

        mode = absent or settings.absent
        check_absent(settings.backbone, mode)
        model = BackpropNet(
            settings.make_backbone(),
            settings.n_features,
            settings.n_classes,
            len(settings.widths),
            mode,
        )
        plugins = [*(plugins or []), RunningMeans(whole_dataset=trains_once)]
        if guard_zero_loss:
            plugins.append(NonZeroLoss())
        return fast_loop_class(getattr(training, class_name))(
            model=model,
            optimizer=_optimizer(settings)(model.parameters()),
            criterion=nn.CrossEntropyLoss(),
            **_loop_kwargs(settings, evaluator, plugins),
            **fixed,
            **params,
        )

    return build


def _build_si(settings: Settings, evaluator, plugins, absent: str = "", **params):
    """Fine-tuning plus SI's penalty: what Avalanche's SynapticIntelligence is, with the
    plugin's CPU snapshot bug fixed (see :class:`alcl.baselines.CopyingSynapticIntelligence`)."""
    from alcl.baselines import CopyingSynapticIntelligence

    si = CopyingSynapticIntelligence(params["si_lambda"], eps=params["eps"])
    return _baseline("Naive")(settings, evaluator, [*(plugins or []), si], absent=absent)


def _build_pnn(settings: Settings, evaluator, plugins, absent: str = "", adapter: str = "mlp"):
    from torch import nn

    from alcl.baselines import AbsentAwarePNN, RunningMeans, TaskOraclePNNStrategy
    from alcl.loop import fast_loop_class

    if settings.backbone != "mlp":
        raise ValueError(
            f"pnn is built on MLP columns only, not on backbone {settings.backbone!r}."
        )

    model = AbsentAwarePNN(
        settings.n_features, settings.widths, absent or settings.absent, adapter=adapter
    )
    return fast_loop_class(TaskOraclePNNStrategy)(
        model=model,
        optimizer=_optimizer(settings)(model.parameters()),
        criterion=nn.CrossEntropyLoss(),
        **_loop_kwargs(settings, evaluator, [*(plugins or []), RunningMeans()]),
    )


def _fixed_width(
    builder: Callable[..., Any], params: dict[str, tuple[type, Any]], description: str, **kw
) -> StrategySpec:
    return StrategySpec(
        builder, {**params, "absent": (str, "")}, description, fixed_width=True, **kw
    )


_GROWTH = {
    "blocks_per_experience": (int, 1),
    "initial_blocks": (int, 0),
    "cache_mb": (float, 1024.0),
}

STRATEGIES: dict[str, StrategySpec] = {
    "al": StrategySpec(
        partial(_build_growing, backprop=False),
        {**_GROWTH, "freeze": (bool, True)},
        "Associated Learning: freeze old blocks, append feature-augmented ones "
        "(initial_blocks 0 means blocks_per_experience; cache_mb bounds the cache of "
        "frozen-block outputs, 0 disables it)",
    ),
    "al-nofreeze": StrategySpec(
        partial(_build_growing, backprop=False, freeze=False),
        dict(_GROWTH),
        "control: AL that appends blocks but keeps training the old ones",
    ),
    "bp-grow": StrategySpec(
        partial(_build_growing, backprop=True),
        dict(_GROWTH),
        "control: AL's growing architecture, one classifier head per block, trained by backprop",
    ),
    "naive": _fixed_width(_baseline("Naive"), {}, "fine-tuning, no protection against forgetting"),
    "cumulative": _fixed_width(
        _baseline("Cumulative"), {}, "retrain on all data seen so far (stores every sample)"
    ),
    "joint": _fixed_width(
        _baseline("JointTraining", trains_once=True),
        {},
        "offline training on every sample with every column: an upper bound for current accuracy",
        trains_once=True,
    ),
    "ewc": _fixed_width(
        _baseline("EWC", mode="separate"),
        {"ewc_lambda": (float, 1.0)},
        "elastic weight consolidation, one penalty per past experience",
        source=f"{CL_BASELINES} experiments/permuted_mnist/ewc.py (ewc_lambda=1, separate)",
    ),
    "online-ewc": _fixed_width(
        _baseline("EWC", mode="online"),
        {"ewc_lambda": (float, 1.0), "decay_factor": (float, 1.0)},
        "online EWC: one running importance, decayed by decay_factor",
        source="ewc_lambda as ewc; decay_factor: the online-EWC gamma default (1) of "
        "GMvandeVen/continual-learning options.py (van de Ven & Tolias 2019)",
    ),
    "si": _fixed_width(
        _build_si,
        {"si_lambda": (float, 0.1), "eps": (float, 0.1)},
        "synaptic intelligence",
        source=f"{CL_BASELINES} experiments/permuted_mnist/synaptic_intelligence.py",
    ),
    "mas": _fixed_width(
        _baseline("MAS", guard_zero_loss=True),
        {"lambda_reg": (float, 2.0), "alpha": (float, 0.5)},
        "memory aware synapses",
        source=f"{CL_BASELINES} experiments/split_tiny_imagenet/mas.py (its only MAS setting)",
    ),
    "lwf": _fixed_width(
        _baseline("LwF"),
        {"alpha": (float, 1.0), "temperature": (float, 1.0)},
        "learning without forgetting (distils the previous model's outputs)",
        source=f"{CL_BASELINES} experiments/permuted_mnist/lwf.py (same classes in every "
        "experience, as here)",
    ),
    "replay": _fixed_width(
        _baseline("Replay"),
        {"mem_size": (int, 200)},
        "experience replay from a class-balanced buffer",
        source="Avalanche's default mem_size",
    ),
    "gem": _fixed_width(
        _baseline("GEM"),
        {"patterns_per_exp": (int, 50), "memory_strength": (float, 0.5)},
        "gradient episodic memory (needs the quadprog package)",
        source=f"memory_strength: {CL_BASELINES} experiments/permuted_mnist/gem.py; "
        "patterns_per_exp: 4 experiences x 50 = Replay's 200 samples",
    ),
    "agem": _fixed_width(
        _baseline("AGEM"),
        {"patterns_per_exp": (int, 50), "sample_size": (int, 256)},
        "averaged GEM",
        source=f"sample_size: {CL_BASELINES} experiments/permuted_mnist/agem.py; "
        "patterns_per_exp: 4 experiences x 50 = Replay's 200 samples",
    ),
    "der": _fixed_width(
        _baseline("DER"),
        {"mem_size": (int, 200), "alpha": (float, 0.1), "beta": (float, 0.5)},
        "dark experience replay (DER++), replaying logits and labels",
        source="Avalanche's DER defaults (Buzzega et al. 2020); mem_size = Replay's",
    ),
    "pnn": _fixed_width(
        _build_pnn,
        {"adapter": (str, "mlp")},
        "progressive neural network: one column per task label (a task-label oracle here)",
        task_oracle=True,
        source="Avalanche's PNN defaults; layers and width = model.widths",
    ),
}

STORES_SAMPLES = frozenset({"replay", "gem", "agem", "der", "cumulative", "joint"})
"""Strategies that keep past training samples (the issue's 'rehearsal' group)."""


def build_strategy(
    name: str, params: dict[str, Any], settings: Settings, evaluator=None, plugins=None
):
    """Build strategy ``name`` with its resolved hyper-parameters."""
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; choose one of {sorted(STRATEGIES)}.")
    spec = STRATEGIES[name]
    return spec.builder(settings, evaluator, plugins, **spec.resolve(params))
