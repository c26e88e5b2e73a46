"""Tables in their own formats: whitespace-separated, LIBSVM/SVMlight, CSV with or without a
header and the label in any column. The files are small ones written here, in the formats
of UCI's german.data-numeric and magic04.data and LIBSVM's svmguide3."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from streams import (
    DATASETS,
    DataError,
    StreamConfig,
    build_stream,
    check_stream,
    from_csv,
    from_libsvm,
    from_table,
    load_source,
    load_stream_data,
)
from tests.streams.formats import write_csv, write_svmlight, write_table


def _german(n: int = 60, d: int = 6, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    labels = ["1", "2"] * (n // 2)
    x = rng.integers(0, 80, size=(n, d)) + 40 * (np.array(labels) == "2")[:, None]
    return x, labels


def _magic(n: int = 60, d: int = 5, seed: int = 1) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    labels = ["h" if i % 3 == 0 else "g" for i in range(n)]
    x = np.round(rng.normal(0, 50, size=(n, d)), 4) + 100.0 * (np.array(labels) == "h")[:, None]
    return x, labels


def _svm(n: int = 60, d: int = 5, seed: int = 2) -> tuple[np.ndarray, list[str]]:
    """Sparse rows (about half zeros) whose last column is always 0: the file never shows it."""
    rng = np.random.default_rng(seed)
    labels = ["+1" if i % 2 else "-1" for i in range(n)]
    x = np.round(rng.normal(size=(n, d)), 4) * (rng.random((n, d)) < 0.5)
    x[:, 0] += np.where(np.array(labels) == "+1", 3.0, -3.0)
    x[:, -1] = 0.0
    return x, labels


def _magic_file(tmp_path, name: str = "magic04.data"):
    x, labels = _magic()
    rows = [[str(float(v)) for v in row] + [label] for row, label in zip(x, labels, strict=True)]
    return write_csv(tmp_path / name, rows, header=None), x, labels


def _problems(*configs: StreamConfig) -> list[str]:
    found: list[str] = []
    for config in configs:
        check_stream(config, lambda ok, message: ok or found.append(message))
    return found


def _one_line(err: pytest.ExceptionInfo) -> str:
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message
    return message


# ---- round trips ----------------------------------------------------------------------


def test_whitespace_table_with_trailing_spaces_round_trips(tmp_path):
    x, labels = _german()
    path = write_table(tmp_path / "german.data-numeric", x, labels)
    assert path.read_text().splitlines()[1].endswith("   ")  # german's trailing spaces
    for data in (from_table(path), load_source("table", str(path))):
        assert data.name == "german"
        np.testing.assert_array_equal(data.x, x.astype(np.float32))
        assert data.x.dtype == np.float32
        assert data.class_names == ("1", "2")
        assert data.y.tolist() == [int(v) - 1 for v in labels]
        assert data.feature_names == tuple(f"x{i}" for i in range(x.shape[1]))


def test_table_label_in_another_column(tmp_path):
    x, labels = _german(d=3)
    path = write_table(tmp_path / "t.txt", x, labels, blank_tail=False)
    data = from_table(path, target=0)  # the first column as labels, the rest features
    assert data.x.shape == (len(labels), 3)
    np.testing.assert_array_equal(data.x[:, -1], np.array(labels, dtype=np.float32))
    assert data.class_names == tuple(str(v) for v in sorted(set(x[:, 0].tolist())))


def test_libsvm_round_trips_with_zeros_for_absent_entries(tmp_path):
    x, labels = _svm()
    path = write_svmlight(tmp_path / "svmguide3", x, labels)
    assert "5:" not in path.read_text()  # the last index never appears
    data = from_libsvm(path, n_features=5)  # ... yet n_features keeps it, as zeros
    assert data.name == "svmguide3" and data.x.shape == (60, 5)
    assert np.isfinite(data.x).all()
    np.testing.assert_allclose(data.x, x.astype(np.float32), rtol=1e-6)
    assert data.class_names == ("-1", "1")
    assert data.y.tolist() == [1 if label == "+1" else 0 for label in labels]
    assert from_libsvm(path).x.shape == (60, 4)  # without n_features: up to the largest index


def test_libsvm_n_features_keeps_the_first_columns(tmp_path):
    x, labels = _svm()
    x[:, -1] = 1.0  # index 5 appears everywhere: svmguide3's 22nd index
    path = write_svmlight(tmp_path / "g.svm", x, labels)
    data = load_source("libsvm", str(path), n_features=4)
    assert data.x.shape == (60, 4)
    np.testing.assert_allclose(data.x, x[:, :4].astype(np.float32), rtol=1e-6)
    assert from_libsvm(path).x.shape == (60, 5)


def test_headerless_csv_with_string_labels_last(tmp_path):
    path, x, labels = _magic_file(tmp_path)
    for data in (from_csv(path), from_csv(path, target=-1), from_csv(path, header=False)):
        assert data.name == "magic04"
        np.testing.assert_allclose(data.x, x.astype(np.float32), rtol=1e-6)
        assert data.class_names == ("g", "h")
        assert data.y.tolist() == [0 if label == "g" else 1 for label in labels]


@pytest.mark.parametrize("target", [0, "0", -5, "-5"])
def test_csv_target_by_index(tmp_path, target):
    x, labels = _magic(d=4)
    rows = [[label] + [str(float(v)) for v in row] for row, label in zip(x, labels, strict=True)]
    path = write_csv(tmp_path / "first.csv", rows, header=None)
    data = load_source("csv", str(path), target=target)
    np.testing.assert_allclose(data.x, x.astype(np.float32), rtol=1e-6)
    assert data.class_names == ("g", "h")


def test_csv_target_by_name_or_index_with_a_header(tmp_path):
    x, labels = _magic(d=3)
    rows = [[str(x[i, 0]), labels[i], str(x[i, 1]), str(x[i, 2])] for i in range(len(x))]
    path = write_csv(tmp_path / "named.csv", rows, header=["a", "class", "b", "c"])
    by_name, by_index = from_csv(path, target="class"), from_csv(path, target=1)
    for data in (by_name, by_index):
        assert data.feature_names == ("a", "b", "c")
        np.testing.assert_allclose(data.x, x.astype(np.float32), rtol=1e-6)
        assert data.class_names == ("g", "h")


def test_header_detection_both_ways(tmp_path):
    numeric = write_csv(tmp_path / "n.csv", [["1", "2", "a"], ["3", "4", "b"]], header=None)
    assert from_csv(numeric).x.shape == (2, 2)  # line 1 is data: a label, numbers elsewhere
    named = write_csv(tmp_path / "h.csv", [["1", "2", "a"], ["3", "4", "b"]], ["u", "v", "label"])
    assert from_csv(named).x.shape == (2, 2) and from_csv(named).feature_names == ("u", "v")
    assert from_csv(named, target=-1).feature_names == ("u", "v")  # names, though not by name
    # numbers as column names are not detected: header: true says so
    digits = write_csv(tmp_path / "d.csv", [["1", "2", "a"], ["3", "4", "b"]], ["0", "1", "2"])
    assert from_csv(digits, target=2).x.shape == (3, 2)
    data = from_csv(digits, target=2, header=True)
    assert data.x.shape == (2, 2) and data.feature_names == ("0", "1")
    spaced = tmp_path / "spaced.txt"
    spaced.write_text("f1 f2 y\n1 2 0\n3 4 1\n")
    assert from_table(spaced, target="y").feature_names == ("f1", "f2")
    assert load_source("table", str(spaced), target="y", header=True).x.shape == (2, 2)


# ---- errors: one line, the file, the line number, the fix ----------------------------


def test_wrong_number_of_fields_names_the_line(tmp_path):
    path = tmp_path / "german.data-numeric"
    path.write_text("  1   2   1 \n  3   4   2\n  5   1\n  7   8   2\n")
    with pytest.raises(DataError) as err:
        from_table(path)
    message = _one_line(err)
    assert str(path) in message and "line 3" in message and "2 fields" in message
    assert "same number" in message
    csv_path = tmp_path / "m.csv"
    csv_path.write_text("1,2,g\n3,4,h\n5,6,g,\n")
    with pytest.raises(DataError, match=r"m\.csv, line 3: 4 fields where line 1 has 3"):
        from_csv(csv_path)


def test_non_numeric_value_names_the_line_and_column(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("1,2,g\n3,4,h\n\n5,x,g\n")
    with pytest.raises(DataError) as err:
        from_csv(path)
    assert "line 4, column 1: non-numeric value 'x'" in _one_line(err)
    empty_value = tmp_path / "e.csv"
    empty_value.write_text("1,2,g\n3,,h\n")
    with pytest.raises(DataError, match=r"line 2, column 1: .*empty field"):
        from_csv(empty_value)
    table = tmp_path / "t.txt"
    table.write_text("1 2 1\n3 4 2\n5 six 1\n")
    with pytest.raises(DataError, match=r"t\.txt, line 3, column 1: non-numeric value 'six'"):
        from_table(table)


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity"])
def test_nan_and_inf_name_the_line(tmp_path, value):
    path = tmp_path / "t.txt"
    path.write_text(f"1 2 1\n\n3 {value} 2\n")
    with pytest.raises(DataError) as err:
        from_table(path)
    message = _one_line(err)
    assert "line 3, column 1" in message and "NaN or infinite" in message and "impute" in message
    csv_path = tmp_path / "m.csv"
    csv_path.write_text(f"a,b,label\n1,2,g\n{value},4,h\n")
    with pytest.raises(DataError, match=r"line 3, column 0 \('a'\).*NaN or infinite"):
        from_csv(csv_path)
    svm = tmp_path / "s.svm"
    svm.write_text(f"# a comment\n-1 1:0.5 2:1\n+1 2:{value}\n")
    with pytest.raises(DataError, match=r"s\.svm, line 3, feature column 1: .*NaN or infinite"):
        from_libsvm(svm)


def test_values_beyond_float32_name_the_line(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("1 2 1\n3 1e39 2\n")
    with pytest.raises(DataError, match=r"line 2, column 1: 1e\+39 is too large for float32"):
        from_table(path)


def test_bad_libsvm_lines_name_the_line(tmp_path):
    cases = {
        "-1 1:0.5\n+1 2:abc\n": r"line 2: the value 'abc' of index 2 is not a number",
        "-1 1:0.5\nyes 2:1\n": r"line 2: the label 'yes' is not a number",
        "-1 1:0.5\n\n+1 2 3:1\n": r"line 3: '2' is not an index:value pair",
        "-1 1:0.5\n+1 3:1 2:1\n": r"line 2: index 2 does not come after index 3",
        "-1,1 1:0.5\n+1 1:1\n": r"line 1: several labels",
    }
    for i, (text, pattern) in enumerate(cases.items()):
        path = tmp_path / f"bad{i}.svm"
        path.write_text(text)
        with pytest.raises(DataError, match=pattern) as err:
            from_libsvm(path)
        assert str(path) in _one_line(err) and "label index:value" in str(err.value)


def test_empty_missing_and_one_class_files(tmp_path):
    for loader, suffix in ((from_csv, "csv"), (from_table, "txt"), (from_libsvm, "svm")):
        empty = tmp_path / f"empty.{suffix}"
        empty.write_text("\n  \n")
        with pytest.raises(DataError, match=r"empty\..* is empty: it has no data lines"):
            loader(empty)
        with pytest.raises(DataError, match=r"'.*nowhere\..*' does not exist; check stream.path"):
            loader(tmp_path / f"nowhere.{suffix}")
    one = tmp_path / "one.txt"
    one.write_text("1 2 1\n3 4 1\n")
    with pytest.raises(DataError, match=r"one class only \('1' in column 2\)") as err:
        from_table(one)
    _one_line(err)
    svm = tmp_path / "one.svm"
    svm.write_text("+1 1:1\n+1 2:1\n")
    with pytest.raises(DataError, match=r"one class only \('1' in the labels\)"):
        from_libsvm(svm)
    headed = tmp_path / "head.csv"
    headed.write_text("a,b,label\n")
    with pytest.raises(DataError, match=r"header row \(line 1\) but no data rows"):
        from_csv(headed)
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(DataError, match="is not valid utf-8; set stream.file_encoding"):
        from_csv(binary)


def test_bad_targets(tmp_path):
    path, _, _ = _magic_file(tmp_path, "m.csv")
    with pytest.raises(DataError, match=r"stream.target 9 is out of range: .* 6 columns"):
        from_csv(path, target=9)
    with pytest.raises(DataError, match=r"no header row, so stream.target must be a column index"):
        from_csv(path, target="class")
    named = write_csv(tmp_path / "n.csv", [["1", "g"], ["2", "h"]], ["a", "class"])
    with pytest.raises(DataError, match=r"label column 'label' is not in n\.csv's header row"):
        from_csv(named)
    # a stray word in line 1 makes it look like a header; the message says what to set
    stray = tmp_path / "s.csv"
    stray.write_text("1,oops,g\n3,4,h\n")
    with pytest.raises(DataError, match=r"stream.header: false if line 1 is data"):
        from_csv(stray)
    with pytest.raises(DataError, match=r"line 1, column 1: non-numeric value 'oops'"):
        from_csv(stray, header=False)


def test_file_datasets_need_a_path():
    for dataset in ("libsvm", "table", "csv"):
        with pytest.raises(DataError, match=f"dataset '{dataset}' needs stream.path"):
            load_source(dataset)
        assert _problems(StreamConfig(dataset=dataset)) == [
            f"stream.dataset {dataset} reads a file: set stream.path to it."
        ]


# ---- registration and the config -------------------------------------------------------


def test_the_names_are_registered_and_the_keys_checked():
    assert {"csv", "table", "libsvm", "npz"} <= set(DATASETS["table"])
    names = [f.name for f in dataclasses.fields(StreamConfig)]
    assert names[-4:] == ["n_features", "header", "file_encoding", "fraction"]
    assert _problems(
        StreamConfig(dataset="libsvm", path="f", n_features=0),
        StreamConfig(dataset="csv", path="f", n_features=3),
        StreamConfig(dataset="libsvm", path="f", header=False),
    ) == [
        "stream.n_features must be >= 1, got 0.",
        "stream.n_features applies to dataset libsvm, not 'csv'; remove it.",
        "stream.header applies to datasets csv and table, not 'libsvm'; remove it.",
    ]
    assert not _problems(
        StreamConfig(dataset="libsvm", path="f", n_features=21),
        StreamConfig(dataset="csv", path="f", target=-1, header=False),
        StreamConfig(dataset="table", path="f", target="3", header=True),
    )


@pytest.mark.parametrize("grouping", ["contiguous", "random"])
@pytest.mark.parametrize("dataset", ["table", "libsvm", "csv"])
def test_each_file_dataset_builds_a_stream(tmp_path, dataset, grouping):
    if dataset == "table":
        path, n_features = write_table(tmp_path / "german.data-numeric", *_german()), {}
    elif dataset == "libsvm":
        path, n_features = write_svmlight(tmp_path / "svmguide3", *_svm()), {"n_features": 5}
    else:
        path, n_features = _magic_file(tmp_path)[0], {}
    cfg = StreamConfig(
        dataset=dataset, path=str(path), n_experiences=2, grouping=grouping, **n_features
    )
    assert _problems(cfg) == []
    data = load_stream_data(cfg)
    stream = build_stream(data, cfg, 0)
    assert stream.n_experiences == 2 and stream.n_features == data.n_features
    seen = np.concatenate([r for split in ("train", "valid", "test") for r in stream.rows[split]])
    assert sorted(seen.tolist()) == list(range(len(data.y)))
    columns = [set(exp.new_columns.tolist()) for exp in stream.train_stream]
    assert set().union(*columns) == set(range(data.n_features)) and all(columns)
