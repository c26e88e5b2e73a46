"""The stream: experiences of samples and released columns, with Avalanche views on demand.

Every kind of stream is one of these. Experience t brings its own disjoint
samples, split into train, validation and test, and releases the column
group G_t; the columns visible in it are F_t = G_1 ∪ ... ∪ G_t. Columns that
are not visible are NaN: they are absent, not zero. Each model decides how to
treat them (AL never reads them; a fixed-width baseline fills them in, see
:mod:`alcl.baselines`).

- feature-incremental: samples and column groups arrive together;
- static: one experience, every column;
- repeated: the same samples in every experience, every column released by
  the first (static data trained in rounds: layer accumulation);
- class-incremental: experience t holds the samples of its classes, every column;
- domain: disjoint sample chunks, every column, optionally a column permutation each.

Besides the as-released streams, :meth:`FeatureIncrementalStream.view` gives
any split with the columns visible at a later experience, which is what the
"current features" evaluation and the Joint upper bound need. The stream
keeps one copy of the raw values (:class:`~streams.rows.ColumnTable`); every
view makes its inputs on access.

:meth:`FeatureIncrementalStream.with_task_labels` gives the same samples with
a task label per experience (the experience index), for strategies such as
PNN that need one. The feature-incremental setting itself has no task labels:
results of a strategy that uses them are marked as using a task-label oracle.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from streams.layout import ImageLayout
from streams.rows import ColumnTable, RowSelection
from streams.schedule import visible_columns
from streams.validation import DataError

SPLITS = ("train", "valid", "test")


@dataclass
class FeatureIncrementalStream:
    """Samples, labels and column groups of a stream.

    ``rows[split][j]`` indexes experience j's samples in ``table.source(split)``;
    ``labels[split][j]`` are their labels. ``task_labels``: items of experience
    ``j`` carry task label ``j`` (an oracle).
    """

    name: str
    groups: list[np.ndarray]
    rows: dict[str, list[np.ndarray]]
    labels: dict[str, list[np.ndarray]]
    table: ColumnTable
    n_classes: int
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    kind: str = "feature_incremental"
    layout: Any = None
    group_names: list[list[str]] | None = None
    permutations: list[np.ndarray | None] | None = None
    task_labels: bool = False
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_parts(
        cls,
        name: str,
        groups: list[np.ndarray],
        parts: dict[str, list[tuple[np.ndarray, np.ndarray]]],
        n_classes: int,
        feature_names: tuple[str, ...],
        class_names: tuple[str, ...],
    ) -> FeatureIncrementalStream:
        """A stream from explicit complete rows ``parts[split][j] = (x, y)`` (no scaling).

        For hand-made streams in tests and studies; loaders go through
        :func:`streams.build_stream`.
        """
        blocks, rows, labels, start = [], {}, {}, 0
        for split in SPLITS:
            rows[split], labels[split] = [], []
            for x, y in parts[split]:
                blocks.append(np.asarray(x, dtype=np.float32))
                rows[split].append(np.arange(start, start + len(x)))
                labels[split].append(np.asarray(y, dtype=np.int64))
                start += len(x)
        table = ColumnTable(np.concatenate(blocks), None)
        return cls(
            name,
            [np.asarray(g, dtype=np.int64) for g in groups],
            rows,
            labels,
            table,
            n_classes,
            feature_names,
            class_names,
        )

    @property
    def n_experiences(self) -> int:
        return len(self.groups)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    @property
    def image_shape(self) -> tuple[int, int, int] | None:
        """``(C, H, W)`` when the columns are image pixels, else None."""
        return self.layout.shape if isinstance(self.layout, ImageLayout) else None

    @property
    def nbytes(self) -> int:
        """Bytes of raw values the stream holds (views add none)."""
        return self.table.nbytes

    def visible(self, t: int) -> np.ndarray:
        """Columns visible at experience ``t`` (0-based)."""
        return visible_columns(self.groups, t)

    def _mask(self, t: int) -> np.ndarray:
        key = ("mask", t)
        if key not in self._cache:
            mask = np.zeros(self.n_features, dtype=bool)
            mask[self.visible(t)] = True
            self._cache[key] = mask
        return self._cache[key]

    def selection(self, split: str, j: int, upto: int | None = None) -> RowSelection:
        """Experience ``j``'s samples of ``split`` seen with the columns of ``upto`` (default ``j``)."""
        if split not in SPLITS:
            raise DataError(f"unknown split {split!r}; choose one of {list(SPLITS)}.")
        t = j if upto is None else upto
        return RowSelection(self.table, split, self.rows[split][j], self._mask(t), self._perm(j))

    def arrays(self, split: str, j: int, upto: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows of experience ``j`` with the columns visible at ``upto`` (default: ``j``), NaN elsewhere."""
        return self.selection(split, j, upto).take(), self.labels[split][j]

    @property
    def parts(self) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
        """Every split's complete (all-column) rows per experience: a fresh copy, for small data."""
        return {
            split: [
                (RowSelection(self.table, split, rows, None, self._perm(j)).take(), y)
                for j, (rows, y) in enumerate(
                    zip(self.rows[split], self.labels[split], strict=True)
                )
            ]
            for split in SPLITS
        }

    def _perm(self, j: int) -> np.ndarray | None:
        return None if self.permutations is None else self.permutations[j]

    def with_task_labels(self) -> FeatureIncrementalStream:
        """The same samples and schedule, with task label = experience index (an oracle)."""
        return dataclasses.replace(self, task_labels=True, _cache={})

    def fingerprint(self) -> str:
        """A hash of the column groups and every split's samples and labels.

        Equal fingerprints mean the same samples in every split, so runs can
        be checked to have met the same data. The raw values are hashed once
        per stream (views share them).
        """
        key = ("fingerprint",)
        if key not in self._cache:
            digest = hashlib.sha256()
            for group in self.groups:
                digest.update(np.asarray(group, dtype=np.int64).tobytes() + b"|")
            for values in (self.table.pool, self.table.test):
                for array in _arrays_of(values):
                    digest.update(np.ascontiguousarray(array).tobytes())
            for split in SPLITS:
                for rows, y in zip(self.rows[split], self.labels[split], strict=True):
                    digest.update(np.asarray(rows, dtype=np.int64).tobytes() + b"|")
                    digest.update(np.asarray(y, dtype=np.int64).tobytes() + b"|")
            for perm in self.permutations or []:
                if perm is not None:
                    digest.update(np.asarray(perm, dtype=np.int64).tobytes())
            self._cache[key] = digest.hexdigest()[:16]
        return self._cache[key]

    def view(self, split: str, upto: int | None = None):
        """An Avalanche stream over ``split``: experience j seen with F_upto, or as released.

        Views are cached, so repeated evaluation reuses the same experience
        objects. Stream names are ``split`` (as released) or ``split@t`` (upto t).
        """
        key = (split, upto)
        if key not in self._cache:
            from streams.avalanche_data import make_lazy_dataset, make_stream

            datasets, attrs = [], []
            for j in range(self.n_experiences):
                t = j if upto is None else upto
                task = j if self.task_labels else 0
                datasets.append(
                    make_lazy_dataset(self.selection(split, j, t), self.labels[split][j], task)
                )
                attrs.append(self._attributes(split, j, t))
            name = split if upto is None else f"{split}@{upto + 1}"
            self._cache[key] = make_stream(name, datasets, attrs)
        return self._cache[key]

    def classes_in(self, split: str, j: int) -> list[int]:
        """Sorted classes present in experience ``j`` of ``split``."""
        return sorted(int(c) for c in np.unique(self.labels[split][j]))

    def _seen(self, experiences: range) -> list[int]:
        return sorted({c for i in experiences for c in self.classes_in("train", i)})

    def _attributes(self, split: str, j: int, t: int) -> dict:
        attrs = {
            "split": split,
            "kind": self.kind,
            "released_at": j,
            "group_index": t,
            "visible_columns": self.visible(t),
            "new_columns": self.groups[t] if t == j else np.empty(0, dtype=np.int64),
            "released_pieces": list(self.group_names[t]) if self.group_names and t == j else [],
            "n_features": self.n_features,
            "layout": self.layout,
            "image_shape": self.image_shape,
            "permutation": self._perm(j),
            "task_label": j if self.task_labels else 0,
            "classes_in_this_experience": self.classes_in(split, j),
            "previous_classes": self._seen(range(j)),
            "classes_seen_so_far": self._seen(range(j + 1)),
            "future_classes": self._seen(range(j + 1, self.n_experiences)),
        }
        if self.task_labels:
            # What Avalanche's with_task_labels sets, as a list (PNN's
            # multi-head classifier cannot index with sets).
            attrs |= {"task_labels": [j], "task_label_is_oracle": True}
        return attrs

    @property
    def train_stream(self):
        return self.view("train")

    @property
    def valid_stream(self):
        return self.view("valid")

    @property
    def test_stream(self):
        return self.view("test")


def _arrays_of(values) -> list[np.ndarray]:
    """The NumPy arrays that hold a table's raw values (dense, or the parts of sparse rows)."""
    if values is None:
        return []
    if isinstance(values, np.ndarray):
        return [values]
    return [values.indptr, values.indices, values.data]
