"""Text datasets: AG News, DBpedia-14 and IMDB, from local CSV/Parquet files or the Hugging Face hub.

Local files (``stream.path``) come in two shapes:

- a folder holding ``train*.csv``/``train*.parquet`` and ``test*.csv``/``test*.parquet``:
  the published splits; streams take their test sets from the test files;
- one CSV or Parquet file: a single pool, from which streams carve train,
  validation and test sets (stratified, seeded).

Columns are found by name (``label`` and the dataset's fields, e.g. ``title``
and ``description`` for AG News), or, in a CSV without a header row, by
position in the published order (label first). Labels may be 1-based as in
the original CSV files, 0-based as on the hub, or class names.

Without local files the hub copy is loaded with the optional ``datasets``
package (``pip install 'alcl[text]'``), cached under the data root
(:func:`streams.paths.data_root`). The hub copy of AG News joins title and
description into one ``text`` field.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from streams.paths import data_root
from streams.validation import DataError, decode_text


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
    title: str
    hub: str  # the Hugging Face dataset id
    fields: tuple[str, ...]  # fields of the published files, in order
    hub_fields: tuple[str, ...]  # fields of the hub copy
    classes: tuple[str, ...]


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
}
"""Text datasets by name."""

Columns = dict[str, list]


def load_text_dataset(
    name: str,
    path: str | Path | None = None,
    root: str | Path | None = None,
    download: bool = True,
    encoding: str = "utf-8",
) -> TextData:
    """Load a text dataset from local files at ``path``, else from the hub if ``download``."""
    if name not in TEXT_DATASETS:
        raise DataError(f"unknown text dataset {name!r}; choose one of {sorted(TEXT_DATASETS)}.")
    spec = TEXT_DATASETS[name]
    if path:
        pool, test = _read_local(Path(path).expanduser(), spec, encoding)
    elif download:
        pool, test = _read_hub(spec, root)
    else:
        raise DataError(_missing_message(spec, "download=false and no stream.path"))
    fields = _fields(spec, pool, path or spec.hub)
    labels = _labels(spec, pool["label"], None if test is None else test["label"])
    return TextData(
        name,
        fields,
        {f: _strings(pool[f]) for f in fields},
        labels[0],
        spec.classes,
        None if test is None else {f: _strings(test[f]) for f in _fields(spec, test, "test")},
        labels[1],
    )


def _read_local(
    path: Path, spec: TextSpec, encoding: str = "utf-8"
) -> tuple[Columns, Columns | None]:
    if path.is_file():
        return _read_table(path, spec, encoding), None
    if not path.is_dir():
        raise DataError(_missing_message(spec, f"{path} does not exist"))
    found = {}
    for split in ("train", "test"):
        files = sorted(p for ext in ("csv", "parquet") for p in path.glob(f"{split}*.{ext}"))
        if not files:
            raise DataError(
                _missing_message(spec, f"{path} holds no {split}*.csv or {split}*.parquet")
            )
        tables = [_read_table(f, spec, encoding) for f in files]
        found[split] = {k: [v for t in tables for v in t[k]] for k in tables[0]}
    return found["train"], found["test"]


def _read_table(path: Path, spec: TextSpec, encoding: str = "utf-8") -> Columns:
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError as err:
            raise DataError(
                f"reading {path.name} needs pyarrow: pip install 'alcl[text]' (or use CSV)."
            ) from err
        return pq.read_table(path).to_pydict()
    if path.suffix != ".csv":
        raise DataError(f"{path} must be a .csv or .parquet file.")
    rows = list(csv.reader(io.StringIO(decode_text(path, encoding), newline="")))
    if not rows:
        raise DataError(f"{path} is empty.")
    header = [h.strip() for h in rows[0]]
    if "label" in header:
        rows = rows[1:]
    else:
        header = ["label", *spec.fields]
    if any(len(r) != len(header) for r in rows):
        bad = next(i for i, r in enumerate(rows) if len(r) != len(header))
        raise DataError(
            f"{path}: row {bad + 1} has {len(rows[bad])} fields, expected {len(header)} "
            f"({', '.join(header)})."
        )
    return {h: [r[i] for r in rows] for i, h in enumerate(header)}


def _fields(spec: TextSpec, table: Columns, where: object) -> tuple[str, ...]:
    for fields in (spec.fields, spec.hub_fields):
        if "label" in table and all(f in table for f in fields):
            return fields
    raise DataError(
        f"{where}: {spec.title} needs a 'label' column and the fields {list(spec.fields)} "
        f"(or {list(spec.hub_fields)}); found columns {sorted(table)}."
    )


def _strings(values: list) -> list[str]:
    return ["" if v is None else str(v) for v in values]


def _labels(spec: TextSpec, pool: list, test: list | None) -> tuple[np.ndarray, np.ndarray | None]:
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
    return (
        f"{spec.title} could not be loaded ({reason}). Set stream.path to a folder holding "
        f"train.csv and test.csv (or .parquet), or to one CSV/Parquet file from which train, "
        f"validation and test sets are carved; columns label,{','.join(spec.fields)} as "
        f"published (a header row is optional). With network access, "
        f"`pip install 'alcl[text]'` and download: true load {spec.hub} from the Hugging Face hub."
    )
