"""Fixed-width backprop models for the continual-learning baselines.

Baselines have one input per column at every time, so the columns an
experience does not have (NaN) must be filled in. :class:`FillAbsent` does it,
in front of the backprop reference built from the same encoders as the AL
blocks (:class:`BackpropNet`, any backbone) or in front of Avalanche's PNN (:mod:`alcl.baselines.pnn`). Its modes:

- ``zero``: absent inputs read 0 (with standardised columns, the mean of the
  training rows of the experience that released the column);
- ``zero+mask``: 0 as above, plus one 0/1 input per column saying whether it
  is present, so the model's input width doubles. For a bag of words (``bow``, ``tfidf``
  text columns) a field is released whole, so the mask has one input per field
  (:func:`mask_pieces`): a mask per word would add thousands of inputs that equal 1 on
  every row of an experience and drown the weights of the words themselves;
- ``mean``: absent inputs read the running mean of that column over the
  training rows the strategy has been given so far (each experience's new
  training rows counted once, at the start of its training; Joint: all its
  rows). Validation and test rows never enter it; a column no training row
  has shown yet reads 0. :class:`RunningMeans` keeps it up to date.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from avalanche.core import SupervisedPlugin
from torch import Tensor, nn
from torch.utils.data import DataLoader

from alcl.backbones import BlockSpec
from alcl.backbones.mlp import MLPBackbone

ABSENT_MODES = ("zero", "zero+mask", "mean")
"""How a fixed-width model sees absent columns (see :class:`FillAbsent`)."""


class FillAbsent(nn.Module):
    """Make absent (NaN) inputs readable by a fixed-width model; see the module docs."""

    def __init__(
        self,
        n_features: int,
        mode: str = "zero",
        pieces: Sequence[tuple[int, int]] | None = None,
    ) -> None:
        super().__init__()
        if mode not in ABSENT_MODES:
            raise ValueError(f"unknown absent-column mode {mode!r}; choose one of {ABSENT_MODES}.")
        self.n_features = n_features
        self.mode = mode
        # zero+mask: one mask input per column, or per piece [start, stop) released whole
        starts = [start for start, _ in pieces] if pieces else []
        self.register_buffer(
            "piece_starts", torch.tensor(starts, dtype=torch.long), persistent=False
        )
        self.register_buffer("present_sum", torch.zeros(n_features, dtype=torch.float64))
        self.register_buffer("present_count", torch.zeros(n_features, dtype=torch.float64))

    @property
    def out_features(self) -> int:
        if self.mode != "zero+mask":
            return self.n_features
        return self.n_features + (len(self.piece_starts) or self.n_features)

    @property
    def means(self) -> Tensor:
        """Running training means per column (0 where no training row has shown it)."""
        return self.present_sum / self.present_count.clamp_min(1.0)

    @torch.no_grad()
    def observe(self, x: Tensor) -> None:
        """Add training rows ``x`` to the running means (absent entries are skipped)."""
        present = ~torch.isnan(x)
        self.present_sum += torch.where(present, x, 0.0).sum(dim=0).to(self.present_sum)
        self.present_count += present.sum(dim=0).to(self.present_count)

    def forward(self, x: Tensor) -> Tensor:
        absent = torch.isnan(x)
        if self.mode == "mean":
            return torch.where(absent, self.means.to(x.dtype), x)
        filled = torch.nan_to_num(x, nan=0.0)
        if self.mode == "zero+mask":
            present = ~absent if not len(self.piece_starts) else ~absent[:, self.piece_starts]
            return torch.cat([filled, present.to(x.dtype)], dim=1)
        return filled


class RunningMeans(SupervisedPlugin):
    """Feeds each training experience's new rows to every ``mean``-mode :class:`FillAbsent`.

    ``whole_dataset`` is for strategies that train once on everything (Joint),
    whose ``experience`` is only the first of the experiences they were given.
    """

    def __init__(self, whole_dataset: bool = False, batch_size: int = 4096) -> None:
        super().__init__()
        self.whole_dataset = whole_dataset
        self.batch_size = batch_size

    def before_training_exp(self, strategy, **kwargs) -> None:
        fills = [m for m in strategy.model.modules() if isinstance(m, FillAbsent)]
        fills = [m for m in fills if m.mode == "mean"]
        if not fills:
            return
        data = strategy.adapted_dataset if self.whole_dataset else strategy.experience.dataset
        for batch in DataLoader(data.eval(), batch_size=self.batch_size):
            for fill in fills:
                fill.observe(batch[0].to(fill.present_sum.device))


def mask_pieces(layout) -> list[tuple[int, int]] | None:
    """The column ranges released whole whose presence ``zero+mask`` marks with one input each:
    the fields of a bag-of-words text layout; None (one mask input per column) otherwise."""
    if getattr(layout, "encoding", None) in ("bow", "tfidf"):
        return [tuple(span) for span in layout.spans]
    return None


class BackpropNet(nn.Module):
    """The backprop reference: a backbone's block encoders in a fixed stack, a linear head.

    Block 1's encoder reads every column, the others only the block below, as
    in an AL network grown on a static stream; the head reads the last
    block's pooled output. Trained end to end, it is the "BP" twin of an AL
    network of the same ``backbone`` and depth. Absent columns are filled as
    ``absent`` says (:class:`FillAbsent`); a backbone that reads absent
    inputs itself (images: 0 plus a mask channel; tokens: masked padding)
    gets the NaN-marked rows in ``zero+mask`` mode.
    """

    def __init__(
        self,
        backbone,
        n_features: int,
        n_classes: int,
        depth: int,
        absent: str = "zero",
        pieces: Sequence[tuple[int, int]] | None = None,
    ) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"a backprop model needs at least one block, got depth {depth}.")
        self.fill = FillAbsent(n_features, absent, pieces)
        self.fill_inputs = not (backbone.reads_absent and absent == "zero+mask")
        side_width = self.fill.out_features if self.fill_inputs else n_features
        every, none = torch.arange(n_features), torch.empty(0, dtype=torch.long)
        encoders, prev = [], None
        for index in range(depth):
            first = index == 0
            spec = BlockSpec(index, prev, every if first else none, side_width if first else 0)
            encoders.append(backbone.encoder(spec))
            prev = backbone.width(index)
        self.encoders = nn.ModuleList(encoders)
        self.pool = backbone.pool(depth - 1)
        self.head = nn.Linear(backbone.pooled_width(depth - 1), n_classes)

    def features(self, x: Tensor) -> Tensor:
        """The last block's pooled output for rows ``x`` (NaN = absent)."""
        inputs = self.fill(x) if self.fill_inputs else x
        s = None
        for index, encoder in enumerate(self.encoders):
            s = encoder(s, inputs if index == 0 else None)
        return self.pool(s)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))


def backprop_mlp(
    n_features: int,
    widths: Sequence[int],
    n_classes: int,
    dropout: float = 0.0,
    absent: str = "zero",
) -> BackpropNet:
    """FillAbsent -> the AL encoder layers of ``widths`` -> a linear head, trained end to end."""
    return BackpropNet(
        MLPBackbone(tuple(widths), 1, dropout), n_features, n_classes, len(widths), absent
    )
