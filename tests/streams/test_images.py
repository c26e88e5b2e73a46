"""Image datasets from small files in the real formats, and how image features are released."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import streams.images
from streams import (
    DataError,
    ImageLayout,
    StreamConfig,
    build_stream,
    load_source,
    masked_image,
)
from streams.regions import image_pieces
from tests.streams.formats import write_cifar10, write_cifar100, write_mnist


def test_mnist_in_torchvision_layout_with_published_test_split(tmp_path):
    written = write_mnist(tmp_path / "MNIST" / "raw")
    data = load_source("mnist", data_root=str(tmp_path), download=False)
    assert data.x.dtype == np.uint8 and data.x.shape == (120, 784)
    np.testing.assert_array_equal(data.x, written["x"].reshape(120, -1))
    np.testing.assert_array_equal(data.test_y, written["y_test"])
    assert data.layout == ImageLayout((1, 28, 28))
    assert data.class_names[3] == "3"


def test_fashion_mnist_found_in_a_system_folder_and_via_the_environment(tmp_path, monkeypatch):
    debian = tmp_path / "usr-share" / "fashion-mnist"
    write_mnist(debian, n_train=100)
    monkeypatch.setattr(streams.images, "SYSTEM_DIRS", {"fashion_mnist": [debian]})
    data = load_source("fashion_mnist", download=False)  # the root ($ALCL_DATA) is empty
    assert len(data.y) == 100 and data.class_names[-1] == "Ankle boot"

    env_root = tmp_path / "env-root"
    write_mnist(env_root / "FashionMNIST" / "raw", n_train=80, gz=False)
    monkeypatch.setenv("ALCL_DATA", str(env_root))
    assert len(load_source("fashion_mnist", download=False).y) == 80  # the root comes first


def test_cifar10_and_cifar100_pickle_batches(tmp_path):
    written = write_cifar10(tmp_path)
    data = load_source("cifar10", data_root=str(tmp_path), download=False)
    assert data.x.shape == (100, 3072) and data.layout.shape == (3, 32, 32)
    np.testing.assert_array_equal(data.x, written["x"])  # pickle rows are already C, H, W
    assert data.class_names[0] == "airplane" and len(data.test_y) == 30
    write_cifar100(tmp_path)
    data = load_source("cifar100", data_root=str(tmp_path), download=False)
    assert data.n_classes == 100 and data.class_names[7] == "class7"
    np.testing.assert_array_equal(data.y, written_fine_labels(tmp_path))


def written_fine_labels(root):
    import pickle

    with (root / "cifar-100-python" / "train").open("rb") as handle:
        return np.array(pickle.load(handle)["fine_labels"])


def test_missing_data_names_the_files_and_the_places(tmp_path):
    with pytest.raises(DataError) as err:
        load_source("fashion_mnist", data_root=str(tmp_path), download=False)
    message = str(err.value)
    assert "train-images-idx3-ubyte" in message and "t10k-labels-idx1-ubyte" in message
    assert str(tmp_path / "FashionMNIST" / "raw") in message and "ALCL_DATA" in message
    assert "download=false" in message
    with pytest.raises(DataError, match=r"(?s)data_batch_1.*test_batch.*cifar-10-batches-py"):
        load_source("cifar10", data_root=str(tmp_path))  # download attempted, refused in tests


def test_corrupt_files_are_named(tmp_path):
    write_cifar10(tmp_path)
    (tmp_path / "cifar-10-batches-py" / "data_batch_2").write_bytes(b"not a pickle")
    with pytest.raises(DataError, match="data_batch_2 is not a CIFAR batch"):
        load_source("cifar10", data_root=str(tmp_path), download=False)


LAYOUT = ImageLayout((3, 4, 6))


def _pixels(cols: np.ndarray) -> set[tuple[int, int, int]]:
    return {LAYOUT.pixel(c) for c in cols}


@pytest.mark.parametrize(
    "grouping, n, expected",
    [
        ("horizontal_bands", 2, [{(c, h, w) for c in range(3) for h in (0, 1) for w in range(6)}]),
        ("vertical_bands", 3, [{(c, h, w) for c in range(3) for h in range(4) for w in (0, 1)}]),
        ("quadrants", 4, [{(c, h, w) for c in range(3) for h in (0, 1) for w in (0, 1, 2)}]),
        ("channels", 3, [{(0, h, w) for h in range(4) for w in range(6)}]),
    ],
)
def test_region_pieces_cover_the_image_exactly_once(grouping, n, expected):
    pieces = image_pieces(LAYOUT, grouping, n)
    assert len(pieces) == n
    assert _pixels(pieces[0][1]) == expected[0]
    every = np.concatenate([cols for _, cols in pieces])
    assert sorted(every.tolist()) == list(range(LAYOUT.n_columns))


def test_patch_grid_and_resolution_levels():
    patches = image_pieces(LAYOUT, "patches", 0, patch_grid=2)
    assert [name for name, _ in patches] == ["patch(0,0)", "patch(0,1)", "patch(1,0)", "patch(1,1)"]
    levels = image_pieces(LAYOUT, "resolution", 3)  # strides 4, 2, 1
    coarse = {(h, w) for _, h, w in _pixels(levels[0][1])}
    assert coarse == {(0, 0), (0, 4)}
    middle = {(h, w) for _, h, w in _pixels(levels[1][1])}
    assert middle == {(0, 2), (2, 0), (2, 2), (2, 4)}
    assert sum(len(cols) for _, cols in levels) == LAYOUT.n_columns
    with pytest.raises(DataError, match="end with 1"):
        image_pieces(LAYOUT, "resolution", 2, strides=[4, 2])
    with pytest.raises(DataError, match="colour images"):
        image_pieces(ImageLayout((1, 4, 4)), "channels", 1)


def test_masked_image_rebuilds_the_image_and_marks_absent_pixels():
    x = torch.arange(2 * LAYOUT.n_columns, dtype=torch.float32).reshape(2, -1)
    hidden = image_pieces(LAYOUT, "quadrants", 4)[3][1]
    x[:, hidden] = float("nan")
    image, mask = masked_image(x, LAYOUT)
    assert image.shape == mask.shape == (2, 3, 4, 6)
    assert image[1, 2, 1, 5] == x[1, LAYOUT.column(2, 1, 5)]
    assert mask[:, :, 2:, 3:].sum() == 0 and mask[:, :, :2, :].all()
    assert image[:, :, 2:, 3:].abs().sum() == 0
    with pytest.raises(ValueError, match="expected rows of shape"):
        masked_image(x[:, :10], LAYOUT)


def test_image_stream_releases_bands_and_keeps_pixels_as_bytes(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw", n_train=400)
    data = load_source("mnist", data_root=str(tmp_path), download=False)
    stream = build_stream(data, StreamConfig(n_experiences=4, grouping="horizontal_bands"))
    assert stream.table.pool.dtype == np.uint8  # one copy of the raw bytes, whatever the views
    assert stream.nbytes == data.x.nbytes + data.test_x.nbytes
    assert stream.image_shape == (1, 28, 28)
    assert stream.group_names == [["rows0-6"], ["rows7-13"], ["rows14-20"], ["rows21-27"]]
    exp = stream.train_stream[1]
    assert exp.image_shape == (1, 28, 28) and exp.released_pieces == ["rows7-13"]
    x, _ = stream.arrays("test", 1)
    image, mask = masked_image(torch.as_tensor(x), stream.layout)
    assert mask[:, :, :14].all() and not mask[:, :, 14:].any()
    raw = build_stream(
        data, StreamConfig(n_experiences=4, grouping="vertical_bands", standardize=False)
    )
    x, _ = raw.arrays("train", 3)
    assert np.nanmax(x) <= 1.0 and np.nanmin(x) >= 0.0  # pixels / 255 without standardisation


def test_image_groupings_need_an_image_dataset(tiny_data):
    with pytest.raises(DataError, match="needs an image dataset"):
        build_stream(tiny_data, StreamConfig(n_experiences=2, grouping="quadrants"))
