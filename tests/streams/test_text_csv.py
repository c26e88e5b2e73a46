"""Any text CSV (``text_csv``): named text columns, labels of any values, one-line errors;
the per-sample split of short texts and the warning for an almost empty release."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from streams import (
    DataError,
    StreamConfig,
    build_stream,
    check_stream,
    load_source,
    load_stream_data,
    tokenize,
)
from streams.layout import PAD_ID
from streams.text_encoding import filled_pieces, own_parts
from tests.streams.formats import news_rows, write_csv

CLASSES = ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]
WORDS = {
    "ABBR": ["stand", "acronym", "abbreviation"],
    "DESC": ["why", "how", "mean"],
    "ENTY": ["animal", "colour", "sport"],
    "HUM": ["who", "person", "author"],
    "LOC": ["where", "city", "country"],
    "NUM": ["many", "year", "much"],
}


def question_rows(n: int, seed: int = 0) -> list[list[str]]:
    """``[id, question, label]`` rows: short questions (3 to 6 words) naming their class."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = CLASSES[i % 6]
        words = rng.choice(WORDS[label] + ["the", "is"], size=3 + i % 4)
        rows.append([str(i), " ".join(words).capitalize() + "?", label])
    return rows


def _questions(tmp_path, n: int = 120, name: str = "q.csv"):
    return write_csv(tmp_path / name, question_rows(n), ["id", "question", "label"])


def _one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


def test_six_string_labels_load_with_class_names_from_the_data(tmp_path):
    rows = question_rows(120)
    data = load_source("text_csv", str(_questions(tmp_path)), text_columns=["question"])
    assert data.class_names == tuple(CLASSES) and data.n_classes == 6
    assert data.fields == ("question",) and data.test_y is None and data.name == "q"
    assert [data.class_names[c] for c in data.y] == [r[2] for r in rows]
    assert data.texts["question"][5] == rows[5][1]


def test_text_columns_default_to_every_column_but_the_label(tmp_path):
    rows = [[q, label] for _, q, label in question_rows(60)]
    path = write_csv(tmp_path / "q.csv", rows, ["question", "coarse"])
    data = load_source("text_csv", str(path), target="coarse")
    assert data.fields == ("question",) and data.n_classes == 6


def test_a_folder_of_train_and_test_csv_shares_one_class_mapping(tmp_path):
    header = ["id", "question", "label"]
    write_csv(tmp_path / "trec" / "train.csv", question_rows(120), header)
    test = [r for r in question_rows(30, seed=1) if r[2] != "ABBR"]  # a class absent from test
    write_csv(tmp_path / "trec" / "test.csv", test, header)
    data = load_source("text_csv", str(tmp_path / "trec"), text_columns=["question"])
    assert len(data.y) == 120 and len(data.test_y) == len(test)
    assert data.class_names == tuple(CLASSES)
    assert [data.class_names[c] for c in data.test_y] == [r[2] for r in test]
    assert data.test_texts["question"][0] == test[0][1]


def test_integer_labels_not_from_zero_map_to_0_to_c_minus_1_by_value(tmp_path):
    values = [3, 7, 12]  # as strings, "12" would sort before "3"
    rows = [[f"text about {v} number {i}", str(v)] for i, v in enumerate(values * 10)]
    data = load_source("text_csv", str(write_csv(tmp_path / "n.csv", rows, ["text", "label"])))
    assert data.class_names == ("3", "7", "12")
    assert data.y.tolist() == [0, 1, 2] * 10


def test_a_latin1_file_needs_its_encoding_and_the_error_names_file_and_byte(tmp_path):
    lines = ["question,label"] + [
        f"Où est le café {i}?,{'LOC' if i % 2 else 'DESC'}" for i in range(20)
    ]
    path = tmp_path / "fr.csv"  # byte 16: the "ù" after "question,label\nO"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    with pytest.raises(DataError) as excinfo:
        load_source("text_csv", str(path))
    assert "fr.csv: byte 16 (line 2) is not valid utf-8; set stream.file_encoding" in _one_line(
        excinfo
    )
    data = load_source("text_csv", str(path), encoding="latin-1")
    assert data.texts["question"][0] == "Où est le café 0?" and data.n_classes == 2


def test_a_missing_column_lists_the_columns_found(tmp_path):
    path = str(_questions(tmp_path))
    with pytest.raises(DataError) as excinfo:
        load_source("text_csv", path, text_columns=["text"])
    assert (
        "no column 'text'; found columns ['id', 'question', 'label']. Set stream.text_columns"
        in (_one_line(excinfo))
    )
    with pytest.raises(DataError, match=r"no column 'coarse'; found columns \['id'"):
        load_source("text_csv", path, target="coarse", text_columns=["question"])


def test_one_class_an_empty_file_and_a_header_only_are_refused(tmp_path):
    rows = [[q, "HUM"] for _, q, _ in question_rows(20)]
    one = write_csv(tmp_path / "one.csv", rows, ["question", "label"])
    with pytest.raises(DataError) as excinfo:
        load_source("text_csv", str(one))
    assert "every row has the label 'HUM' (column 'label'); a classifier needs at least 2" in (
        _one_line(excinfo)
    )
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match=r"empty\.csv is empty: it has no rows"):
        load_source("text_csv", str(tmp_path / "empty.csv"))
    (tmp_path / "head.csv").write_text("question,label\n\n")
    with pytest.raises(DataError, match=r"head\.csv has a header row \(line 1\) but no data rows"):
        load_source("text_csv", str(tmp_path / "head.csv"))
    with pytest.raises(DataError, match=r"text CSV could not be loaded .* does not exist"):
        load_source("text_csv", str(tmp_path / "nowhere.csv"))


def test_a_preset_takes_text_columns_too(tmp_path):
    path = write_csv(tmp_path / "n.csv", news_rows(40), ["label", "title", "description"])
    data = load_source("ag_news", str(path), text_columns=["description"])
    assert data.fields == ("description",) and data.class_names[0] == "World"


def test_the_config_checks_text_columns_and_the_path():
    def problems(**keys) -> list[str]:
        found = []
        check_stream(
            StreamConfig(**keys), lambda ok, message: found.append(message) if not ok else None
        )
        return found

    assert problems(dataset="text_csv", path="q.csv", text_columns=["question"]) == []
    assert problems(dataset="text_csv") == [
        "stream.dataset text_csv reads a file: set stream.path to it."
    ]
    assert any("text_columns applies to text datasets" in p for p in problems(text_columns=["a"]))
    assert any(
        "holds the label column 'label'" in p
        for p in problems(dataset="text_csv", path="q.csv", text_columns=["question", "label"])
    )
    assert any("names the label column" in p for p in problems(dataset="imdb", target=0))


@pytest.mark.parametrize("n", range(13))
@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_own_parts_cut_as_numpy_array_split(n, k):
    tokens = [f"t{i}" for i in range(n)]
    parts = own_parts(tokens, k)
    assert [len(p) for p in parts] == [len(p) for p in np.array_split(np.arange(n), k)]
    assert [t for p in parts for t in p] == tokens


def _question_stream(tmp_path, **options):
    options = {"max_length": 64, "n_experiences": 2, **options}
    cfg = StreamConfig(
        dataset="text_csv",
        path=str(_questions(tmp_path, 240)),
        text_columns=["question"],
        **options,
    )
    data = load_stream_data(cfg)
    return build_stream(data, cfg, seed=0), data


@pytest.mark.parametrize("encoding", ["tokens", "bow", "tfidf"])
def test_per_sample_split_gives_every_text_tokens_in_every_release(tmp_path, encoding):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no almost-empty release, no single-class experience
        stream, data = _question_stream(
            tmp_path, grouping="sample_segments", encoding=encoding, n_experiences=3
        )
    assert stream.group_names == [["part1"], ["part2"], ["part3"]]
    if encoding == "tokens":
        assert [len(g) for g in stream.groups] == [22, 21, 21]  # the widths of 64 positions
    rows = np.concatenate(stream.rows["train"] + stream.rows["test"])
    long_enough = np.array([len(tokenize(data.texts["question"][r])) >= 3 for r in rows])
    assert long_enough.all()  # every question has 3 or more tokens
    assert filled_pieces(stream.table.pool, stream.layout, rows).all()
    if encoding == "tokens":  # part 1 of a 3-token text holds its first token
        row = int(stream.rows["train"][0][0])
        first = tokenize(data.texts["question"][row])[0]
        assert stream.table.pool[row, 0] == stream.layout.vocabulary.index(first) != PAD_ID


def test_fixed_segments_of_short_texts_warn_that_a_release_is_almost_empty(tmp_path):
    with pytest.warns(
        UserWarning,
        match=r"experience 2 releases segment2, which gives only 0\.0% of the training texts a "
        r"token \(0 of \d+\); the release is almost empty\. Use grouping: sample_segments",
    ):
        _question_stream(tmp_path, grouping="segments", encoding="tokens")


def test_sample_segments_take_no_segment_lengths(tmp_path):
    with pytest.raises(DataError, match="segment_lengths applies to grouping segments"):
        _question_stream(tmp_path, grouping="sample_segments", segment_lengths=[32, 32])


def test_a_stream_end_to_end_from_a_generic_csv_names_its_classes(tmp_path):
    stream, _ = _question_stream(tmp_path, grouping="sample_segments", encoding="tfidf")
    assert stream.n_experiences == 2 and list(stream.class_names) == CLASSES
    assert stream.group_names == [["part1"], ["part2"]]
    x, y = stream.arrays("train", 1)
    assert np.isfinite(x).all() and set(np.unique(y).tolist()) == set(range(6))
    x, _ = stream.arrays("test", 0)
    assert np.isnan(x[:, stream.groups[1]]).all() and np.isfinite(x[:, stream.groups[0]]).all()
