"""The stored values of a stream, and how rows become model inputs on demand.

A stream keeps one copy of its raw values: 8-bit pixels stay 8-bit, word
counts stay sparse. Model inputs are made only for the rows asked for:

    input = (raw - shift) / divisor, columns permuted (domain streams),
            columns not visible set to NaN

so an as-released view, a current-feature view and the Joint view of the
same samples cost no extra memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SparseRows:
    """A compressed sparse row matrix: row i holds ``data[indptr[i]:indptr[i+1]]`` at ``indices``."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_columns: int

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.indptr) - 1, self.n_columns)

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes + self.data.nbytes

    def dense(self, rows: np.ndarray) -> np.ndarray:
        """The float32 dense rows ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), self.n_columns), dtype=np.float32)
        starts, stops = self.indptr[rows], self.indptr[rows + 1]
        lengths = stops - starts
        if lengths.sum():
            which = np.repeat(np.arange(len(rows)), lengths)
            take = np.concatenate([np.arange(a, b) for a, b in zip(starts, stops, strict=True)])
            out[which, self.indices[take]] = self.data[take]
        return out

    @classmethod
    def from_rows(cls, rows: list[dict[int, float]], n_columns: int) -> SparseRows:
        """Build from one ``{column: value}`` mapping per row."""
        lengths = np.array([len(r) for r in rows], dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        indices = np.fromiter((c for r in rows for c in sorted(r)), np.int64, int(indptr[-1]))
        data = np.fromiter((r[c] for r in rows for c in sorted(r)), np.float32, int(indptr[-1]))
        return cls(indptr, indices, data, n_columns)


Values = np.ndarray | SparseRows


@dataclass(frozen=True)
class ColumnTable:
    """Raw values of the sample pool (and of a published test split) and their column scaling."""

    pool: Values
    test: Values | None
    shift: np.ndarray | None = None  # (D,) float32, or None for 0
    divisor: np.ndarray | float | None = None  # (D,) float32 or a scalar, or None for 1

    @property
    def n_columns(self) -> int:
        return self.pool.shape[1]

    @property
    def nbytes(self) -> int:
        """Bytes held by the raw values (the stream's memory, whatever its views)."""
        return sum(v.nbytes for v in (self.pool, self.test) if v is not None)

    def source(self, split: str) -> Values:
        """The values that a split's row indices refer to."""
        return self.test if split == "test" and self.test is not None else self.pool

    def take(
        self,
        split: str,
        rows: np.ndarray,
        visible: np.ndarray | None = None,
        permutation: np.ndarray | None = None,
    ) -> np.ndarray:
        """Float32 model inputs of ``rows``; columns outside the boolean ``visible`` are NaN."""
        values = self.source(split)
        if visible is not None and permutation is None and isinstance(values, np.ndarray):
            return self._take_visible(values, rows, visible)
        if isinstance(values, SparseRows):
            x = values.dense(rows)
        else:
            x = values[rows].astype(np.float32, copy=False)  # fancy indexing already copied
        if self.shift is not None:
            x -= self.shift
        if self.divisor is not None:
            x /= self.divisor
        if permutation is not None:
            x = x[:, permutation]
        if visible is not None:
            x[:, ~visible] = np.nan
        return x

    def _take_visible(
        self, values: np.ndarray, rows: np.ndarray, visible: np.ndarray
    ) -> np.ndarray:
        """:meth:`take` of dense values, computing only the visible columns (the same
        arithmetic on each of them, so the same bits), the others NaN.

        Whole rows are gathered first (one copy per row), and a contiguous run of visible
        columns is scaled in place inside the output, so no temporary of its size is made.
        """
        columns = np.flatnonzero(visible)
        x = np.empty((len(rows), len(visible)), dtype=np.float32)
        if len(columns) and columns[-1] - columns[0] + 1 == len(columns):
            span: slice | np.ndarray = slice(int(columns[0]), int(columns[-1]) + 1)
        else:
            span = columns
        source = values.take(np.asarray(rows), axis=0)[:, span]
        part = x[:, span] if isinstance(span, slice) else np.empty(source.shape, np.float32)
        np.copyto(part, source, casting="unsafe")  # the cast astype(np.float32) makes
        if self.shift is not None:
            np.subtract(part, self.shift[span], out=part)
        if self.divisor is not None:
            divisor = self.divisor
            np.divide(
                part,
                divisor[span] if isinstance(divisor, np.ndarray) and divisor.ndim else divisor,
                out=part,
            )
        if not isinstance(span, slice):
            x[:, columns] = part
        if len(columns) < len(visible):
            x[:, ~visible] = np.nan
        return x


@dataclass(frozen=True)
class RowSelection:
    """Some rows of one split, seen with some columns: what an experience's dataset holds."""

    table: ColumnTable
    split: str
    rows: np.ndarray
    visible: np.ndarray | None = None  # boolean (D,), or None for every column
    permutation: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, positions: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Model inputs of the selected rows at ``positions`` (default: all of them)."""
        return self.table.take(self.split, self.rows[positions], self.visible, self.permutation)
