"""Image datasets: MNIST, Fashion-MNIST, CIFAR-10 and CIFAR-100, with their published test splits.

Files are looked for under the data root (:func:`streams.paths.data_root`:
``stream.data_root``, else the ``ALCL_DATA`` environment variable, else
``~/.cache/alcl/data``) in the layout torchvision uses, then in system
folders (Debian's ``dataset-fashion-mnist`` package installs Fashion-MNIST
under ``/usr/share/datasets/fashion-mnist``). When they are missing, torchvision's
own dataset classes download them into the data root. The files are read by
the readers here (idx, and CIFAR's pickled batches), one code path whichever
way they arrived.

Images are kept as 8-bit pixels, one row of ``C*H*W`` columns per image
(see :class:`~streams.layout.ImageLayout`).
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from streams.idx import read_idx
from streams.layout import ImageLayout
from streams.paths import ENV_VAR, data_root
from streams.tabular import TabularData
from streams.validation import DataError

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


@dataclass(frozen=True)
class ImageSpec:
    title: str
    torchvision: str  # the torchvision.datasets class that downloads it
    folder: str  # where that class keeps the files, under the data root
    shape: tuple[int, int, int]
    classes: tuple[str, ...]
    train_files: tuple[str, ...]
    test_files: tuple[str, ...]
    meta: str | None = None  # CIFAR's pickled class names


_FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt")
_CIFAR10 = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship")
IMAGE_DATASETS: dict[str, ImageSpec] = {
    "mnist": ImageSpec(
        "MNIST",
        "MNIST",
        "MNIST/raw",
        (1, 28, 28),
        tuple("0123456789"),
        IDX_FILES[:2],
        IDX_FILES[2:],
    ),
    "fashion_mnist": ImageSpec(
        "Fashion-MNIST",
        "FashionMNIST",
        "FashionMNIST/raw",
        (1, 28, 28),
        _FASHION + ("Sneaker", "Bag", "Ankle boot"),
        IDX_FILES[:2],
        IDX_FILES[2:],
    ),
    "cifar10": ImageSpec(
        "CIFAR-10",
        "CIFAR10",
        "cifar-10-batches-py",
        (3, 32, 32),
        _CIFAR10 + ("truck",),
        tuple(f"data_batch_{i}" for i in range(1, 6)),
        ("test_batch",),
        "batches.meta",
    ),
    "cifar100": ImageSpec(
        "CIFAR-100",
        "CIFAR100",
        "cifar-100-python",
        (3, 32, 32),
        tuple(str(i) for i in range(100)),
        ("train",),
        ("test",),
        "meta",
    ),
}
"""Image datasets by name."""

SYSTEM_DIRS: dict[str, list[Path]] = {
    "fashion_mnist": [Path("/usr/share/datasets/fashion-mnist")],
}
"""Folders that system packages install datasets into, searched after the data root."""


def candidate_dirs(name: str, root: Path) -> list[Path]:
    """Where the files of dataset ``name`` are looked for, in order."""
    spec = IMAGE_DATASETS[name]
    dirs = [root / spec.folder, root / name, root / name.replace("_", "-")]
    dirs += SYSTEM_DIRS.get(name, [])
    return list(dict.fromkeys(dirs))


def _find(name: str, root: Path) -> Path | None:
    spec = IMAGE_DATASETS[name]
    for folder in candidate_dirs(name, root):
        if all(_file(folder, f) is not None for f in spec.train_files + spec.test_files):
            return folder
    return None


def _file(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def load_image_dataset(
    name: str, root: str | Path | None = None, download: bool = True
) -> TabularData:
    """Load an image dataset with its published test split; download it if missing and allowed."""
    if name not in IMAGE_DATASETS:
        raise DataError(f"unknown image dataset {name!r}; choose one of {sorted(IMAGE_DATASETS)}.")
    base = data_root(root)
    folder = _find(name, base)
    if folder is None:
        reason = "download=false" if not download else _download(name, base)
        folder = _find(name, base)
        if folder is None:
            raise DataError(_missing_message(name, base, reason))
    spec = IMAGE_DATASETS[name]
    if spec.meta is None:
        x, y = _read_idx_pair(folder, *spec.train_files)
        xt, yt = _read_idx_pair(folder, *spec.test_files)
    else:
        x, y = _read_cifar(folder, spec.train_files)
        xt, yt = _read_cifar(folder, spec.test_files)
    classes = _cifar_classes(folder / spec.meta) if spec.meta else None
    return image_data(name, x, y, xt, yt, spec.shape, classes or spec.classes)


def image_data(
    name: str,
    x: np.ndarray,
    y: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    shape: tuple[int, int, int],
    classes: tuple[str, ...],
) -> TabularData:
    """Wrap 8-bit images (any shape with ``prod(shape)`` values per image) and their labels."""
    n_pixels = int(np.prod(shape))
    parts = []
    for images, labels, split in ((x, y, "train"), (x_test, y_test, "test")):
        images = np.ascontiguousarray(images, dtype=np.uint8).reshape(len(images), -1)
        labels = np.asarray(labels, dtype=np.int64)
        if images.shape[1] != n_pixels or len(labels) != len(images):
            raise DataError(
                f"{name} {split} split: {len(images)} images of {images.shape[1]} pixels and "
                f"{len(labels)} labels; expected {n_pixels} pixels ({shape}) and one label per image."
            )
        if len(labels) and (labels.min() < 0 or labels.max() >= len(classes)):
            raise DataError(
                f"{name} {split} labels must lie in [0, {len(classes) - 1}], found "
                f"{int(labels.min())}..{int(labels.max())}."
            )
        parts += [images, labels]
    c, h, w = shape
    names = tuple(f"px[{ci},{hi},{wi}]" for ci in range(c) for hi in range(h) for wi in range(w))
    return TabularData(
        name, parts[0], parts[1], names, tuple(classes), parts[2], parts[3], ImageLayout(shape)
    )


def _read_idx_pair(folder: Path, images: str, labels: str) -> tuple[np.ndarray, np.ndarray]:
    return read_idx(_file(folder, images)), read_idx(_file(folder, labels))


def _read_cifar(folder: Path, files: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for name in files:
        path = folder / name
        try:
            with path.open("rb") as handle:
                entry = pickle.load(handle, encoding="latin1")
            labels = entry.get("labels", entry.get("fine_labels"))
            xs.append(np.asarray(entry["data"], dtype=np.uint8))
            ys.append(np.asarray(labels, dtype=np.int64))
        except (pickle.UnpicklingError, EOFError, KeyError, TypeError, AttributeError) as err:
            raise DataError(
                f"{path} is not a CIFAR batch (a pickled dict with 'data' and 'labels' or "
                f"'fine_labels'): {err!r}."
            ) from err
    return np.concatenate(xs), np.concatenate(ys)


def _cifar_classes(path: Path) -> tuple[str, ...] | None:
    if not path.is_file():
        return None
    with path.open("rb") as handle:
        meta = pickle.load(handle, encoding="latin1")
    names = meta.get("label_names", meta.get("fine_label_names"))
    return tuple(str(n) for n in names) if names else None


def _download(name: str, root: Path) -> str:
    """Download with torchvision's dataset class; return why it failed, or '' on success."""
    spec = IMAGE_DATASETS[name]
    try:
        import torchvision.datasets

        cls = getattr(torchvision.datasets, spec.torchvision)
        for train in (True, False):
            cls(str(root), train=train, download=True)
    except Exception as err:  # no network, a refused mirror, a bad checksum, a read-only root
        detail = " ".join(str(err).split())[:300]
        return f"download failed: {type(err).__name__}: {detail}"
    return ""


def _missing_message(name: str, root: Path, reason: str) -> str:
    spec = IMAGE_DATASETS[name]
    files = ", ".join(spec.train_files + spec.test_files)
    if spec.meta is None:
        files += " (each may be gzipped, ending in .gz)"
    else:
        files += f" and optionally {spec.meta}"
    places = "\n  ".join(str(p) for p in candidate_dirs(name, root))
    hint = (
        "\nOn Debian or Ubuntu, `apt install dataset-fashion-mnist` installs it."
        if name in SYSTEM_DIRS
        else ""
    )
    return (
        f"{spec.title} was not found ({reason or 'not found after download'}). Put the files "
        f"{files} in one of:\n  {places}\nor point stream.data_root (or the {ENV_VAR} "
        f"environment variable) at a folder that holds {spec.folder}/ with them; with network "
        f"access, download: true fetches them there.{hint}"
    )
