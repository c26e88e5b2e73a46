"""Invariants that every kind of stream keeps, for tables, images and text alike."""

from __future__ import annotations

import numpy as np
import pytest

from streams import DataError, StreamConfig, build_stream, from_arrays, load_source
from tests.conftest import blobs
from tests.streams.formats import news_rows, write_csv, write_mnist


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """A table (test carved), a table and images with published test splits, a text file."""
    root = tmp_path_factory.mktemp("data")
    write_mnist(root / "MNIST" / "raw", n_train=400, n_test=80)
    table = blobs(n_per_class=60, n_classes=10)
    test = blobs(n_per_class=8, n_classes=10, seed=1)
    header = ["label", "title", "description"]
    return {
        "table": table,
        "published_table": from_arrays(table.x, table.y, test=(test.x, test.y)),
        "images": load_source("mnist", data_root=str(root), download=False),
        "text": load_source("ag_news", str(write_csv(root / "n.csv", news_rows(240), header))),
    }


def _items(experience) -> np.ndarray:
    """Inputs as a model receives them, read through Avalanche's dataset."""
    data = experience.dataset
    return np.stack([data[i][0].numpy() for i in range(len(data))])


def check_invariants(stream, published: bool) -> None:
    pool = [set(r.tolist()) for split in ("train", "valid") for r in stream.rows[split]]
    tests = [set(r.tolist()) for r in stream.rows["test"]]
    if not published:
        pool += tests
    assert sum(len(s) for s in pool) == len(set().union(*pool)), "pool samples overlap"
    assert sum(len(s) for s in tests) == len(set().union(*tests)), "test samples overlap"
    assert all(len(s) for s in pool + tests), "an empty experience"
    previous: set[int] = set()
    for t, exp in enumerate(stream.train_stream):
        visible = set(exp.visible_columns.tolist())
        assert previous <= visible and set(exp.new_columns.tolist()) == visible - previous
        previous = visible
        for split in ("train", "test"):
            x = _items(stream.view(split)[t])
            hidden = np.setdiff1d(np.arange(stream.n_features), exp.visible_columns)
            assert np.isnan(x[:, hidden]).all() and np.isfinite(x[:, exp.visible_columns]).all()


@pytest.mark.parametrize("name", ["table", "published_table", "images", "text"])
@pytest.mark.parametrize("kind", ["feature_incremental", "class_incremental", "mixed", "domain"])
def test_every_kind_keeps_the_invariants(sources, name, kind):
    data = sources[name]
    stream = n_experiences = 3 if kind != "feature_incremental" else 2
    stream = build_stream(data, StreamConfig(n_experiences=n_experiences, kind=kind))
    check_invariants(stream, published=data.test_y is not None)
    if kind not in ("feature_incremental", "mixed"):
        assert stream.train_stream[0].visible_columns.size == stream.n_features


@pytest.mark.parametrize("name", ["published_table", "images"])
def test_published_test_split_is_the_test_and_validation_comes_from_training(sources, name):
    data = sources[name]
    for kind in ("feature_incremental", "class_incremental"):
        stream = build_stream(data, StreamConfig(n_experiences=2, kind=kind))
        test_rows = np.sort(np.concatenate(stream.rows["test"]))
        np.testing.assert_array_equal(test_rows, np.arange(len(data.test_y)))
        valid = np.concatenate(stream.rows["valid"])
        assert valid.max() < len(data.y)  # pool rows, never published test rows
        x, y = stream.arrays("test", 0, upto=1)
        np.testing.assert_array_equal(y, data.test_y[stream.rows["test"][0]])


def test_class_incremental_keeps_every_class_when_counts_do_not_divide(sources):
    data = sources["images"]
    stream = build_stream(data, StreamConfig(n_experiences=3, kind="class_incremental"))
    got = [exp.classes_in_this_experience for exp in stream.train_stream]
    assert got == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    config = StreamConfig(
        n_experiences=3,
        kind="class_incremental",
        order=list(range(9, -1, -1)),
        per_experience=[5, 3, 2],
    )
    stream = build_stream(data, config)
    got = [exp.classes_in_this_experience for exp in stream.test_stream]
    assert got == [[5, 6, 7, 8, 9], [2, 3, 4], [0, 1]]
    last = stream.train_stream[2]
    assert last.previous_classes == list(range(2, 10)) and last.classes_seen_so_far == list(
        range(10)
    )
    shuffled = build_stream(
        data, StreamConfig(n_experiences=5, kind="class_incremental", shuffle=True), seed=3
    )
    classes = [c for exp in shuffled.train_stream for c in exp.classes_in_this_experience]
    assert sorted(classes) == list(range(10)) and classes != list(range(10))
    with pytest.raises(DataError, match="summing to the 10 classes"):
        config = StreamConfig(n_experiences=2, kind="class_incremental", per_experience=[5, 4])
        build_stream(data, config)


def test_a_mixed_stream_deals_classes_and_releases_columns(sources):
    data = sources["table"]
    config = StreamConfig(n_experiences=3, kind="mixed", order=list(range(9, -1, -1)))
    stream = build_stream(data, config, seed=1)
    classes = [exp.classes_in_this_experience for exp in stream.train_stream]
    assert classes == [[6, 7, 8, 9], [3, 4, 5], [0, 1, 2]]  # order deals the classes
    columns = [exp.new_columns.tolist() for exp in stream.train_stream]
    plain = build_stream(data, StreamConfig(n_experiences=3), seed=1)
    assert columns == [exp.new_columns.tolist() for exp in plain.train_stream]  # contiguous
    for t, exp in enumerate(stream.test_stream):
        x, y = stream.arrays("test", t)
        assert set(np.unique(y).tolist()) == set(classes[t])
        assert np.isfinite(x[:, exp.visible_columns]).all()
    with pytest.raises(DataError, match="kind 'mixed' releases one column group"):
        build_stream(data, StreamConfig(n_experiences=3, kind="mixed", grouping="trapezoidal"))


def test_static_stream_has_one_experience_with_every_column(sources):
    stream = build_stream(sources["table"], StreamConfig(n_experiences=1, kind="static"))
    assert stream.n_experiences == 1 and stream.train_stream[0].new_columns.size == 8
    with pytest.raises(DataError, match="exactly one experience"):
        build_stream(sources["table"], StreamConfig(n_experiences=2, kind="static"))
    with pytest.raises(DataError, match="grouping only apply to feature_incremental"):
        config = StreamConfig(n_experiences=1, kind="static", grouping="random")
        build_stream(sources["table"], config)


def test_domain_permutation_scrambles_later_experiences_only(sources):
    data = sources["table"]
    plain = build_stream(data, StreamConfig(n_experiences=3, kind="domain"), seed=2)
    config = StreamConfig(n_experiences=3, kind="domain", domain_transform="permute")
    permuted = build_stream(data, config, seed=2)
    assert permuted.train_stream[0].permutation is None
    np.testing.assert_array_equal(plain.arrays("test", 0)[0], permuted.arrays("test", 0)[0])
    perm = permuted.test_stream[2].permutation
    assert sorted(perm.tolist()) == list(range(8)) and perm.tolist() != list(range(8))
    np.testing.assert_array_equal(
        permuted.arrays("test", 2)[0], plain.arrays("test", 2)[0][:, perm]
    )
    with pytest.raises(DataError, match="applies to kind 'domain'"):
        build_stream(data, StreamConfig(n_experiences=3, domain_transform="permute"))


def test_task_labels_are_the_experience_index(sources):
    stream = config = StreamConfig(n_experiences=3, kind="class_incremental", task_labels=True)
    stream = build_stream(sources["table"], config)
    for t, exp in enumerate(stream.test_stream):
        assert exp.task_label == t and exp.dataset[0][2] == t


def test_pieces_are_dealt_in_the_given_order(sources):
    config = StreamConfig(
        n_experiences=2, grouping="patches", patch_grid=2, order=[3, 2, 1, 0], per_experience=[1, 3]
    )
    stream = build_stream(sources["images"], config)
    assert stream.group_names == [["patch(1,1)"], ["patch(1,0)", "patch(0,1)", "patch(0,0)"]]
    config = StreamConfig(n_experiences=2, grouping="fields", encoding="tokens", max_length=8)
    text = build_stream(sources["text"], config)
    assert text.group_names == [["title"], ["description"]]
    with pytest.raises(DataError, match="cannot give each of 3 experiences one"):
        build_stream(sources["text"], StreamConfig(n_experiences=3, grouping="fields"))


def test_fraction_keeps_a_stratified_share_of_every_split():
    from streams import StreamConfig, build_stream, load_source

    data = load_source("digits")
    full = build_stream(data, StreamConfig(n_experiences=3), seed=1)
    part = build_stream(data, StreamConfig(n_experiences=3, fraction=0.25), seed=1)
    for split in ("train", "valid", "test"):
        for whole, kept in zip(full.rows[split], part.rows[split], strict=True):
            assert set(kept) <= set(whole)  # the same experience's rows, fewer of them
            assert abs(len(kept) - 0.25 * len(whole)) <= 10  # rounding per class
    y = data.y[part.rows["train"][0]]
    assert len(set(y)) == 10  # every class kept
    again = build_stream(data, StreamConfig(n_experiences=3, fraction=0.25), seed=1)
    assert again.fingerprint() == part.fingerprint() != full.fingerprint()
