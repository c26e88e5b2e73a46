"""Input checks for user-supplied data, in the spirit of scikit-learn's ``check_X_y``.

Every check fails early with a message that names the problem and the fix, so
that a bad array never reaches training and leaves no half-written results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def decode_text(path: Path, encoding: str = "utf-8") -> str:
    """The text of file ``path`` in ``encoding``; a :class:`DataError` naming the file, the byte
    offset and line of the first undecodable byte, and the fix, when it is not."""
    data = path.read_bytes()
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise DataError(
            f"{path}: byte {err.start} (line {line}) is not valid {encoding}; set "
            "stream.file_encoding to the file's encoding (e.g. latin-1 or cp1252)."
        ) from None


class DataError(ValueError):
    """Raised when features or labels cannot be used to build a stream."""


def check_features(x: object, name: str = "X") -> np.ndarray:
    """Return ``x`` as a finite float32 matrix of shape (n_samples, n_features)."""
    try:
        arr = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise DataError(
            f"{name} must be numeric; converting it to float failed ({err}). "
            "Encode categorical columns as numbers first."
        ) from err
    if arr.ndim != 2:
        raise DataError(
            f"{name} must be 2-D (n_samples, n_features); got shape {arr.shape}. "
            "Reshape it, e.g. X.reshape(len(X), -1)."
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataError(f"{name} is empty (shape {arr.shape}); it needs samples and columns.")
    bad = ~np.isfinite(arr)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise DataError(
            f"{name} contains {int(bad.sum())} NaN or infinite values "
            f"(first at row {int(rows[0])}, column {int(cols[0])}). "
            "Impute or drop them before building a stream; alcl uses NaN "
            "internally to mark columns that are not yet released."
        )
    return arr


def check_labels(y: object, n_samples: int, n_classes: int | None = None) -> np.ndarray:
    """Return ``y`` as int64 class indices in ``[0, n_classes)``, one per sample."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise DataError(f"y must be 1-D (one label per sample); got shape {arr.shape}.")
    if arr.shape[0] != n_samples:
        raise DataError(
            f"X has {n_samples} samples but y has {arr.shape[0]} labels; they must match."
        )
    if not np.issubdtype(arr.dtype, np.integer):
        if (
            np.issubdtype(arr.dtype, np.floating)
            and np.all(np.isfinite(arr))
            and np.all(arr == np.round(arr))
        ):
            arr = arr.astype(np.int64)
        else:
            raise DataError(
                "y must hold integer class indices 0..C-1; got dtype "
                f"{arr.dtype}. Encode string labels first (a CSV source does this for you)."
            )
    arr = arr.astype(np.int64)
    if arr.min() < 0:
        raise DataError(f"label {int(arr.min())} is out of range: labels must be >= 0.")
    if n_classes is not None and arr.max() >= n_classes:
        raise DataError(
            f"label {int(arr.max())} is out of range for n_classes={n_classes}: "
            f"labels must lie in [0, {n_classes - 1}]."
        )
    return arr
