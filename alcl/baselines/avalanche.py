"""The continual-learning baselines Avalanche ships, on alcl's fixed-width backprop model.

Each registers itself below with its Avalanche class, its hyper-parameters (a dataclass whose
defaults come from published reproductions, named in ``source``) and one builder,
:func:`build_fixed_width`: the shared backbone's :class:`~alcl.baselines.fixed_width.BackpropNet`
behind a :class:`~alcl.baselines.fixed_width.FillAbsent`, trained by the shared optimizer and
budget. Those reproductions used their own optimizers and budgets (often SGD); here every
strategy uses the shared ones instead, which is what equal terms means. Memory sizes are
matched to Replay's 200 samples rather than copied, because the published ones (GEM 1000,
A-GEM 250 per experience) would store every training sample of the small embedded data sets.

Two plugins repair Avalanche 0.6 behaviour that would otherwise make a baseline
misreport: :class:`NonZeroLoss` (MAS) and :class:`CopyingSynapticIntelligence` (SI).

To add a baseline: write its params dataclass (subclass :class:`FixedWidthParams`) and
register its class with :func:`alcl.registry.register_strategy`, as the entries below do.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
from avalanche.core import SupervisedPlugin
from avalanche.training import (
    AGEM,
    DER,
    EWC,
    GEM,
    MAS,
    Cumulative,
    JointTraining,
    LwF,
    Naive,
    Replay,
)
from avalanche.training.plugins import SynapticIntelligencePlugin
from torch import nn

from alcl.backbones import backbone_for, check_absent
from alcl.baselines.fixed_width import ABSENT_MODES, BackpropNet, RunningMeans, mask_pieces
from alcl.config import ModelConfig, TrainingConfig
from alcl.registry import Problem, bounded, range_problems, register_strategy
from alcl.training.loop import fast_loop_class, loop_kwargs
from alcl.training.optim import optimizer_for

CL_BASELINES = "ContinualAI/continual-learning-baselines"


@dataclass(frozen=True)
class FixedWidthParams:
    """What every fixed-width baseline takes: how it sees absent columns (empty: ``model.absent``)."""

    absent: str = ""

    def problems(self) -> list[str]:
        out = range_problems(self)
        if self.absent not in ("", *ABSENT_MODES):
            out.append(f"absent must be one of {list(ABSENT_MODES)}, got {self.absent!r}")
        return out


def backprop_net(problem: Problem, model: ModelConfig, absent: str) -> BackpropNet:
    """The backprop reference every fixed-width baseline trains: ``model``'s backbone and
    widths over the problem's columns, absent columns seen as ``absent`` says."""
    return BackpropNet(
        backbone_for(model, problem.layout),
        problem.n_features,
        problem.n_classes,
        len(model.widths),
        absent,
        mask_pieces(problem.layout),
    )


def build_fixed_width(
    problem: Problem,
    model: ModelConfig,
    training: TrainingConfig,
    params: FixedWidthParams,
    *,
    cls: type,
    fixed: dict[str, Any] | None = None,
    trains_once: bool = False,
    guard_zero_loss: bool = False,
    extra_plugins: tuple = (),
    device: str = "cpu",
    evaluator=None,
    plugins=None,
):
    """Avalanche's ``cls`` on the backprop reference of the shared backbone.

    ``fixed`` are constructor arguments the entry fixes (EWC's mode); every other field of
    ``params`` but ``absent`` is passed to ``cls`` by name.
    """
    mode = params.absent or model.absent
    check_absent(model.backbone, mode)
    net = backprop_net(problem, model, mode)
    plugins = [*(plugins or []), *extra_plugins, RunningMeans(whole_dataset=trains_once)]
    if guard_zero_loss:
        plugins.append(NonZeroLoss())
    own = {k: v for k, v in dataclasses.asdict(params).items() if k != "absent"}
    return fast_loop_class(cls)(
        model=net,
        optimizer=optimizer_for(training)(net.parameters()),
        criterion=nn.CrossEntropyLoss(),
        **loop_kwargs(training, device, evaluator, plugins),
        **(fixed or {}),
        **own,
    )


def _register(name: str, cls: type, params: type, description: str, **options: Any) -> None:
    """Register Avalanche's ``cls`` as ``name``, built by :func:`build_fixed_width`."""
    flags = {k: options.pop(k) for k in ("source", "stores_samples") if k in options}
    trains_once = options.get("trains_once", False)
    register_strategy(
        name, cls, params, description, fixed_width=True, trains_once=trains_once, **flags
    )(partial(build_fixed_width, cls=cls, **options))


class NonZeroLoss(SupervisedPlugin):
    """Keeps Avalanche 0.6's MAS running when a minibatch loss is exactly 0.

    MAS's plugin tests ``not strategy.loss`` and raises "Loss is not
    available" when a well-fit batch underflows the cross-entropy to 0.
    Adding the smallest positive float leaves every gradient unchanged.
    Must come before the MAS plugin (user plugins do).
    """

    def before_backward(self, strategy, **kwargs) -> None:
        if not strategy.loss:
            strategy.loss = strategy.loss + torch.finfo(strategy.loss.dtype).tiny


class CopyingSynapticIntelligence(SynapticIntelligencePlugin):
    """Avalanche 0.6's SI plugin, with the weight snapshots it takes made real copies.

    The plugin snapshots weights as ``param.detach().cpu().flatten()``, which
    on a CPU device is the parameter itself: the weights at the start of an
    experience and before each step then follow the live weights, so every
    importance and the penalty are 0, and SI on CPU is plain fine-tuning.
    Copying the two snapshots right after they are taken restores SI (on a
    GPU ``.cpu()`` already copies, and the extra copy changes nothing).
    """

    @staticmethod
    def _copy(store: dict) -> None:
        for param in store.values():
            param.data = param.data.clone()

    def before_training_exp(self, strategy, **kwargs) -> None:
        super().before_training_exp(strategy, **kwargs)
        self._copy(self.ewc_data[0])

    def before_training_iteration(self, strategy, **kwargs) -> None:
        super().before_training_iteration(strategy, **kwargs)
        self._copy(self.syn_data["old_theta"])


@dataclass(frozen=True)
class EWCParams(FixedWidthParams):
    ewc_lambda: float = bounded(1.0, 0.0)


@dataclass(frozen=True)
class OnlineEWCParams(EWCParams):
    decay_factor: float = bounded(1.0, 0.0, 1.0)


@dataclass(frozen=True)
class SIParams(FixedWidthParams):
    si_lambda: float = bounded(0.1, 0.0)
    eps: float = bounded(0.1, 0.0, above=True)


@dataclass(frozen=True)
class MASParams(FixedWidthParams):
    lambda_reg: float = bounded(2.0, 0.0)
    alpha: float = bounded(0.5, 0.0, 1.0)


@dataclass(frozen=True)
class LwFParams(FixedWidthParams):
    alpha: float = bounded(1.0, 0.0)
    temperature: float = bounded(1.0, 0.0, above=True)


@dataclass(frozen=True)
class ReplayParams(FixedWidthParams):
    mem_size: int = bounded(200, 1)


@dataclass(frozen=True)
class GEMParams(FixedWidthParams):
    patterns_per_exp: int = bounded(50, 1)
    memory_strength: float = bounded(0.5, 0.0)


@dataclass(frozen=True)
class AGEMParams(FixedWidthParams):
    patterns_per_exp: int = bounded(50, 1)
    sample_size: int = bounded(256, 1)


@dataclass(frozen=True)
class DERParams(FixedWidthParams):
    mem_size: int = bounded(200, 1)
    alpha: float = bounded(0.1, 0.0)
    beta: float = bounded(0.5, 0.0)


_register("naive", Naive, FixedWidthParams, "fine-tuning, no protection against forgetting")
_register(
    "cumulative",
    Cumulative,
    FixedWidthParams,
    "retrain on all data seen so far (stores every sample)",
    stores_samples=True,
)
_register(
    "joint",
    JointTraining,
    FixedWidthParams,
    "offline training on every sample with every column: an upper bound for current accuracy",
    trains_once=True,
    stores_samples=True,
)
_register(
    "ewc",
    EWC,
    EWCParams,
    "elastic weight consolidation, one penalty per past experience",
    fixed={"mode": "separate"},
    source=f"{CL_BASELINES} experiments/permuted_mnist/ewc.py (ewc_lambda=1, separate)",
)
_register(
    "online-ewc",
    EWC,
    OnlineEWCParams,
    "online EWC: one running importance, decayed by decay_factor",
    fixed={"mode": "online"},
    source="ewc_lambda as ewc; decay_factor: the online-EWC gamma default (1) of "
    "GMvandeVen/continual-learning options.py (van de Ven & Tolias 2019)",
)
_register(
    "mas",
    MAS,
    MASParams,
    "memory aware synapses",
    guard_zero_loss=True,
    source=f"{CL_BASELINES} experiments/split_tiny_imagenet/mas.py (its only MAS setting)",
)
_register(
    "lwf",
    LwF,
    LwFParams,
    "learning without forgetting (distils the previous model's outputs)",
    source=f"{CL_BASELINES} experiments/permuted_mnist/lwf.py (same classes in every "
    "experience, as here)",
)
_register(
    "replay",
    Replay,
    ReplayParams,
    "experience replay from a class-balanced buffer",
    stores_samples=True,
    source="Avalanche's default mem_size",
)
_register(
    "gem",
    GEM,
    GEMParams,
    "gradient episodic memory (needs the quadprog package)",
    stores_samples=True,
    source=f"memory_strength: {CL_BASELINES} experiments/permuted_mnist/gem.py; "
    "patterns_per_exp: 4 experiences x 50 = Replay's 200 samples",
)
_register(
    "agem",
    AGEM,
    AGEMParams,
    "averaged GEM",
    stores_samples=True,
    source=f"sample_size: {CL_BASELINES} experiments/permuted_mnist/agem.py; "
    "patterns_per_exp: 4 experiences x 50 = Replay's 200 samples",
)
_register(
    "der",
    DER,
    DERParams,
    "dark experience replay (DER++), replaying logits and labels",
    stores_samples=True,
    source="Avalanche's DER defaults (Buzzega et al. 2020); mem_size = Replay's",
)


@register_strategy(
    "si",
    Naive,
    SIParams,
    "synaptic intelligence",
    fixed_width=True,
    source=f"{CL_BASELINES} experiments/permuted_mnist/synaptic_intelligence.py",
)
def build_si(problem, model, training, params: SIParams, **run):
    """Fine-tuning plus SI's penalty: what Avalanche's SynapticIntelligence is, with the
    plugin's CPU snapshot bug fixed (see :class:`CopyingSynapticIntelligence`)."""
    si = CopyingSynapticIntelligence(params.si_lambda, eps=params.eps)
    return build_fixed_width(
        problem, model, training, FixedWidthParams(params.absent), cls=Naive,
        extra_plugins=(si,), **run,
    )  # fmt: skip
