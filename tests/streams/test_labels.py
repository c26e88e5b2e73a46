"""Labels of any values: strings and integers other than 0..C-1 map to class indices, the
mapping is recorded; one class is refused before anything is written."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from experiments.cli import main
from streams import DataError, StreamConfig, build_stream, from_arrays


def _x(n):
    return np.random.default_rng(0).normal(size=(n, 4))


@pytest.mark.parametrize(
    ("labels", "names"),
    [([1, 2, 3], ["1", "2", "3"]), ([0, 1, 3], ["0", "1", "3"]), ([-1, 1, 1], ["-1", "1"]),
     (["cat", "dog", "ant"], ["ant", "cat", "dog"])],
)  # fmt: skip
def test_labels_map_to_indices_in_sorted_order(labels, names):
    y = np.array(labels * 10)
    data = from_arrays(_x(len(y)), y)
    assert list(data.class_names) == names and data.n_classes == len(names)
    assert [names[i] for i in data.y] == [str(v) for v in y]  # nothing lost, no empty class


def test_a_published_test_split_shares_the_mapping():
    data = from_arrays(_x(6), [5, 7, 5, 7, 5, 7], test=(_x(2), [7, 9]))
    assert list(data.class_names) == ["5", "7", "9"]
    assert list(data.y) == [0, 1, 0, 1, 0, 1] and list(data.test_y) == [1, 2]


def test_one_class_is_refused_and_a_single_class_experience_warned():
    with pytest.raises(DataError, match=r"every sample has the label '4'; .* at least 2 classes"):
        from_arrays(_x(10), np.full(10, 4))
    y = np.array([0] * 30 + [1] * 30)
    data = from_arrays(_x(60), y)
    cfg = StreamConfig(kind="class_incremental", n_experiences=2)
    with pytest.warns(UserWarning, match="experience 1 holds a single class"):
        build_stream(data, cfg, seed=0)


def test_npz_string_labels_run_and_a_one_class_file_writes_nothing(tmp_path, capsys):
    x = _x(90)
    y = np.array(["low", "mid", "high"] * 30)
    np.savez(tmp_path / "d.npz", x=x, y=y)
    config = {
        "seeds": [0], "device": "cpu",
        "stream": {"dataset": "npz", "path": str(tmp_path / "d.npz"), "n_experiences": 2},
        "model": {"widths": [8, 8], "label_dim": 4}, "training": {"epochs": 1},
        "adaptive": {"latency_repeats": 0}, "strategies": ["al"],
    }  # fmt: skip
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    assert (
        main(["run", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "ok"), "--no-progress"]) == 0
    )
    import json

    record = json.loads(next((tmp_path / "ok" / "metrics").glob("*.json")).read_text())
    assert record["stream"]["class_names"] == ["high", "low", "mid"]
    np.savez(tmp_path / "d.npz", x=x, y=np.full(90, "same"))
    capsys.readouterr()
    assert (
        main(["run", str(tmp_path / "c.yaml"), "--out", str(tmp_path / "bad"), "--no-progress"])
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "at least 2 classes" in err
    assert not (tmp_path / "bad").exists()


def test_a_latin1_csv_needs_its_encoding_and_the_error_names_the_byte(tmp_path):
    from streams import load_source

    rows = ["a,b,label", "1,2,café", "3,4,thé", "5,6,café", "7,8,thé"]
    path = tmp_path / "t.csv"
    path.write_bytes("\n".join(rows).encode("latin-1"))
    with pytest.raises(
        DataError, match=r"t\.csv: byte 17 \(line 2\) is not valid utf-8; set stream\.file_encoding"
    ):
        load_source("csv", str(path))
    data = load_source("csv", str(path), encoding="latin-1")
    assert list(data.class_names) == ["café", "thé"]


def test_a_latin1_text_csv_loads_with_its_encoding(tmp_path):
    from streams import load_source

    lines = ["label,title,description"] + [
        f"{1 + i % 4},Café {i},Crème brûlée number {i}" for i in range(40)
    ]
    path = tmp_path / "news.csv"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(DataError, match=r"news\.csv: byte \d+ \(line 2\) is not valid utf-8"):
        load_source("ag_news", str(path))
    data = load_source("ag_news", str(path), encoding="latin-1")
    assert "Café 0" in list(data.texts["title"])
