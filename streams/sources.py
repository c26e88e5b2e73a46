"""Load any dataset by name: the dispatch to the loaders of tables (:mod:`streams.tabular`,
:mod:`streams.table_files`),
images (:mod:`streams.images`) and text (:mod:`streams.text_sources`).

A source only loads and checks data; how columns are released over time is
decided by :mod:`streams.schedule`, and the stream is built by
:mod:`streams.builder`.
"""

from __future__ import annotations

from collections.abc import Sequence

from streams.images import IMAGE_DATASETS, load_image_dataset
from streams.table_files import (
    DEFAULT_TARGET,
    FILE_FORMATS,
    TABLE_DATASETS,
    from_csv,
    from_libsvm,
    from_npz,
    from_table,
)
from streams.tabular import EMBEDDED
from streams.text_sources import TEXT_DATASETS, load_text_dataset
from streams.validation import DataError

DATASETS: dict[str, tuple[str, ...]] = {
    "table": TABLE_DATASETS,
    "image": tuple(IMAGE_DATASETS),
    "text": tuple(TEXT_DATASETS),
}
"""Every dataset name :func:`load_source` knows, by modality, from the loaders' own tables."""


def dataset_names() -> dict[str, list[str]]:
    """Every dataset name ``load_source`` knows, by modality (the file formats last)."""
    return {
        "table": sorted(EMBEDDED) + list(FILE_FORMATS),
        "image": sorted(IMAGE_DATASETS),
        "text": sorted(TEXT_DATASETS),
    }


def load_source(
    dataset: str,
    path: str | None = None,
    target: str | int = DEFAULT_TARGET,
    data_root: str | None = None,
    download: bool = True,
    n_features: int | None = None,
    header: bool | None = None,
    encoding: str = "utf-8",
    text_columns: Sequence[str] | None = None,
):
    """Load a dataset by name.

    - an embedded set, or a table file at ``path``: ``csv`` (comma-separated) or ``table``
      (whitespace-separated), label column ``target`` (a name or an index), first row a
      header per ``header`` (None: detect); ``libsvm`` (LIBSVM/SVMlight sparse text, the
      first ``n_features`` features); ``npz`` (arrays ``x``, ``y``): a
      :class:`~streams.tabular.TabularData`;
    - an image dataset (``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``): a
      :class:`~streams.tabular.TabularData` with its published test split, from ``data_root``;
    - a text source: ``text_csv`` (any CSV or Parquet file, or a folder of train and test
      files, at ``path``: the texts in ``text_columns``, default every column but the label
      column ``target``, classes named by the labels) or a preset (``ag_news``,
      ``dbpedia_14``, ``imdb``: from local files at ``path`` or from the Hugging Face hub,
      cached under ``data_root``): a :class:`~streams.text_sources.TextData`.

    ``download`` allows fetching missing image or text data over the network; ``encoding`` is
    the text encoding of csv, table and text CSV files.
    """
    if dataset in EMBEDDED:
        return EMBEDDED[dataset]()
    if dataset in FILE_FORMATS:
        if not path:
            raise DataError(f"dataset {dataset!r} needs stream.path to point at the file.")
        if dataset == "csv":
            return from_csv(path, target, header, encoding)
        if dataset == "table":
            return from_table(path, target, header, encoding)
        if dataset == "libsvm":
            return from_libsvm(path, n_features)
        return from_npz(path)
    if dataset in IMAGE_DATASETS:
        return load_image_dataset(dataset, data_root, download)
    if dataset in TEXT_DATASETS:
        return load_text_dataset(
            dataset, path, data_root, download, encoding, text_columns, label_column=target
        )
    known = [n for group in dataset_names().values() for n in group]
    raise DataError(f"unknown dataset {dataset!r}; choose one of {known}.")
