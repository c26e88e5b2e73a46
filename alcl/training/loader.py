"""Large tensor minibatches from in-memory data, for any Avalanche strategy.

Avalanche's data loaders fetch and collate every sample through Python on
every epoch. When an experience's data fits in memory and reading it applies
no transform (so no random augmentation), the data can be read once per
experience into tensors on the strategy's device and then served as
shuffled slices: :class:`TensorBatches`.

- :class:`alcl.training.loop.FastLoop` gives any ``SupervisedTemplate`` (Naive,
  Replay, ...) this data path; a plugin that installs its own loader later
  (as Replay does) still wins.
- :class:`alcl.strategy.ALStrategy` uses it by default, and extends the
  batches with its cache of frozen-block outputs.

Reading the data once is itself fast when the stream's samples are arrays
(:mod:`streams.avalanche_data`): :func:`gather_items` follows Avalanche's
subsets and concatenations down to datasets that hand out many items at once
(``items_at``, or a ``TensorDataset``), and slices them. The items are the
same tensors that a DataLoader would collate, bit for bit; any other dataset
is read through a DataLoader.

Batches are shuffled with a private generator seeded from PyTorch's global
generator when the loader is built, so a run is reproducible from its seed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from avalanche.benchmarks.utils.flat_data import ConstantSequence, FlatData
from torch import Tensor
from torch.utils.data import DataLoader, TensorDataset

DEFAULT_MAX_MB = 2048.0  # largest experience (inputs, labels, task labels) read into memory
_READ_BATCH = 4096


def _current_transform(groups: object) -> object:
    """The transform of an Avalanche ``TransformGroups``' current group (None if none)."""
    if groups is None:
        return None
    try:
        return groups[groups.current_group]
    except KeyError:
        return None


def has_transforms(dataset: object) -> bool:
    """Whether reading ``dataset`` applies a transform anywhere in its tree of datasets.

    Looks at Avalanche's transform groups (current group, frozen or not) and
    at ``transform``/``target_transform`` of plain PyTorch/torchvision
    datasets. A dataset that randomises inside its own ``__getitem__`` cannot
    be detected; do not use tensor batches with such a dataset.
    """
    stack, seen = [dataset], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        attrs = vars(node) if hasattr(node, "__dict__") else {}
        for name in ("_transform_groups", "_frozen_transform_groups"):
            if _current_transform(attrs.get(name)) is not None:
                return True
        if attrs.get("transform") is not None or attrs.get("target_transform") is not None:
            return True
        for name in ("_flat_data", "dataset"):
            if attrs.get(name) is not None:
                stack.append(attrs[name])
        for name in ("_datasets", "datasets"):
            stack.extend(attrs.get(name) or ())
    return False


def _scatter(parts: list[tuple[np.ndarray, list[Tensor]]], n: int) -> list[Tensor]:
    """One tensor per field, rows of each part placed at its positions."""
    first = parts[0][1]
    out = [torch.empty((n, *f.shape[1:]), dtype=f.dtype) for f in first]
    for where, fields in parts:
        rows = torch.from_numpy(where)
        for column, field in zip(out, fields, strict=True):
            column[rows] = field
    return out


def _gather_values(node: object, positions: np.ndarray) -> Tensor | None:
    """A data attribute's values at ``positions`` (as collated ints), or None."""
    if isinstance(node, ConstantSequence):
        return torch.full((len(positions),), node._constant_value, dtype=torch.long)
    if isinstance(node, FlatData):
        fields = _gather(node, positions, _gather_one_value)
        return None if fields is None else fields[0]
    return None


def _gather_one_value(leaf: object, positions: np.ndarray) -> list[Tensor] | None:
    value = _gather_values(leaf, positions)
    if value is not None:
        return [value]
    if isinstance(leaf, list | tuple) and all(isinstance(v, int) for v in leaf[:1]):
        return [torch.as_tensor(np.asarray(leaf, dtype=np.int64)[positions])]
    if isinstance(leaf, Tensor) and leaf.dim() == 1:
        return [leaf[torch.from_numpy(positions)].long()]
    return None


def _gather_items(leaf: object, positions: np.ndarray) -> list[Tensor] | None:
    """Collated items of a leaf dataset: one that reads many at once, or nested data."""
    reader = getattr(leaf, "items_at", None)
    if callable(reader):
        return list(reader(positions))
    if isinstance(leaf, TensorDataset):
        rows = torch.from_numpy(positions)
        return [t[rows] for t in leaf.tensors]
    return gather_items(leaf, positions)


def _gather(flat: FlatData, positions: np.ndarray, leaf_reader) -> list[Tensor] | None:
    """Follow a FlatData's subset indices and concatenation to its datasets' rows."""
    indices = positions if flat._indices is None else np.asarray(flat._indices)[positions]
    datasets = flat._datasets
    if len(datasets) == 1:
        return leaf_reader(datasets[0], indices)
    ends = np.asarray(flat._cumulative_sizes)
    which = np.searchsorted(ends, indices, side="right")
    parts = []
    for k in np.unique(which):
        where = np.flatnonzero(which == k)
        start = 0 if k == 0 else int(ends[k - 1])
        fields = leaf_reader(datasets[k], indices[where] - start)
        if fields is None:
            return None
        parts.append((where, fields))
    return _scatter(parts, len(indices)) if parts else None


def draw_like_a_dataloader() -> None:
    """Draw from PyTorch's global generator what iterating a DataLoader draws (its workers'
    base seed), so that a run reading arrays directly stays bit-identical to one reading
    through a DataLoader: every later random number (initialisation, dropout, shuffling) is
    the same."""
    torch.empty((), dtype=torch.int64).random_()


def gather_items(dataset: object, positions: np.ndarray | None = None) -> list[Tensor] | None:
    """The items of an Avalanche dataset at ``positions`` (default: all), collated, read by
    slicing arrays rather than item by item; None when some part of it cannot be read so.

    Call it only on data without transforms (:func:`has_transforms`): transforms are not
    applied here.
    """
    flat = getattr(dataset, "_flat_data", None)
    attributes = getattr(dataset, "_data_attributes", None)
    if positions is None:
        positions = np.arange(len(dataset), dtype=np.int64)
    if flat is not None and flat is not dataset and attributes is not None:
        fields = gather_items(flat, positions)
        if fields is None:
            return None
        for attribute in attributes.values():
            if attribute.use_in_getitem:
                values = _gather_values(attribute.data, positions)
                if values is None:
                    return None
                fields.append(values)
        return fields
    if isinstance(dataset, FlatData):
        return _gather(dataset, positions, _gather_items)
    return None


def _megabytes(tensors: Sequence[Tensor]) -> float:
    return sum(t.numel() * t.element_size() for t in tensors) / 2**20


def in_memory_tensors(
    dataset: Sequence, device: torch.device | str = "cpu", max_mb: float = DEFAULT_MAX_MB
) -> list[Tensor] | None:
    """Every item of ``dataset``, collated into one tensor per field, on ``device``.

    Returns None (the caller then streams the data as usual) when reading
    applies transforms, when an item field is not a tensor, or when the data
    would take more than ``max_mb`` MiB.
    """
    if len(dataset) == 0 or has_transforms(dataset):
        return None
    gathered = gather_items(dataset)
    if gathered is not None:
        if _megabytes(gathered) > max_mb:
            return None
        draw_like_a_dataloader()  # what reading it through the DataLoader below would draw
        return [f.to(device) for f in gathered]
    collate = getattr(dataset, "collate_fn", None)
    parts: list[list[Tensor]] = []
    for batch in DataLoader(dataset, batch_size=_READ_BATCH, shuffle=False, collate_fn=collate):
        fields = list(batch)
        if not all(isinstance(f, Tensor) for f in fields):
            return None
        if not parts:
            row_bytes = sum(f[0].numel() * f.element_size() for f in fields)
            if row_bytes * len(dataset) > max_mb * 2**20:
                return None
        parts.append(fields)
    return [torch.cat(column).to(device) for column in zip(*parts, strict=True)]


class TensorBatches:
    """Minibatches of aligned rows of in-memory tensors, reshuffled every epoch.

    Yields lists ``[tensor[rows] for tensor in tensors]``, like a DataLoader
    over a TensorDataset. Avalanche reads inputs from ``mbatch[0]``, targets
    from ``mbatch[1]`` and task labels from ``mbatch[-1]``.
    """

    def __init__(
        self,
        tensors: Sequence[Tensor],
        batch_size: int,
        shuffle: bool = True,
        drop_last: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        n = len(tensors[0])
        if any(len(t) != n for t in tensors):
            raise ValueError("all tensors of a TensorBatches need the same number of rows.")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        self.tensors = list(tensors)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        if generator is None:
            generator = torch.Generator().manual_seed(int(torch.randint(0, 2**62, (1,))))
        self.generator = generator

    @property
    def n_rows(self) -> int:
        return len(self.tensors[0])

    def __len__(self) -> int:
        if self.drop_last:
            return self.n_rows // self.batch_size
        return math.ceil(self.n_rows / self.batch_size)

    def __iter__(self) -> Iterator[list[Tensor]]:
        n, size = self.n_rows, self.batch_size
        stop = n - n % size if self.drop_last else n
        if not self.shuffle:
            for start in range(0, stop, size):
                yield [t[start : start + size] for t in self.tensors]
            return
        order = torch.randperm(n, generator=self.generator).to(self.tensors[0].device)
        for start in range(0, stop, size):
            rows = order[start : start + size]
            yield [t.index_select(0, rows) for t in self.tensors]

    def extended(self, extra: Sequence[Tensor]) -> TensorBatches:
        """The same batches (same order, same generator) with ``extra`` tensors before the last."""
        tensors = [*self.tensors[:-1], *extra, self.tensors[-1]]
        return TensorBatches(tensors, self.batch_size, self.shuffle, self.drop_last, self.generator)


class OrderedBatches(TensorBatches):
    """Minibatches in order, drawing from the global generator on each pass what a
    DataLoader's iterator draws (:func:`draw_like_a_dataloader`): Avalanche's eval loader,
    served from memory."""

    def __init__(self, tensors: Sequence[Tensor], batch_size: int) -> None:
        super().__init__(tensors, batch_size, shuffle=False, generator=torch.Generator())

    def __iter__(self) -> Iterator[list[Tensor]]:
        draw_like_a_dataloader()
        return super().__iter__()


def ordered_batches(
    dataset: Sequence,
    batch_size: int,
    device: torch.device | str = "cpu",
    max_mb: float = DEFAULT_MAX_MB,
) -> OrderedBatches | None:
    """:class:`OrderedBatches` over ``dataset`` when its items can be gathered from arrays
    (:func:`gather_items`), else None: the caller then reads it with a DataLoader."""
    if len(dataset) == 0 or has_transforms(dataset):
        return None
    tensors = gather_items(dataset)
    if tensors is None or _megabytes(tensors) > max_mb:
        return None
    return OrderedBatches([t.to(device) for t in tensors], batch_size)


def tensor_batches(
    dataset: Sequence,
    batch_size: int,
    device: torch.device | str = "cpu",
    shuffle: bool = True,
    drop_last: bool = False,
    max_mb: float = DEFAULT_MAX_MB,
) -> TensorBatches | None:
    """:class:`TensorBatches` over ``dataset``, or None when it cannot be held in memory as is."""
    tensors = in_memory_tensors(dataset, device, max_mb)
    if tensors is None:
        return None
    return TensorBatches(tensors, batch_size, shuffle, drop_last)
