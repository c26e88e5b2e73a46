"""A stack with an exit at every block: the exit rule chosen on validation, and which exit
answers each feature set, kept as buffers so both travel with ``state_dict``.

:class:`EarlyExits` is mixed into :class:`alcl.network.ALNetwork` and into the ``bp-exits``
network (:mod:`alcl.baselines.bp_grow`); :mod:`alcl.inference`, :mod:`alcl.calibration`
and :mod:`alcl.answer_exits` read it.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from alcl.confidence import CONFIDENCES

ANSWER_TABLE = "answer_exit_table"
SET_THRESHOLDS = "exit_threshold_by_set"


class EarlyExits:
    """A stack with an exit at every block, and the early-exit rule chosen on validation
    (:mod:`alcl.calibration`), stored as buffers so the rule travels with ``state_dict``.

    A subclass says how exit k turns block k's features into logits (:meth:`exit_logits`);
    the inference paths (:mod:`alcl.inference`), the FLOPs accounting and the per-exit metric
    need nothing else. :class:`ALNetwork` is one; the ``bp-exits`` reference
    (:mod:`alcl.baselines.bp_grow`) is another.
    """

    def set_answer_exits(self, exits: list[int]) -> None:
        """Answer a row whose columns reach block d (1-based) with exit ``exits[d - 1]``
        (1 <= exit <= d) instead of exit d (:mod:`alcl.answer_exits`). Stored as a buffer,
        registered on first use, so networks that never choose keep their ``state_dict``."""
        table = [int(e) for e in exits]
        bad = [(d, e) for d, e in enumerate(table, start=1) if not 1 <= e <= d]
        if len(table) != self.depth or bad:
            raise ValueError(
                f"answering exits must list one exit 1..d per depth d = 1..{self.depth}, "
                f"got {table}."
            )
        device = self.exit_threshold.device
        self._buffers.pop(ANSWER_TABLE, None)
        self.register_buffer(ANSWER_TABLE, torch.tensor(table, dtype=torch.long, device=device))

    def answer_exits(self) -> list[int]:
        """The exit that answers rows reaching each block (the block itself where none was
        chosen, e.g. blocks grown since)."""
        table = self._buffers.get(ANSWER_TABLE)
        chosen = [] if table is None else table.tolist()[: self.depth]
        return chosen + list(range(len(chosen) + 1, self.depth + 1))

    def answer_depths(self, x: Tensor) -> Tensor | None:
        """Per row, the exit that answers it: its usable depth through the answering table
        (None, as :meth:`depth_limits`, when every row is answered by the deepest exit)."""
        limit = self.depth_limits(x)
        if ANSWER_TABLE not in self._buffers:
            return limit
        table = torch.tensor([0, *self.answer_exits()], dtype=torch.long, device=x.device)
        if limit is None:
            if int(table[-1]) == self.depth:
                return None
            return table[-1].expand(x.shape[0]).clone()
        return table[limit]  # limit 0 (no usable block) stays 0

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        for name in (ANSWER_TABLE, SET_THRESHOLDS):
            if prefix + name in state_dict and name not in self._buffers:
                self.register_buffer(name, torch.empty_like(state_dict[prefix + name]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def init_exit_rule(self) -> None:
        # The early-exit rule: NaN until calibrated; +inf means "always the full path".
        self.register_buffer("exit_threshold", torch.tensor(math.nan, dtype=torch.float64))
        self.register_buffer("exit_confidence", torch.tensor(0, dtype=torch.long))

    def exit_logits(self, s: Tensor, depth: int) -> Tensor:
        """Logits of exit ``depth`` (1-based) from block ``depth``'s encoder output ``s``."""
        raise NotImplementedError

    def set_exit_rule(self, threshold: float, confidence: str = "max_prob") -> None:
        """Store the adaptive-inference threshold (``inf``: full path) and confidence kind."""
        if confidence not in CONFIDENCES:
            raise ValueError(
                f"unknown confidence {confidence!r}; choose one of {list(CONFIDENCES)}."
            )
        if math.isnan(threshold) or threshold < 0:
            raise ValueError(f"an exit threshold must be >= 0 (or inf), got {threshold}.")
        self.exit_threshold.fill_(float(threshold))
        self.exit_confidence.fill_(CONFIDENCES.index(confidence))
        self._buffers.pop(SET_THRESHOLDS, None)  # one threshold for every row again

    def set_feature_set_thresholds(self, thresholds: dict[int, float]) -> None:
        """Give the rows answered at exit d (one feature set: the rows whose columns reach
        block d, through the answering table) their own threshold ``thresholds[d]``; sets
        not listed keep the one threshold of :meth:`set_exit_rule`, which must exist. A
        buffer indexed by d, registered on first use (networks that never calibrate per
        feature set keep their ``state_dict``)."""
        if self.exit_rule is None:
            raise ValueError("set the network's exit rule first (set_exit_rule).")
        bad = {d: t for d, t in thresholds.items() if not 1 <= d <= self.depth}
        bad |= {d: t for d, t in thresholds.items() if math.isnan(t) or t < 0}
        if bad:
            raise ValueError(
                f"per-feature-set thresholds need depths 1..{self.depth} and thresholds >= 0 "
                f"(or inf), got {bad}."
            )
        table = torch.full((self.depth + 1,), float(self.exit_threshold), dtype=torch.float64)
        for depth, threshold in thresholds.items():
            table[depth] = float(threshold)
        self._buffers.pop(SET_THRESHOLDS, None)
        self.register_buffer(SET_THRESHOLDS, table.to(self.exit_threshold.device))

    def feature_set_thresholds(self) -> Tensor | None:
        """Per answering depth d (index d, 0 unused), the threshold of that feature set's rows,
        for depths 0..self.depth; None when the network has one threshold for every row."""
        table = self._buffers.get(SET_THRESHOLDS)
        if table is None or self.exit_rule is None:
            return None
        if len(table) < self.depth + 1:  # blocks grown since: they take the one threshold
            table = torch.cat([table, self.exit_threshold.expand(self.depth + 1 - len(table))])
        return table[: self.depth + 1]

    @property
    def exit_rule(self) -> tuple[float, str] | None:
        """(threshold, confidence kind) chosen on validation, or None before calibration."""
        threshold = float(self.exit_threshold)
        if math.isnan(threshold):
            return None
        return threshold, CONFIDENCES[int(self.exit_confidence)]
