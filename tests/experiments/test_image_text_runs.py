"""`alcl run` on image and text streams, from small files in the real formats."""

from __future__ import annotations

import json

import yaml

from alcl.results.files import load_runs
from experiments.cli import main
from tests.streams.formats import news_rows, write_csv, write_mnist

SMALL = {
    "seeds": [0],
    "device": "cpu",
    "model": {"widths": [16, 16], "label_dim": 8},
    "training": {"epochs": 1, "batch_size": 32},
    "strategies": ["al", "naive", "joint"],
}


def _run(tmp_path, stream: dict) -> list[dict]:
    cfg = tmp_path / "cfg.yaml"
    cfg.write_text(yaml.safe_dump({**SMALL, "name": "t", "stream": stream}))
    out = tmp_path / "out"
    assert main(["run", str(cfg), "--out", str(out), "--no-progress"]) == 0
    return [r.to_dict() for r in load_runs(out)]  # in config order


def test_fashion_mnist_bands_from_the_data_root(tmp_path):
    write_mnist(tmp_path / "root" / "FashionMNIST" / "raw", n_train=400, n_test=80)
    stream = {
        "dataset": "fashion_mnist",
        "data_root": str(tmp_path / "root"),
        "download": False,
        "grouping": "horizontal_bands",
        "n_experiences": 2,
    }
    al, naive, joint = _run(tmp_path, stream)
    assert al["stream"]["group_names"] == [["rows0-13"], ["rows14-27"]]
    assert al["stream"]["group_sizes"] == [392, 392]
    assert [len(e) for e in al["al"]["exit_accuracy"]] == [1, 2]
    assert len(naive["accuracy_matrix"]) == 2 and len(joint["accuracy_matrix"]) == 1


def test_ag_news_title_then_description_from_one_csv(tmp_path):
    path = write_csv(tmp_path / "news.csv", news_rows(200), ["label", "title", "description"])
    stream = {
        "dataset": "ag_news",
        "path": str(path),
        "grouping": "fields",
        "n_experiences": 2,
        "encoding": "tfidf",
        "vocab_size": 40,
    }
    runs = _run(tmp_path, stream)
    assert runs[0]["stream"]["group_names"] == [["title"], ["description"]]
    assert runs[0]["al"]["block_columns"] == [18, 18]  # 16 topic words, "said", "reuters"
    saved = yaml.safe_load((tmp_path / "out" / "config.yaml").read_text())
    assert saved["stream"]["encoding"] == "tfidf" and saved["stream"]["standardize"] is None
    metrics = json.loads((tmp_path / "out" / "metrics" / "al__seed0.json").read_text())
    assert metrics["stream"]["kind"] == "feature_incremental"


def test_missing_image_data_fails_before_writing(tmp_path, capsys):
    cfg = tmp_path / "cfg.yaml"
    stream = {"dataset": "cifar10", "data_root": str(tmp_path / "empty"), "download": False}
    cfg.write_text(yaml.safe_dump({**SMALL, "stream": stream}))
    assert main(["run", str(cfg), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    assert "data_batch_1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
