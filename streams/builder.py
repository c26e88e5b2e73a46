"""Build any kind of stream from any loaded dataset: one path for tables, images and text.

:func:`build_stream` does, in order:

1. decide the units each experience gets: column groups (feature-incremental;
   every column at once for the other kinds) and, for class-incremental
   streams, the classes (:func:`streams.schedule.deal`: none dropped);
2. assign and split the samples (:func:`streams.partition.plan_samples`); a
   ``repeated`` stream gives every experience the same samples (static data
   trained in rounds: AL's layer accumulation, one block per round);
3. encode text with a vocabulary from the training rows (:mod:`streams.text_encoding`);
4. fix the column scaling: per-column standardisation with the training rows
   of the experience that releases the column, or pixels / 255, or none;
5. wrap it all in a :class:`~streams.feature_incremental.FeatureIncrementalStream`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from streams.feature_incremental import FeatureIncrementalStream
from streams.layout import ImageLayout, TextLayout
from streams.partition import plan_samples
from streams.regions import image_pieces
from streams.rows import ColumnTable, SparseRows
from streams.schedule import (
    IMAGE_GROUPINGS,
    TEXT_GROUPINGS,
    Piece,
    check_explicit,
    deal,
    table_pieces,
)
from streams.sources import TabularData
from streams.text_sources import TextData
from streams.validation import DataError

KINDS = ("feature_incremental", "static", "class_incremental", "domain", "repeated")
DOMAIN_TRANSFORMS = ("none", "permute")


@dataclass(frozen=True)
class Release:
    """Which columns each experience of a feature-incremental stream releases.

    ``grouping`` cuts the columns into pieces (see :mod:`streams.schedule`,
    :mod:`streams.regions`, :mod:`streams.text_encoding`); ``n_pieces`` is the
    number of runs or bands (default: one per experience). ``order`` or
    ``shuffle`` orders the pieces (in a class-incremental stream: the
    classes), and ``per_experience`` says how many each experience gets.
    """

    grouping: str = "contiguous"
    groups: Sequence[Sequence[int]] | None = None
    n_pieces: int | None = None
    patch_grid: int = 2
    resolution_strides: Sequence[int] | None = None
    segment_lengths: Sequence[int] | None = None
    order: Sequence[int] | None = None
    shuffle: bool = False
    per_experience: Sequence[int] | None = None


@dataclass(frozen=True)
class TextOptions:
    """How text becomes columns (see :mod:`streams.text_encoding`)."""

    encoding: str = "tfidf"
    max_length: int = 64
    vocab_size: int = 10000


def build_stream(
    data: TabularData | TextData,
    n_experiences: int = 4,
    *,
    kind: str = "feature_incremental",
    seed: int = 0,
    release: Release = Release(),
    text: TextOptions = TextOptions(),
    test_fraction: float = 0.25,
    valid_fraction: float = 0.15,
    standardize: bool | None = None,
    domain_transform: str = "none",
    task_labels: bool = False,
) -> FeatureIncrementalStream:
    """Build a stream of ``kind`` from ``data``, split with ``seed``.

    ``standardize`` None means: yes for numeric columns and pixels, no for text.
    With a published test split (``data.test_y``) the test sets come from it
    and ``test_fraction`` is not used.
    """
    _check_kind(kind, n_experiences, release, domain_transform)
    is_text = isinstance(data, TextData)
    if standardize is None:
        standardize = not is_text
    if standardize and is_text:
        raise DataError(
            "standardize applies to numeric columns and pixels, not to text; set standardize: false."
        )
    classes = None
    if kind == "class_incremental":
        classes = deal(
            data.n_classes,
            n_experiences,
            release.order,
            release.shuffle,
            release.per_experience,
            seed,
            unit="class",
        )
    groups = names = None
    if not is_text:
        groups, names = _column_groups(data, kind, n_experiences, release, seed)
    plan = plan_samples(
        data.y,
        data.test_y,
        1 if kind == "repeated" else n_experiences,
        classes,
        test_fraction,
        valid_fraction,
        seed,
    )
    if kind == "repeated":  # the same samples in every experience
        plan = {split: rows * n_experiences for split, rows in plan.items()}
    if is_text:
        data = _encode(data, np.concatenate(plan["train"]), release, text, n_experiences)
        groups, names = _column_groups(data, kind, n_experiences, release, seed)
    divisor = None
    if isinstance(data.layout, ImageLayout):
        divisor = np.float32(data.layout.pixel_max)
    shift = None
    if standardize:
        shift, divisor = _standardisation(data.x, groups, plan["train"])
    table = ColumnTable(data.x, data.test_x, shift, divisor)
    labels = {
        split: [
            (data.test_y if split == "test" and data.test_y is not None else data.y)[r]
            for r in rows
        ]
        for split, rows in plan.items()
    }
    return FeatureIncrementalStream(
        name=data.name,
        groups=groups,
        rows=plan,
        labels=labels,
        table=table,
        n_classes=data.n_classes,
        feature_names=data.feature_names,
        class_names=data.class_names,
        kind=kind,
        layout=data.layout,
        group_names=names,
        permutations=_permutations(domain_transform, data.n_features, n_experiences, seed),
        task_labels=task_labels,
    )


def _check_kind(kind: str, n_experiences: int, release: Release, domain_transform: str) -> None:
    if kind not in KINDS:
        raise DataError(f"unknown stream kind {kind!r}; choose one of {list(KINDS)}.")
    if n_experiences < 1:
        raise DataError(f"n_experiences must be >= 1, got {n_experiences}.")
    if kind == "static" and n_experiences != 1:
        raise DataError(
            f"a static stream has exactly one experience; set n_experiences: 1 (got {n_experiences})."
        )
    if domain_transform not in DOMAIN_TRANSFORMS:
        raise DataError(
            f"unknown domain_transform {domain_transform!r}; choose one of {list(DOMAIN_TRANSFORMS)}."
        )
    if domain_transform != "none" and kind != "domain":
        raise DataError(f"domain_transform applies to kind 'domain' streams, not {kind!r}.")
    if kind == "feature_incremental":
        return
    release_keys = ("groups", "n_pieces", "resolution_strides", "segment_lengths")
    used = [k for k in release_keys if getattr(release, k) is not None]
    if release.grouping != Release.grouping:
        used.insert(0, "grouping")
    if kind != "class_incremental":
        used += [k for k in ("order", "per_experience") if getattr(release, k) is not None]
        used += ["shuffle"] if release.shuffle else []
    if used:
        raise DataError(
            f"{', '.join(used)} only apply to feature_incremental streams (order, shuffle and "
            f"per_experience also to class_incremental ones), not to kind {kind!r}."
        )


def _column_groups(
    data: TabularData, kind: str, n_experiences: int, release: Release, seed: int
) -> tuple[list[np.ndarray], list[list[str]]]:
    """Column group and piece names per experience."""
    every = np.arange(data.n_features, dtype=np.int64)
    if kind != "feature_incremental":
        empty = np.empty(0, dtype=np.int64)
        return [every] + [empty] * (n_experiences - 1), [["all"]] + [[]] * (n_experiences - 1)
    if release.grouping == "explicit":
        extra = [
            k for k in ("n_pieces", "order", "per_experience") if getattr(release, k) is not None
        ]
        if extra or release.shuffle:
            raise DataError(
                f"grouping 'explicit' takes the groups as given; drop {extra or ['shuffle']}."
            )
        groups = check_explicit(release.groups, data.n_features, n_experiences)
        return groups, [[f"group{t + 1}"] if len(g) else [] for t, g in enumerate(groups)]
    if release.groups is not None:
        raise DataError(
            f"stream.groups is only used with grouping 'explicit', not {release.grouping!r}."
        )
    pieces = _pieces(data, release, release.n_pieces or n_experiences, seed)
    dealt = deal(
        len(pieces), n_experiences, release.order, release.shuffle, release.per_experience, seed
    )
    groups = [np.sort(np.concatenate([pieces[i][1] for i in d])).astype(np.int64) for d in dealt]
    return groups, [[pieces[i][0] for i in d] for d in dealt]


def _pieces(data: TabularData, release: Release, n_pieces: int, seed: int) -> list[Piece]:
    grouping = release.grouping
    if grouping in IMAGE_GROUPINGS:
        if not isinstance(data.layout, ImageLayout):
            raise DataError(
                f"grouping {grouping!r} needs an image dataset (mnist, fashion_mnist, cifar10, "
                f"cifar100); {data.name!r} is not one. Use contiguous, random or explicit."
            )
        return image_pieces(
            data.layout, grouping, n_pieces, release.patch_grid, release.resolution_strides
        )
    if grouping in TEXT_GROUPINGS:
        if not isinstance(data.layout, TextLayout):
            raise DataError(
                f"grouping {grouping!r} needs a text dataset (ag_news, dbpedia_14, imdb); "
                f"{data.name!r} is not one."
            )
        layout = data.layout
        return [(name, layout.piece_columns(i)) for i, name in enumerate(layout.pieces)]
    if grouping in ("contiguous", "random"):
        return table_pieces(data.n_features, grouping, n_pieces, seed)
    raise DataError(f"unknown grouping {grouping!r}.")


def _encode(
    data: TextData, fit_rows: np.ndarray, release: Release, text: TextOptions, n_experiences: int
) -> TabularData:
    from streams.text_encoding import encode_text

    by = "segments" if release.grouping == "segments" else "fields"
    return encode_text(
        data,
        fit_rows,
        by=by,
        encoding=text.encoding,
        max_length=text.max_length,
        vocab_size=text.vocab_size,
        segment_lengths=release.segment_lengths,
        n_segments=release.n_pieces or n_experiences,
    )


def _standardisation(
    x: np.ndarray | SparseRows, groups: list[np.ndarray], train_rows: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and std from the training rows of the experience that releases the column.

    No statistic comes from the future or from test data.
    """
    if isinstance(x, SparseRows):
        raise DataError("standardize needs dense columns; set standardize: false.")
    shift = np.zeros(x.shape[1], dtype=np.float32)
    divisor = np.ones(x.shape[1], dtype=np.float32)
    for cols, rows in zip(groups, train_rows, strict=True):
        if len(cols) == 0:
            continue
        block = x[np.ix_(rows, cols)].astype(np.float32, copy=False)
        std = block.std(axis=0)
        std[std < 1e-8] = 1.0
        shift[cols], divisor[cols] = block.mean(axis=0), std
    return shift, divisor


def _permutations(
    transform: str, n_features: int, n_experiences: int, seed: int
) -> list[np.ndarray | None] | None:
    """``permute``: a seeded column permutation per experience; the first keeps the original order."""
    if transform == "none":
        return None
    return [None] + [
        np.random.default_rng([seed, t]).permutation(n_features) for t in range(1, n_experiences)
    ]
