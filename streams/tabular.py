"""Tables: the embedded scikit-learn sets, NumPy arrays, and CSV and ``.npz`` files.

Every loader returns a checked :class:`TabularData` (the image loaders of
:mod:`streams.images` and the text encoder of :mod:`streams.text_encoding`
return one too). :data:`TABLE_DATASETS` are the table names that
:func:`streams.sources.load_source` takes.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
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
    return TabularData(name, xs, ys, tuple(feature_names), names, xt, yt)


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


def from_csv(path: str | Path, target: str = "label") -> TabularData:
    """Read a CSV file with a header row; ``target`` names the label column.

    Feature columns must be numeric. Labels may be strings or numbers; they are
    encoded as indices of their sorted unique values.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"CSV file {str(path)!r} does not exist; check stream.path.")
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise DataError(f"{path} needs a header row and at least one data row.")
    header, body = rows[0], rows[1:]
    if target not in header:
        raise DataError(
            f"label column {target!r} is not in {path.name}; its columns are {header}. "
            "Set stream.target to the label column."
        )
    t = header.index(target)
    widths = {len(r) for r in body}
    if widths != {len(header)}:
        raise DataError(
            f"{path} has rows of {sorted(widths)} fields but {len(header)} header names."
        )
    raw_labels = [r[t] for r in body]
    features = [[v for i, v in enumerate(r) if i != t] for r in body]
    try:
        x = np.array(features, dtype=np.float32)
    except ValueError as err:
        raise DataError(f"{path} has a non-numeric feature value ({err}).") from err
    classes = sorted(set(raw_labels), key=_label_sort_key)
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in raw_labels], dtype=np.int64)
    names = [h for i, h in enumerate(header) if i != t]
    return from_arrays(x, y, name=path.stem, feature_names=names, class_names=classes)


def _label_sort_key(label: str) -> tuple[int, float | str]:
    try:
        return (0, float(label))
    except ValueError:
        return (1, label)


def from_npz(path: str | Path) -> TabularData:
    """Read arrays ``x`` and ``y`` (and optionally ``feature_names``) from an ``.npz`` file."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"NumPy file {str(path)!r} does not exist; check stream.path.")
    with np.load(path, allow_pickle=False) as data:
        missing = {"x", "y"} - set(data.files)
        if missing:
            raise DataError(
                f"{path} lacks arrays {sorted(missing)}; save it with np.savez(path, x=..., y=...)."
            )
        names = list(data["feature_names"]) if "feature_names" in data.files else None
        return from_arrays(data["x"], data["y"], name=path.stem, feature_names=names)


FILE_FORMATS = ("csv", "npz")
"""Tables read from a file (``stream.path``): :func:`from_csv` and :func:`from_npz`."""

TABLE_DATASETS: tuple[str, ...] = (*EMBEDDED, *FILE_FORMATS)
"""Every table dataset name: the embedded sets, then the file formats."""
