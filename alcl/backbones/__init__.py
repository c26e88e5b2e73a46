"""Backbones supply the encoder f of each AL block; the block itself is always :mod:`alcl.block`."""

from alcl.backbones.mlp import MLPBackbone, MLPEncoder

__all__ = ["MLPBackbone", "MLPEncoder"]
