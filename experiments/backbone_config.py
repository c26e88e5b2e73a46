"""Checks of the backbone keys of the ``model`` section (``model.backbone``,
``model.backbone_options``) against the stream and the strategies.

Importing this module stays light: the backbone table (:mod:`alcl.backbones.spec`)
imports no torch. What depends on the loaded data (the stream's layout) is
checked again when the backbone is built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alcl.backbones import BACKBONES, check_absent, make_options
from streams import DATASETS


def check_backbone(
    model: Any, stream: Any, strategies: list[Any], need: Callable[[bool, str], None]
) -> None:
    """``need(ok, message)`` for the backbone, its options, its inputs and the absent modes."""
    name = model.backbone
    need(name in BACKBONES, f"model.backbone must be one of {list(BACKBONES)}, got {name!r}.")
    for key, options in model.backbone_options.items():
        need(
            key in BACKBONES,
            f"model.backbone_options has options for unknown backbone {key!r}; "
            f"its keys are backbone names: {list(BACKBONES)}.",
        )
        need(
            isinstance(options, dict),
            f"model.backbone_options.{key} must be a mapping of option names to values.",
        )
        try:
            make_options(key, options, model.widths if key == name else ())
        except ValueError as err:
            need(False, f"model.backbone_options.{key}: {err}")
    if name not in model.backbone_options:
        try:
            make_options(name, {}, model.widths)
        except ValueError as err:
            need(False, f"model.backbone {name!r}: {err}")
    check_reads(name, stream, need, "model.backbone")
    for i, entry in enumerate(strategies):
        spec = entry.entry
        if spec.backbone:
            check_reads(spec.backbone, stream, need, f"strategies[{i}] ({entry.name}) builds on")
        if entry.name == "pnn":
            need(name == "mlp", f"strategies[{i}]: pnn is built on MLP columns; use backbone mlp.")
        if spec.fixed_width:
            mode = spec.absent_mode(entry.params, model.absent)
            try:
                check_absent(spec.backbone or name, mode)
            except ValueError as err:
                where = f"strategies[{i}].absent" if entry.params.get("absent") else "model.absent"
                need(False, f"{where}: {err}")


def check_reads(name: str, stream: Any, need: Callable[[bool, str], None], where: str) -> None:
    """``need`` that the stream gives backbone ``name`` what it reads (images, token ids)."""
    reads = BACKBONES[name].reads
    if reads == "images":
        need(
            stream.dataset in DATASETS["image"],
            f"{where} {name!r}, which reads images; stream.dataset {stream.dataset!r} is not an "
            f"image dataset ({list(DATASETS['image'])}). Use backbone mlp for tables.",
        )
    elif reads == "tokens":
        need(
            stream.dataset in DATASETS["text"] and stream.encoding == "tokens",
            f"{where} {name!r}, which reads token ids: it needs a text dataset "
            f"({list(DATASETS['text'])}) with stream.encoding: tokens, got dataset "
            f"{stream.dataset!r} with encoding {stream.encoding!r}.",
        )
