"""The ``stream`` section of an experiment config: which data, which kind of stream, what is
released when.

Only choices and ranges are checked here (importing this module stays light);
whether a grouping fits the dataset, or a class order fits its classes, is
checked when :func:`streams.build_stream` builds the stream.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class StreamConfig:
    dataset: str = "digits"  # see DATASETS
    kind: str = "feature_incremental"  # feature_incremental | static | class_incremental | domain | repeated
    path: str | None = None  # the file for csv and npz; a text file or folder (local text data)
    data_root: str | None = None  # image and hub data; default $ALCL_DATA, else ~/.cache/alcl/data
    download: bool = True  # fetch missing image/text data when the network allows
    target: str = "label"  # the label column of a csv file
    n_experiences: int = 4
    grouping: str = "contiguous"  # see GROUPINGS (feature_incremental streams)
    groups: list[list[int]] | None = None  # column indices per experience (explicit)
    n_pieces: int | None = None  # runs, bands or text segments to cut (default n_experiences)
    patch_grid: int = 2  # k for a k x k patch grid
    resolution_strides: list[int] | None = None  # e.g. [4, 2, 1]; default [2^(T-1), ..., 1]
    segment_lengths: list[int] | None = None  # tokens per text segment, summing to max_length
    order: list[int] | None = None  # the order of the pieces (classes, for class_incremental)
    shuffle: bool = False  # a seeded order of the pieces (or classes) instead
    per_experience: list[int] | None = None  # pieces (or classes) per experience
    domain_transform: str = "none"  # none | permute (kind domain)
    task_labels: bool = False  # task label = experience index (a task oracle)
    test_fraction: float = 0.25  # of each experience's samples, without a published test split
    valid_fraction: float = 0.15  # of each experience's remaining training samples
    standardize: bool | None = None  # None: yes for numbers and pixels, no for text
    encoding: str = "tfidf"  # text: tokens | bow | tfidf
    max_length: int = 64  # text: tokens kept per field (fields) or in all (segments)
    vocab_size: int = 10000  # text: ids including padding and unknown


KINDS = ("feature_incremental", "static", "class_incremental", "domain", "repeated")
DATASETS = {
    "table": ("digits", "breast_cancer", "wine", "csv", "npz"),
    "image": ("mnist", "fashion_mnist", "cifar10", "cifar100"),
    "text": ("ag_news", "dbpedia_14", "imdb"),
}
GROUPINGS = (
    ("contiguous", "random", "explicit")
    + ("horizontal_bands", "vertical_bands", "quadrants", "patches", "channels", "resolution")
    + ("fields", "segments")
)
ENCODINGS = ("tokens", "bow", "tfidf")
DOMAIN_TRANSFORMS = ("none", "permute")
"""The choices of the stream keys; kept equal to the ``streams`` package's by a test."""


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
        stream.kind != "static" or stream.n_experiences == 1,
        "stream.kind static has exactly one experience; set stream.n_experiences: 1.",
    )
    for key in ("n_pieces", "patch_grid", "max_length"):
        value = getattr(stream, key)
        need(value is None or value >= 1, f"stream.{key} must be >= 1, got {value}.")
    need(stream.vocab_size >= 3, "stream.vocab_size must be >= 3 (padding, unknown, a word).")
    for key in ("test_fraction", "valid_fraction"):
        value = getattr(stream, key)
        need(0.0 < value < 1.0, f"stream.{key} must lie strictly between 0 and 1, got {value}.")
    for key in ("resolution_strides", "segment_lengths", "per_experience"):
        values = getattr(stream, key)
        need(
            values is None or (values and min(values) >= 1),
            f"stream.{key} must list positive ints, got {values}.",
        )
