"""Results folders under bad input: corrupt metrics files, strategy settings out of range, a
failed start, an extended experiment, typos. Each gets one line and loses nothing."""

from __future__ import annotations

import json

import pytest
import yaml

from alcl.results.files import METRICS_DIR, ResultsError, load_runs, read_run
from experiments.cli import main
from experiments.config import ConfigError, config_from_dict
from tests.experiments.helpers import without_timings

BASE = {
    "name": "folders",
    "seeds": [0],
    "device": "cpu",
    "threads": 1,
    "stream": {"dataset": "wine", "n_experiences": 2},
    "model": {"widths": [8, 8], "label_dim": 4},
    "training": {"epochs": 1},
    "adaptive": {"latency_repeats": 0},
    "strategies": ["al", "naive"],
}


def _run(tmp_path, config, capsys=None, name="c.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return main(["run", str(path), "--out", str(tmp_path / "out"), "--no-progress"])


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in (folder / METRICS_DIR).glob("*.json")}


@pytest.mark.parametrize("content", [b"", b'{"strategy": "naive", "se', b"\xff\xfe{}", b"[1, 2]"])
def test_a_corrupt_metrics_file_is_named_and_its_run_redone(tmp_path, capsys, content):
    assert _run(tmp_path, BASE) == 0
    folder = tmp_path / "out"
    bad = folder / METRICS_DIR / "naive__seed0.json"
    good = bad.read_bytes()
    bad.write_bytes(content)
    with pytest.raises(ResultsError, match=r"metrics file .*naive__seed0\.json is (empty|not)"):
        read_run(bad)
    assert main(["plot", str(folder)]) == 2  # one line naming the file, not a traceback
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "naive__seed0.json" in err and "alcl run" in err
    assert _run(tmp_path, BASE) == 0  # the run is redone, the others kept
    out = capsys.readouterr().out
    assert "naive__seed0.json" in out and "redoing that run" in out
    redone = without_timings(json.loads(bad.read_bytes()))
    assert redone == without_timings(json.loads(good))  # the same run, done again
    assert (folder / METRICS_DIR / "naive__seed0.json.corrupt").read_bytes() == content
    assert {r.strategy for r in load_runs(folder)} == {"al", "naive"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "replay", "mem_size": -5}, r"strategies\[0\]\.mem_size must be >= 1, got -5\."),
        (
            {"name": "al", "blocks_per_experience": 0},
            r"strategies\[0\]\.blocks_per_experience must be >= 1, got 0\.",
        ),
        ({"name": "lwf", "temperature": 0.0}, r"strategies\[0\]\.temperature must be > 0\.0"),
        (
            {"name": "online-ewc", "decay_factor": 1.5},
            r"decay_factor must be >= 0\.0 and <= 1\.0, got 1\.5",
        ),
        ({"name": "agem", "sample_size": 0}, r"strategies\[0\]\.sample_size must be >= 1"),
    ],
)
def test_strategy_settings_out_of_range_fail_when_the_config_is_loaded(entry, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"strategies": [entry]})


def test_a_folder_with_no_finished_run_takes_a_corrected_config(tmp_path):
    folder = tmp_path / "out"
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "checkpoints" / "naive__seed0.pt").write_bytes(b"from the failed start")
    (folder / "config.yaml").write_text(yaml.safe_dump({**BASE, "training": {"epochs": 3}}))
    (folder / "logs").mkdir()
    assert _run(tmp_path, BASE) == 0
    assert {r.strategy for r in load_runs(folder)} == {"al", "naive"}
    assert (
        config_from_dict(yaml.safe_load((folder / "config.yaml").read_text())).training.epochs == 1
    )


def test_a_finished_folder_is_extended_with_a_seed_and_a_strategy(tmp_path, capsys):
    assert _run(tmp_path, BASE) == 0
    folder = tmp_path / "out"
    before = _snapshot(folder)
    stamps = {p.name: p.stat().st_mtime_ns for p in (folder / METRICS_DIR).glob("*.json")}
    extended = {**BASE, "seeds": [0, 1], "strategies": ["al", "naive", "ewc"]}
    assert _run(tmp_path, extended) == 0
    after = _snapshot(folder)
    assert set(after) == {f"{k}__seed{s}.json" for k in ("al", "naive", "ewc") for s in (0, 1)}
    for name, content in before.items():  # the old runs: untouched, byte for byte
        assert after[name] == content
        assert (folder / METRICS_DIR / name).stat().st_mtime_ns == stamps[name]
    summary = (folder / "summary.csv").read_text()
    assert summary.count("\n") == 1 + 6


def test_an_incomparable_change_is_refused_naming_each_key(tmp_path, capsys):
    assert _run(tmp_path, BASE) == 0
    folder = tmp_path / "out"
    before = _snapshot(folder)
    changed = {
        **BASE,
        "training": {"epochs": 2},
        "strategies": ["al", {"name": "naive", "absent": "zero"}],
    }
    assert _run(tmp_path, changed) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "training.epochs: 1 -> 2" in err
    assert "strategies[naive].absent: 'zero+mask' -> 'zero'" in err
    assert _snapshot(folder) == before
    assert (
        config_from_dict(yaml.safe_load((folder / "config.yaml").read_text())).training.epochs == 1
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"trainig": {"epochs": 1}}, r"unknown key config\.trainig; allowed keys are \[.*'training'.*\]\. Did you mean 'training'\?"),
        ({"training": {"epoch": 1}}, r"unknown key training\.epoch; .*Did you mean 'epochs'\?"),
        ({"strategies": [{"name": "ewc", "ewc_lamda": 1.0}]}, r"Did you mean 'ewc_lambda'\?"),
    ],
)  # fmt: skip
def test_every_unknown_key_lists_its_level_and_the_nearest_key(config, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(config)


@pytest.mark.parametrize("where", ["parent-is-file", "proc", "is-file"])
def test_an_output_folder_that_cannot_be_written_fails_with_one_line(tmp_path, capsys, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    out = {
        "parent-is-file": blocker / "out",
        "proc": "/proc/alcl-cannot-be-here",
        "is-file": blocker,
    }[where]
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(BASE))
    assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(out) in err and "pass another --out" in err
    assert blocker.read_text() == "a file"
