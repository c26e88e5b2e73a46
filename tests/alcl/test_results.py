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


def test_metrics_files_without_a_schema_version_read_and_newer_ones_are_refused(tmp_path):
    import json

    import pytest

    from alcl.evaluation.record import SCHEMA_VERSION, RunRecord

    old = {  # a metrics file as alcl wrote it before the record had a schema_version
        "strategy": "naive", "kind": "naive", "seed": 0, "order": 1, "params": {"absent": ""},
        "absent": "zero", "task_oracle": False,
        "stream": {"dataset": "digits", "kind": "feature_incremental", "n_experiences": 1,
                   "group_sizes": [64], "group_names": [["a"]], "n_classes": 10,
                   "fingerprint": "f", "task_labels": None},
        "trains_once": False, "accuracy_matrix": [[0.5]], "current_matrix": [[0.5]],
        "valid_accuracy_matrix": [[0.5]], "valid_current_matrix": [[0.5]],
        "curves": {"avg_accuracy": [0.5]}, "final": {"avg_accuracy": 0.5},
        "train_seconds": [1.0], "n_parameters": 3, "model_fingerprint": "m",
    }  # fmt: skip
    record = RunRecord.from_dict(old)
    assert record.stream.n_classes == 10 and record.al is None
    newer = {
        **old,
        "stream": {**old["stream"], "test_sizes": None, "class_names": None},
    }  # keys added since
    newer["stored_samples"] = None
    assert record.to_dict() == {**newer, "schema_version": SCHEMA_VERSION}  # same order
    assert list(record.to_dict())[:8] == list(old)[:8]
    results.write_json(tmp_path / "m.json", record.to_dict())
    assert RunRecord.from_dict(json.loads((tmp_path / "m.json").read_text())) == record
    with pytest.raises(ValueError, match="schema_version 99"):
        RunRecord.from_dict({**old, "schema_version": 99})
