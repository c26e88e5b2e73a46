"""Trapezoidal, haphazard and obsolete streams: which columns each row shows."""

import re

import numpy as np
import pytest

from streams.evolving import (
    EvolvingPattern,
    chunk_bounds,
    online_stream,
    presence,
    trapezoid_columns,
)
from streams.validation import DataError


def test_trapezoid_widths_follow_the_definition():
    # chunk k shows the first round(k d / 10) columns; Python rounds 10.5 to 10, as the papers' code
    assert trapezoid_columns(24, 10) == [2, 5, 7, 10, 12, 14, 17, 19, 22, 24]
    assert trapezoid_columns(21, 10)[4] == 10
    # magic04's first chunk: round(1.0) = 1, raised to the 2 base features
    assert trapezoid_columns(10, 10, base=2)[:3] == [2, 2, 3]


def test_trapezoidal_mask_is_a_staircase_and_the_last_chunk_takes_the_rest():
    mask = presence(23, 5, EvolvingPattern("trapezoidal", n_chunks=4), seed=0)
    assert chunk_bounds(23, 4) == [(0, 5), (5, 10), (10, 15), (15, 23)]
    widths = mask.sum(axis=1)
    assert widths.tolist() == [1] * 5 + [2] * 5 + [4] * 5 + [5] * 8
    # only leading columns are shown
    assert all(mask[i, :w].all() and not mask[i, w:].any() for i, w in enumerate(widths))


def test_haphazard_keeps_base_columns_and_is_seeded():
    pattern = EvolvingPattern("haphazard", base=2, p=0.7)
    a = presence(4000, 10, pattern, seed=3)
    assert a[:, :2].all()
    assert abs(a[:, 2:].mean() - 0.7) < 0.02
    assert np.array_equal(a, presence(4000, 10, pattern, seed=3))
    assert not np.array_equal(a, presence(4000, 10, pattern, seed=4))


def test_obsolete_columns_arrive_and_vanish():
    mask = presence(100, 6, EvolvingPattern("obsolete", n_chunks=5, base=1, lifetime=2), seed=0)
    assert mask[:, 0].all()
    first = mask[:, 1:].argmax(axis=0)
    last = 99 - mask[::-1, 1:].argmax(axis=0)
    assert (first > 0).all() and (last < 99).any()  # later arrival, earlier departure
    # two chunks of 20 rows each, cut short only by the end of the stream
    assert mask[:, 1:].sum(axis=0).tolist() == [40, 40, 40, 40, 20]
    assert first.tolist() == [20, 20, 40, 60, 80]


def test_online_stream_shuffles_and_hides_with_nan():
    x = np.arange(40, dtype=np.float32).reshape(20, 2) + 1
    y = np.arange(20) % 2
    stream = online_stream(x, y, 2, EvolvingPattern("trapezoidal", n_chunks=2), seed=1)
    assert sorted(stream.order.tolist()) == list(range(20))
    assert np.array_equal(stream.y, y[stream.order])
    assert np.isnan(stream.x[:10, 1]).all() and not np.isnan(stream.x[10:]).any()
    assert np.array_equal(stream.x[10:], x[stream.order[10:]])


@pytest.mark.parametrize(
    "pattern, message",
    [
        (EvolvingPattern("spiral"), "stream.grouping must be one of"),
        (EvolvingPattern(n_chunks=0), "stream.n_experiences (the chunks) must be >= 1"),
        (EvolvingPattern("haphazard", p=1.5), "stream.presence must lie in"),
        (EvolvingPattern(base=9), "lower stream.base_features"),
    ],
)
def test_bad_patterns_fail_with_the_fix(pattern, message):
    with pytest.raises(DataError, match=re.escape(message)):
        presence(30, 4, pattern, seed=0)


def test_too_few_rows_for_the_chunks():
    with pytest.raises(DataError, match="lower stream.n_experiences"):
        presence(5, 3, EvolvingPattern(n_chunks=10), seed=0)


def test_the_batch_trapezoid_releases_the_online_trapezoid_by_experience():
    from streams import StreamConfig, build_stream, from_arrays

    rng = np.random.default_rng(0)
    data = from_arrays(rng.normal(size=(400, 24)).astype(np.float32), np.arange(400) % 2)
    stream = build_stream(data, StreamConfig(n_experiences=10, grouping="trapezoidal"), seed=0)
    widths = [len(stream.visible(t)) for t in range(10)]
    assert widths == trapezoid_columns(24, 10)
    with pytest.raises(DataError, match="grouping 'trapezoidal' fixes the columns"):
        build_stream(data, StreamConfig(n_experiences=10, grouping="trapezoidal", shuffle=True), 0)


def _data(n=600, d=10, seed=0):
    from streams import from_arrays

    rng = np.random.default_rng(seed)
    return from_arrays(rng.normal(5.0, 2.0, size=(n, d)).astype(np.float32), np.arange(n) % 2)


def test_the_batch_haphazard_stream_hides_cells_row_by_row_and_never_a_base_column():
    from streams import StreamConfig, build_stream

    config = StreamConfig(n_experiences=4, grouping="haphazard", base_features=2, presence=0.7)
    stream = build_stream(_data(), config, seed=3)
    assert [len(g) for g in stream.groups] == [10, 0, 0, 0]  # every column from the first
    hidden = []
    for split in ("train", "valid", "test"):
        for j in range(4):
            x, _ = stream.arrays(split, j)
            assert not np.isnan(x[:, :2]).any()
            hidden.append(np.isnan(x[:, 2:]))
            later, _ = stream.arrays(split, j, upto=3)  # the current-feature view: the same cells
            np.testing.assert_array_equal(np.isnan(later), np.isnan(x))
    share = np.concatenate(hidden).mean()
    assert 0.25 < share < 0.35  # 1 - presence
    again = build_stream(_data(), config, seed=3)
    np.testing.assert_array_equal(
        np.isnan(again.arrays("test", 1)[0]), np.isnan(stream.arrays("test", 1)[0])
    )
    other = build_stream(_data(), config, seed=4)
    assert not np.array_equal(
        np.isnan(other.arrays("test", 1)[0]), np.isnan(stream.arrays("test", 1)[0])
    )


def test_the_batch_obsolete_stream_shows_what_the_online_chunk_shows():
    from streams import StreamConfig, build_stream

    pattern = EvolvingPattern("obsolete", n_chunks=5, base=2, lifetime=2)
    config = StreamConfig(n_experiences=5, grouping="obsolete", base_features=2, lifetime=2)
    stream = build_stream(_data(), config, seed=0)
    online = presence(500, 10, pattern, seed=0)
    for j, (start, _) in enumerate(chunk_bounds(500, 5)):
        x, _ = stream.arrays("test", j)
        shown = ~np.isnan(x)
        assert (shown == shown[0]).all()  # a column is shown by every row of the chunk or none
        np.testing.assert_array_equal(shown[0], online[start])


def test_standardisation_reads_only_the_shown_cells():
    from streams import StreamConfig, build_stream

    data = _data()
    config = StreamConfig(n_experiences=4, grouping="haphazard", base_features=2, presence=0.5)
    stream = build_stream(data, config, seed=1)
    rows = stream.rows["train"][0]
    raw = data.x[rows].copy()
    raw[np.isnan(stream.table.pool[rows])] = np.nan  # the cells the stream hid
    np.testing.assert_allclose(stream.table.shift, np.nanmean(raw, axis=0), rtol=1e-5)


def test_obsolete_needs_base_features_for_its_first_experience():
    from streams import StreamConfig, build_stream

    with pytest.raises(DataError, match="set stream.base_features >= 1"):
        build_stream(_data(), StreamConfig(n_experiences=4, grouping="obsolete"), seed=0)
