"""Feature-incremental (trapezoidal) streams built from a table.

Experience t brings a fresh, disjoint chunk of samples, split stratified into
train, validation and test, and releases the column group G_t. Columns that
are not visible are stored as NaN: they are absent, not zero. Each model
decides how to treat them (AL never reads them; a fixed-width baseline fills
them in, see :mod:`alcl.baselines`).

Besides the as-released streams, :meth:`FeatureIncrementalStream.view` gives
any split with the columns visible at a later experience, which is what the
"current features" evaluation and the Joint upper bound need.

:meth:`FeatureIncrementalStream.with_task_labels` gives the same samples with
a task label per experience (the experience index), for strategies such as
PNN that need one. The setting itself has no task labels: results of a
strategy that uses them are marked as using a task-label oracle.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from streams.schedule import group_columns, visible_columns
from streams.sources import TabularData
from streams.validation import DataError

SPLITS = ("train", "valid", "test")


@dataclass
class FeatureIncrementalStream:
    """Samples and column groups of a stream, with Avalanche views on demand.

    ``parts[split][j]`` holds the complete (all-column) rows of experience
    ``j``; released views replace the columns not yet visible with NaN.
    ``task_labels``: items of experience ``j`` carry task label ``j`` (an oracle).
    """

    name: str
    groups: list[np.ndarray]
    parts: dict[str, list[tuple[np.ndarray, np.ndarray]]]
    n_classes: int
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...]
    task_labels: bool = False
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_experiences(self) -> int:
        return len(self.groups)

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    def visible(self, t: int) -> np.ndarray:
        """Columns visible at experience ``t`` (0-based)."""
        return visible_columns(self.groups, t)

    def arrays(self, split: str, j: int, upto: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows of experience ``j`` with the columns visible at ``upto`` (default: ``j``)."""
        if split not in SPLITS:
            raise DataError(f"unknown split {split!r}; choose one of {list(SPLITS)}.")
        x, y = self.parts[split][j]
        upto = j if upto is None else upto
        released = np.full_like(x, np.nan)
        cols = self.visible(upto)
        released[:, cols] = x[:, cols]
        return released, y

    def with_task_labels(self) -> FeatureIncrementalStream:
        """The same samples and schedule, with task label = experience index (an oracle)."""
        return dataclasses.replace(self, task_labels=True, _cache={})

    def fingerprint(self) -> str:
        """A hash of every split's samples, labels and the column groups.

        Equal fingerprints mean the same samples in every split, so runs can
        be checked to have met the same data.
        """
        digest = hashlib.sha256()
        for group in self.groups:
            digest.update(np.asarray(group, dtype=np.int64).tobytes() + b"|")
        for split in SPLITS:
            for x, y in self.parts[split]:
                digest.update(np.ascontiguousarray(x).tobytes())
                digest.update(np.ascontiguousarray(y).tobytes())
        return digest.hexdigest()[:16]

    def view(self, split: str, upto: int | None = None):
        """An Avalanche stream over ``split``: experience j seen with F_upto, or as released.

        Views are cached, so repeated evaluation reuses the same experience
        objects. Stream names are ``split`` (as released) or ``split@t`` (upto t).
        """
        key = (split, upto)
        if key not in self._cache:
            from streams.avalanche_data import make_dataset, make_stream

            datasets, attrs = [], []
            for j in range(self.n_experiences):
                t = j if upto is None else upto
                task = j if self.task_labels else 0
                datasets.append(make_dataset(*self.arrays(split, j, t), task_label=task))
                attrs.append(self._attributes(split, j, t))
            name = split if upto is None else f"{split}@{upto + 1}"
            self._cache[key] = make_stream(name, datasets, attrs)
        return self._cache[key]

    def _attributes(self, split: str, j: int, t: int) -> dict:
        attrs = {
            "split": split,
            "released_at": j,
            "group_index": t,
            "visible_columns": self.visible(t),
            "new_columns": self.groups[t] if t == j else np.empty(0, dtype=np.int64),
            "n_features": self.n_features,
        }
        if self.task_labels:
            # What Avalanche's with_task_labels/with_classes_timeline set, as
            # lists (PNN's multi-head classifier cannot index with sets).
            classes = sorted(int(c) for c in np.unique(self.parts[split][j][1]))
            attrs |= {
                "task_label": j,
                "task_labels": [j],
                "task_label_is_oracle": True,
                "classes_in_this_experience": classes,
            }
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


def _partition(
    y: np.ndarray, n_experiences: int, test_fraction: float, valid_fraction: float, seed: int
) -> dict[str, list[np.ndarray]]:
    """Disjoint, stratified sample indices per split and experience."""
    counts = np.bincount(y)
    need = n_experiences * 3
    if counts.min() < need:
        raise DataError(
            f"class {int(counts.argmin())} has only {int(counts.min())} samples, but "
            f"{n_experiences} experiences x 3 splits need at least {need} per class. "
            "Use fewer experiences or a larger dataset."
        )
    if n_experiences == 1:
        chunks = [np.arange(len(y))]
    else:
        folds = StratifiedKFold(n_splits=n_experiences, shuffle=True, random_state=seed)
        chunks = [test for _, test in folds.split(np.zeros(len(y)), y)]
    parts: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    for j, chunk in enumerate(chunks):
        try:
            rest, test = train_test_split(
                chunk, test_size=test_fraction, stratify=y[chunk], random_state=seed + j
            )
            train, valid = train_test_split(
                rest, test_size=valid_fraction, stratify=y[rest], random_state=seed + j
            )
        except ValueError as err:
            raise DataError(
                f"experience {j + 1} ({len(chunk)} samples) cannot be split stratified "
                f"into train/valid/test ({err}). Use fewer experiences or larger "
                "test_fraction/valid_fraction."
            ) from err
        for split, idx in zip(SPLITS, (train, valid, test), strict=True):
            parts[split].append(np.sort(idx))
    return parts


def _standardize(x: np.ndarray, train_rows_of_group: Sequence[np.ndarray], groups) -> np.ndarray:
    """Scale each column with the statistics of the training rows that first saw it.

    A column released at experience t is standardised with experience t's
    training samples only: no statistic comes from the future or from test data.
    """
    out = x.copy()
    for cols, rows in zip(groups, train_rows_of_group, strict=True):
        if len(cols) == 0:
            continue
        block = x[np.ix_(rows, cols)]
        mean = block.mean(axis=0)
        std = block.std(axis=0)
        std[std < 1e-8] = 1.0
        out[:, cols] = (x[:, cols] - mean) / std
    return out


def build_feature_incremental_stream(
    data: TabularData,
    n_experiences: int = 4,
    grouping: str = "contiguous",
    groups: Sequence[Sequence[int]] | None = None,
    seed: int = 0,
    test_fraction: float = 0.25,
    valid_fraction: float = 0.15,
    standardize: bool = True,
) -> FeatureIncrementalStream:
    """Build a feature-incremental stream from a checked table.

    ``test_fraction`` of each experience's samples form its test set;
    ``valid_fraction`` of the remaining training samples form its validation set.
    """
    if n_experiences < 1:
        raise DataError(f"n_experiences must be >= 1, got {n_experiences}.")
    for name, frac in (("test_fraction", test_fraction), ("valid_fraction", valid_fraction)):
        if not 0.0 < frac < 1.0:
            raise DataError(f"{name} must lie strictly between 0 and 1, got {frac}.")
    column_groups = group_columns(data.n_features, n_experiences, grouping, groups, seed)
    idx = _partition(data.y, n_experiences, test_fraction, valid_fraction, seed)
    x = data.x
    if standardize:
        x = _standardize(x, idx["train"], column_groups)
    parts = {split: [(x[rows], data.y[rows]) for rows in idx[split]] for split in SPLITS}
    return FeatureIncrementalStream(
        name=data.name,
        groups=column_groups,
        parts=parts,
        n_classes=data.n_classes,
        feature_names=data.feature_names,
        class_names=data.class_names,
    )
