"""Results files are written atomically and read back as written."""

from __future__ import annotations

import json
import math

import pytest

from alcl.results import files as results


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "summary.csv"
    results.atomic_write_text(path, "old\n")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(results.os, "replace", broken_replace)
    with pytest.raises(OSError):
        results.atomic_write_text(path, "new\n")
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["summary.csv"]


def test_json_has_no_nan(tmp_path):
    path = results.write_json(tmp_path / "m.json", {"a": math.nan, "b": [1.0, math.inf]})
    assert json.loads(path.read_text()) == {"a": None, "b": [1.0, None]}
