"""Text sources: any CSV (or Parquet) file of text columns and a label column
(``text_csv``), and three corpora that are presets of it: AG News, DBpedia-14 and IMDB.

Local files (``stream.path``) come in two shapes:

- a folder holding ``train*.csv``/``train*.parquet`` and ``test*.csv``/``test*.parquet``:
  the published splits; streams take their test sets from the test files;
- one CSV or Parquet file: a single pool, from which streams carve train,
  validation and test sets (stratified, seeded).

Every source is read the same way (:mod:`streams.text_files`): columns are found
by name, ``stream.target`` the label column (default ``label``) and
``stream.text_columns`` the text columns, in order; a wrong
``stream.file_encoding`` names the file and the byte offset. A preset
(:data:`TEXT_DATASETS`) only fixes the defaults:

- ``text_csv``: the first row names the columns; the text columns default to
  every column but the label. Labels may be any strings or integers: the
  classes are their sorted unique values (integers by value, e.g. 3, 7, 12),
  numbered 0..C-1 and named by them (``TextData.class_names``, recorded with
  the results). The data is named after the file (or folder). Local files only;
- ``ag_news``, ``dbpedia_14``, ``imdb``: their fields (e.g. ``title`` and
  ``description`` for AG News) and class names. A CSV may lack the header row
  (columns in the published order, label first); labels may be 1-based as in
  the original CSV files, 0-based as on the hub, or class names. Without local
  files the hub copy is loaded with the optional ``datasets`` package
  (``pip install 'alcl[text]'``), cached under the data root
  (:func:`streams.paths.data_root`). The hub copy of AG News joins title and
  description into one ``text`` field.

A label column with one class, an empty file or a missing column (the columns
found are listed) fail at load with one line naming the fix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from streams.paths import data_root
from streams.text_files import Columns, read_local
from streams.validation import DataError


@dataclass(frozen=True)
class TextData:
    """Texts per field and int64 labels: a pool, and the published test split if any."""

    name: str
    fields: tuple[str, ...]
    texts: dict[str, list[str]]
    y: np.ndarray
    class_names: tuple[str, ...]
    test_texts: dict[str, list[str]] | None = None
    test_y: np.ndarray | None = None

    @property
    def n_classes(self) -> int:
        return len(self.class_names)


@dataclass(frozen=True)
class TextSpec:
    """A text source's defaults; a generic source leaves the fields and classes to the data."""

    title: str
    hub: str | None  # the Hugging Face dataset id; None: local files only
    fields: tuple[str, ...]  # fields of the published files, in order; (): from the config/file
    hub_fields: tuple[str, ...]  # fields of the hub copy
    classes: tuple[str, ...] | None  # None: the sorted unique labels of the data


GENERIC = "text_csv"
"""The text source of any CSV: named text columns and a label column of any values."""

TEXT_DATASETS: dict[str, TextSpec] = {
    "ag_news": TextSpec(
        "AG News",
        "fancyzhx/ag_news",
        ("title", "description"),
        ("text",),
        ("World", "Sports", "Business", "Sci/Tech"),
    ),
    "dbpedia_14": TextSpec(
        "DBpedia-14",
        "fancyzhx/dbpedia_14",
        ("title", "content"),
        ("title", "content"),
        (
            "Company",
            "EducationalInstitution",
            "Artist",
            "Athlete",
            "OfficeHolder",
            "MeanOfTransportation",
            "Building",
            "NaturalPlace",
            "Village",
            "Animal",
            "Plant",
            "Album",
            "Film",
            "WrittenWork",
        ),
    ),
    "imdb": TextSpec("IMDB", "stanfordnlp/imdb", ("text",), ("text",), ("neg", "pos")),
    GENERIC: TextSpec("text CSV", None, (), (), None),
}
"""Text sources by name: the presets and the generic ``text_csv``."""

_INTEGER = re.compile(r"^[-+]?\d+$")


def load_text_dataset(
    name: str,
    path: str | Path | None = None,
    root: str | Path | None = None,
    download: bool = True,
    encoding: str = "utf-8",
    text_columns: Sequence[str] | None = None,
    label_column: str = "label",
) -> TextData:
    """Load a text source from local files at ``path``, else (a preset) from the hub if
    ``download``; ``text_columns`` (default: the preset's fields, or every column but
    ``label_column``) are the texts, in order."""
    if name not in TEXT_DATASETS:
        raise DataError(f"unknown text dataset {name!r}; choose one of {sorted(TEXT_DATASETS)}.")
    spec = TEXT_DATASETS[name]
    if not isinstance(label_column, str) or isinstance(label_column, bool):
        raise DataError(
            f"stream.target names the label column of a text file; got {label_column!r}, "
            "give the column's name (e.g. label)."
        )
    columns = tuple(text_columns) if text_columns else None
    if columns and label_column in columns:
        raise DataError(
            f"the label column {label_column!r} is also in stream.text_columns {list(columns)}; "
            "remove it there (or set stream.target to the label column)."
        )
    if path:
        published = (label_column, *spec.fields) if spec.fields else None
        pool, test = read_local(
            Path(path).expanduser(),
            label_column,
            published,
            encoding,
            lambda reason: _missing_message(spec, reason),
        )
    elif download and spec.hub:
        pool, test = _read_hub(spec, root)
    else:
        reason = "no stream.path" + (", and download: false" if spec.hub else "")
        raise DataError(_missing_message(spec, reason))
    where = str(path or spec.hub)
    fields = _fields(spec, pool, where, label_column, columns)
    if test is not None:
        _fields(spec, test, f"{where} (test)", label_column, fields)
    y, test_y, class_names = _labels(
        spec, pool[label_column], None if test is None else test[label_column], where
    )
    _at_least_two(where, y, test_y, class_names, label_column)
    return TextData(
        Path(path).expanduser().stem if name == GENERIC else name,  # the file's or folder's
        fields,
        {f: _strings(pool[f]) for f in fields},
        y,
        class_names,
        None if test is None else {f: _strings(test[f]) for f in fields},
        test_y,
    )


def _fields(
    spec: TextSpec, table: Columns, where: str, label: str, columns: tuple[str, ...] | None
) -> tuple[str, ...]:
    """The text fields of ``table``: ``columns`` if given, else the preset's (published or
    hub) fields, else every column but the label; a missing one is named with the columns
    found."""
    if columns:
        candidates = [columns]
    elif spec.fields:
        candidates = [spec.fields, spec.hub_fields]
    else:
        candidates = [tuple(c for c in table if c != label)]
    for fields in candidates:
        if fields and label in table and all(f in table for f in fields):
            return fields
    if spec.fields and not columns:
        raise DataError(
            f"{where}: {spec.title} needs a {label!r} column and the fields {list(spec.fields)} "
            f"(or {list(spec.hub_fields)}); found columns {sorted(table)}."
        )
    if label in table and not candidates[0]:
        raise DataError(
            f"{where}: no text column besides the label column {label!r}; found columns "
            f"{list(table)}. Add the texts, or set stream.target to the label column."
        )
    absent = [c for c in (label, *candidates[0]) if c not in table]
    raise DataError(
        f"{where}: no column {', '.join(map(repr, absent))}; found columns {list(table)}. "
        "Set stream.text_columns to the text columns and stream.target to the label column "
        "(the first row must name the columns)."
    )


def _strings(values: list) -> list[str]:
    return ["" if v is None else str(v) for v in values]


def _labels(
    spec: TextSpec, pool: list, test: list | None, where: str
) -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...]]:
    """Class indices of the pool and test labels, and the class names."""
    if spec.classes is None:
        return class_indices(pool, test, where)
    return (*_preset_labels(spec, pool, test), spec.classes)


def class_indices(
    pool: Sequence, test: Sequence | None = None, where: str = "labels"
) -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...]]:
    """Labels of any strings or integers as indices 0..C-1 of their sorted unique values
    (integers by value), and those values as class names; pool and test share the mapping."""
    parts = [[("" if v is None else str(v)).strip() for v in part] for part in (pool, test or [])]
    for part, split in zip(parts, ("", " (test)"), strict=True):
        if "" in part:
            raise DataError(
                f"{where}{split}: data row {part.index('') + 1} has an empty label; every row "
                "needs one (check stream.target, the label column)."
            )
    every = parts[0] + parts[1]
    if all(_INTEGER.match(v) for v in every):
        values = sorted({int(v) for v in every})
        index = {v: i for i, v in enumerate(values)}
        mapped = [np.array([index[int(v)] for v in p], dtype=np.int64) for p in parts]
        names = tuple(str(v) for v in values)
    else:
        names = tuple(sorted(set(every)))
        index = {v: i for i, v in enumerate(names)}
        mapped = [np.array([index[v] for v in p], dtype=np.int64) for p in parts]
    return mapped[0], (mapped[1] if test is not None else None), names


def _at_least_two(
    where: str, y: np.ndarray, test_y: np.ndarray | None, names: tuple[str, ...], label: str
) -> None:
    present = np.unique(y if test_y is None else np.concatenate([y, test_y]))
    if len(present) == 1:
        raise DataError(
            f"{where}: every row has the label {names[int(present[0])]!r} (column {label!r}); "
            "a classifier needs at least 2 classes. Check stream.target (the label column) "
            "and the file."
        )


def _preset_labels(
    spec: TextSpec, pool: list, test: list | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Class indices from 1-based or 0-based integers, or from class names."""
    by_name = {c.lower(): i for i, c in enumerate(spec.classes)}

    def index(value: object) -> int:
        text = str(value).strip()
        return by_name[text.lower()] if text.lower() in by_name else int(text)

    try:
        values = [np.array([index(v) for v in part], dtype=np.int64) for part in (pool, test or [])]
    except ValueError as err:
        raise DataError(
            f"{spec.title} labels must be integers or one of {list(spec.classes)}: {err}."
        ) from err
    every = np.concatenate(values)
    n = len(spec.classes)
    if len(every) and every.min() >= 1 and every.max() == n:
        values = [v - 1 for v in values]  # the published CSV files count from 1
        every = every - 1
    if len(every) and (every.min() < 0 or every.max() >= n):
        raise DataError(
            f"{spec.title} labels span {int(every.min())}..{int(every.max())}; expected "
            f"0..{n - 1} (or 1..{n} as in the published files)."
        )
    return values[0], (values[1] if test is not None else None)


def _read_hub(spec: TextSpec, root: str | Path | None) -> tuple[Columns, Columns]:
    try:
        import datasets
    except ImportError:
        raise DataError(
            _missing_message(spec, "the optional 'datasets' package is not installed")
        ) from None
    try:
        loaded = datasets.load_dataset(spec.hub, cache_dir=str(data_root(root) / "huggingface"))
    except Exception as err:  # no network, an unknown id, a refused download
        raise DataError(_missing_message(spec, f"{type(err).__name__}: {err}")) from err
    return tuple({c: list(loaded[s][c]) for c in loaded[s].column_names} for s in ("train", "test"))


def _missing_message(spec: TextSpec, reason: str) -> str:
    if spec.hub is None:
        return (
            f"{spec.title} could not be loaded ({reason}). Set stream.path to one CSV (or "
            "Parquet) file, from which train, validation and test sets are carved, or to a "
            "folder holding train.csv and test.csv; the first row names the columns "
            "(stream.text_columns: the texts, stream.target: the label)."
        )
    return (
        f"{spec.title} could not be loaded ({reason}). Set stream.path to a folder holding "
        f"train.csv and test.csv (or .parquet), or to one CSV/Parquet file from which train, "
        f"validation and test sets are carved; columns label,{','.join(spec.fields)} as "
        f"published (a header row is optional). With network access, "
        f"`pip install 'alcl[text]'` and download: true load {spec.hub} from the Hugging Face hub."
    )
