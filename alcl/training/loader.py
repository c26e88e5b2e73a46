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

Batches are shuffled with a private generator seeded from PyTorch's global
generator when the loader is built, so a run is reproducible from its seed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import torch
from torch import Tensor
from torch.utils.data import DataLoader

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
