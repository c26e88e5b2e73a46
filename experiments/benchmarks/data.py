"""Data for the benchmarks: Fashion-MNIST as a feature-incremental stream of pixel-row bands.

The images come from the image loader of :mod:`streams` (the data root or
Debian's ``/usr/share/datasets/fashion-mnist``; never downloaded here). They
are flattened row-major, scaled to [0, 1], and cut into contiguous column
groups, so each experience releases the next band of rows.
"""

from __future__ import annotations

import numpy as np

from streams import FeatureIncrementalStream, StreamConfig, build_stream, from_arrays
from streams.images import load_image_dataset


def fashion_mnist_stream(
    n_experiences: int = 4, seed: int = 0, n_samples: int | None = None
) -> FeatureIncrementalStream:
    """All 70,000 images (or a seeded stratified-enough subset of ``n_samples``) as row bands."""
    data = load_image_dataset("fashion_mnist", download=False)
    images = np.concatenate([data.x, data.test_x])
    labels = np.concatenate([data.y, data.test_y])
    if n_samples is not None:
        keep = np.sort(np.random.default_rng(seed).permutation(len(labels))[:n_samples])
        images, labels = images[keep], labels[keep]
    x = images.astype(np.float32) / 255.0
    data = from_arrays(x, labels, name="fashion_mnist", class_names=data.class_names)
    return build_stream(data, StreamConfig(n_experiences=n_experiences), seed)
