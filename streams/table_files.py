"""Tables read from files in their own formats: CSV (the label in any column, a header or
not), whitespace-separated numeric tables, LIBSVM/SVMlight sparse text (scikit-learn's reader)
and ``.npz``. Bad lines give one error with the line number. :data:`TABLE_DATASETS` are the
table names that :func:`streams.sources.load_source` takes.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np

from streams.tabular import EMBEDDED, TabularData, from_arrays
from streams.validation import DataError, decode_text

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
