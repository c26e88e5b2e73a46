"""The evaluation protocol of DESIGN §2, applied to one strategy on one stream.

After each training experience i the strategy is evaluated on

- every test set j as released (columns F_j): row i of the accuracy matrix R;
- every test set j with the columns visible now (F_i): row i of the
  current-feature matrix C;
- the same two views of the validation sets, for model selection;
- for a network with exits (AL), every exit on the test sets seen so far, with the
  columns of now: the :class:`~alcl.evaluation.exits.ExitAccuracy` metric, read during
  the current-feature pass.

With ``answer: best_valid`` (AL), the exit that answers the newest feature set is chosen on
the validation sets seen so far, with the columns of now, right after training and before
any evaluation (:mod:`alcl.answer_exits`); the table is recorded after every experience.
So it is with ``head: lda``, whose table sends each row to the deepest exit that has seen
every class (:mod:`alcl.class_heads`).

After the last experience, a network with exits is also measured (FLOPs per exit,
parameters per block, latency; :mod:`alcl.compute`) and its adaptive-inference
threshold is calibrated on the validation sets and measured on the test sets,
both with every column visible (:mod:`alcl.calibration`).

A strategy that trains once (Joint) trains on all samples with all columns
and is evaluated once: one row, and no forgetting or BWT.

Everything measured so far is a :class:`Progress`. After each experience it
is handed to ``on_checkpoint`` (the runner saves it with the strategy's state),
and a run resumed from it skips the finished experiences and goes on.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from alcl.answer_exits import choose_answer_exit
from alcl.calibration import AdaptiveConfig, adaptive_report
from alcl.early_exits import EarlyExits
from alcl.evaluation import metrics
from alcl.evaluation.accuracy import ExperienceAccuracy, evaluate
from alcl.evaluation.cost import compute_report
from alcl.evaluation.exits import ExitAccuracy
from alcl.evaluation.memory import stored_samples
from alcl.evaluation.record import ALRecord, RunRecord
from alcl.feature_set_thresholds import feature_set_report
from alcl.state.checkpoint import weights_fingerprint

DEFAULT_ADAPTIVE = AdaptiveConfig()


def _seen_mean(row: list[float], i: int) -> float:
    return float(np.mean(row[: i + 1]))


def _current_view(stream, split: str, now: int) -> tuple[np.ndarray, np.ndarray]:
    """Every sample of ``split`` released up to ``now``, with the columns visible at ``now``."""
    parts = [stream.arrays(split, j, upto=now) for j in range(now + 1)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _released_view(stream, split: str, now: int) -> tuple[np.ndarray, np.ndarray]:
    """Every sample of ``split`` released up to ``now``, each with the columns of its release."""
    parts = [stream.arrays(split, j, upto=j) for j in range(now + 1)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _al_cost_and_exits(net: EarlyExits, stream, device, settings: AdaptiveConfig) -> dict:
    """Compute accounting and the calibrated adaptive-inference curves after the last experience."""
    last = stream.n_experiences - 1
    valid, test = (
        tuple(torch.as_tensor(a, device=device) for a in _current_view(stream, split, last))
        for split in ("valid", "test")
    )
    report = {
        "compute": compute_report(
            net, test[0], settings.latency_batch_size, settings.latency_repeats
        ),
        "adaptive": adaptive_report(net, valid, test, settings),
    }
    if settings.per_feature_set:  # after the one threshold: each set's rows as released
        valid, test = (
            tuple(torch.as_tensor(a, device=device) for a in _released_view(stream, split, last))
            for split in ("valid", "test")
        )
        report["adaptive"]["by_feature_set"] = feature_set_report(net, valid, test, settings)
    return report


@dataclass
class Progress:
    """The rows measured after each finished experience (plain lists, for checkpoints)."""

    R: list[list[float]] = field(default_factory=list)  # test, as released
    C: list[list[float]] = field(default_factory=list)  # test, current features
    RV: list[list[float]] = field(default_factory=list)  # validation, as released
    CV: list[list[float]] = field(default_factory=list)  # validation, current features
    seconds: list[float] = field(default_factory=list)  # training wall clock per experience
    exits: list[list[float]] = field(default_factory=list)  # AL: accuracy of every exit
    answers: list[list[int]] = field(default_factory=list)  # AL, best_valid or lda: the table

    @property
    def done(self) -> int:
        """How many training experiences are finished."""
        return len(self.R)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Progress:
        return cls(**{key: list(data[key]) for key in data})


def train_views(stream, trains_once: bool) -> list:
    """The experiences a strategy trains on, in order: the stream's, or one view of everything."""
    last = stream.n_experiences - 1
    return [stream.view("train", upto=last)] if trains_once else list(stream.train_stream)


def run_protocol(
    strategy,
    stream,
    accuracy: ExperienceAccuracy,
    trains_once: bool = False,
    on_experience: Callable[[int], None] | None = None,
    adaptive: AdaptiveConfig | None = DEFAULT_ADAPTIVE,
    progress: Progress | None = None,
    on_checkpoint: Callable[[Progress], None] | None = None,
    exits: ExitAccuracy | None = None,
) -> RunRecord:
    """Train ``strategy`` through ``stream`` and return its measurements as a :class:`RunRecord`
    (the runner adds who ran on what).

    ``accuracy`` must be one of the strategy's plugins, and so must ``exits`` (the per-exit
    accuracy metric), when given. ``on_experience`` is
    called after each experience (for progress display). ``adaptive`` says
    how to calibrate and time an AL network's exits (None skips it).
    ``progress`` resumes a run whose strategy has been restored to the end of
    its ``progress.done`` finished experiences; ``on_checkpoint`` receives the
    progress after every experience, once its evaluations are done.
    """
    T = stream.n_experiences
    last = T - 1
    progress = Progress() if progress is None else progress
    R, C, RV, CV, seconds, exit_rows = (
        progress.R,
        progress.C,
        progress.RV,
        progress.CV,
        progress.seconds,
        progress.exits,
    )
    for i, experience in enumerate(train_views(stream, trains_once)):
        if i < progress.done:  # finished before the run was resumed
            if on_experience is not None:
                on_experience(i)
            continue
        now = last if trains_once else i
        start = time.perf_counter()
        strategy.train(experience, eval_streams=[])
        seconds.append(time.perf_counter() - start)
        if getattr(strategy, "answer", "deepest") == "best_valid":  # before any evaluation
            x, y = (torch.as_tensor(a, device=strategy.device)
                    for a in _current_view(stream, "valid", now))  # fmt: skip
            progress.answers.append(choose_answer_exit(strategy.model, x, y))
        elif getattr(strategy, "head", "codes") == "lda":  # the exits that cover every class
            progress.answers.append(strategy.model.answer_exits())
        R.append(evaluate(strategy, stream.test_stream, accuracy))
        C.append(evaluate(strategy, stream.view("test", upto=now), accuracy))
        exit_row = None if exits is None else exits.result(upto=now)  # during that pass
        if exit_row is not None:
            exit_rows.append(exit_row)
        RV.append(evaluate(strategy, stream.valid_stream, accuracy))
        CV.append(evaluate(strategy, stream.view("valid", upto=now), accuracy))
        if on_checkpoint is not None:
            on_checkpoint(progress)
        if on_experience is not None:
            on_experience(i)

    if trains_once:
        curves = {key: [math.nan] for key in metrics.CURVES}
        curves["avg_accuracy"] = [float(np.mean(R[0]))]
        curves["current_accuracy"] = [float(np.mean(C[0]))]
        curves |= {f"current_{key}": [math.nan] for key in metrics.FORGETTING}
        valid = {
            "valid_avg_accuracy": float(np.mean(RV[0])),
            "valid_current_accuracy": float(np.mean(CV[0])),
        }
    else:
        curves = metrics.curves(R)
        curves["current_accuracy"] = [_seen_mean(C[i], i) for i in range(T)]
        # Forgetting that can fail: AL's as-released forgetting is zero by construction (each
        # old row exits at its frozen block); on the current-feature matrix it is measured.
        current = metrics.curves(C)
        curves |= {f"current_{key}": current[key] for key in metrics.FORGETTING}
        valid = {
            "valid_avg_accuracy": metrics.average_accuracy(RV, last),
            "valid_current_accuracy": _seen_mean(CV[last], last),
        }
    final = {key: values[-1] for key, values in curves.items()} | valid
    record = RunRecord(
        trains_once=trains_once,
        accuracy_matrix=R,
        current_matrix=C,
        valid_accuracy_matrix=RV,
        valid_current_matrix=CV,
        curves=curves,
        final=final,
        train_seconds=seconds,
        n_parameters=int(
            getattr(strategy.model, "n_parameters", None)  # a model that counts its own
            or sum(p.numel() for p in strategy.model.parameters())
        ),
        model_fingerprint=weights_fingerprint(strategy.model),
        stored_samples=stored_samples(
            strategy, sum(len(e.dataset) for e in stream.train_stream), trains_once
        ),
    )
    if exit_rows:  # a network with exits
        net = strategy.model
        record.al = ALRecord(
            answer_exits=progress.answers or None,
            exit_accuracy=exit_rows,
            block_widths=[block.width for block in net.blocks],
            block_columns=[int(block.columns.numel()) for block in net.blocks],
        )
        if adaptive is not None:
            report = _al_cost_and_exits(net, stream, strategy.device, adaptive)
            record.al.compute, record.al.adaptive = report["compute"], report["adaptive"]
    return record
