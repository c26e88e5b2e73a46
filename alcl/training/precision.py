"""``training.precision``: the arithmetic of the training forward passes.

- ``fp32``: float32 throughout (the default; the numbers every table quotes);
- ``bf16``: the forward pass and the losses under ``torch.autocast`` with bfloat16, on the CPU
  or on CUDA. Weights, gradients and optimizer state stay float32, and evaluation, the
  adaptive report and FLOP counts run in float32, so only training arithmetic changes.
  Matmuls run in bfloat16 where the hardware has it (CPUs with AVX-512 BF16 or AMX, CUDA
  GPUs from Ampere on); elsewhere PyTorch emulates it, which is slower than float32.
"""

from __future__ import annotations

import contextlib
from typing import Any

import torch

PRECISIONS = ("fp32", "bf16")


def training_autocast(precision: str, device: torch.device | str) -> Any:
    """The context a training forward pass runs in for ``precision`` on ``device``."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {list(PRECISIONS)}.")
    if precision == "fp32":
        return contextlib.nullcontext()
    kind = torch.device(device).type
    if kind == "cuda" and not torch.cuda.is_bf16_supported():
        raise ValueError("training.precision bf16 needs a GPU with bfloat16; use fp32.")
    return torch.autocast(device_type=kind, dtype=torch.bfloat16)
