"""alcl: continual learning with Associated Learning (AL).

The method, one idea per module:

- :mod:`alcl.block`        the AL block (f, b, g, h) and its local losses
- :mod:`alcl.network`      the growing stack of blocks (``ALNetwork``), its exits (``EarlyExits``)
  and routing
- :mod:`alcl.growth`       the growth rule: freeze, then append feature-augmented blocks
- :mod:`alcl.inference`    shortcut, full-path and adaptive inference
- :mod:`alcl.confidence`   the confidence an exit has in its answer
- :mod:`alcl.calibration`  the adaptive threshold, chosen on validation (``adaptive`` section)
- :mod:`alcl.compute`      FLOPs per exit, parameters per block, wall-clock timing
- :mod:`alcl.strategy`     ``ALStrategy``, the Avalanche strategy (registers ``al``)
- :mod:`alcl.fusion`       how a block's encoder reads newly released columns
- :mod:`alcl.backbones`    MLP, CNN, VGG, ResNet, LSTM, Transformer, bag-of-embeddings encoders
  (self-registering)
- :mod:`alcl.config`       the ``model`` and ``training`` config sections
- :mod:`alcl.registry`     strategies by name, registered where they are defined

The machinery, in subpackages:

- :mod:`alcl.training`     the lean loop, tensor batches, the optimizer factory
- :mod:`alcl.evaluation`   the protocol, accuracy per experience and per exit, metrics,
  the cost report, stored samples, the typed run record
- :mod:`alcl.state`        checkpoints, strategy and plugin state
- :mod:`alcl.results`      the results folder, tables with CIs and paired tests, the suite
  scoreboard, figures drawn from files, per-run logs
- :mod:`alcl.baselines`    what AL is compared with (Avalanche's strategies, PNN) and the
  references that isolate what it does (bp-grow, bp-exits, bp-matched, snapshot-route,
  bag-of-embeddings)

Importing ``alcl`` loads nothing heavy; the names below load their module on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "ALNetwork": "alcl.network",
    "ALBlock": "alcl.block",
    "GrowthRule": "alcl.growth",
    "ALStrategy": "alcl.strategy",
    "ModelConfig": "alcl.config",
    "TrainingConfig": "alcl.config",
    "AdaptiveConfig": "alcl.calibration",
    "calibrate": "alcl.calibration",
    "threshold_curve": "alcl.calibration",
    "choose_threshold": "alcl.calibration",
    "shortcut": "alcl.inference",
    "full_path": "alcl.inference",
    "adaptive": "alcl.inference",
    "all_exits": "alcl.inference",
    "ExitAccuracy": "alcl.evaluation.exits",
    "ExperienceAccuracy": "alcl.evaluation.accuracy",
    "Problem": "alcl.registry",
    "build_strategy": "alcl.registry",
    "strategies": "alcl.registry",
    "backbone_for": "alcl.backbones",
    "build_backbone": "alcl.backbones",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'alcl' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
