"""Stream invariants: disjoint samples, growing columns, absent means absent."""

from __future__ import annotations

import numpy as np
import pytest

from streams import StreamConfig, build_stream, from_arrays, load_source
from tests.conftest import blobs


def _with_ids(n_per_class: int = 30) -> tuple:
    data = blobs(n_per_class=n_per_class)
    x = data.x.copy()
    x[:, 0] = np.arange(len(x))  # a unique id per sample
    return from_arrays(x, data.y), len(x)


@pytest.mark.parametrize("n_exp", [1, 2, 4])
def test_samples_are_disjoint_across_experiences_and_splits(n_exp):
    data, n = _with_ids()
    stream = build_stream(data, StreamConfig(n_experiences=n_exp, standardize=False))
    ids = [set(x[:, 0].astype(int)) for split in stream.parts.values() for x, _ in split]
    assert sum(len(s) for s in ids) == n
    assert set().union(*ids) == set(range(n))
    assert all(len(s) > 0 for s in ids)


def test_splits_are_stratified():
    data = load_source("digits")
    stream = build_stream(data, StreamConfig(n_experiences=4))
    for split in ("train", "valid", "test"):
        for _, y in stream.parts[split]:
            counts = np.bincount(y, minlength=10)
            assert counts.min() > 0 and counts.max() - counts.min() <= 0.5 * counts.mean() + 2


def test_visible_columns_only_grow_and_new_columns_are_the_difference():
    stream = build_stream(blobs(), StreamConfig(n_experiences=3, grouping="random"), 3)
    previous: set[int] = set()
    for t, exp in enumerate(stream.train_stream):
        visible = set(exp.visible_columns.tolist())
        assert previous < visible
        assert set(exp.new_columns.tolist()) == visible - previous
        assert exp.released_at == t
        previous = visible
    assert previous == set(range(8))


def test_absent_columns_are_nan_in_every_released_view():
    stream = build_stream(blobs(), StreamConfig(n_experiences=4))
    for split in ("train", "valid", "test"):
        for j, exp in enumerate(stream.view(split)):
            x = np.stack([exp.dataset[i][0].numpy() for i in range(len(exp.dataset))])
            hidden = np.setdiff1d(np.arange(8), stream.visible(j))
            assert np.isnan(x[:, hidden]).all()
            assert np.isfinite(x[:, stream.visible(j)]).all()


def test_current_view_reveals_the_columns_of_now():
    stream = build_stream(blobs(), StreamConfig(n_experiences=4))
    x_then, y_then = stream.arrays("test", 0)
    x_now, y_now = stream.arrays("test", 0, upto=3)
    assert np.isnan(x_then).any() and np.isfinite(x_now).all()
    np.testing.assert_array_equal(y_then, y_now)
    view = stream.view("test", upto=2)
    assert [e.group_index for e in view] == [2, 2, 2, 2]


def test_attributes_survive_avalanche_train_and_eval_copies():
    stream = build_stream(blobs(), StreamConfig(n_experiences=2))
    exp = stream.train_stream[1]
    for copy in (exp, stream.train_stream[1:][0]):
        assert copy.visible_columns.tolist() == list(range(8))
        assert copy.new_columns.tolist() == [4, 5, 6, 7]


def test_standardisation_uses_training_rows_of_the_releasing_experience():
    stream = build_stream(blobs(), StreamConfig(n_experiences=2))
    for t, cols in enumerate(stream.groups):
        x, _ = stream.parts["train"][t]
        np.testing.assert_allclose(x[:, cols].mean(axis=0), 0.0, atol=1e-5)
        np.testing.assert_allclose(x[:, cols].std(axis=0), 1.0, atol=1e-4)


def test_explicit_groups_are_respected_and_checked():
    groups = [[7, 0], [1, 2, 3], [], [4, 5, 6]]
    stream = build_stream(
        blobs(), StreamConfig(n_experiences=4, grouping="explicit", groups=groups)
    )
    assert [g.tolist() for g in stream.groups] == [[0, 7], [1, 2, 3], [], [4, 5, 6]]
    assert stream.train_stream[2].new_columns.size == 0
