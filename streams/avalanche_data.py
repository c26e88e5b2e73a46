"""Turning in-memory arrays into Avalanche datasets and experiences.

Avalanche is imported here and nowhere else in ``streams``, so that loading,
checking and scheduling data stay cheap to import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from avalanche.benchmarks.scenarios.dataset_scenario import DatasetExperience
from avalanche.benchmarks.scenarios.generic_scenario import EagerCLStream
from avalanche.benchmarks.utils.classification_dataset import (
    TaskAwareSupervisedClassificationDataset,
    _make_taskaware_classification_dataset,
    _make_taskaware_tensor_classification_dataset,
)
from torch.utils.data import Dataset

from streams.rows import RowSelection


def make_dataset(
    x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor, task_label: int = 0
) -> TaskAwareSupervisedClassificationDataset:
    """A task-aware supervised classification dataset whose items are ``(x, y, task)``.

    Items carry the task label because LwF and Avalanche's accuracy metric
    expect it; in a feature-incremental stream it is 0 everywhere.
    """
    xt = torch.as_tensor(x)
    yt = torch.as_tensor(y, dtype=torch.long)
    return _make_taskaware_tensor_classification_dataset(
        xt, yt, targets=yt, task_labels=int(task_label)
    )


class _SelectedRows(Dataset):
    """Items ``(x, y)`` made on access from a :class:`RowSelection`; nothing is copied up front."""

    def __init__(self, selection: RowSelection, y: np.ndarray) -> None:
        self.selection = selection
        self.y = y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        x = self.selection.take(np.array([index]))[0]
        return torch.from_numpy(x), int(self.y[index])

    def items_at(self, positions: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """The items at ``positions``, collated (inputs, int64 labels), in one slice: what a
        DataLoader would build from them one by one."""
        x = self.selection.take(np.asarray(positions, dtype=np.int64))
        return torch.from_numpy(x), torch.from_numpy(self.y[positions].astype(np.int64))


def make_lazy_dataset(
    selection: RowSelection, y: np.ndarray, task_label: int = 0
) -> TaskAwareSupervisedClassificationDataset:
    """Like :func:`make_dataset`, but each item's inputs are made when it is read.

    Every view of a stream (as released, current features, Joint) shares the
    stream's one copy of the raw values.
    """
    yt = torch.as_tensor(y, dtype=torch.long)
    return _make_taskaware_classification_dataset(
        _SelectedRows(selection, np.asarray(y)), targets=yt, task_labels=int(task_label)
    )


def make_stream(
    name: str,
    datasets: Sequence[TaskAwareSupervisedClassificationDataset],
    attributes: Sequence[Mapping[str, Any]],
) -> EagerCLStream:
    """An eager stream of one experience per dataset, each carrying ``attributes``.

    The attributes are set after the experience objects exist, which is what
    makes them survive Avalanche's ``.train()``/``.eval()`` copies.
    """
    experiences = [
        DatasetExperience(dataset=data, current_experience=index)
        for index, data in enumerate(datasets)
    ]
    stream = EagerCLStream(name, experiences)
    for exp, attrs in zip(experiences, attributes, strict=True):
        for key, value in attrs.items():
            setattr(exp, key, value)
    return stream
