"""Small files in the real formats of the image and text datasets, written by the tests."""

from __future__ import annotations

import csv
import gzip
import pickle
import struct
from pathlib import Path

import numpy as np


def write_idx(path: Path, array: np.ndarray) -> None:
    """An idx file of unsigned bytes (gzipped when ``path`` ends in .gz), as MNIST ships them."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def images_with_labels(
    n: int, shape: tuple[int, ...], n_classes: int = 10, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Random 8-bit images whose mean brightness encodes the label; every class appears."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    rng.shuffle(y)
    base = (y * (200 // n_classes)).reshape((n,) + (1,) * len(shape))
    x = np.clip(base + rng.integers(0, 40, size=(n, *shape)), 0, 255).astype(np.uint8)
    return x, y.astype(np.uint8)


def write_mnist(folder: Path, n_train: int = 120, n_test: int = 40, gz: bool = True) -> dict:
    """The four idx files of MNIST/Fashion-MNIST in ``folder``; returns the arrays written."""
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    x, y = images_with_labels(n_train, (28, 28), seed=1)
    xt, yt = images_with_labels(n_test, (28, 28), seed=2)
    for name, array in (
        ("train-images-idx3-ubyte", x),
        ("train-labels-idx1-ubyte", y),
        ("t10k-images-idx3-ubyte", xt),
        ("t10k-labels-idx1-ubyte", yt),
    ):
        write_idx(folder / f"{name}{suffix}", array)
    return {"x": x, "y": y, "x_test": xt, "y_test": yt}


def _pickle(path: Path, obj: dict) -> None:
    with path.open("wb") as handle:
        pickle.dump(obj, handle)


def write_cifar10(root: Path, per_batch: int = 20, n_test: int = 30) -> dict:
    """``cifar-10-batches-py`` as torchvision expects it: 5 training batches, a test batch, meta."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    xs, ys = [], []
    for i in range(1, 6):
        x, y = images_with_labels(per_batch, (3 * 32 * 32,), seed=10 + i)
        _pickle(folder / f"data_batch_{i}", {"data": x, "labels": y.tolist()})
        xs.append(x)
        ys.append(y)
    xt, yt = images_with_labels(n_test, (3 * 32 * 32,), seed=3)
    _pickle(folder / "test_batch", {"data": xt, "labels": yt.tolist()})
    names = [
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    ]
    _pickle(folder / "batches.meta", {"label_names": names})
    return {"x": np.concatenate(xs), "y": np.concatenate(ys), "x_test": xt, "y_test": yt}


def write_cifar100(root: Path, n_train: int = 300, n_test: int = 100) -> dict:
    """``cifar-100-python``: one training and one test pickle with fine labels, and meta."""
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True, exist_ok=True)
    x, y = images_with_labels(n_train, (3 * 32 * 32,), n_classes=100, seed=4)
    xt, yt = images_with_labels(n_test, (3 * 32 * 32,), n_classes=100, seed=5)
    coarse = (y // 5).tolist()
    _pickle(folder / "train", {"data": x, "fine_labels": y.tolist(), "coarse_labels": coarse})
    _pickle(folder / "test", {"data": xt, "fine_labels": yt.tolist()})
    _pickle(folder / "meta", {"fine_label_names": [f"class{i}" for i in range(100)]})
    return {"x": x, "y": y, "x_test": xt, "y_test": yt}


WORDS = {
    0: ["election", "minister", "war", "talks"],
    1: ["match", "goal", "league", "coach"],
    2: ["stocks", "profit", "market", "shares"],
    3: ["software", "space", "chip", "internet"],
}


def news_rows(n: int, seed: int = 0, base: int = 1) -> list[list[str]]:
    """``[label, title, description]`` rows in AG News's published layout (labels from ``base``)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = i % 4
        title = " ".join(rng.choice(WORDS[label], size=2))
        description = " ".join(rng.choice(WORDS[label], size=5)) + " said <b>Reuters</b>"
        rows.append([str(label + base), title.title(), description])
    return rows


def text_rows(n: int, n_classes: int, n_fields: int, seed: int = 0) -> list[list[str]]:
    """``[label, field1, ...]`` rows (labels from 1) whose words name their class."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        label = i % n_classes
        words = [f"topic{label}", f"word{label}a", f"word{label}b", "common"]
        fields = [" ".join(rng.choice(words, size=3 + 2 * f)) for f in range(n_fields)]
        rows.append([str(label + 1), *fields])
    return rows


def write_csv(path: Path, rows: list[list[str]], header: list[str] | None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


def write_parquet(path: Path, rows: list[list[str]], columns: list[str]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    table = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
    table["label"] = [int(v) for v in table["label"]]
    pq.write_table(pa.table(table), path)
    return path


def write_table(path: Path, x: np.ndarray, labels: list[str], blank_tail: bool = True) -> Path:
    """Whitespace-separated integers as UCI's ``german.data-numeric``: right-aligned fields,
    the label last, every other line ending in extra spaces, blank lines at the end."""
    lines = [
        "".join(f"{int(v):4d}" for v in row) + f"{label:>4}" + "   " * (i % 2)
        for i, (row, label) in enumerate(zip(x, labels, strict=True))
    ]
    path.write_text("\n".join(lines) + ("\n\n  \n" if blank_tail else "\n"))
    return path


def write_svmlight(path: Path, x: np.ndarray, labels: list[str]) -> Path:
    """LIBSVM/SVMlight sparse text: ``label index:value ...``, one-based, zeros left out."""
    lines = [
        " ".join([label] + [f"{j + 1}:{v:.6g}" for j, v in enumerate(row) if v != 0])
        for row, label in zip(x, labels, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path
