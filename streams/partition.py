"""Which samples go to which experience and split.

Two steps, shared by every kind of stream:

1. *assign* pool samples (and published test samples) to experiences:
   stratified, disjoint chunks (feature-incremental, static, domain streams),
   or by class (class-incremental streams);
2. *split* each experience's pool chunk, stratified and seeded: without a
   published test split, ``test_fraction`` of the chunk becomes its test
   set; then ``valid_fraction`` of the rest becomes its validation set. With
   a published test split, the test set is the experience's share of it and
   validation is carved from the training samples only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from streams.validation import DataError

SPLITS = ("train", "valid", "test")

Plan = dict[str, list[np.ndarray]]
"""Row indices per split and experience (test rows index the published test split, if any)."""


def stratified_chunks(
    y: np.ndarray, n: int, seed: int, per_class: int, what: str
) -> list[np.ndarray]:
    """``n`` disjoint chunks of ``range(len(y))`` with the class proportions of ``y``."""
    counts = np.bincount(y)
    need = n * per_class
    if counts.min() < need:
        raise DataError(
            f"class {int(counts.argmin())} has only {int(counts.min())} samples in the {what}, "
            f"but {n} experiences x {per_class} splits need at least {need} per class. "
            "Use fewer experiences or a larger dataset."
        )
    if n == 1:
        return [np.arange(len(y))]
    folds = StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)
    return [test for _, test in folds.split(np.zeros(len(y)), y)]


def class_chunks(y: np.ndarray, classes: Sequence[np.ndarray], what: str) -> list[np.ndarray]:
    """The samples of each experience's classes."""
    chunks = [np.flatnonzero(np.isin(y, c)) for c in classes]
    for t, chunk in enumerate(chunks):
        if len(chunk) == 0:
            raise DataError(
                f"experience {t + 1} has no samples of its classes {list(classes[t])} in the {what}."
            )
    return chunks


def split_chunks(
    y: np.ndarray,
    chunks: Sequence[np.ndarray],
    test_chunks: Sequence[np.ndarray] | None,
    test_fraction: float,
    valid_fraction: float,
    seed: int,
) -> Plan:
    """Train/valid/test rows per experience; see the module docstring."""
    for name, frac in (("test_fraction", test_fraction), ("valid_fraction", valid_fraction)):
        if not 0.0 < frac < 1.0:
            raise DataError(f"{name} must lie strictly between 0 and 1, got {frac}.")
    plan: Plan = {s: [] for s in SPLITS}
    for j, chunk in enumerate(chunks):
        try:
            if test_chunks is None:
                rest, test = train_test_split(
                    chunk, test_size=test_fraction, stratify=y[chunk], random_state=seed + j
                )
            else:
                rest, test = chunk, test_chunks[j]
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
            plan[split].append(np.sort(idx))
    return plan


def plan_samples(
    y: np.ndarray,
    y_test: np.ndarray | None,
    n_experiences: int,
    classes: Sequence[np.ndarray] | None,
    test_fraction: float,
    valid_fraction: float,
    seed: int,
) -> Plan:
    """Assign and split: by class when ``classes`` (one array per experience) is given."""
    if n_experiences < 1:
        raise DataError(f"n_experiences must be >= 1, got {n_experiences}.")
    published = y_test is not None
    if classes is not None:
        chunks = class_chunks(y, classes, "training pool")
        test_chunks = class_chunks(y_test, classes, "test split") if published else None
    else:
        chunks = stratified_chunks(y, n_experiences, seed, 2 if published else 3, "training pool")
        test_chunks = (
            stratified_chunks(y_test, n_experiences, seed, 1, "test split") if published else None
        )
    return split_chunks(y, chunks, test_chunks, test_fraction, valid_fraction, seed)


def keep_fraction(
    plan: Plan, y: np.ndarray, y_test: np.ndarray | None, fraction: float, seed: int
) -> Plan:
    """Keep ``fraction`` of the rows of every split of every experience, within each class
    (at least one row of every class a part has), drawn with ``seed``: a smaller stream of
    the same shape, for a CPU-sized run on a large data set."""
    rng = np.random.default_rng([seed, 7919])
    out: Plan = {}
    for split, parts in plan.items():
        labels = y_test if split == "test" and y_test is not None else y
        kept = []
        for rows in parts:
            rows = np.asarray(rows)
            keep = []
            for cls in np.unique(labels[rows]):
                members = rows[labels[rows] == cls]
                count = max(1, int(round(fraction * len(members))))
                keep.append(rng.choice(members, size=count, replace=False))
            kept.append(np.sort(np.concatenate(keep)) if keep else rows)
        out[split] = kept
    return out
