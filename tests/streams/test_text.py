"""Text datasets from small CSV and Parquet files, the tokenizer, the vocabulary and the encodings."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
import torch

from streams import (
    DataError,
    StreamConfig,
    build_stream,
    load_source,
    token_ids,
    tokenize,
)
from streams.layout import PAD_ID, UNK_ID
from streams.rows import SparseRows
from tests.streams.formats import news_rows, write_csv, write_parquet

HEADER = ["label", "title", "description"]


def test_tokenizer_lowercases_and_drops_tags():
    assert tokenize("Stocks <b>RALLY</b>: Dow's 2% gain, isn't it?") == [
        "stocks",
        "rally",
        "dow's",
        "2",
        "gain",
        "isn't",
        "it",
    ]


def test_one_csv_file_with_a_header_and_one_based_labels(tmp_path):
    path = write_csv(tmp_path / "news.csv", news_rows(40), HEADER)
    data = load_source("ag_news", str(path))
    assert data.fields == ("title", "description") and data.test_y is None
    assert sorted(set(data.y.tolist())) == [0, 1, 2, 3]  # 1..4 in the file
    assert data.texts["title"][0] == news_rows(40)[0][1]


def test_a_folder_of_published_splits_in_csv_without_header_and_in_parquet(tmp_path):
    write_csv(tmp_path / "csv" / "train.csv", news_rows(40), header=None)
    write_csv(tmp_path / "csv" / "test.csv", news_rows(12, seed=1), header=None)
    from_csv = load_source("ag_news", str(tmp_path / "csv"))
    write_parquet(tmp_path / "pq" / "train.parquet", news_rows(40, base=0), HEADER)
    write_parquet(tmp_path / "pq" / "test.parquet", news_rows(12, seed=1, base=0), HEADER)
    from_parquet = load_source("ag_news", str(tmp_path / "pq"))
    for data in (from_csv, from_parquet):
        assert len(data.y) == 40 and len(data.test_y) == 12
        assert data.test_texts["description"][3] == news_rows(12, seed=1)[3][2]
    np.testing.assert_array_equal(from_csv.y, from_parquet.y)


def test_labels_by_class_name_and_bad_files(tmp_path):
    rows = [["pos", "great film"], ["neg", "dull"], ["POS", "fine"]]
    data = load_source("imdb", str(write_csv(tmp_path / "r.csv", rows, ["label", "text"])))
    assert data.y.tolist() == [1, 0, 1]
    bad = write_csv(tmp_path / "bad.csv", [["1", "only a title"]], ["label", "title"])
    with pytest.raises(
        DataError, match=r"needs a 'label' column and the fields \['title', 'description'\]"
    ):
        load_source("ag_news", str(bad))
    with pytest.raises(DataError, match="labels span 0..7"):
        load_source(
            "ag_news",
            str(write_csv(tmp_path / "l.csv", [["7", "a", "b"], ["0", "c", "d"]], HEADER)),
        )
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds no train"):
        load_source("ag_news", str(tmp_path / "empty"))
    with pytest.raises(DataError, match="does not exist"):
        load_source("ag_news", str(tmp_path / "nowhere"))


def test_missing_text_data_explains_both_ways_to_get_it():
    with pytest.raises(
        DataError, match=r"(?s)'datasets' package.*stream.path.*label,title,description"
    ):
        load_source("ag_news")


def test_hub_copy_is_read_through_the_datasets_package(monkeypatch):
    class Split(dict):
        column_names = ["text", "label"]

    calls = []

    def load_dataset(name, cache_dir):
        calls.append((name, cache_dir))
        rows = {"text": ["Goal for the coach", "Stocks and shares"], "label": [1, 2]}
        return {"train": Split(rows), "test": Split(rows)}

    fake = types.SimpleNamespace(load_dataset=load_dataset)
    monkeypatch.setitem(sys.modules, "datasets", fake)
    data = load_source("ag_news", data_root="/somewhere")
    assert calls == [("fancyzhx/ag_news", "/somewhere/huggingface")]
    assert data.fields == ("text",) and data.y.tolist() == [1, 2]


def _news_stream(tmp_path, **options):
    rows = news_rows(200)
    rows[0][2] = "zebra " * 3  # a word that only sample 0 has
    data = load_source("ag_news", str(write_csv(tmp_path / "n.csv", rows, HEADER)))
    options.setdefault("grouping", "fields")
    return build_stream(data, StreamConfig(n_experiences=2, **options)), data


def test_vocabulary_and_idf_come_from_training_rows_only(tmp_path):
    stream, _ = _news_stream(tmp_path, encoding="tokens", max_length=8, vocab_size=100)
    vocabulary = stream.layout.vocabulary
    assert vocabulary[:2] == ("<pad>", "<unk>")
    train_rows = set(np.concatenate(stream.rows["train"]).tolist())
    assert ("zebra" in vocabulary) == (0 in train_rows)
    assert "reuters" in vocabulary and "said" in vocabulary and "<b>" not in vocabulary


def test_token_columns_release_title_then_description(tmp_path):
    stream, data = _news_stream(tmp_path, encoding="tokens", max_length=8, vocab_size=100)
    assert stream.n_features == 16 and stream.group_names == [["title"], ["description"]]
    x, y = stream.arrays("test", 0)
    assert np.isnan(x[:, 8:]).all() and np.isfinite(x[:, :8]).all()
    ids, mask = token_ids(torch.as_tensor(x), stream.layout)
    assert (ids[:, 2:] == PAD_ID).all() and mask[:, :2].all() and not mask[:, 2:].any()
    x, _ = stream.arrays("train", 1)
    row = stream.rows["train"][1][0]
    words = tokenize(data.texts["description"][row])[:8]
    expected = [
        stream.layout.vocabulary.index(w) if w in stream.layout.vocabulary else UNK_ID
        for w in words
    ]
    assert x[0, 8 : 8 + len(words)].tolist() == expected


def test_segments_cut_the_joined_text_into_given_lengths(tmp_path):
    release = {"grouping": "segments", "segment_lengths": [2, 6]}
    stream, data = _news_stream(tmp_path, encoding="tokens", max_length=8, **release)
    assert stream.group_names == [["segment1"], ["segment2"]]
    assert [len(g) for g in stream.groups] == [2, 6]
    with pytest.raises(DataError, match="sum to max_length"):
        _news_stream(tmp_path, encoding="tokens", max_length=9, **release)


@pytest.mark.parametrize("encoding", ["bow", "tfidf"])
def test_bag_of_words_per_field_is_sparse_and_released_per_field(tmp_path, encoding):
    stream, _ = _news_stream(tmp_path, encoding=encoding, max_length=16, vocab_size=50)
    n_words = len(stream.layout.vocabulary) - 2
    assert stream.n_features == 2 * n_words
    assert isinstance(stream.table.pool, SparseRows)  # densified only for the rows read
    x, _ = stream.arrays("train", 1, upto=1)
    title, description = x[:, :n_words], x[:, n_words:]
    if encoding == "tfidf":
        np.testing.assert_allclose(np.linalg.norm(description, axis=1), 1.0, rtol=1e-5)
    else:
        assert description.sum(axis=1).min() >= 5  # five known words per description
    assert (title > 0).sum(axis=1).min() >= 1
    assert stream.feature_names[n_words].startswith("description:")


def test_text_cannot_be_standardised(tmp_path):
    with pytest.raises(DataError, match="set standardize: false"):
        data = load_source("ag_news", str(write_csv(tmp_path / "n.csv", news_rows(80), HEADER)))
        build_stream(data, StreamConfig(n_experiences=2, standardize=True))
