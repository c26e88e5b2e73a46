"""Build any kind of stream from any loaded dataset: one path for tables, images and text.

:func:`build_stream` does, in order:

1. decide the units each experience gets: column groups (feature-incremental;
   every column at once for the other kinds) and, for class-incremental
   streams, the classes (:func:`streams.schedule.deal`: none dropped);
2. assign and split the samples (:func:`streams.partition.plan_samples`); a
   ``repeated`` stream gives every experience the same samples (static data
   trained in rounds: AL's layer accumulation, one block per round);
3. encode text with a vocabulary from the training rows (:mod:`streams.text_encoding`),
   and warn when a release gives almost no training text a token (under
   :data:`ALMOST_EMPTY` of them: fixed segments of short texts);
4. fix the column scaling: per-column standardisation with the training rows
   of the experience that releases the column, or pixels / 255, or none;
5. wrap it all in a :class:`~streams.feature_incremental.FeatureIncrementalStream`.

Everything but the data and the seed comes from one
:class:`~streams.config.StreamConfig`, whose data-independent choices
:func:`~streams.config.check_kind` checks first.
"""

from __future__ import annotations

import warnings

import numpy as np

from streams.config import StreamConfig, check_kind
from streams.evolving import HIDES_CELLS, PATTERNS, hide_cells, pattern_of, release_groups
from streams.feature_incremental import FeatureIncrementalStream
from streams.layout import ImageLayout, TextLayout
from streams.partition import keep_fraction, plan_samples
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
from streams.tabular import TabularData
from streams.text_encoding import encode_text, filled_pieces
from streams.text_sources import TEXT_DATASETS, TextData
from streams.validation import DataError

DEFAULT_CONFIG = StreamConfig()
"""The stream :func:`build_stream` builds without a config (never modified)."""

ALMOST_EMPTY = 0.05
"""A text release that gives fewer than this share of the training texts a token warns."""


def build_stream(
    data: TabularData | TextData, config: StreamConfig = DEFAULT_CONFIG, seed: int = 0
) -> FeatureIncrementalStream:
    """Build the stream ``config`` describes from ``data``, split with ``seed``.

    Only the stream's keys of ``config`` are read (``n_experiences``, ``kind``,
    ``grouping`` and the other release keys, the fractions, ``standardize``,
    ``domain_transform``, ``task_labels`` and the text encoding); which data to
    load is :func:`streams.config.load_stream_data`'s business.
    ``standardize`` None means: yes for numeric columns and pixels, no for text.
    With a published test split (``data.test_y``) the test sets come from it
    and ``test_fraction`` is not used.
    """
    check_kind(config)
    kind, n_experiences = config.kind, config.n_experiences
    is_text = isinstance(data, TextData)
    standardize = config.standardize
    if standardize is None:
        standardize = not is_text
    if standardize and is_text:
        raise DataError(
            "standardize applies to numeric columns and pixels, not to text; set standardize: false."
        )
    classes = None
    if kind in ("class_incremental", "mixed"):
        classes = deal(
            data.n_classes,
            n_experiences,
            config.order,
            config.shuffle,
            config.per_experience,
            seed,
            unit="class",
        )
    groups = names = None
    if not is_text:
        groups, names = _column_groups(data, config, seed)
    plan = plan_samples(
        data.y,
        data.test_y,
        1 if kind == "repeated" else n_experiences,
        classes,
        config.test_fraction,
        config.valid_fraction,
        seed,
    )
    if config.fraction < 1.0:
        plan = keep_fraction(plan, data.y, data.test_y, config.fraction, seed)
    if kind == "repeated":  # the same samples in every experience
        plan = {split: rows * n_experiences for split, rows in plan.items()}
    if is_text:
        data = _encode(data, np.concatenate(plan["train"]), config)
        groups, names = _column_groups(data, config, seed)
        if kind in ("feature_incremental", "mixed") and config.grouping in TEXT_GROUPINGS:
            _warn_almost_empty(data, names, np.concatenate(plan["train"]))
    if kind == "feature_incremental" and config.grouping in HIDES_CELLS:
        data = hide_cells(data, plan, pattern_of(config), seed)  # absent cells become NaN
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
    for i, y in enumerate(labels["train"]):
        if len(y) and len(np.unique(y)) == 1:
            warnings.warn(
                f"{data.name}: the training set of experience {i + 1} holds a single class "
                f"({data.class_names[int(y[0])]!r}); a strategy learns nothing from it but "
                "that label.",
                stacklevel=2,
            )
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
        permutations=_permutations(config.domain_transform, data.n_features, n_experiences, seed),
        task_labels=config.task_labels,
    )


def _column_groups(
    data: TabularData, config: StreamConfig, seed: int
) -> tuple[list[np.ndarray], list[list[str]]]:
    """Column group and piece names per experience."""
    n_experiences = config.n_experiences
    every = np.arange(data.n_features, dtype=np.int64)
    if config.kind not in ("feature_incremental", "mixed"):
        empty = np.empty(0, dtype=np.int64)
        return [every] + [empty] * (n_experiences - 1), [["all"]] + [[]] * (n_experiences - 1)
    if config.grouping == "explicit":
        dealing = ("order", "per_experience") if config.kind == "feature_incremental" else ()
        extra = [k for k in ("n_pieces", *dealing) if getattr(config, k) is not None]
        if extra or (config.shuffle and dealing):
            raise DataError(
                f"grouping 'explicit' takes the groups as given; drop {extra or ['shuffle']}."
            )
        groups = check_explicit(config.groups, data.n_features, n_experiences)
        return groups, [[f"group{t + 1}"] if len(g) else [] for t, g in enumerate(groups)]
    if config.groups is not None:
        raise DataError(
            f"stream.groups is only used with grouping 'explicit', not {config.grouping!r}."
        )
    if config.grouping in PATTERNS:
        extra = [
            k for k in ("n_pieces", "order", "per_experience") if getattr(config, k) is not None
        ]
        if extra or config.shuffle:
            raise DataError(
                f"grouping {config.grouping!r} fixes the columns per experience; drop "
                f"{extra or ['shuffle']}."
            )
        groups = release_groups(data.n_features, pattern_of(config))
        return groups, [[f"columns{t + 1}"] if len(g) else [] for t, g in enumerate(groups)]
    pieces = _pieces(data, config, config.n_pieces or n_experiences, seed)
    if config.kind == "mixed":  # order, shuffle and per_experience deal the classes
        dealt = deal(len(pieces), n_experiences, None, False, None, seed)
    else:
        dealt = deal(
            len(pieces), n_experiences, config.order, config.shuffle, config.per_experience, seed
        )
    groups = [np.sort(np.concatenate([pieces[i][1] for i in d])).astype(np.int64) for d in dealt]
    return groups, [[pieces[i][0] for i in d] for d in dealt]


def _pieces(data: TabularData, config: StreamConfig, n_pieces: int, seed: int) -> list[Piece]:
    grouping = config.grouping
    if grouping in IMAGE_GROUPINGS:
        if not isinstance(data.layout, ImageLayout):
            raise DataError(
                f"grouping {grouping!r} needs an image dataset (mnist, fashion_mnist, cifar10, "
                f"cifar100); {data.name!r} is not one. Use contiguous, random or explicit."
            )
        return image_pieces(
            data.layout, grouping, n_pieces, config.patch_grid, config.resolution_strides
        )
    if grouping in TEXT_GROUPINGS:
        if not isinstance(data.layout, TextLayout):
            raise DataError(
                f"grouping {grouping!r} needs a text dataset ({', '.join(TEXT_DATASETS)}); "
                f"{data.name!r} is not one."
            )
        layout = data.layout
        return [(name, layout.piece_columns(i)) for i, name in enumerate(layout.pieces)]
    if grouping in ("contiguous", "random"):
        return table_pieces(data.n_features, grouping, n_pieces, seed)
    raise DataError(f"unknown grouping {grouping!r}.")


def _encode(data: TextData, fit_rows: np.ndarray, config: StreamConfig) -> TabularData:
    by = config.grouping if config.grouping in ("segments", "sample_segments") else "fields"
    return encode_text(
        data,
        fit_rows,
        by=by,
        encoding=config.encoding,
        max_length=config.max_length,
        vocab_size=config.vocab_size,
        segment_lengths=config.segment_lengths,
        n_segments=config.n_pieces or config.n_experiences,
    )


def _warn_almost_empty(data: TabularData, names: list[list[str]], train_rows: np.ndarray) -> None:
    """Warn for each release whose pieces give under :data:`ALMOST_EMPTY` of the training
    texts a token: AL would read it as new columns that hold (almost) nothing."""
    layout = data.layout
    filled = filled_pieces(data.x, layout, np.unique(train_rows))
    for t, released in enumerate(names):
        if not released:
            continue
        has = filled[:, [layout.pieces.index(n) for n in released]].any(axis=1)
        if has.mean() < ALMOST_EMPTY:
            warnings.warn(
                f"{data.name}: experience {t + 1} releases {'+'.join(released)}, which gives only "
                f"{has.mean():.1%} of the training texts a token ({int(has.sum())} of {len(has)}); "
                "the release is almost empty. Use grouping: sample_segments (each text cut into "
                "parts of its own length) or fewer experiences.",
                stacklevel=3,
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
        if np.isnan(block).any():  # cells a feature-evolving pattern hides: the shown ones
            shown = (~np.isnan(block)).sum(axis=0)
            mean = np.where(shown > 0, np.nansum(block, axis=0) / np.maximum(shown, 1), 0.0)
            var = np.nansum((block - mean) ** 2, axis=0) / np.maximum(shown, 1)
            mean, std = mean.astype(np.float32), np.sqrt(var).astype(np.float32)
        else:
            mean, std = block.mean(axis=0), block.std(axis=0)
        std[std < 1e-8] = 1.0
        shift[cols], divisor[cols] = mean, std
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
