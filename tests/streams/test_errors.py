"""Bad input fails early, with a message that names the problem and the fix."""

from __future__ import annotations

import numpy as np
import pytest

from streams import DataError, StreamConfig, build_stream, from_arrays, from_csv, load_source
from tests.conftest import blobs


def test_nan_features_are_rejected():
    x = np.ones((10, 3))
    x[4, 1] = np.nan
    with pytest.raises(DataError, match=r"NaN or infinite .*row 4, column 1"):
        from_arrays(x, np.zeros(10, dtype=int))


def test_wrong_shapes_are_rejected():
    with pytest.raises(DataError, match="must be 2-D"):
        from_arrays(np.ones(10), np.zeros(10, dtype=int))
    with pytest.raises(DataError, match="10 samples but y has 9"):
        from_arrays(np.ones((10, 2)), np.zeros(9, dtype=int))


def test_labels_out_of_range_are_rejected():
    with pytest.raises(DataError, match="out of range"):
        from_arrays(np.ones((3, 2)), [0, 1, 5], class_names=["a", "b"])
    with pytest.raises(DataError, match="integer class indices"):
        from_arrays(np.ones((3, 2)), [0.5, 1, 1])


def test_unknown_dataset_names_the_choices():
    with pytest.raises(
        DataError, match=r"unknown dataset 'mnist2'.*digits.*fashion_mnist.*ag_news"
    ):
        load_source("mnist2")


def test_too_many_experiences_for_the_data():
    with pytest.raises(DataError, match="fewer experiences"):
        build_stream(blobs(n_per_class=10), StreamConfig(n_experiences=5))
    with pytest.raises(DataError, match="cannot cut 8 columns into 9"):
        build_stream(blobs(n_per_class=100), StreamConfig(n_experiences=9))


def _explicit(groups: list[list[int]], n_experiences: int = 2) -> StreamConfig:
    return StreamConfig(n_experiences=n_experiences, grouping="explicit", groups=groups)


def test_bad_explicit_groups():
    data = blobs()
    with pytest.raises(DataError, match="disjoint"):
        build_stream(data, _explicit([[0, 1], [1, 2]]))
    with pytest.raises(DataError, match="outside 0..7"):
        build_stream(data, _explicit([[0], [9]]))
    with pytest.raises(DataError, match="one group per experience"):
        build_stream(data, _explicit([[0], [1]], n_experiences=3))
    with pytest.raises(DataError, match="first feature group is empty"):
        build_stream(data, _explicit([[], [1]]))


def test_csv_source_reads_string_labels(tmp_path):
    path = tmp_path / "toy.csv"
    path.write_text("a,b,label\n1,2,cat\n3,4,dog\n5,6,cat\n")
    data = from_csv(path)
    assert data.class_names == ("cat", "dog")
    assert data.y.tolist() == [0, 1, 0]
    assert data.feature_names == ("a", "b")
    with pytest.raises(DataError, match="label column 'y' is not in"):
        from_csv(path, target="y")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,label\nx,1\n")
    with pytest.raises(DataError, match="non-numeric"):
        from_csv(bad)


def test_npz_source(tmp_path):
    path = tmp_path / "toy.npz"
    np.savez(path, x=np.ones((4, 3)), y=np.array([0, 1, 0, 1]))
    assert load_source("npz", str(path)).x.shape == (4, 3)
    with pytest.raises(DataError, match="needs stream.path"):
        load_source("csv")
