"""The ``stream`` section of a config: which data, which kind of stream, what is released when.

:class:`StreamConfig` is all that :func:`streams.build_stream` needs besides
the data and the seed, and all that :func:`load_stream_data` needs to load
the data. Two checks read it:

- :func:`check_stream`: the choices and ranges, reported through a callback
  (an experiment config reports every problem at once); nothing is loaded;
- :func:`check_kind`: what the stream kind allows, raised as a
  :class:`~streams.validation.DataError` when the stream is built.

Whether a grouping fits the dataset, or a class order fits its classes, is
checked when the stream is built from the data.

The choices are those of the modules that implement them: groupings from
:mod:`streams.schedule`, encodings from :mod:`streams.text_encoding`, dataset
names from the loaders (:data:`streams.sources.DATASETS`); the kinds and the
domain transforms are defined here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from streams.evolving import PATTERNS
from streams.schedule import GROUPINGS
from streams.sources import DATASETS, load_source
from streams.table_files import FILE_FORMATS
from streams.text_encoding import ENCODINGS
from streams.text_sources import GENERIC
from streams.validation import DataError

KINDS = ("feature_incremental", "static", "class_incremental", "mixed", "domain", "repeated")
DOMAIN_TRANSFORMS = ("none", "permute")


@dataclass
class StreamConfig:
    dataset: str = "digits"  # see DATASETS
    kind: str = (
        "feature_incremental"  # see KINDS: feature_incremental, class_incremental, mixed, ...
    )
    path: str | None = None  # the file (csv, table, libsvm, npz); a text file or folder
    data_root: str | None = None  # image and hub data; default $ALCL_DATA, else ~/.cache/alcl/data
    download: bool = True  # fetch missing image/text data when the network allows
    target: str | int = "label"  # label column: name or index (-1: last); headerless default: last
    text_columns: list[str] | None = None  # text: text columns in order (default: all but target)
    n_experiences: int = 4
    grouping: str = "contiguous"  # see GROUPINGS (feature_incremental streams)
    groups: list[list[int]] | None = None  # column indices per experience (explicit)
    n_pieces: int | None = None  # runs, bands or text segments to cut (default n_experiences)
    patch_grid: int = 2  # k for a k x k patch grid
    resolution_strides: list[int] | None = None  # e.g. [4, 2, 1]; default [2^(T-1), ..., 1]
    segment_lengths: list[int] | None = None  # tokens per text segment, summing to max_length
    order: list[int] | None = None  # the order of the pieces (classes: class_incremental, mixed)
    shuffle: bool = False  # a seeded order of the pieces (or classes) instead
    per_experience: list[int] | None = None  # pieces (or classes) per experience
    base_features: int = 0  # trapezoidal, haphazard, obsolete: the first k columns in every row
    presence: float = 0.5  # haphazard: each other column present in a row with this probability
    lifetime: int | None = None  # obsolete: experiences a column group stays (None: half)
    domain_transform: str = "none"  # none | permute (kind domain)
    task_labels: bool = False  # task label = experience index (a task oracle)
    test_fraction: float = 0.25  # of each experience's samples, without a published test split
    valid_fraction: float = 0.15  # of each experience's remaining training samples
    standardize: bool | None = None  # None: yes for numbers and pixels, no for text
    encoding: str = "tfidf"  # text: tokens | bow | tfidf
    max_length: int = 64  # text: tokens kept per field (fields) or in all (segments)
    vocab_size: int = 10000  # text: ids including padding and unknown
    n_features: int | None = None  # libsvm: keep the first n features (None: all)
    header: bool | None = None  # csv/table: the first row names the columns (None: detect)
    file_encoding: str = "utf-8"  # csv, table, text CSV: the files' text encoding (e.g. latin-1)
    fraction: float = 1.0  # keep this share of every split's samples (stratified, seeded): CPU size


def load_stream_data(config: StreamConfig):
    """The dataset ``config`` names (see :func:`streams.sources.load_source`); load it once
    and build every seed's stream from it."""
    return load_source(
        config.dataset,
        config.path,
        config.target,
        config.data_root,
        config.download,
        n_features=config.n_features,
        header=config.header,
        encoding=config.file_encoding,
        text_columns=config.text_columns,
    )


def _known_codec(name: str) -> bool:
    import codecs

    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def check_stream(stream: StreamConfig, need: Callable[[bool, str], None]) -> None:
    """Check choices and ranges with ``need(ok, message)``; what depends on the data is
    checked when the stream is built (a :class:`streams.DataError` naming the fix)."""
    datasets = [name for names in DATASETS.values() for name in names]
    for key, choices in (
        ("kind", KINDS),
        ("dataset", datasets),
        ("grouping", GROUPINGS),
        ("encoding", ENCODINGS),
        ("domain_transform", DOMAIN_TRANSFORMS),
    ):
        value = getattr(stream, key)
        need(value in choices, f"stream.{key} must be one of {list(choices)}, got {value!r}.")
    need(stream.n_experiences >= 1, "stream.n_experiences must be >= 1.")
    need(
        _known_codec(stream.file_encoding),
        f"stream.file_encoding {stream.file_encoding!r} is not a text encoding Python knows; "
        "use e.g. utf-8, latin-1 or cp1252.",
    )
    need(
        stream.kind != "static" or stream.n_experiences == 1,
        "stream.kind static has exactly one experience; set stream.n_experiences: 1.",
    )
    need(
        stream.dataset not in (*FILE_FORMATS, GENERIC) or bool(stream.path),
        f"stream.dataset {stream.dataset} reads a file: set stream.path to it.",
    )
    _check_text_columns(stream, need)
    need(
        stream.n_features is None or stream.dataset == "libsvm",
        f"stream.n_features applies to dataset libsvm, not {stream.dataset!r}; remove it.",
    )
    need(
        stream.header is None or stream.dataset in ("csv", "table"),
        f"stream.header applies to datasets csv and table, not {stream.dataset!r}; remove it.",
    )
    need(
        0.0 < stream.fraction <= 1.0,
        f"stream.fraction must lie in (0, 1] (1: every sample), got {stream.fraction}.",
    )
    for key in ("n_pieces", "patch_grid", "max_length", "n_features"):
        value = getattr(stream, key)
        need(value is None or value >= 1, f"stream.{key} must be >= 1, got {value}.")
    need(stream.vocab_size >= 3, "stream.vocab_size must be >= 3 (padding, unknown, a word).")
    need(
        stream.base_features >= 0, f"stream.base_features must be >= 0, got {stream.base_features}."
    )
    need(
        0.0 <= stream.presence <= 1.0,
        f"stream.presence must lie in [0, 1], got {stream.presence}.",
    )
    need(
        stream.lifetime is None or stream.lifetime >= 1,
        f"stream.lifetime must be >= 1 (experiences), got {stream.lifetime}.",
    )
    for key in ("test_fraction", "valid_fraction"):
        value = getattr(stream, key)
        need(0.0 < value < 1.0, f"stream.{key} must lie strictly between 0 and 1, got {value}.")
    for key in ("resolution_strides", "segment_lengths", "per_experience"):
        values = getattr(stream, key)
        need(
            values is None or (values and min(values) >= 1),
            f"stream.{key} must list positive ints, got {values}.",
        )


def _check_text_columns(stream: StreamConfig, need: Callable[[bool, str], None]) -> None:
    """``text_columns`` and a label column name for text sources (the data checks the names)."""
    if stream.dataset not in DATASETS["text"]:
        need(
            stream.text_columns is None,
            f"stream.text_columns applies to text datasets {list(DATASETS['text'])}, not "
            f"{stream.dataset!r}; remove it.",
        )
        return
    need(
        isinstance(stream.target, str),
        f"stream.target names the label column of a text file, got {stream.target!r}; give "
        "the column's name (e.g. label).",
    )
    columns = stream.text_columns
    if columns is None:
        return
    need(
        len(columns) > 0 and len(set(columns)) == len(columns),
        f"stream.text_columns must list distinct column names, got {columns}.",
    )
    need(
        stream.target not in columns,
        f"stream.text_columns {columns} holds the label column {stream.target!r}; remove it "
        "there (or set stream.target to the label column).",
    )


def check_kind(config: StreamConfig) -> None:
    """Raise a :class:`DataError` when ``config`` asks for what its kind does not allow."""
    kind, n_experiences = config.kind, config.n_experiences
    if kind not in KINDS:
        raise DataError(f"unknown stream kind {kind!r}; choose one of {list(KINDS)}.")
    if n_experiences < 1:
        raise DataError(f"n_experiences must be >= 1, got {n_experiences}.")
    if kind == "static" and n_experiences != 1:
        raise DataError(
            f"a static stream has exactly one experience; set n_experiences: 1 (got {n_experiences})."
        )
    if config.domain_transform not in DOMAIN_TRANSFORMS:
        raise DataError(
            f"unknown domain_transform {config.domain_transform!r}; choose one of {list(DOMAIN_TRANSFORMS)}."
        )
    if config.domain_transform != "none" and kind != "domain":
        raise DataError(f"domain_transform applies to kind 'domain' streams, not {kind!r}.")
    if kind == "feature_incremental":
        return
    if kind == "mixed":  # classes dealt as class_incremental, columns released in their order
        if config.grouping in PATTERNS:
            raise DataError(
                f"kind 'mixed' releases one column group per experience; grouping "
                f"{config.grouping!r} is a feature_incremental pattern, choose another grouping."
            )
        return
    release_keys = ("groups", "n_pieces", "resolution_strides", "segment_lengths")
    used = [k for k in release_keys if getattr(config, k) is not None]
    if config.grouping != StreamConfig.grouping:
        used.insert(0, "grouping")
    if kind != "class_incremental":
        used += [k for k in ("order", "per_experience") if getattr(config, k) is not None]
        used += ["shuffle"] if config.shuffle else []
    if used:
        raise DataError(
            f"{', '.join(used)} only apply to feature_incremental streams (order, shuffle and "
            f"per_experience also to class_incremental ones), not to kind {kind!r}."
        )
