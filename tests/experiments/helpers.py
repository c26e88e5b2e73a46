"""Helpers for comparing runs: results without their wall-clock timings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WALL_CLOCK = ("seconds", "latency", "throughput", "speedup")
"""Keys holding wall-clock measurements, which differ from run to run by nature."""


def without_timings(record: Any) -> Any:
    """``record`` (a run record, or plain data) without any key that holds a wall-clock
    measurement."""
    if hasattr(record, "to_dict"):
        record = record.to_dict()
    if isinstance(record, dict):
        return {
            k: without_timings(v)
            for k, v in record.items()
            if not any(word in k for word in WALL_CLOCK)
        }
    if isinstance(record, list):
        return [without_timings(v) for v in record]
    return record


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
