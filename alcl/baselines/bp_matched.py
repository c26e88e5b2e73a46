"""``bp-matched``: fine-tuning (Naive) on a backprop model with AL's final parameter count.

AL grows a block per experience, so after the last one it holds more parameters than a
fixed-width rival of the same widths (on default digits: 81 k against 59 k). ``bp-matched``
removes that advantage: its encoder widths are ``model.widths`` scaled by one factor, chosen
so that its parameter count (absent-column handling and head included) is within
:data:`TOLERANCE` of what AL with default growth grows into on this stream's column groups.
"""

from __future__ import annotations

import dataclasses

from avalanche.training import Naive

from alcl.backbones import backbone_for
from alcl.baselines.avalanche import FixedWidthParams, backprop_net, build_fixed_width
from alcl.config import ModelConfig
from alcl.growth import GrowthRule
from alcl.network import ALNetwork
from alcl.registry import Problem, register_strategy

TOLERANCE = 0.05
"""The largest relative gap between bp-matched's and AL's parameter counts."""


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def al_parameters(problem: Problem, model: ModelConfig) -> int:
    """The parameters of AL (one block per experience) after growing on ``problem.groups``."""
    if not problem.groups:
        raise ValueError(
            "bp-matched needs the stream's column groups (Problem.groups) to size itself."
        )
    net = ALNetwork(problem.n_features, problem.n_classes)
    growth = GrowthRule(backbone_for(model, problem.layout), model)
    for columns in problem.groups:
        growth.grow(net, list(columns))
    return count(net)


def _backprop(problem: Problem, model: ModelConfig, widths: list[int], absent: str) -> int:
    return count(backprop_net(problem, dataclasses.replace(model, widths=widths), absent))


def matched_widths(problem: Problem, model: ModelConfig, absent: str) -> list[int]:
    """``model.widths`` scaled by one factor so the backprop model's count meets AL's."""
    target = al_parameters(problem, model)

    def widths_at(scale: float) -> list[int]:
        return [max(1, round(w * scale)) for w in model.widths]

    low, high = 0.01, 1.0
    while _backprop(problem, model, widths_at(high), absent) < target:
        high *= 2
    for _ in range(40):  # bisection on the scale; the count grows with it
        mid = (low + high) / 2
        if _backprop(problem, model, widths_at(mid), absent) < target:
            low = mid
        else:
            high = mid
    best = min(
        (widths_at(low), widths_at(high)),
        key=lambda w: abs(_backprop(problem, model, w, absent) - target),
    )
    gap = abs(_backprop(problem, model, best, absent) - target) / target
    if gap > TOLERANCE:
        raise ValueError(
            f"bp-matched: the nearest widths {best} miss AL's {target:,} parameters by "
            f"{gap:.1%} (more than {TOLERANCE:.0%}); use wider model.widths."
        )
    return best


@register_strategy(
    "bp-matched",
    Naive,
    FixedWidthParams,
    "reference: fine-tuning on a backprop model whose widths are scaled to AL's final "
    "parameter count (within 5 %)",
    fixed_width=True,
)
def build_bp_matched(problem, model, training, params, **run):
    absent = params.absent or model.absent
    widths = matched_widths(problem, model, absent)
    return build_fixed_width(
        problem, dataclasses.replace(model, widths=widths), training, params, cls=Naive, **run
    )
