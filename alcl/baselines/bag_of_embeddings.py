"""``bag-of-embeddings``: a fastText-style classifier trained by backprop, for text streams.

The mean of the token embeddings (``model.widths[0]`` wide, no positions), then a linear
layer, fine-tuned through the stream as Naive is (:mod:`alcl.backbones.bag`). When a
sequence model's first exit (AL's pooled embedding) already scores as well as its deepest
one, this reference says whether its sequence blocks matter at all.
"""

from __future__ import annotations

import dataclasses

from avalanche.training import Naive

from alcl.baselines.avalanche import FixedWidthParams, build_fixed_width
from alcl.registry import register_strategy

BACKBONE = "bag"


@register_strategy(
    "bag-of-embeddings",
    Naive,
    FixedWidthParams,
    "reference for text (tokens): fastText-style mean of token embeddings (model.widths[0]) "
    "and a linear layer, fine-tuned by backprop",
    fixed_width=True,
    backbone=BACKBONE,
)
def build_bag_of_embeddings(problem, model, training, params, **run):
    bag = dataclasses.replace(
        model, backbone=BACKBONE, widths=[model.widths[0]], layers_per_block=1
    )
    return build_fixed_width(problem, bag, training, params, cls=Naive, **run)
