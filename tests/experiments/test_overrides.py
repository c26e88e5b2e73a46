"""`--set key=value` overrides, `alcl config`, and the new config keys."""

from __future__ import annotations

import pytest
import yaml

from experiments.cli import main
from experiments.config import ConfigError, config_from_dict, load_config
from experiments.overrides import apply_overrides, parse_assignment


def test_values_are_read_as_yaml():
    assert parse_assignment("training.epochs=5") == ("training.epochs", 5)
    assert parse_assignment("seeds=[0, 1]") == ("seeds", [0, 1])
    assert parse_assignment("stream.path=null") == ("stream.path", None)
    assert parse_assignment("training.loop=fast") == ("training.loop", "fast")
    assert parse_assignment("model.widths=[64,64]") == ("model.widths", [64, 64])


def test_overrides_reach_sections_strategies_and_the_sweep():
    cfg = load_config(
        None,
        [
            "training.epochs=5",
            "seeds=[0,1]",
            "training.lr=1e-3",  # YAML 1.1 reads 1e-3 as a string; floats accept it
            "strategies.replay.mem_size=100",
            "strategies.0.cache_mb=0",
            "logging.tensorboard=true",
        ],
    )
    assert cfg.training.epochs == 5 and cfg.seeds == [0, 1] and cfg.training.lr == 0.001
    assert cfg.strategies[2].params == {"mem_size": 100}
    assert cfg.strategies[0].params == {"cache_mb": 0.0}
    assert cfg.logging.tensorboard is True
    data = apply_overrides({}, ["sweep.training.lr=[0.1, 0.2]"])
    assert data == {"sweep": {"training.lr": [0.1, 0.2]}}


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("training.epoch=5", r"unknown key training\.epoch; allowed keys are \['epochs'"),
        ("training.epochs=five", r"training\.epochs must be int, got 'five'"),
        ("trainig.epochs=5", r"unknown key config\.trainig"),
        ("strategies.ewc.ewc_lambda=2", r"no strategy labelled or named 'ewc'; entries are"),
        ("strategies.9.mem_size=2", r"strategies has 5 entries, no index 9"),
        ("strategies=[al, ewc2]", r"unknown strategy 'ewc2'; choose one of \['agem'"),
        ("stream.dataset=mnist3", r"stream\.dataset must be one of \['digits'"),
        ("seeds.first=1", r"seeds is a list"),
        ("training", r"--set expects key=value"),
        ("training.epochs=[1", r"not valid YAML"),
        ("logging.tensorboard=maybe", r"logging\.tensorboard must be bool"),
    ],
)
def test_bad_overrides_name_the_key_and_what_is_allowed(assignment, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, [assignment])


def test_alcl_config_prints_every_key_resolved(capsys):
    assert main(["config", "--set", "training.epochs=7"]) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed["training"]["epochs"] == 7
    assert printed["logging"] == {"tensorboard": False}
    assert config_from_dict(printed) == load_config(None, ["training.epochs=7"])
    assert main(["config", "--set", "training.epochs=x"]) == 2
    assert "training.epochs must be int" in capsys.readouterr().err


def test_alcl_config_describes_a_sweep(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"seeds": [0, 1], "sweep": {"training.lr": [0.1, 0.2]}}))
    assert main(["config", str(path), "--set", "name=s"]) == 0
    out = capsys.readouterr().out
    assert "sweep of 2 variant(s), 20 run(s)" in out and "training.lr=0.2" in out


def test_alcl_run_with_overrides(tmp_path):
    out = tmp_path / "out"
    args = ["run", "--out", str(out), "--no-progress", "--set", "stream.dataset=wine"]
    args += ["--set", "strategies=[naive]", "--set", "training.epochs=1", "--set", "device=cpu"]
    assert main(args) == 0
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["stream"]["dataset"] == "wine" and saved["training"]["epochs"] == 1
    assert [s["name"] for s in saved["strategies"]] == ["naive"]
