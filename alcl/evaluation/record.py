"""The run record: everything one (strategy, seed) run measures, as one typed object.

The protocol (:mod:`alcl.evaluation.protocol`) fills the measurements, the runner adds who ran
on what (:class:`StreamInfo`), :mod:`alcl.results.files` writes it as
``metrics/<strategy>__seed<k>.json`` and reads it back, and the tables, figures, sweeps and
benchmarks read it through this type. On disk it is the plain JSON of :meth:`RunRecord.to_dict`
(keys in field order, NaN as null), with a ``schema_version``; files written before the version
existed (no ``schema_version``) hold the same keys and read as version 1.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 1

Matrix = list[list[float]]


@dataclass
class StreamInfo:
    """The stream a run met: its schedule, and the fingerprint of its samples."""

    dataset: str
    kind: str
    n_experiences: int
    group_sizes: list[int]
    group_names: list[list[str]]
    n_classes: int
    fingerprint: str
    task_labels: str | None = None  # "oracle: experience index" when the oracle was given
    test_sizes: list[int] | None = None  # samples per experience's test set (None: not recorded)
    class_names: list[str] | None = None  # the label of class index i (None: not recorded)


@dataclass
class ALRecord:
    """What only a network with exits reports: accuracy of every exit after every experience,
    its blocks, and (after the last experience) its cost and calibrated adaptive inference."""

    exit_accuracy: Matrix
    block_widths: list[int]
    block_columns: list[int]
    compute: dict[str, Any] | None = None  # alcl.evaluation.cost.compute_report
    adaptive: dict[str, Any] | None = None  # alcl.calibration.adaptive_report
    answer_exits: list[list[int]] | None = None  # per experience: exit answering each depth

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


@dataclass
class RunRecord:
    """One run. Matrices are ``[after training experience i][test set j]``: R (test, as
    released), C (test, current features) and their validation twins; ``curves`` holds every
    metric of :data:`alcl.evaluation.metrics.CURVES` after every experience (plus
    ``current_accuracy``), ``final`` their last values and the validation averages."""

    trains_once: bool
    accuracy_matrix: Matrix
    current_matrix: Matrix
    valid_accuracy_matrix: Matrix
    valid_current_matrix: Matrix
    curves: dict[str, list[float]]
    final: dict[str, float]
    train_seconds: list[float]
    n_parameters: int
    model_fingerprint: str
    stored_samples: int | None = None  # past training samples held at the end (None: not recorded)
    al: ALRecord | None = None
    strategy: str = ""  # the config's label (or name) of the strategy
    kind: str = ""  # the registered strategy name
    seed: int = 0
    order: int = 0  # the strategy's position in the config
    params: dict[str, Any] = field(default_factory=dict)  # every hyper-parameter's value
    absent: str = ""  # how it saw absent columns ("routed" for growing stacks)
    task_oracle: bool = False
    stream: StreamInfo | None = None
    schema_version: int = SCHEMA_VERSION

    _IDENTITY = ("strategy", "kind", "seed", "order", "params", "absent", "task_oracle", "stream")

    def to_dict(self) -> dict[str, Any]:
        """Plain data in the file's key order: who ran on what, then the measurements."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out = {key: data.pop(key) for key in self._IDENTITY}
        out["stream"] = None if self.stream is None else dataclasses.asdict(self.stream)
        out |= data
        out["al"] = None if self.al is None else self.al.to_dict()
        return {k: v for k, v in out.items() if not (k == "al" and v is None)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunRecord:
        """Read a metrics file's mapping (any schema version so far)."""
        data = dict(data)
        version = data.pop("schema_version", 1)
        if version > SCHEMA_VERSION:
            raise ValueError(
                f"this metrics file has schema_version {version}; this alcl reads up to "
                f"{SCHEMA_VERSION}. Upgrade alcl to read it."
            )
        if data.get("stream") is not None:
            data["stream"] = StreamInfo(**data["stream"])
        if data.get("al") is not None:
            data["al"] = ALRecord(**data["al"])
        return cls(**data, schema_version=SCHEMA_VERSION)

    @property
    def n_experiences(self) -> int:
        return self.stream.n_experiences if self.stream is not None else len(self.accuracy_matrix)
