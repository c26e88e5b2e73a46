"""Feature schedules: which columns each experience releases.

Experience t releases the group G_t; the columns visible in it are
F_t = G_1 ∪ ... ∪ G_t. Later groups may be empty (an experience that brings
new samples but no new columns); the first may not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from streams.validation import DataError

GROUPINGS = ("contiguous", "random", "explicit")


def group_columns(
    n_features: int,
    n_groups: int,
    grouping: str = "contiguous",
    groups: Sequence[Sequence[int]] | None = None,
    seed: int = 0,
) -> list[np.ndarray]:
    """Split column indices into ``n_groups`` release groups.

    ``contiguous`` cuts 0..d-1 into near-equal consecutive runs (row bands for
    a row-major image); ``random`` does the same after a seeded permutation;
    ``explicit`` takes ``groups`` as given, after checking it.
    """
    if grouping not in GROUPINGS:
        raise DataError(f"unknown grouping {grouping!r}; choose one of {list(GROUPINGS)}.")
    if grouping == "explicit":
        return _check_explicit(groups, n_features, n_groups)
    if groups is not None:
        raise DataError(f"stream.groups is only used with grouping 'explicit', not {grouping!r}.")
    if not 1 <= n_groups <= n_features:
        raise DataError(
            f"cannot cut {n_features} columns into {n_groups} groups; "
            f"use between 1 and {n_features} experiences."
        )
    order = np.arange(n_features)
    if grouping == "random":
        order = np.random.default_rng(seed).permutation(n_features)
    return [np.sort(part).astype(np.int64) for part in np.array_split(order, n_groups)]


def _check_explicit(
    groups: Sequence[Sequence[int]] | None, n_features: int, n_groups: int
) -> list[np.ndarray]:
    if groups is None:
        raise DataError(
            "grouping 'explicit' needs stream.groups: one list of column indices per experience."
        )
    if len(groups) != n_groups:
        raise DataError(
            f"stream.groups has {len(groups)} groups but n_experiences is {n_groups}; "
            "give one group per experience."
        )
    out, seen = [], set()
    for t, group in enumerate(groups):
        cols = [int(c) for c in group]
        if t == 0 and not cols:
            raise DataError(
                "the first feature group is empty; experience 1 must release some columns."
            )
        bad = [c for c in cols if not 0 <= c < n_features]
        if bad:
            raise DataError(f"group {t} names columns {bad} outside 0..{n_features - 1}.")
        twice = seen.intersection(cols) | {c for c in cols if cols.count(c) > 1}
        if twice:
            raise DataError(
                f"columns {sorted(twice)} appear in more than one group; groups must be disjoint."
            )
        seen.update(cols)
        out.append(np.array(sorted(cols), dtype=np.int64))
    return out


def visible_columns(groups: Sequence[np.ndarray], t: int) -> np.ndarray:
    """Columns visible at experience ``t`` (0-based): the union of groups 0..t."""
    return np.sort(np.concatenate([g for g in groups[: t + 1]])).astype(np.int64)
