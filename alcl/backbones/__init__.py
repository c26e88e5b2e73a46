"""Backbones supply the encoder f of each block; the block itself is always :mod:`alcl.block`.

The backbone protocol
---------------------

A backbone is an object with

- ``width(index) -> int``: the width of block ``index``'s output (0-based):
  units, channels or hidden size; the next block's encoder reads it;
- ``encoder(spec: BlockSpec) -> nn.Module``: the encoder f of a new block. The
  growth rule passes the block's ``index``, the width of the block below
  (``prev_width``, None for block 1) and the input ``columns`` the block reads
  (empty for a block of plain layer accumulation). f is called as
  ``f(s_prev, side)``: ``s_prev`` is the previous block's output (None for
  block 1), ``side`` the block's columns of the input rows, shape
  ``(batch, len(columns))`` (None when it reads none). f returns this block's
  output s, which the next block receives as ``s_prev``;
- ``pool(index) -> nn.Module``: maps block ``index``'s output s to a
  ``(batch, pooled_width(index))`` vector for the bridge (and a backprop
  head): identity for vectors, average pooling (global, or over a small
  grid) for conv maps, masked mean (or last state) for sequences;
- ``pooled_width(index) -> int``: the width of that vector;
- ``reads_absent``: True when its first encoder reads absent inputs (NaN)
  itself, as a mask (images: absent pixels 0 plus a mask channel; tokens:
  padding), so a fixed-width model may hand it NaN-marked rows.

What s is depends on the modality: a ``(batch, width)`` vector (MLP), a
``(batch, channels, H, W)`` map (CNN, VGG, ResNet), or a ``(batch, length,
width + 1)`` sequence whose last feature is the token mask (LSTM,
Transformer; see :mod:`alcl.fusion`). The network, the growth rule, the
inference paths, the losses and the frozen-block cache treat s as an opaque
tensor indexed by rows, so every backbone reuses them unchanged.

A backbone reads the structure of its columns from the stream's layout
(:class:`streams.ImageLayout`, :class:`streams.TextLayout`), given when it is
built. Side inputs are fused in one place per modality (:mod:`alcl.fusion`):
concatenation for vectors, a small conv of the newly visible region
concatenated as channels for images, newly released positions embedded and
concatenated along the sequence for tokens. The fusion modules live inside
the new block's encoder, so its optimizer trains them.

The same encoders serve the backprop references: a fixed stack of them with
a linear head (:class:`alcl.baselines.fixed_width.BackpropNet`), and the ``bp-grow``
control, grown by the same rule.

Each backbone registers itself where its class is defined
(``@register_backbone("cnn", "images", CNNOptions)``); :data:`BACKBONES`, read from this
package, imports every backbone module first. Importing this package is cheap; the backbone
modules (torch) load on first use.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Sequence
from typing import Any

from alcl.backbones.spec import BackboneSpec, BlockSpec, register_backbone

BACKBONE_MODULES = ("mlp", "cnn", "vgg", "resnet", "lstm", "transformer", "bag")
"""The modules under ``alcl.backbones`` whose classes register themselves (in this order)."""

__all__ = [
    "BACKBONES",
    "BackboneSpec",
    "BlockSpec",
    "CNNBackbone",
    "LSTMBackbone",
    "MLPBackbone",
    "MLPEncoder",
    "ResNetBackbone",
    "TransformerBackbone",
    "VGGBackbone",
    "backbone_for",
    "build_backbone",
    "check_absent",
    "make_options",
    "register_backbone",
]

_LAZY = {
    "MLPBackbone": "alcl.backbones.mlp",
    "MLPEncoder": "alcl.backbones.mlp",
    "CNNBackbone": "alcl.backbones.cnn",
    "VGGBackbone": "alcl.backbones.vgg",
    "ResNetBackbone": "alcl.backbones.resnet",
    "LSTMBackbone": "alcl.backbones.lstm",
    "TransformerBackbone": "alcl.backbones.transformer",
}


def backbones() -> dict[str, BackboneSpec]:
    """Every backbone by name, once each backbone module has registered its class."""
    from alcl.backbones import spec

    for module in BACKBONE_MODULES:
        importlib.import_module(f"alcl.backbones.{module}")
    return spec.BACKBONES


def __getattr__(name: str) -> Any:
    if name == "BACKBONES":
        return backbones()
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'alcl.backbones' has no attribute {name!r}")


def _spec(name: str) -> BackboneSpec:
    table = backbones()
    if name not in table:
        raise ValueError(f"unknown backbone {name!r}; choose one of {list(table)}.")
    return table[name]


def make_options(name: str, given: dict[str, Any] | None = None, widths: Sequence[int] = ()) -> Any:
    """Backbone ``name``'s typed options from a mapping; bad names, keys, types or values fail
    (``widths``, when given, are checked against the options too)."""
    cls = _spec(name).options
    fields = {f.name: f.default for f in dataclasses.fields(cls)}
    for key, value in (given or {}).items():
        if key not in fields:
            raise ValueError(
                f"backbone {name!r} has no option {key!r}; allowed: {sorted(fields) or 'none'}."
            )
        if type(value) is not type(fields[key]):
            raise ValueError(
                f"backbone option {name}.{key} must be {type(fields[key]).__name__}, got {value!r}."
            )
    options = cls(**(given or {}))
    problems = options.problems(tuple(int(w) for w in widths))
    if problems:
        raise ValueError(f"backbone {name!r}: " + "; ".join(problems) + ".")
    return options


def check_absent(name: str, absent: str) -> None:
    """Fail unless a fixed-width model on backbone ``name`` can see absent inputs as ``absent``."""
    allowed = _spec(name).absent_modes
    if absent not in allowed:
        raise ValueError(
            f"backbone {name!r} cannot see absent inputs as {absent!r}; choose one of "
            f"{list(allowed)} (token ids have no mean: absent tokens read as masked padding)."
        )


def build_backbone(
    name: str,
    widths: Sequence[int],
    *,
    layers_per_block: int = 1,
    dropout: float = 0.0,
    layout: Any = None,
    options: dict[str, Any] | None = None,
) -> Any:
    """The backbone ``name`` with block widths ``widths`` for inputs of ``layout``."""
    opts = make_options(name, options, widths)
    backbone_cls = _spec(name).cls
    if name == "mlp":
        return backbone_cls(tuple(widths), layers_per_block, dropout)
    return backbone_cls(tuple(widths), layout, layers_per_block, dropout, opts)


def backbone_for(model: Any, layout: Any = None) -> Any:
    """The backbone a ``model`` config section names (:class:`alcl.config.ModelConfig`), for
    inputs of ``layout``: what every strategy builds its encoders from."""
    return build_backbone(
        model.backbone,
        model.widths,
        layers_per_block=model.layers_per_block,
        dropout=model.dropout,
        layout=layout,
        options=model.chosen_backbone_options,
    )
