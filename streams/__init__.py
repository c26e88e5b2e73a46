"""Data in: datasets, feature schedules and Avalanche streams of every kind.

The modules, each importing only those listed before it:

- :mod:`streams.validation`, :mod:`streams.layout`, :mod:`streams.rows`, :mod:`streams.idx`,
  :mod:`streams.paths`: checks, column layouts, row storage, the idx reader, the data root;
- loaders: :mod:`streams.tabular` (:class:`TabularData`, arrays, embedded sets),
  :mod:`streams.table_files` (CSV, whitespace-separated, LIBSVM and ``.npz`` files),
  :mod:`streams.images`,
  :mod:`streams.text_files` (local text tables) and :mod:`streams.text_sources` (any text CSV
  and its presets); :mod:`streams.sources` loads any of them by name;
- schedules: :mod:`streams.schedule`, :mod:`streams.regions`, :mod:`streams.text_encoding`,
  :mod:`streams.partition`;
- :mod:`streams.config`: :class:`StreamConfig`, the ``stream`` section of a config, its
  choices and checks, and :func:`load_stream_data`;
- :mod:`streams.avalanche_data` (the Avalanche views), :mod:`streams.feature_incremental`
  (the stream) and :mod:`streams.builder` (:func:`build_stream`).

Importing this package is cheap; Avalanche is imported only when a stream
view is first built, torchvision only to download an image dataset, and
``datasets``/``pyarrow`` only to read text from the hub or Parquet files.
"""

from streams.builder import build_stream
from streams.config import (
    DATASETS,
    DOMAIN_TRANSFORMS,
    KINDS,
    StreamConfig,
    check_kind,
    check_stream,
    load_stream_data,
)
from streams.feature_incremental import FeatureIncrementalStream
from streams.images import IMAGE_DATASETS, load_image_dataset
from streams.layout import ImageLayout, TextLayout, masked_image, token_ids
from streams.schedule import GROUPINGS, group_columns, visible_columns
from streams.sources import dataset_names, load_source
from streams.table_files import from_csv, from_libsvm, from_npz, from_table
from streams.tabular import EMBEDDED, TabularData, from_arrays
from streams.text_encoding import ENCODINGS, encode_text, tokenize
from streams.text_sources import TEXT_DATASETS, TextData, load_text_dataset
from streams.validation import DataError, check_features, check_labels

__all__ = [
    "DATASETS",
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
    "StreamConfig",
    "TabularData",
    "TextData",
    "TextLayout",
    "build_stream",
    "check_features",
    "check_kind",
    "check_labels",
    "check_stream",
    "dataset_names",
    "encode_text",
    "from_arrays",
    "from_csv",
    "from_libsvm",
    "from_npz",
    "from_table",
    "group_columns",
    "load_image_dataset",
    "load_source",
    "load_stream_data",
    "load_text_dataset",
    "masked_image",
    "token_ids",
    "tokenize",
    "visible_columns",
]
