"""Feature-evolving streams for the online protocol: trapezoidal, haphazard and obsolete features.

Each pattern turns a table (n rows, d columns) into the stream an online learner sees: the
rows in a seeded order, and per row which columns are present. A column that is absent
from a row is NaN, as everywhere in alcl. The patterns follow the online feature-evolving
literature (``../shared/data/feature_evolving/README.md``):

- ``trapezoidal`` (OLSF, Zhang et al. 2016): the shuffled stream is cut into ``n_chunks``
  equal chunks (the last takes the remainder) and chunk k (1-based) shows the first
  ``max(base, round(k * d / n_chunks))`` columns;
- ``haphazard`` (Aux-Drop, Agarwal et al. 2023, "variable p"): the first ``base`` columns are
  always present; every other column is present in each row independently with probability p;
- ``obsolete``: the columns after the first ``base`` are cut into ``n_chunks - 1`` contiguous
  groups; group g (1-based) arrives with chunk g + 1 and vanishes after ``lifetime`` chunks.

:func:`trapezoid_columns` gives the column sets per chunk, so the same trapezoid can also be
released as batch experiences (``stream.groups``): a chunk is then an experience.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from streams.validation import DataError

PATTERNS = ("trapezoidal", "haphazard", "obsolete")
HIDES_CELLS = ("haphazard", "obsolete")
"""The patterns whose rows lack some columns already released (the trapezoid never does)."""


@dataclass(frozen=True)
class EvolvingPattern:
    """Which columns each row of a feature-evolving stream shows (from the ``stream`` config
    section: :func:`pattern_of`).

    ``base``: columns always present (the first ``base``); ``p``: haphazard presence
    probability of every other column; ``n_chunks``: trapezoid and obsolete chunks;
    ``lifetime``: chunks an obsolete group stays (None: half the chunks, rounded up).
    """

    pattern: str = "trapezoidal"
    n_chunks: int = 10
    base: int = 0
    p: float = 0.5
    lifetime: int | None = None

    def problems(self, n_features: int | None = None) -> list[str]:
        """Every problem with these settings, each a one-line message naming the fix."""
        out = []
        if self.pattern not in PATTERNS:
            out.append(
                f"stream.grouping must be one of {list(PATTERNS)} for a feature-evolving stream, got {self.pattern!r}."
            )
        if self.n_chunks < 1:
            out.append(f"stream.n_experiences (the chunks) must be >= 1, got {self.n_chunks}.")
        if self.base < 0:
            out.append(f"stream.base_features must be >= 0, got {self.base}.")
        if not 0.0 <= self.p <= 1.0:
            out.append(f"stream.presence must lie in [0, 1], got {self.p}.")
        if self.lifetime is not None and self.lifetime < 1:
            out.append(f"stream.lifetime must be >= 1 (chunks), got {self.lifetime}.")
        if n_features is not None and self.base > n_features:
            out.append(
                f"stream.base_features is {self.base} but the data has {n_features} columns; "
                "lower stream.base_features."
            )
        if self.pattern == "haphazard" and self.base == 0 and self.p == 0.0:
            out.append(
                "stream.presence 0 with stream.base_features 0 shows no column at all; raise either."
            )
        return out


def pattern_of(config) -> EvolvingPattern:
    """The pattern a :class:`streams.config.StreamConfig` describes: its ``grouping`` is the
    pattern, its ``n_experiences`` the chunks, and ``base_features``, ``presence`` and
    ``lifetime`` the rest."""
    return EvolvingPattern(
        config.grouping, config.n_experiences, config.base_features, config.presence,
        config.lifetime,
    )  # fmt: skip


def chunk_bounds(n_rows: int, n_chunks: int) -> list[tuple[int, int]]:
    """[start, stop) of each chunk: ``n_rows // n_chunks`` rows each, the last takes the rest."""
    size = n_rows // n_chunks
    if size < 1:
        raise DataError(
            f"{n_rows} rows cannot be cut into {n_chunks} chunks; lower stream.n_experiences."
        )
    starts = [k * size for k in range(n_chunks)]
    return [(s, starts[k + 1] if k + 1 < n_chunks else n_rows) for k, s in enumerate(starts)]


def trapezoid_columns(n_features: int, n_chunks: int, base: int = 0) -> list[int]:
    """How many leading columns chunk k shows: ``max(base, round(k d / n_chunks))``, k = 1..n.

    Python's ``round`` (to even at .5) matches the reference code of the papers.
    """
    return [
        min(n_features, max(base, round(k * n_features / n_chunks))) for k in range(1, n_chunks + 1)
    ]


def presence(n_rows: int, n_features: int, pattern: EvolvingPattern, seed: int) -> np.ndarray:
    """The (n_rows, n_features) bool mask of present columns, row order as streamed."""
    problems = pattern.problems(n_features)
    if problems:
        raise DataError(problems[0])
    mask = np.zeros((n_rows, n_features), dtype=bool)
    mask[:, : pattern.base] = True
    if pattern.pattern == "trapezoidal":
        widths = trapezoid_columns(n_features, pattern.n_chunks, pattern.base)
        for (start, stop), width in zip(
            chunk_bounds(n_rows, pattern.n_chunks), widths, strict=True
        ):
            mask[start:stop, :width] = True
    elif pattern.pattern == "haphazard":
        rng = np.random.default_rng(seed)
        mask[:, pattern.base :] = rng.random((n_rows, n_features - pattern.base)) < pattern.p
    else:
        bounds = chunk_bounds(n_rows, pattern.n_chunks)
        for columns, first, last in obsolete_groups(n_features, pattern):
            mask[bounds[first][0] : bounds[last][1], columns] = True
    return mask


def obsolete_groups(n_features: int, pattern: EvolvingPattern) -> list[tuple[np.ndarray, int, int]]:
    """The obsolete pattern's column groups after the base: (columns, first chunk, last chunk),
    0-based and inclusive. Group g (1-based) arrives with chunk g + 1 and stays ``lifetime``
    chunks (default: half the chunks, rounded up)."""
    lifetime = pattern.lifetime or -(-pattern.n_chunks // 2)
    aux = np.arange(pattern.base, n_features)
    out = []
    for g, columns in enumerate(np.array_split(aux, max(1, pattern.n_chunks - 1)), start=1):
        first = min(g, pattern.n_chunks - 1)
        out.append((columns, first, min(first + lifetime, pattern.n_chunks) - 1))
    return out


def release_groups(n_features: int, pattern: EvolvingPattern) -> list[np.ndarray]:
    """The batch form: the columns each chunk (experience) releases for the first time.

    Trapezoidal: the next columns of the trapezoid; haphazard: every column in the first (a
    row shows each non-base column with probability p); obsolete: the base columns, then one
    group per chunk (each vanishes ``lifetime`` chunks later: :func:`hide_cells`).
    """
    problems = pattern.problems(n_features)
    if problems:
        raise DataError(problems[0])
    n = pattern.n_chunks
    if pattern.pattern == "trapezoidal":
        widths = [0, *trapezoid_columns(n_features, n, pattern.base)]
        groups = [
            np.arange(a, b, dtype=np.int64) for a, b in zip(widths[:-1], widths[1:], strict=True)
        ]
    elif pattern.pattern == "haphazard":
        groups = [np.arange(n_features, dtype=np.int64)] + [np.zeros(0, dtype=np.int64)] * (n - 1)
    else:
        groups = [np.arange(pattern.base, dtype=np.int64)] + [np.zeros(0, dtype=np.int64)] * (n - 1)
        for columns, first, _ in obsolete_groups(n_features, pattern):
            groups[first] = np.concatenate([groups[first], columns]).astype(np.int64)
    if len(groups[0]) == 0:
        fix = (
            "set stream.base_features >= 1 (obsolete groups arrive from the second experience on)"
            if pattern.pattern == "obsolete"
            else f"use at most {2 * n_features} experiences"
        )
        raise DataError(
            f"the first experience of this {pattern.pattern} stream shows no column; {fix}."
        )
    return groups


def experience_presence(
    n_features: int, pattern: EvolvingPattern, chunk: int, n_rows: int, rng: np.random.Generator
) -> np.ndarray:
    """The (n_rows, n_features) bool mask of present cells for rows of chunk ``chunk``
    (0-based) in the batch form; columns not yet released are the stream's business."""
    mask = np.ones((n_rows, n_features), dtype=bool)
    if pattern.pattern == "haphazard":
        mask[:, pattern.base :] = rng.random((n_rows, n_features - pattern.base)) < pattern.p
    elif pattern.pattern == "obsolete":
        for columns, _, last in obsolete_groups(n_features, pattern):
            if chunk > last:
                mask[:, columns] = False
    return mask


def hide_cells(data, plan: dict[str, list[np.ndarray]], pattern: EvolvingPattern, seed: int):
    """``data`` (a :class:`streams.tabular.TabularData`) with the cells that ``pattern`` hides
    set to NaN, row by row: each pool or test row belongs to one experience of ``plan``
    (``plan[split][j]``: experience j's rows), whose chunk decides what it shows. The stream
    then stores the hidden cells as absent, so no view, statistic or model ever reads them."""
    import dataclasses

    from streams.rows import SparseRows

    def dense(values):
        if values is None:
            return None
        if isinstance(values, SparseRows):
            return values.dense(np.arange(values.shape[0]))
        return np.array(values, dtype=np.float32)

    x, test_x = dense(data.x), dense(data.test_x)
    rng = np.random.default_rng([seed, 17])
    for split in ("train", "valid", "test"):
        values = test_x if split == "test" and test_x is not None else x
        for chunk, rows in enumerate(plan[split]):
            shown = experience_presence(values.shape[1], pattern, chunk, len(rows), rng)
            block = values[rows]
            block[~shown] = np.nan
            values[rows] = block
    return dataclasses.replace(data, x=x, test_x=test_x)


@dataclass(frozen=True)
class OnlineStream:
    """Rows in streaming order, absent columns NaN, and the labels: what a learner sees."""

    x: np.ndarray  # (n, d) float32, NaN where a column is absent
    y: np.ndarray  # (n,) int64
    n_classes: int
    order: np.ndarray  # the source rows, in streaming order

    @property
    def mask(self) -> np.ndarray:
        return ~np.isnan(self.x)


def online_stream(
    x: np.ndarray, y: np.ndarray, n_classes: int, pattern: EvolvingPattern, seed: int
) -> OnlineStream:
    """Shuffle the rows with ``seed`` and hide what ``pattern`` hides (NaN)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2 or len(x) != len(y):
        raise DataError(f"x must be (n, d) with one label per row; got {x.shape} and {len(y)}.")
    order = np.random.default_rng(seed).permutation(len(x))
    shown = x[order].copy()
    shown[~presence(len(x), x.shape[1], pattern, seed + 1)] = np.nan
    return OnlineStream(shown, np.asarray(y, dtype=np.int64)[order], n_classes, order)
