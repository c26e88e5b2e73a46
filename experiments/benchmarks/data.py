"""Data for the benchmarks: Fashion-MNIST as a feature-incremental stream of pixel-row bands.

This is the one place the benchmarks read Fashion-MNIST; when the image
streams of :mod:`streams` gain a Fashion-MNIST loader, switch it here.
The images are flattened row-major, scaled to [0, 1], and cut into
contiguous column groups, so each experience releases the next band of rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from streams import FeatureIncrementalStream, build_feature_incremental_stream, from_arrays
from streams.idx import read_idx
from streams.validation import DataError

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip


def fashion_mnist_stream(
    n_experiences: int = 4,
    seed: int = 0,
    n_samples: int | None = None,
    folder: str | Path = FASHION_MNIST_DIR,
) -> FeatureIncrementalStream:
    """All 70,000 images (or a seeded stratified-enough subset of ``n_samples``) as row bands."""
    folder = Path(folder)
    names = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
    names += ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise DataError(
            f"Fashion-MNIST files {missing} are not in {folder}; install Debian's "
            "dataset-fashion-mnist package or pass folder=."
        )
    images = np.concatenate([read_idx(folder / names[0]), read_idx(folder / names[2])])
    labels = np.concatenate([read_idx(folder / names[1]), read_idx(folder / names[3])])
    if n_samples is not None:
        keep = np.sort(np.random.default_rng(seed).permutation(len(labels))[:n_samples])
        images, labels = images[keep], labels[keep]
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    data = from_arrays(
        x, labels.astype(np.int64), name="fashion_mnist", class_names=FASHION_CLASSES
    )
    return build_feature_incremental_stream(data, n_experiences=n_experiences, seed=seed)
