"""`alcl run` with `protocol: online`: the prequential runs of every learner and seed, their
files, table and figure; resuming and extending a folder; bad input refused in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from scipy import stats as scipy_stats

from alcl.online import build_learner, prequential
from experiments.cli import main
from experiments.config import ConfigError, config_from_dict, load_config
from streams import from_table
from streams.evolving import EvolvingPattern, online_stream

ONLINE_WINE = {"dataset": "wine", "grouping": "haphazard", "presence": 0.7, "base_features": 2}


def write_table(path, n=160, d=6, classes=2, seed=0):
    """A whitespace-separated numeric table, label last (german.data-numeric's format)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).round(3)
    y = (x[:, 0] + x[:, 3] > 0).astype(int) + 1 if classes == 2 else rng.integers(1, 4, n)
    path.write_text(
        "\n".join(" ".join(map(str, [*row, label])) for row, label in zip(x, y, strict=True))
    )
    return path


def config(path, tmp_path, **pattern):
    data = {
        "protocol": "online",
        "seeds": [0, 1, 2, 3, 4, 5],
        "threads": 1,
        "stream": {
            "dataset": "table",
            "path": str(path),
            "grouping": "trapezoidal",
            "n_experiences": 4,
            "base_features": 2,
            **pattern,
        },
        "strategies": ["majority", "ogd", {"name": "al", "min_block_rows": 20}],
    }
    file = tmp_path / "online.yaml"
    file.write_text(yaml.safe_dump(data))
    return file


@pytest.fixture(scope="module")
def online_folder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("online")
    table = write_table(tmp / "toy.data")
    out = tmp / "out"
    assert main(["run", str(config(table, tmp)), "--out", str(out), "--no-progress"]) == 0
    return table, tmp, out


def test_every_run_equals_a_direct_prequential_run(online_folder):
    table, _, out = online_folder
    data = from_table(table)
    for name, params in (("majority", {}), ("ogd", {}), ("al", {"min_block_rows": 20})):
        for seed in range(6):
            record = json.loads((out / "online" / f"{name}__seed{seed}.json").read_text())
            stream = online_stream(
                data.x, data.y, 2, EvolvingPattern("trapezoidal", n_chunks=4, base=2), seed
            )
            model = build_learner(name, data.n_features, 2, seed, **params)
            direct = prequential(model, stream.x, stream.y, seed=seed)
            assert record["errors"] == direct.errors
            assert record["balanced_accuracy"] == pytest.approx(direct.balanced_accuracy)
            assert record["majority_floor"] == min(np.bincount(data.y))
            assert record["pattern"] == "trapezoidal" and record["online"]["n_chunks"] == 4
            assert record["online"]["base"] == 2 and record["batch_size"] == 1


def test_table_reports_floor_ci_and_scipy_paired_tests(online_folder):
    _, _, out = online_folder
    text = (out / "online.md").read_text()
    floor = json.loads((out / "online" / "al__seed0.json").read_text())["majority_floor"]
    assert f"majority-class floor: {floor:.1f} errors" in text
    errors = {
        name: np.array(
            [
                json.loads((out / "online" / f"{name}__seed{s}.json").read_text())["errors"]
                for s in range(6)
            ]
        )  # fmt: skip
        for name in ("majority", "ogd", "al")
    }
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in text.splitlines()}
    for name in ("majority", "ogd"):
        row = rows[name]
        diffs = errors["al"] - errors[name]
        assert row[2] == f"{errors[name].mean():.1f} ± {errors[name].std(ddof=1):.1f}"
        half = scipy_stats.t.ppf(0.975, 5) * errors[name].std(ddof=1) / np.sqrt(6)
        low, high = errors[name].mean() - half, errors[name].mean() + half
        assert row[3] == f"[{low:.1f}, {high:.1f}]"
        if diffs.any():
            p = scipy_stats.wilcoxon(diffs, method="exact").pvalue
            assert row[7].startswith(f"{p:.3g} (")
        assert row[8] == f"{int((diffs < 0).sum())}/6"
    assert rows["al"][6] == "-"  # the reference has no paired column
    order = [
        line.split(" | ")[0].strip("| ") for line in text.splitlines() if line.startswith("| ")
    ]
    assert order[1:] == ["majority", "ogd", "al"]  # the config's order
    csv = (out / "online.csv").read_text().splitlines()
    assert csv[0].startswith("dataset,pattern,learner,seed") and len(csv) == 1 + 18
    assert (out / "figures" / "error_rate.png").stat().st_size > 1000


def test_a_rerun_skips_finished_runs_and_an_added_seed_runs_alone(online_folder, tmp_path):
    table, tmp, out = online_folder
    before = {p.name: p.stat().st_mtime_ns for p in (out / "online").glob("*.json")}
    assert main(["run", str(config(table, tmp)), "--out", str(out), "--no-progress"]) == 0
    assert {p.name: p.stat().st_mtime_ns for p in (out / "online").glob("*.json")} == before
    added = ["--set", "seeds=[0,1,2,3,4,5,6]"]
    assert main(["run", str(config(table, tmp)), "--out", str(out), "--no-progress", *added]) == 0
    after = {p.name: p.stat().st_mtime_ns for p in (out / "online").glob("*.json")}
    assert set(after) - set(before) == {f"{n}__seed6.json" for n in ("majority", "ogd", "al")}
    assert all(after[name] == mtime for name, mtime in before.items())


def test_a_changed_pattern_is_refused_naming_the_key(online_folder, capsys):
    table, tmp, out = online_folder
    changed = config(table, tmp, grouping="haphazard", presence=0.6)
    assert main(["run", str(changed), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "stream.grouping: 'trapezoidal' -> 'haphazard'" in err and "stream.presence" in err


def test_haphazard_base_reaches_aux_drop_and_jobs_give_the_same_numbers(tmp_path):
    table = write_table(tmp_path / "toy.data", n=120)
    data = yaml.safe_load(config(table, tmp_path, grouping="haphazard", presence=0.7).read_text())
    data["seeds"], data["strategies"] = [0, 1], ["ogd", "aux_drop_ogd"]
    results = {}
    for jobs in (1, 2):
        path = tmp_path / f"jobs{jobs}.yaml"
        path.write_text(yaml.safe_dump({**data, "jobs": jobs}))
        out = tmp_path / f"out{jobs}"
        assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 0
        results[jobs] = {
            p.name: json.loads(p.read_text()) for p in sorted((out / "online").glob("*.json"))
        }
    assert results[1]["aux_drop_ogd__seed0.json"]["params"]["n_base"] == 2
    assert 0.7 < results[1]["ogd__seed0.json"]["present_share"] < 0.95
    for name, record in results[1].items():
        assert record["errors"] == results[2][name]["errors"]
    assert main(["plot", str(tmp_path / "out1")]) == 0
    assert (tmp_path / "out1" / "figures" / "error_rate.pdf").is_file()


def test_the_shipped_online_config_loads():
    cfg = load_config("experiments/configs/online_trapezoidal.yaml")
    assert cfg.protocol == "online" and cfg.stream.dataset == "breast_cancer"
    assert [s.name for s in cfg.strategies][0] == "majority" and cfg.stream.base_features == 2
    assert cfg.stream.grouping == "trapezoidal" and cfg.stream.n_experiences == 10
    assert config_from_dict(cfg.to_dict()) == cfg  # `alcl config` output reads back the same


def test_online_defaults_are_the_papers_twenty_shuffles_and_every_learner():
    cfg = config_from_dict({"protocol": "online", "stream": ONLINE_WINE})
    assert cfg.seeds == list(range(20))
    assert [s.name for s in cfg.strategies] == [
        "majority", "ogd", "olsf", "odl", "aux_drop_odl", "aux_drop_ogd", "al",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"stream": {**ONLINE_WINE, "valid_fraction": 0.3}},
         "stream.valid_fraction applies to protocol batch"),
        ({"stream": {"dataset": "wine"}}, "set stream.grouping to one of ['trapezoidal'"),
        ({"stream": {**ONLINE_WINE, "lifetime": 0}}, "stream.lifetime must be >= 1"),
        ({"training": {"epochs": 2}}, "training applies to protocol batch"),
        ({"strategies": ["naive"]}, "unknown online learner 'naive'"),
        ({"strategies": [{"name": "al", "lrr": 0.1}]}, "Did you mean 'lr'?"),
        ({"strategies": [{"name": "al", "answer": "deepst"}]}, "answer must be one of"),
        ({"strategies": [{"name": "ogd", "training": {"lr": 1.0}}]},
         "strategies[0].training applies to protocol batch"),
        ({"stream": {**ONLINE_WINE, "presence": 1.5}}, "stream.presence must lie in [0, 1]"),
        ({"online": {"batch_size": 0}}, "online.batch_size must be >= 1"),
        ({"protocol": "onlne"}, "protocol must be one of ['batch', 'online']"),
        ({"protocol": "batch", "online": {"batch_size": 4}},
         "online applies to protocol online"),
    ],
)  # fmt: skip
def test_bad_online_configs_fail_in_one_line(data, message):
    with pytest.raises(ConfigError) as caught:
        config_from_dict({"protocol": "online", "stream": ONLINE_WINE, **data})
    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_a_learner_that_cannot_take_the_data_fails_before_anything_is_written(tmp_path, capsys):
    table = write_table(tmp_path / "three.data", classes=3)
    data = yaml.safe_load(config(table, tmp_path).read_text())
    data["strategies"] = ["ogd", "olsf"]
    path = tmp_path / "three.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "never"
    assert main(["run", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "strategies[1] (olsf): OLSF is a binary classifier" in err
    assert not out.exists()


def test_text_data_is_refused_under_the_online_protocol(tmp_path, capsys):
    csv = tmp_path / "t.csv"
    csv.write_text("text,label\n" + "\n".join(f"word{i} other,{i % 2}" for i in range(40)))
    data = {
        "protocol": "online",
        "stream": {
            "dataset": "text_csv",
            "path": str(csv),
            "target": "label",
            "grouping": "trapezoidal",
        },  # fmt: skip
        "strategies": ["ogd"],
    }
    path = tmp_path / "text.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["run", str(path), "--out", str(tmp_path / "never"), "--no-progress"]) == 2
    assert "protocol online reads plain tables" in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


def test_more_base_features_than_columns_fail_before_anything_is_written(tmp_path, capsys):
    table = write_table(tmp_path / "toy.data")  # 6 columns
    path = config(table, tmp_path, base_features=9)
    assert main(["run", str(path), "--out", str(tmp_path / "never"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "stream.base_features is 9 but the data has 6 columns; lower" in err
    assert not (tmp_path / "never").exists()
