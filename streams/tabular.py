"""Tables: :class:`TabularData`, NumPy arrays (:func:`from_arrays`, labels of any values) and
the embedded scikit-learn sets.

Every loader returns a checked :class:`TabularData` (the file readers of
:mod:`streams.table_files`, the image loaders of :mod:`streams.images` and the text encoder
of :mod:`streams.text_encoding` return one too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from streams.validation import DataError, check_features, check_labels


@dataclass(frozen=True)
class TabularData:
    """A checked classification table: finite features (float32, or 8-bit pixels) and int64 labels.

    ``x``/``y`` is the pool that experiences draw their training, validation
    (and, without a published test split, test) samples from. ``test_x``/``test_y``
    is the test split the dataset's authors published, if any. ``layout`` says
    what the columns are (:mod:`streams.layout`), or None for plain columns.
    """

    name: str
    x: Any  # np.ndarray (n, d), or streams.rows.SparseRows
    y: np.ndarray
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    test_x: Any = None
    test_y: np.ndarray | None = None
    layout: Any = None

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_features(self) -> int:
        return self.x.shape[1]


def from_arrays(
    x: object,
    y: object,
    *,
    name: str = "arrays",
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    test: tuple[object, object] | None = None,
) -> TabularData:
    """Check user arrays and wrap them; labels must be integer indices 0..C-1.

    ``test`` is an optional published test split ``(x_test, y_test)``; streams
    then take their test sets from it instead of carving them from ``x``.
    """
    xs = check_features(x)
    if class_names is None:  # labels of any values: strings, or integers not 0..C-1
        y, test, class_names = _label_indices(y, test)
    n_classes = None if class_names is None else len(class_names)
    ys = check_labels(y, xs.shape[0], n_classes)
    xt = yt = None
    if test is not None:
        xt = check_features(test[0], "X_test")
        if xt.shape[1] != xs.shape[1]:
            raise DataError(
                f"X_test has {xt.shape[1]} columns but X has {xs.shape[1]}; they must match."
            )
        yt = check_labels(test[1], xt.shape[0], n_classes)
    if feature_names is None:
        feature_names = [f"x{i}" for i in range(xs.shape[1])]
    if len(feature_names) != xs.shape[1]:
        raise DataError(
            f"{len(feature_names)} feature names given for {xs.shape[1]} columns; they must match."
        )
    if class_names is None:
        top = max(int(ys.max()), -1 if yt is None else int(yt.max()))
        class_names = [str(c) for c in range(top + 1)]
    names = tuple(str(c) for c in class_names)
    present = np.unique(ys if yt is None else np.concatenate([ys, yt]))
    if len(present) < 2:
        raise DataError(
            f"{name}: every sample has the label {names[int(present[0])]!r}; a classifier needs "
            "at least 2 classes. Check the label column (stream.target) or the file."
        )
    return TabularData(name, xs, ys, tuple(feature_names), names, xt, yt)


def _label_indices(y: object, test: tuple[object, object] | None):
    """Labels as indices 0..C-1 with the original values as class names, when they are strings
    or integers other than 0..C-1 (1..3, a gap, -1/+1); ``class_names`` None when they already
    are 0..C-1 (or are not labels at all, for :func:`check_labels` to report)."""
    arrays = [np.asarray(y)] + ([] if test is None else [np.asarray(test[1])])
    if any(a.ndim != 1 for a in arrays):
        return y, test, None
    kind = arrays[0].dtype.kind
    if kind in "USO":
        values = np.unique(np.concatenate([a.astype(str) for a in arrays]))
        arrays = [a.astype(str) for a in arrays]
    elif kind in "iu" or (
        kind == "f" and all(np.all(np.isfinite(a)) and np.all(a == np.round(a)) for a in arrays)
    ):
        arrays = [a.astype(np.int64) for a in arrays]
        values = np.unique(np.concatenate(arrays))
        if np.array_equal(values, np.arange(len(values))):
            return y, test, None
    else:
        return y, test, None
    mapped = [np.searchsorted(values, a).astype(np.int64) for a in arrays]
    names = [str(v) for v in values]
    return mapped[0], None if test is None else (test[0], mapped[1]), names


def _sklearn(loader_name: str) -> Callable[[], TabularData]:
    def load() -> TabularData:
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, loader_name)()
        names = getattr(bunch, "feature_names", None)
        if loader_name == "load_digits":
            names = [f"pixel_r{i // 8}_c{i % 8}" for i in range(bunch.data.shape[1])]
        return from_arrays(
            bunch.data,
            bunch.target,
            name=loader_name.removeprefix("load_"),
            feature_names=list(names),
            class_names=[str(c) for c in bunch.target_names],
        )

    return load


EMBEDDED: dict[str, Callable[[], TabularData]] = {
    "digits": _sklearn("load_digits"),
    "breast_cancer": _sklearn("load_breast_cancer"),
    "wine": _sklearn("load_wine"),
}
"""Datasets that ship with scikit-learn and need no download."""
