"""AL in the online protocol: grow a feature-augmented block when new columns arrive, train
the newest block on each row as it comes, answer by the exits a row can use.

- **Growth.** A column is *released* the first time a row shows it. The first row's columns
  make block 1. Later released columns wait until the newest block has trained on
  ``min_block_rows`` rows; then every block is frozen and one block is appended that reads
  the previous block's output and the waiting columns (:class:`alcl.growth.GrowthRule`). A
  trapezoidal stream thus grows one block per chunk; a haphazard one grows early.
- **Warm start** (``warm_start``, on by default). A new block starts as a copy of its parent's
  exit: its encoder passes the parent's features through (an identity block of its weight,
  the new columns' weights small), its bridge is the parent's, its label encoder and decoder
  are identity maps. So a new block's exit begins as good as its parent's and a few rows
  cannot make it collapse.
- **Training.** Each row (minibatch) takes ``steps`` optimiser steps on the local losses of
  the trainable block; nothing is stored.
- **Answers.** ``answer="hedge"`` mixes the softmax outputs of the exits a row can use with
  hedge weights learned online (as ODL mixes its layers: alpha <- max(alpha b^loss, s / L),
  renormalised); ``"best"`` takes the usable exit of largest hedge weight; ``"deepest"`` the
  deepest usable exit.
- **Absent columns** that a block reads (haphazard, obsolete streams): ``absent="impute"``
  fills them with their running mean (0 after the running standardisation), so every row
  reaches every block; ``"route"`` leaves them out, so the row is answered by the deepest
  block whose columns it has and trains only if it reaches the newest block.

Columns are standardised with running statistics of the rows before (``scale``).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from alcl.backbones.mlp import MLPBackbone
from alcl.config import ModelConfig
from alcl.growth import GrowthRule
from alcl.network import ALNetwork, Prefix
from alcl.online.learner import OnlineLearner, register_online
from alcl.online.scaling import RunningScaler

ANSWERS = ("hedge", "best", "deepest")
ABSENT_POLICIES = ("impute", "route")


@register_online("al")
class ALOnline(OnlineLearner):
    def __init__(
        self,
        n_features: int,
        n_classes: int,
        seed: int = 0,
        width: int = 64,
        label_dim: int = 16,
        lr: float = 0.01,
        steps: int = 1,
        min_block_rows: int = 50,
        warm_start: bool = True,
        answer: str = "hedge",
        absent: str = "impute",
        b: float = 0.99,
        s: float = 0.2,
        scale: bool = True,
    ) -> None:
        super().__init__(n_features, n_classes, seed)
        if answer not in ANSWERS:
            raise ValueError(f"answer must be one of {list(ANSWERS)}, got {answer!r}.")
        if absent not in ABSENT_POLICIES:
            raise ValueError(f"absent must be one of {list(ABSENT_POLICIES)}, got {absent!r}.")
        if steps < 1 or min_block_rows < 1 or lr <= 0:
            raise ValueError("steps and min_block_rows must be >= 1 and lr > 0.")
        torch.manual_seed(seed)
        self.net = ALNetwork(n_features, n_classes)
        self.rule = GrowthRule(
            MLPBackbone((width,)), ModelConfig(widths=[width], label_dim=label_dim)
        )
        self.lr, self.steps, self.min_block_rows = lr, steps, min_block_rows
        self.warm_start, self.answer, self.absent = warm_start, answer, absent
        self.b, self.s = b, s
        self.scaler = RunningScaler(n_features) if scale else None
        self.released = np.zeros(n_features, dtype=bool)
        self.read = np.zeros(n_features, dtype=bool)
        self.rows_in_block = 0
        self.alpha = np.zeros(0)
        self._plan: list[tuple] = []  # per block, the weights the lean exit pass reads
        self.optimizer: torch.optim.Optimizer | None = None

    # growth ---------------------------------------------------------------------------
    def _grow(self) -> None:
        columns = np.flatnonzero(self.released & ~self.read)
        parent = self.net.blocks[-1] if self.net.depth else None
        (block,) = self.rule.grow(self.net, columns)
        if self.warm_start and parent is not None:
            block.start_as(parent)
        self.read[columns] = True
        self._plan.append(_weights(block))
        self.rows_in_block = 0
        self.alpha = np.append(self.alpha, self.alpha.mean() if len(self.alpha) else 1.0)
        self.alpha /= self.alpha.sum()
        self.optimizer = torch.optim.Adam(self.net.trainable_parameters(), lr=self.lr, foreach=True)
        labels = torch.arange(self.n_classes)
        self.class_codes = self.net.prefix(
            torch.zeros(self.n_classes, self.n_features), labels, self.net.frozen_depth()
        ).t  # t after the frozen blocks, per class: a constant while they stay frozen

    def _maybe_grow(self, x: np.ndarray) -> None:
        self.released |= ~np.isnan(x).all(axis=0)
        waiting = (self.released & ~self.read).any()
        if self.net.depth == 0 or (waiting and self.rows_in_block >= self.min_block_rows):
            self._grow()

    # one step ---------------------------------------------------------------------------
    def step(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        self._maybe_grow(x)
        z = self.scaler.transform(x) if self.scaler else x.copy()
        z[:, ~self.read] = 0.0  # never read; a NaN there would only slow the routing down
        if self.absent == "impute":
            z = np.nan_to_num(z, nan=0.0)
        xt = torch.from_numpy(z.astype(np.float32))
        yt = torch.from_numpy(np.asarray(y, dtype=np.int64))
        limit = self.net.usable_depth(xt)
        logits, s_frozen = self._exits(xt)
        probs = torch.softmax(torch.nan_to_num(logits), dim=2).numpy()  # (L, n, C)
        limit_np = limit.numpy()
        prediction = self._answer(probs, limit_np)
        self._hedge(probs, limit_np, np.asarray(y))
        self._train(xt, yt, limit, s_frozen)
        if self.scaler:
            self.scaler.update(x)
        return prediction

    @torch.no_grad()
    def _exits(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Every exit's logits (L, n, C) in one lean pass, and the frozen blocks' features.

        The maths of :func:`alcl.inference.exit_table` on the blocks' own weights (views of
        their parameters, so training updates show), without module dispatch, and with the
        label decoders applied level by level to every exit at once (L calls, not L(L+1)/2).
        """
        s, codes, s_frozen = None, [], None
        frozen = self.net.frozen_depth()
        for k, (wf, bf, columns, wb, bb, _, _) in enumerate(self._plan, start=1):
            side = None if columns is None else x.index_select(1, columns)
            inp = side if s is None else (s if side is None else torch.cat([s, side], dim=1))
            s = torch.relu(F.linear(inp, wf, bf))
            codes.append(torch.tanh(F.linear(s, wb, bb)))
            if k == frozen:
                s_frozen = s
        code = torch.stack(codes)
        for j in range(self.net.depth, 1, -1):
            _, _, _, _, _, wh, bh = self._plan[j - 1]
            code = torch.cat([code[: j - 1], torch.tanh(F.linear(code[j - 1 :], wh, bh))])
        _, _, _, _, _, wh, bh = self._plan[0]
        return F.linear(code, wh, bh), s_frozen

    def _answer(self, probs: np.ndarray, limit: np.ndarray) -> np.ndarray:
        depth = probs.shape[0]
        usable = np.arange(1, depth + 1)[:, None] <= limit[None, :]  # (L, n)
        if self.answer == "deepest":
            return probs[limit - 1, np.arange(probs.shape[1])].argmax(axis=1)
        weights = self.alpha[:, None] * usable
        if self.answer == "best":
            best = weights.argmax(axis=0)
            return probs[best, np.arange(probs.shape[1])].argmax(axis=1)
        mixed = (weights[:, :, None] * probs).sum(axis=0)
        return mixed.argmax(axis=1)

    def _hedge(self, probs: np.ndarray, limit: np.ndarray, y: np.ndarray) -> None:
        rows = np.arange(len(y))
        p_true = np.maximum(probs[:, rows, y], 1e-12)  # (L, n)
        reach = np.arange(probs.shape[0])[:, None] < limit[None, :]
        counts = reach.sum(axis=1)
        loss = np.where(
            counts > 0, (-np.log(p_true) * reach).sum(axis=1) / np.maximum(counts, 1), 0
        )
        alpha = self.alpha * self.b**loss
        alpha = np.maximum(alpha / alpha.sum(), self.s / len(alpha))
        self.alpha = alpha / alpha.sum()

    def _train(
        self, x: torch.Tensor, y: torch.Tensor, limit: torch.Tensor, s_frozen: torch.Tensor | None
    ) -> None:
        frozen = self.net.frozen_depth()
        trainable = limit > frozen
        if not bool(trainable.any()):
            return
        if not bool(trainable.all()):
            x, y, limit = x[trainable], y[trainable], limit[trainable]
            s_frozen = None if s_frozen is None else s_frozen[trainable]
        start = None if s_frozen is None else Prefix(frozen, s_frozen, self.class_codes[y])
        for _ in range(self.steps):
            self.optimizer.zero_grad(set_to_none=True)
            step = self.net.local_losses(x, y, start=start, limit=limit)
            step.loss.backward()
            self.optimizer.step()
        self.rows_in_block += len(y)


def _weights(block) -> tuple:
    """An MLP AL block's weights, as views of its parameters: (f, its columns, b, h)."""
    (f,) = [m for m in block.f.modules() if isinstance(m, torch.nn.Linear)]
    (b,) = [m for m in block.b.modules() if isinstance(m, torch.nn.Linear)]
    h = block.h if isinstance(block.h, torch.nn.Linear) else block.h[0]
    columns = block.columns if block.columns.numel() else None
    return (
        f.weight.detach(),
        f.bias.detach(),
        columns,
        b.weight.detach(),
        b.bias.detach(),
        (h.weight.detach()),
        h.bias.detach(),
    )
