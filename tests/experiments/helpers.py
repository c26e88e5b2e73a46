"""Helpers for comparing runs: results without their wall-clock timings
(:func:`experiments.benchmarks.common.without_timings`)."""

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
