"""Config loading: defaults, overrides, and clear errors for bad configs."""

from __future__ import annotations

import pytest

from experiments.config import CONFIG_DIR, ConfigError, config_from_dict, dump_config, load_config


def test_every_example_config_loads():
    paths = sorted(CONFIG_DIR.glob("*.yaml"))
    assert paths
    for path in paths:
        cfg = load_config(path)
        assert cfg.strategies


def test_default_config_is_digits_four_experiences_al_and_four_baselines():
    cfg = load_config()
    assert cfg.stream.dataset == "digits" and cfg.stream.n_experiences == 4
    assert [s.name for s in cfg.strategies] == ["al", "naive", "replay", "cumulative", "joint"]
    assert cfg.seeds == [0]


def test_full_suite_config_runs_every_registered_strategy():
    from alcl.registry import strategies

    cfg = load_config(CONFIG_DIR / "full_suite.yaml")
    # every strategy but those tied to another kind of input (bag-of-embeddings: tokens) or
    # to two classes (OLSF; digits has ten)
    tables = {n for n, e in strategies().items() if not e.backbone and not e.two_classes}
    assert {s.name for s in cfg.strategies} == tables
    assert cfg.seeds == [0, 1, 2, 3, 4]
    default = load_config()
    assert (cfg.stream, cfg.model, cfg.training) == (
        default.stream,
        default.model,
        default.training,
    )


def test_round_trip_through_yaml():
    cfg = load_config()
    import yaml

    assert config_from_dict(yaml.safe_load(dump_config(cfg))) == cfg


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"stream": {"datset": "digits"}},
            r"unknown key stream\.datset; allowed keys are \['dataset'",
        ),
        ({"trainig": {}}, r"unknown key config\.trainig"),
        ({"training": {"epochs": "ten"}}, r"training\.epochs must be int"),
        ({"training": {"lr": -1.0}}, r"training\.lr must be > 0"),
        ({"strategies": ["ewc2"]}, r"unknown strategy 'ewc2'"),
        ({"strategies": [{"name": "replay", "memsize": 3}]}, r"no hyper-parameter 'memsize'"),
        ({"strategies": [{"name": "replay", "mem_size": "big"}]}, r"mem_size must be int"),
        ({"strategies": ["naive", "naive"]}, r"appear twice"),
        ({"device": "tpu"}, r"device must be"),
        ({"model": {"widths": []}}, r"model\.widths"),
        ({"stream": {"kind": "online"}}, r"stream\.kind must be one of \['feature_incremental'"),
        ({"stream": {"dataset": "mnist3"}}, r"stream\.dataset must be one of .*fashion_mnist"),
        ({"stream": {"grouping": "bands"}}, r"stream\.grouping must be one of .*horizontal_bands"),
        ({"stream": {"encoding": "bert"}}, r"stream\.encoding must be one of"),
        ({"stream": {"kind": "static"}}, r"static has exactly one experience"),
        ({"stream": {"vocab_size": 2}}, r"stream\.vocab_size must be >= 3"),
        ({"stream": {"patch_grid": 0}}, r"stream\.patch_grid must be >= 1"),
        ({"stream": {"valid_fraction": 1.0}}, r"stream\.valid_fraction must lie strictly"),
        ({"stream": {"per_experience": [2, 0]}}, r"stream\.per_experience must list positive"),
        ({"stream": {"standardize": "yes"}}, r"stream\.standardize must be bool \| None"),
        ({"training": {"loop": "turbo"}}, r"training\.loop must be one of \['fast', 'avalanche'\]"),
        (
            {"adaptive": {"rule": "fastest"}},
            r"adaptive\.rule must be one of \['accuracy', 'budget'\]",
        ),
        ({"adaptive": {"confidence": "sigmoid"}}, r"adaptive\.confidence"),
        ({"adaptive": {"budget": 1.5}}, r"adaptive\.budget must lie in \(0, 1\]"),
        ({"adaptive": {"thresholds": [0.5, 2]}}, r"adaptive\.thresholds"),
        ({"adaptive": {"latency_repeats": -1}}, r"adaptive\.latency_repeats"),
        ({"strategies": [{"name": "al", "cache_mb": "lots"}]}, r"cache_mb must be float"),
        ({"model": {"absent": "median"}}, r"model\.absent must be one of \['zero', 'zero\+mask'"),
        ({"strategies": [{"name": "ewc", "absent": "nan"}]}, r"strategies\[0\]\.absent must be"),
        (
            {"strategies": [{"name": "al", "absent": "zero"}]},
            r"'al' has no hyper-parameter 'absent'",
        ),
        ({"strategies": [{"name": "ewc", "ewc_lambda": "big"}]}, r"ewc_lambda must be float"),
        (
            {"model": {"widths": [64, 32]}, "strategies": ["pnn"]},
            r"pnn columns have one width per layer",
        ),
        (
            {"stream": {"grouping": "haphazard", "base_features": 2}},
            r"strategies\[0\]: al routes each row by the columns it has, and rows of a "
            r"haphazard stream lack columns that earlier blocks read",
        ),
        ({"stream": {"presence": 0.3}}, r"stream\.presence applies to groupings \['trapezoidal'"),
        (
            {
                "stream": {"grouping": "obsolete", "base_features": 2},
                "strategies": ["snapshot-route"],
            },
            r"strategies\[0\]: snapshot-route routes each row by the columns it has",
        ),
        (
            {"stream": {"kind": "class_incremental", "n_experiences": 2}},
            r"strategies\[0\]: al cannot learn a class that first appears after experience 1 .*"
            r"set head: lda .*, or run al-nofreeze \(it learns them, and forgets as fine-tuning "
            r"does\)\.$",
        ),
        (
            {"stream": {"kind": "mixed", "n_experiences": 2}},
            r"strategies\[0\]: al cannot learn a class that first appears after experience 1 of "
            r"a mixed stream",
        ),
    ],
)
def test_bad_configs_are_rejected_with_the_key_named(data, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(data)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="mapping at the top level"):
        load_config(bad)


def test_a_strategy_may_override_training_keys_for_itself_alone():
    import yaml

    cfg = config_from_dict(
        {
            "training": {"epochs": 7},
            "strategies": ["al", {"name": "ewc", "training": {"lr": 1e-3, "epochs": 2}}],
        }
    )
    al, ewc = cfg.strategies
    assert al.training_for(cfg.training) is cfg.training
    assert (ewc.training_for(cfg.training).lr, ewc.training_for(cfg.training).epochs) == (1e-3, 2)
    assert ewc.training_for(cfg.training).batch_size == cfg.training.batch_size
    assert config_from_dict(yaml.safe_load(dump_config(cfg))) == cfg  # round trip
    for bad, message in (
        ({"lrr": 1}, r"strategies\[0\].training.lrr; allowed keys are \['epochs'"),
        ({"lr": -1.0}, r"strategies\[0\]: training.lr must be > 0"),
        ({"epochs": "x"}, r"strategies\[0\].training.epochs must be int"),
    ):
        with pytest.raises(ConfigError, match=message):
            config_from_dict({"strategies": [{"name": "naive", "training": bad}]})


def test_al_without_freezing_and_the_baselines_run_class_incremental_streams():
    cfg = config_from_dict(
        {
            "stream": {"kind": "class_incremental", "n_experiences": 2},
            "strategies": ["al-nofreeze", "naive", {"name": "al", "freeze": False}],
        }
    )
    assert [s.key for s in cfg.strategies] == ["al-nofreeze", "naive", "al"]


def test_the_batch_haphazard_form_runs_the_strategies_that_read_absent_cells(tmp_path):
    import json

    from experiments.runner import run_experiment

    cfg = config_from_dict(
        {
            "threads": 1,
            "stream": {"dataset": "wine", "grouping": "haphazard", "n_experiences": 3,
                       "base_features": 2, "presence": 0.6},
            "model": {"widths": [16, 16], "label_dim": 8},
            "training": {"epochs": 2},
            "strategies": ["naive", "ogd", "replay"],
        }
    )  # fmt: skip
    folder = run_experiment(cfg, tmp_path / "run", progress=False, plots=False)
    for name in ("naive", "ogd", "replay"):
        record = json.loads((folder / "metrics" / f"{name}__seed0.json").read_text())
        assert len(record["accuracy_matrix"]) == 3
        assert all(0.0 <= v <= 1.0 for row in record["accuracy_matrix"] for v in row)
