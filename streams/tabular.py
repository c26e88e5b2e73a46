"""Tables: the embedded scikit-learn sets, NumPy arrays, and CSV, whitespace-separated,
LIBSVM/SVMlight and ``.npz`` files.

Every loader returns a checked :class:`TabularData` (the image loaders of
:mod:`streams.images` and the text encoder of :mod:`streams.text_encoding`
return one too). :data:`TABLE_DATASETS` are the table names that
:func:`streams.sources.load_source` takes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from streams.validation import DataError, check_features, check_labels, decode_text


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


DEFAULT_TARGET = "label"
"""``stream.target``'s default: the column named ``label``, or the last column of a file
without a header row."""

_INDEX = re.compile(r"^[-+]?\d+$")


def from_csv(
    path: str | Path,
    target: str | int = DEFAULT_TARGET,
    header: bool | None = None,
    encoding: str = "utf-8",
) -> TabularData:
    """Read a comma-separated table; the label may be in any column.

    ``target`` is the label column: a header name, or an index (an int or a
    numeric string; ``-1`` is the last column). ``header`` says whether the first
    row names the columns; None detects it: a first row whose fields are not all
    numbers, apart from the label column, is a header. Without a header, the
    default target ``label`` means the last column. Feature columns must be
    numeric and finite; labels may be strings or numbers, encoded as indices of
    their sorted unique values.
    """
    path = _existing(path, "CSV")
    reader = csv.reader(io.StringIO(_text(path, encoding), newline=""))
    try:
        rows = [
            (reader.line_num, [f.strip() for f in r]) for r in reader if any(f.strip() for f in r)
        ]
    except csv.Error as err:
        raise DataError(
            f"{path}, line {reader.line_num}: not valid CSV ({err}); check the quoting."
        ) from None
    return _from_rows(path, rows, target, header, "comma")


def from_table(
    path: str | Path,
    target: str | int = DEFAULT_TARGET,
    header: bool | None = None,
    encoding: str = "utf-8",
) -> TabularData:
    """Read a whitespace-separated table (e.g. UCI's ``german.data-numeric``).

    Fields are separated by any run of spaces or tabs; spaces at the ends of
    lines and blank lines are ignored. ``target`` and ``header`` work as in
    :func:`from_csv`: without a header row (the usual case) the default target
    ``label`` means the last column.
    """
    path = _existing(path, "table")
    lines = _text(path, encoding).split("\n")
    rows = [(n, line.split()) for n, line in enumerate(lines, start=1) if line.strip()]
    return _from_rows(path, rows, target, header, "whitespace")


def from_libsvm(path: str | Path, n_features: int | None = None) -> TabularData:
    """Read a LIBSVM/SVMlight sparse file (``label index:value ...``) with scikit-learn.

    Absent entries are 0, as the format means. Indices are one-based unless an
    index 0 appears (scikit-learn's ``zero_based="auto"``). ``n_features`` keeps
    the first n features (padding with zero columns when the file's largest
    index is smaller); None keeps as many as the largest index. Labels are
    numbers, named as written without a trailing ``.0`` (``-1``, ``1``).
    """
    from sklearn.datasets import load_svmlight_file

    path = _existing(path, "LIBSVM")
    try:
        matrix, labels = load_svmlight_file(str(path), dtype=np.float64)
    except (ValueError, OSError) as err:
        raise _libsvm_error(path, err) from None
    if matrix.shape[0] == 0:
        raise DataError(f"{path} is empty: it has no data lines; check stream.path.")
    x = matrix.toarray()
    if n_features is not None:
        if n_features < 1:
            raise DataError(f"n_features must be >= 1, got {n_features}; set stream.n_features.")
        if x.shape[1] >= n_features:
            x = x[:, :n_features]
        else:
            x = np.pad(x, ((0, 0), (0, n_features - x.shape[1])))

    def line_of(row: int) -> int:
        return _libsvm_data_lines(path)[row]

    def column_of(c: int) -> str:
        return f"feature column {c}"

    bad = ~np.isfinite(x)
    if bad.any():
        r, c = (int(i[0]) for i in np.nonzero(bad))
        raise DataError(
            f"{path}, line {line_of(r)}, {column_of(c)}: {x[r, c]} is NaN or infinite; {_IMPUTE}"
        )
    _check_float32(path, x, line_of, column_of)
    if not np.isfinite(labels).all():
        r = int(np.argmax(~np.isfinite(labels)))
        raise DataError(
            f"{path}, line {line_of(r)}: the label is {labels[r]}; labels must be finite numbers."
        )
    values = sorted(set(labels.tolist()))
    names = [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in values]
    _at_least_two(path, names, "the labels")
    y = np.searchsorted(np.array(values), labels).astype(np.int64)
    return from_arrays(x.astype(np.float32), y, name=path.stem, class_names=names)


_IMPUTE = "impute or drop missing values first (alcl uses NaN to mark columns not yet released)."


def _existing(path: str | Path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{what} file {str(path)!r} does not exist; check stream.path.")
    return path


def _text(path: Path, encoding: str = "utf-8") -> str:
    return decode_text(path, encoding)


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return True


def _column(target: str | int) -> str | int:
    """``target`` as a column index (an int, or a numeric string) or a column name."""
    if isinstance(target, bool):
        raise DataError(f"stream.target must be a column name or index, got {target!r}.")
    if isinstance(target, int):
        return target
    target = str(target).strip()
    return int(target) if _INDEX.match(target) else target


def _from_rows(
    path: Path,
    rows: list[tuple[int, list[str]]],
    target: str | int,
    header: bool | None,
    separator: str,
) -> TabularData:
    """A table from ``(line number, fields)`` rows: header, label column, checks, encoding."""
    if not rows:
        raise DataError(f"{path} is empty: it has no data lines; check stream.path.")
    column = _column(target)
    first_line, first = rows[0]
    detected = header is None
    if detected:
        header = _looks_like_header(first, column)
    names, body = (first, rows[1:]) if header else (None, rows)
    if not body:
        raise DataError(
            f"{path} has a header row (line {first_line}) but no data rows; "
            f"add data, or set stream.header: false if line {first_line} is data."
        )
    width = len(first)
    if width < 2:
        raise DataError(
            f"{path}, line {first_line}: one field only; a table needs feature columns and a "
            f"label column, {separator}-separated."
        )
    if isinstance(column, int):
        if not -width <= column < width:
            raise DataError(
                f"stream.target {column} is out of range: {path} has {width} columns "
                f"(indices 0..{width - 1}, or -1 for the last)."
            )
        t = column % width
    elif names is not None:
        if column not in names:
            hint = f" or stream.header: false if line {first_line} is data" if detected else ""
            raise DataError(
                f"label column {column!r} is not in {path.name}'s header row (line {first_line}); "
                f"its columns are {names}. Set stream.target to the label column's name or index "
                f"(-1 for the last){hint}."
            )
        t = names.index(column)
    elif column == DEFAULT_TARGET:
        t = width - 1
    else:
        raise DataError(
            f"{path} has no header row, so stream.target must be a column index "
            f"(-1 for the last), not the name {column!r}; or set stream.header: true."
        )
    for line, fields in body:
        if len(fields) != width:
            raise DataError(
                f"{path}, line {line}: {len(fields)} fields where line {first_line} has {width}; "
                f"every line needs the same number of {separator}-separated fields "
                "(fix a missing value or a stray separator)."
            )
    features = [f[:t] + f[t + 1 :] for _, f in body]
    try:
        x = np.array(features, dtype=np.float64)
    except ValueError:
        x = _numbers(path, body, features, t)

    def line_of(row: int) -> int:
        return body[row][0]

    def column_of(c: int) -> str:
        j = c + (c >= t)
        return f"column {j}" + (f" ({names[j]!r})" if names else "")

    bad = ~np.isfinite(x)
    if bad.any():
        r, c = (int(i[0]) for i in np.nonzero(bad))
        raise DataError(
            f"{path}, line {line_of(r)}, {column_of(c)}: {features[r][c]!r} is NaN or infinite; "
            f"{_IMPUTE}"
        )
    _check_float32(path, x, line_of, column_of)
    raw = [f[t] for _, f in body]
    if "" in raw:
        r = raw.index("")
        raise DataError(
            f"{path}, line {line_of(r)}: the label (column {t}) is empty; every row needs a label."
        )
    classes = sorted(set(raw), key=_label_sort_key)
    _at_least_two(path, classes, f"column {t}")
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in raw], dtype=np.int64)
    feature_names = None if names is None else [h for i, h in enumerate(names) if i != t]
    return from_arrays(
        x.astype(np.float32),
        y,
        name=path.stem,
        feature_names=feature_names,
        class_names=classes,
    )


def _label_sort_key(label: str) -> tuple[int, float | str]:
    try:
        return (0, float(label))
    except ValueError:
        return (1, label)


def _looks_like_header(first: list[str], column: str | int) -> bool:
    """A first row is a header when the target names one of its fields, or when a field
    other than the label's (the target index, else the last) is not a number."""
    if isinstance(column, str) and column in first:
        return True
    skip = len(first) - 1
    if isinstance(column, int) and -len(first) <= column < len(first):
        skip = column % len(first)
    return any(not _is_number(f) for i, f in enumerate(first) if i != skip)


def _numbers(
    path: Path, body: list[tuple[int, list[str]]], features: list[list[str]], t: int
) -> np.ndarray:
    """The features as floats, or a :class:`DataError` naming the first value that is not one."""
    for (line, _), values in zip(body, features, strict=True):
        for c, value in enumerate(values):
            if not _is_number(value):
                what = f"non-numeric value {value!r}" + (" (an empty field)" if not value else "")
                raise DataError(
                    f"{path}, line {line}, column {c + (c >= t)}: {what}; feature columns must be "
                    "numeric (encode categories as numbers, or set stream.target to the label "
                    "column)."
                )
    return np.array([[float(v) for v in values] for values in features], dtype=np.float64)


def _check_float32(path: Path, x: np.ndarray, line_of, column_of) -> None:
    big = np.abs(x) > np.finfo(np.float32).max
    if big.any():
        r, c = (int(i[0]) for i in np.nonzero(big))
        raise DataError(
            f"{path}, line {line_of(r)}, {column_of(c)}: {x[r, c]:g} is too large for float32; "
            "rescale the column."
        )


def _at_least_two(path: Path, classes: list[str], where: str) -> None:
    if len(classes) < 2:
        raise DataError(
            f"{path} has one class only ({classes[0]!r} in {where}); a classification stream "
            "needs at least two. Check stream.target (the label column) and the file."
        )


def _libsvm_data_lines(path: Path) -> list[int]:
    """The line numbers of the data lines (not blank, not only a ``#`` comment), in order."""
    lines = _text(path).split("\n")
    return [n for n, line in enumerate(lines, start=1) if line.split("#", 1)[0].strip()]


def _libsvm_error(path: Path, err: Exception) -> DataError:
    """A one-line :class:`DataError` naming the first malformed line scikit-learn refused."""
    fix = "each line must read 'label index:value index:value ...' with increasing indices"
    for n, line in enumerate(_text(path).split("\n"), start=1):
        tokens = line.split("#", 1)[0].split()
        problem = _libsvm_problem(tokens) if tokens else None
        if problem:
            return DataError(f"{path}, line {n}: {problem}; {fix}.")
    reason = " ".join(str(err).split())
    return DataError(f"{path} is not a valid LIBSVM/SVMlight file ({reason}); {fix}.")


def _libsvm_problem(tokens: list[str]) -> str | None:
    label = tokens[0]
    if "," in label:
        return f"several labels ({label!r}); alcl takes one label per line"
    if not _is_number(label):
        return f"the label {label!r} is not a number"
    previous = -1
    for token in tokens[1:]:
        index, colon, value = token.partition(":")
        if index == "qid":
            continue
        if not colon or not _INDEX.match(index) or int(index) < 0:
            return f"{token!r} is not an index:value pair"
        if not _is_number(value):
            return f"the value {value!r} of index {index} is not a number"
        if int(index) <= previous:
            return f"index {index} does not come after index {previous}"
        previous = int(index)
    return None


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


FILE_FORMATS = ("csv", "table", "libsvm", "npz")
"""Tables read from a file (``stream.path``): :func:`from_csv`, :func:`from_table`,
:func:`from_libsvm` and :func:`from_npz`."""

TABLE_DATASETS: tuple[str, ...] = (*EMBEDDED, *FILE_FORMATS)
"""Every table dataset name: the embedded sets, then the file formats."""
