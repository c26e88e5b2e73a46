"""Data in: datasets, feature schedules and Avalanche feature-incremental streams.

Importing this package is cheap; Avalanche is imported only when a stream
view is first built.
"""

from streams.feature_incremental import FeatureIncrementalStream, build_feature_incremental_stream
from streams.schedule import group_columns, visible_columns
from streams.sources import EMBEDDED, TabularData, from_arrays, from_csv, from_npz, load_source
from streams.validation import DataError, check_features, check_labels

__all__ = [
    "EMBEDDED",
    "DataError",
    "FeatureIncrementalStream",
    "TabularData",
    "build_feature_incremental_stream",
    "check_features",
    "check_labels",
    "from_arrays",
    "from_csv",
    "from_npz",
    "group_columns",
    "load_source",
    "visible_columns",
]
