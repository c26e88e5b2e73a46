"""`alcl suite`: a tiny two-stream suite runs, resumes, skips what is optional and missing, and its
scoreboard's numbers equal scipy's on the same per-seed values."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import yaml
from scipy import stats as scipy_stats

from alcl.results.files import load_runs
from experiments.cli import main
from experiments.config import ConfigError
from experiments.suite import load_suite

TINY = {
    "name": "tiny",
    "seeds": [0, 1, 2],
    "device": "cpu",
    "threads": 1,
    "model": {"widths": [16, 16, 16], "label_dim": 8},
    "training": {"epochs": 3, "batch_size": 32, "lr": 0.01},
    "adaptive": {"latency_repeats": 0, "thresholds": [0.5, 0.9]},
    "strategies": ["al", "naive"],
    "streams": [
        {"name": "wine-3", "dataset": "wine", "n_experiences": 3},
        {"name": "cancer-2", "dataset": "breast_cancer", "n_experiences": 2, "grouping": "random"},
        {"name": "missing", "dataset": "csv", "path": "/nonexistent/x.csv", "optional": True},
    ],
}


@pytest.fixture(scope="module")
def suite_root(tmp_path_factory):
    folder = tmp_path_factory.mktemp("suite")
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(TINY))
    assert main(["suite", str(path), "--out", str(folder / "out"), "--no-progress"]) == 0
    return folder / "out", path


def test_every_stream_has_its_results_folder_and_the_missing_one_is_skipped(suite_root):
    root, _ = suite_root
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == ["cancer-2", "figures", "wine-3"]
    board = json.loads((root / "scoreboard.json").read_text())
    assert "missing" in board["skipped"] and "does not exist" in board["skipped"]["missing"]
    assert "skipped" in (root / "scoreboard.md").read_text()


def test_the_scoreboard_ci_and_p_value_equal_scipy_on_the_same_numbers(suite_root):
    root, _ = suite_root
    board = json.loads((root / "scoreboard.json").read_text())["avg_accuracy"]
    runs = load_runs(root / "wine-3")
    value = {(r.strategy, r.seed): r.final["avg_accuracy"] for r in runs}
    al = np.array([value["al", s] for s in TINY["seeds"]])
    naive = np.array([value["naive", s] for s in TINY["seeds"]])
    stream = next(s for s in board["streams"] if s["name"] == "wine-3")
    rows = {r["strategy"]: r for r in stream["rows"]}
    low, high = scipy_stats.t.interval(0.95, len(al) - 1, loc=al.mean(), scale=scipy_stats.sem(al))
    assert rows["al"]["ci"]["mean"] == pytest.approx(al.mean())
    assert rows["al"]["ci"]["half_width"] == pytest.approx((high - low) / 2)
    diff = al - naive
    if np.any(diff != 0):
        expected = scipy_stats.wilcoxon(al, naive).pvalue
    else:
        expected = 1.0
    assert rows["naive"]["paired"]["p_value"] == pytest.approx(expected)
    assert rows["naive"]["paired"]["wins"] == int((diff > 0).sum())
    across = board["across"]
    assert across["streams"] == ["wine-3", "cancer-2"] and len(across["mean_ranks"]) == 2
    assert set(across["record"]["naive"]) == {"wins", "ties", "losses"}
    assert sum(across["record"]["naive"].values()) == 2


def test_the_critical_difference_figure_is_written(suite_root):
    root, _ = suite_root
    for ext in ("png", "pdf"):
        path = root / "figures" / f"critical_difference_avg_accuracy.{ext}"
        assert path.is_file() and path.stat().st_size > 1000


def test_a_finished_suite_resumes_without_rerunning(suite_root, capsys):
    root, path = suite_root
    before = {p: p.stat().st_mtime_ns for p in root.glob("*/metrics/*.json")}
    assert main(["suite", str(path), "--out", str(root), "--no-progress"]) == 0
    assert {p: p.stat().st_mtime_ns for p in root.glob("*/metrics/*.json")} == before


def test_bad_suites_fail_with_one_line(tmp_path):
    path = tmp_path / "s.yaml"
    for streams, message in (
        (None, "non-empty `streams:` list"),
        ([{"dataset": "wine"}], "'name'"),
        ([{"name": "a", "dataset": "wine"}, {"name": "a", "dataset": "digits"}], "twice"),
        ([{"name": "a", "dataset": "wine", "n_experiences": 0}], "suite stream a"),
    ):
        path.write_text(yaml.safe_dump({**TINY, "streams": streams}))
        with pytest.raises(ConfigError, match=message):
            load_suite(path)
    required = [{"name": "gone", "dataset": "csv", "path": str(tmp_path / "none.csv")}]
    path.write_text(yaml.safe_dump({**TINY, "streams": required}))
    assert main(["suite", str(path), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    assert not (tmp_path / "out").exists()  # failed before writing anything


def test_a_finished_suite_extends_with_a_seed_and_refuses_a_changed_setting(
    suite_root, tmp_path, capsys
):
    root = tmp_path / "out"
    shutil.copytree(suite_root[0], root)
    old = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in root.glob("*/metrics/*.json")}
    path = tmp_path / "more.yaml"
    path.write_text(yaml.safe_dump({**TINY, "seeds": [0, 1, 2, 3]}))
    assert main(["suite", str(path), "--out", str(root), "--no-progress"]) == 0
    added = {str(p.relative_to(root)) for p in root.glob("*/metrics/*.json") if p not in old}
    assert added == {
        f"{s}/metrics/{k}__seed3.json" for s in ("wine-3", "cancer-2") for k in ("al", "naive")
    }
    for p, (data, stamp) in old.items():  # the finished runs were not run again
        assert p.read_bytes() == data and p.stat().st_mtime_ns == stamp
    board = json.loads((root / "scoreboard.json").read_text())["avg_accuracy"]
    assert {r["ci"]["n"] for s in board["streams"] for r in s["rows"]} == {4}

    configs = {p: p.read_text() for p in root.rglob("*.yaml")}
    capsys.readouterr()
    changed = {**TINY, "training": {**TINY["training"], "lr": 0.1}}
    path.write_text(yaml.safe_dump(changed))
    assert main(["suite", str(path), "--out", str(root), "--no-progress"]) == 2
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1 and "training.lr: 0.01 -> 0.1" in message
    assert "1 more folder(s)" in message
    assert {p: p.read_text() for p in root.rglob("*.yaml")} == configs  # nothing rewritten
