"""Local text tables: one CSV or Parquet file, or a folder of ``train*`` and ``test*`` files,
read as named columns of strings (Parquet: of the stored values).

A CSV is decoded with :func:`streams.validation.decode_text` (a wrong ``stream.file_encoding``
names the file, the byte offset and the line) and parsed with the :mod:`csv` module; blank
lines are skipped. Its first row names the columns when it holds the label column, or always
when no published column order is given; otherwise the columns take the published names
(a corpus's files without a header row). Every problem is one :class:`DataError` naming the
file and the fix. Which columns are text and how labels become classes is
:mod:`streams.text_sources`' business.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path

from streams.validation import DataError, decode_text

Columns = dict[str, list]
"""A table as column name -> values, in file order."""


def read_local(
    path: Path,
    label: str,
    published: Sequence[str] | None,
    encoding: str,
    missing: Callable[[str], str],
) -> tuple[Columns, Columns | None]:
    """The pool (a file) or the train and test splits (a folder) at ``path``.

    ``label`` names the label column; ``published`` names the columns of a CSV without a
    header row (None: the first row is always the header); ``missing(reason)`` is the
    message when no file is there.
    """
    if path.is_file():
        return read_table(path, label, published, encoding), None
    if not path.is_dir():
        raise DataError(missing(f"{path} does not exist"))
    found = {}
    for split in ("train", "test"):
        files = sorted(p for ext in ("csv", "parquet") for p in path.glob(f"{split}*.{ext}"))
        if not files:
            raise DataError(missing(f"{path} holds no {split}*.csv or {split}*.parquet"))
        tables = [read_table(f, label, published, encoding) for f in files]
        for f, t in zip(files[1:], tables[1:], strict=True):
            if list(t) != list(tables[0]):
                raise DataError(
                    f"{f} has the columns {list(t)} but {files[0].name} has {list(tables[0])}; "
                    "every file of a folder needs the same columns."
                )
        found[split] = {k: [v for t in tables for v in t[k]] for k in tables[0]}
    return found["train"], found["test"]


def read_table(
    path: Path, label: str, published: Sequence[str] | None, encoding: str = "utf-8"
) -> Columns:
    """One CSV or Parquet file as columns (see the module docstring for the header row)."""
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError as err:
            raise DataError(
                f"reading {path.name} needs pyarrow: pip install 'alcl[text]' (or use CSV)."
            ) from err
        table = pq.read_table(path).to_pydict()
        if not table or not len(next(iter(table.values()))):
            raise DataError(f"{path} is empty: it has no rows; check stream.path.")
        return table
    if path.suffix != ".csv":
        raise DataError(f"{path} must be a .csv or .parquet file.")
    rows = _csv_rows(path, encoding)
    if not rows:
        raise DataError(f"{path} is empty: it has no rows; check stream.path.")
    first_line, first = rows[0]
    header = [h.strip() for h in first]
    header[0] = header[0].removeprefix("\ufeff")  # a byte-order mark written by some editors
    if label in header or published is None:
        rows = rows[1:]
    else:
        header, first_line = list(published), 0
    if not rows:
        raise DataError(
            f"{path} has a header row (line {first_line}) but no data rows; add data or check "
            "stream.path."
        )
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise DataError(
            f"{path}: the header row names the columns {twice} more than once; give every "
            "column its own name."
        )
    for line, row in rows:
        if len(row) != len(header):
            raise DataError(
                f"{path}, line {line}: {len(row)} fields, expected {len(header)} "
                f"({', '.join(header)}); quote texts that hold commas."
            )
    return {h: [r[i] for _, r in rows] for i, h in enumerate(header)}


def _csv_rows(path: Path, encoding: str) -> list[tuple[int, list[str]]]:
    """``(line number, fields)`` of every row that is not blank."""
    reader = csv.reader(io.StringIO(decode_text(path, encoding), newline=""))
    try:
        return [(reader.line_num, row) for row in reader if any(f.strip() for f in row)]
    except csv.Error as err:
        raise DataError(
            f"{path}, line {reader.line_num}: not valid CSV ({err}); check the quoting."
        ) from None
