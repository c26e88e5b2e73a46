"""One copy of the raw values, and model inputs made from it on demand."""

from __future__ import annotations

import numpy as np

from streams.rows import ColumnTable, RowSelection, SparseRows


def test_sparse_rows_densify_exactly_the_rows_asked_for():
    dense = np.array([[0, 2, 0, 0], [0, 0, 0, 0], [1, 0, 0, 3], [0, 0, 5, 0]], dtype=np.float32)
    sparse = SparseRows.from_rows(
        [{c: float(v) for c, v in enumerate(row) if v} for row in dense], n_columns=4
    )
    assert sparse.shape == (4, 4) and sparse.nbytes < dense.nbytes * 4
    np.testing.assert_array_equal(sparse.dense(np.array([2, 0, 1, 2])), dense[[2, 0, 1, 2]])
    np.testing.assert_array_equal(sparse.dense(np.array([1])), dense[[1]])


def test_take_scales_permutes_then_hides_and_never_changes_the_stored_values():
    pool = np.arange(12, dtype=np.uint8).reshape(3, 4)
    stored = pool.copy()
    table = ColumnTable(pool, None, shift=np.full(4, 1, np.float32), divisor=np.float32(2))
    visible = np.array([True, True, False, False])
    x = RowSelection(table, "train", np.array([2, 0]), visible, np.array([3, 2, 1, 0])).take()
    expected = (pool[[2, 0]][:, [3, 2, 1, 0]].astype(np.float32) - 1) / 2
    np.testing.assert_array_equal(x[:, :2], expected[:, :2])
    assert np.isnan(x[:, 2:]).all() and x.dtype == np.float32
    np.testing.assert_array_equal(pool, stored)
    test = np.zeros((1, 4), dtype=np.uint8)
    both = ColumnTable(pool, test)
    assert both.source("test") is test and both.source("valid") is pool
    assert both.nbytes == pool.nbytes + test.nbytes


def test_visible_columns_alone_are_computed_to_the_same_bits_as_all_then_hidden():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (50, 12)).astype(np.uint8)
    numbers = rng.normal(size=(50, 12))
    cases = [
        ColumnTable(pixels, None, None, np.float32(255)),
        ColumnTable(
            numbers,
            None,
            rng.normal(size=12).astype(np.float32),
            (rng.random(12) + 0.5).astype(np.float32),
        ),  # fmt: skip
    ]
    rows = rng.permutation(50)[:20]
    band = np.zeros(12, dtype=bool)
    band[3:8] = True  # a contiguous run: scaled in place in the output
    shown = [rng.random(12) < 0.5, band, np.ones(12, dtype=bool), np.zeros(12, dtype=bool)]
    for table in cases:
        for visible in shown:
            everything = table.take("train", rows)  # every column, then hide by hand
            everything[:, ~visible] = np.nan
            got = table.take("train", rows, visible)
            assert got.dtype == np.float32 and np.array_equal(got, everything, equal_nan=True)
            assert np.isnan(got[:, ~visible]).all() and not np.isnan(got[:, visible]).any()
