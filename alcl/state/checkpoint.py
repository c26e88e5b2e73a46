"""Checkpoint files that execute no code when read, and the random state they carry.

A checkpoint is one ``torch.save`` file of plain data only: nested dicts,
lists and tuples of tensors, numbers, strings, booleans and None. It is read
with ``torch.load(weights_only=True)``, whose unpickler refuses any other
object, so a crafted file cannot run code on load (a pickle whose
``__reduce__`` calls ``os.system`` is refused before anything is called).
Whatever a strategy keeps in richer objects (Avalanche's ``ParamData``,
datasets, sets) is reduced to such data by :mod:`alcl.state.strategy_state`.

Files are written atomically (:func:`alcl.results.files.atomic_write_bytes`), so a
run killed at any moment leaves either the previous checkpoint or the new
one, never a truncated file.

The random state covers every generator a run draws from: PyTorch's CPU
generator (and each CUDA device's), NumPy's global one and Python's
``random``. The fast loop's per-experience generator
(:class:`alcl.training.loader.TensorBatches`) is seeded from PyTorch's generator when
an experience's batches are built, so restoring PyTorch's restores it too.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import pickletools
import random
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alcl.results.files import atomic_write_bytes

FORMAT = "alcl-checkpoint"
VERSION = 1


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used: unsafe, damaged, or from another run."""


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` (plain data and tensors only) to ``path`` atomically."""
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, **payload}, buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def load_checkpoint(
    path: str | Path, map_location: str | torch.device | None = None
) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`, refusing anything but plain data.

    Tensors return to the devices they were saved from (``map_location=None``),
    as a strategy keeps some state on its device and some on the CPU.

    Raises :class:`CheckpointError` naming the file and the fix when the file
    holds objects that would run code, is damaged, or is not an alcl checkpoint.
    """
    path = Path(path)
    try:
        with warnings.catch_warnings():  # its pickle-protocol notice adds nothing to a refusal
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            data = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        reason = _unpickler_reason(str(err))
        if "GLOBAL" not in reason.upper() and not _calls_code(path):
            raise CheckpointError(
                f"{path} is damaged or not an alcl checkpoint ({reason}); it was not loaded. "
                "Delete it to restart this run from the beginning."
            ) from err
        raise CheckpointError(
            f"{path} holds objects that are not plain data (tensors, numbers, strings, lists, "
            f"dicts), so it was refused: loading it could run code. Delete it to restart this "
            f"run from the beginning. ({reason})"
        ) from err
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        empty = path.is_file() and path.stat().st_size == 0
        detail = "0 bytes" if empty else (str(err).splitlines() or [type(err).__name__])[0]
        raise CheckpointError(
            f"{path} cannot be read as a checkpoint ({detail}); delete it to restart this run."
        ) from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an alcl checkpoint; delete it to restart this run.")
    if data.get("version") != VERSION:
        raise CheckpointError(
            f"{path} has checkpoint version {data.get('version')}, this alcl reads {VERSION}; "
            "delete it to restart this run."
        )
    return data


_CODE_OPCODES = {"GLOBAL", "STACK_GLOBAL", "REDUCE", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX"}


def _calls_code(path: Path) -> bool:
    """Whether ``path`` is a pickle that imports or calls something (read, never run)."""
    try:
        with open(path, "rb") as handle:
            return any(op.name in _CODE_OPCODES for op, _, _ in pickletools.genops(handle))
    except Exception:  # not a pickle at all: random bytes, a cut file
        return False


def _unpickler_reason(message: str) -> str:
    """The line of PyTorch's refusal that says what was found, without its advice to load
    with ``weights_only=False`` (inside a security refusal that advice is dangerous)."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    found = [
        ln
        for ln in lines
        if not ln.startswith(("Weights only load failed", "Please file an issue", "Check the"))
        and "weights_only" not in ln
    ]
    return found[0] if found else "refused by the safe unpickler"


def weights_fingerprint(model: torch.nn.Module) -> str:
    """A digest of every tensor in ``model.state_dict()``: equal exactly when the weights are
    bit-identical (it makes "the same numbers twice" checkable from a results file)."""
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(f"{tensor.dtype} {tuple(tensor.shape)}".encode())
        flat = tensor.detach().cpu().reshape(-1)
        # A fresh stride-1 copy: an empty or expanded tensor may keep stride 0 through
        # reshape and contiguous(), and a byte view of it is refused.
        flat = torch.empty_like(flat, memory_format=torch.contiguous_format).copy_(flat)
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()[:16]


def rng_state() -> dict[str, Any]:
    """Every global random generator's state, as tensors and plain numbers."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": {
            "version": version,
            "internal": torch.tensor(internal, dtype=torch.int64),
            "gauss_next": gauss_next,
        },
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    torch.set_rng_state(state["torch"].cpu())
    n = state["numpy"]
    np.random.set_state(
        (
            n["kind"],
            n["keys"].cpu().numpy().astype(np.uint32),
            n["pos"],
            n["has_gauss"],
            n["cached_gaussian"],
        )
    )
    p = state["python"]
    random.setstate((p["version"], tuple(int(v) for v in p["internal"].tolist()), p["gauss_next"]))
    if "cuda" in state:
        if not torch.cuda.is_available():
            raise CheckpointError(
                "this checkpoint was written on a CUDA device, but none is available now; "
                "resume it on a machine with CUDA (results would otherwise differ)."
            )
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
