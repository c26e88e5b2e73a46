"""Data in: datasets, feature schedules and Avalanche streams of every kind.

Importing this package is cheap; Avalanche is imported only when a stream
view is first built, torchvision only to download an image dataset, and
``datasets``/``pyarrow`` only to read text from the hub or Parquet files.
"""

from streams.builder import DOMAIN_TRANSFORMS, KINDS, Release, TextOptions, build_stream
from streams.feature_incremental import FeatureIncrementalStream, build_feature_incremental_stream
from streams.images import IMAGE_DATASETS, load_image_dataset
from streams.layout import ImageLayout, TextLayout, masked_image, token_ids
from streams.schedule import GROUPINGS, group_columns, visible_columns
from streams.sources import (
    EMBEDDED,
    TabularData,
    dataset_names,
    from_arrays,
    from_csv,
    from_npz,
    load_source,
)
from streams.text_encoding import ENCODINGS, encode_text, tokenize
from streams.text_sources import TEXT_DATASETS, TextData, load_text_dataset
from streams.validation import DataError, check_features, check_labels

__all__ = [
    "DOMAIN_TRANSFORMS",
    "EMBEDDED",
    "ENCODINGS",
    "GROUPINGS",
    "IMAGE_DATASETS",
    "KINDS",
    "TEXT_DATASETS",
    "DataError",
    "FeatureIncrementalStream",
    "ImageLayout",
    "Release",
    "TabularData",
    "TextData",
    "TextLayout",
    "TextOptions",
    "build_feature_incremental_stream",
    "build_stream",
    "check_features",
    "check_labels",
    "dataset_names",
    "encode_text",
    "from_arrays",
    "from_csv",
    "from_npz",
    "group_columns",
    "load_image_dataset",
    "load_source",
    "load_text_dataset",
    "masked_image",
    "token_ids",
    "tokenize",
    "visible_columns",
]
