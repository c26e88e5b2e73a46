"""Feature schedules: which columns each experience releases.

Experience t releases the group G_t; the columns visible in it are
F_t = G_1 ∪ ... ∪ G_t. Later groups may be empty (an experience that brings
new samples but no new columns); the first may not.

Most groupings first cut the columns into *pieces* (runs of columns, image
bands or patches, text fields...), then :func:`deal` hands the pieces to the
experiences in order: ``per_experience[t]`` pieces to experience t, by
default as evenly as possible. The same dealing hands out classes in a
class-incremental stream.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from streams.evolving import PATTERNS, EvolvingPattern, release_groups
from streams.validation import DataError

TABLE_GROUPINGS = ("contiguous", "random", "explicit", "trapezoidal", "haphazard", "obsolete")
"""The feature-evolving ones are the batch forms of the online streams
(:mod:`streams.evolving`), a chunk per experience: ``trapezoidal``, experience k of n shows
the first max(base, round(k d / n)) columns (OLSF's trapezoid); ``haphazard``, every column
from the first experience, each non-base one present in a row with probability
``stream.presence``; ``obsolete``, column groups that arrive with one experience and vanish
``stream.lifetime`` experiences later."""
IMAGE_GROUPINGS = (
    "horizontal_bands",
    "vertical_bands",
    "quadrants",
    "patches",
    "channels",
    "resolution",
)
TEXT_GROUPINGS = ("fields", "segments", "sample_segments")
"""Text pieces (:func:`streams.text_encoding.split_pieces`): per field, fixed token positions
of the joined fields, or each text's own tokens cut into parts of its own length."""
GROUPINGS = TABLE_GROUPINGS + IMAGE_GROUPINGS + TEXT_GROUPINGS

Piece = tuple[str, np.ndarray]
"""A unit of release: a name and its column indices."""


def table_pieces(n_features: int, grouping: str, n_pieces: int, seed: int = 0) -> list[Piece]:
    """Cut columns 0..d-1 into ``n_pieces`` near-equal runs (``random``: after a seeded shuffle).

    ``contiguous`` runs of a row-major image are row bands.
    """
    if not 1 <= n_pieces <= n_features:
        raise DataError(
            f"cannot cut {n_features} columns into {n_pieces} groups; "
            f"use between 1 and {n_features} experiences."
        )
    order = np.arange(n_features)
    if grouping == "random":
        order = np.random.default_rng(seed).permutation(n_features)
    parts = np.array_split(order, n_pieces)
    return [(f"columns{i + 1}", np.sort(p).astype(np.int64)) for i, p in enumerate(parts)]


def deal(
    n_units: int,
    n_experiences: int,
    order: Sequence[int] | None = None,
    shuffle: bool = False,
    per_experience: Sequence[int] | None = None,
    seed: int = 0,
    unit: str = "piece",
) -> list[np.ndarray]:
    """Hand units 0..n-1 (pieces or classes) to experiences, in ``order`` or a seeded shuffle.

    Every unit goes to exactly one experience and every experience gets at
    least one: nothing is dropped when ``n_units`` is not divisible.
    """
    units = unit + ("es" if unit.endswith("s") else "s")
    if order is not None and shuffle:
        raise DataError(f"give either an explicit {unit} order or shuffle, not both.")
    if order is not None:
        sequence = [int(u) for u in order]
        if sorted(sequence) != list(range(n_units)):
            raise DataError(
                f"the {unit} order {sequence} must list each of the {n_units} {units} "
                f"0..{n_units - 1} exactly once."
            )
        sequence = np.array(sequence, dtype=np.int64)
    elif shuffle:
        sequence = np.random.default_rng(seed).permutation(n_units)
    else:
        sequence = np.arange(n_units)
    if per_experience is None:
        if n_units < n_experiences:
            raise DataError(
                f"{n_units} {units} cannot give each of {n_experiences} experiences one; "
                f"use at most {n_units} experiences (or more {units})."
            )
        return [np.asarray(p, dtype=np.int64) for p in np.array_split(sequence, n_experiences)]
    counts = [int(c) for c in per_experience]
    if len(counts) != n_experiences or min(counts) < 1 or sum(counts) != n_units:
        raise DataError(
            f"{units} per experience {counts} must list {n_experiences} positive counts "
            f"summing to the {n_units} {units}."
        )
    bounds = np.cumsum([0] + counts)
    return [sequence[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def group_columns(
    n_features: int,
    n_groups: int,
    grouping: str = "contiguous",
    groups: Sequence[Sequence[int]] | None = None,
    seed: int = 0,
) -> list[np.ndarray]:
    """Split column indices into ``n_groups`` release groups (``contiguous``, ``random``, ``explicit``)."""
    if grouping not in TABLE_GROUPINGS:
        raise DataError(f"unknown grouping {grouping!r}; choose one of {list(TABLE_GROUPINGS)}.")
    if grouping == "explicit":
        return check_explicit(groups, n_features, n_groups)
    if groups is not None:
        raise DataError(f"stream.groups is only used with grouping 'explicit', not {grouping!r}.")
    if grouping in PATTERNS:  # the columns each experience first shows (later may be empty)
        return release_groups(n_features, EvolvingPattern(grouping, n_groups))
    return [cols for _, cols in table_pieces(n_features, grouping, n_groups, seed)]


def check_explicit(
    groups: Sequence[Sequence[int]] | None, n_features: int, n_groups: int
) -> list[np.ndarray]:
    """Check user-given groups: one per experience, disjoint, in range, the first not empty."""
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
