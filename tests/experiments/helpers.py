"""Helpers for comparing runs: results without their wall-clock timings
(:func:`experiments.benchmarks.common.without_timings`), and a run stopped after a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from experiments.benchmarks.common import without_timings


def metrics_of(folder: Path) -> dict[str, Any]:
    """Every metrics file of a results folder, by file name, without timings."""
    return {
        p.name: without_timings(json.loads(p.read_text()))
        for p in sorted((Path(folder) / "metrics").glob("*.json"))
    }


class CodeRunningPickle:
    """Unpickling this runs ``touch marker`` through os.system: a crafted, unsafe checkpoint."""

    def __init__(self, marker: str | Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


class _Stop(Exception):
    """Stands for the process being killed right after a checkpoint was written."""


def run_until_checkpoint(cfg, index, stream, checkpoint: Path, monkeypatch, done: int) -> None:
    """Run strategy ``index`` of ``cfg`` (seed 0, CPU) with ``checkpoint`` and stop it right
    after the checkpoint of experience ``done`` is written, as a kill would."""
    import pytest

    from experiments.checkpoints import RunCheckpoint
    from experiments.runner import run_one

    save = RunCheckpoint.save

    def save_then_stop(self, strategy, progress):
        save(self, strategy, progress)
        if progress.done == done:
            raise _Stop

    monkeypatch.setattr(RunCheckpoint, "save", save_then_stop)
    with pytest.raises(_Stop):
        run_one(cfg, index, 0, stream, "cpu", checkpoint=checkpoint)
    monkeypatch.setattr(RunCheckpoint, "save", save)


def resumed_run(cfg, index, stream, directory: Path, monkeypatch, done: int):
    """Strategy ``index`` of ``cfg`` (seed 0, CPU) stopped right after its checkpoint of
    experience ``done`` and resumed with fresh objects: the resumed run's record."""
    from experiments.runner import run_one

    checkpoint = Path(directory) / "run.pt"
    run_until_checkpoint(cfg, index, stream, checkpoint, monkeypatch, done=done)
    return run_one(cfg, index, 0, stream, "cpu", checkpoint=checkpoint)
