"""Fixed-width backprop models for the continual-learning baselines.

Baselines have one input per column at every time, so the columns an
experience does not have (NaN) must be filled in. :class:`FillAbsent` does it,
in front of the backprop reference built from the same encoders as the AL
blocks (:class:`BackpropNet`, any backbone) or in front of Avalanche's PNN. Its modes:

- ``zero``: absent inputs read 0 (with standardised columns, the mean of the
  training rows of the experience that released the column);
- ``zero+mask``: 0 as above, plus one 0/1 input per column saying whether it
  is present, so the model's input width doubles;
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
from avalanche.models import PNN
from avalanche.training import PNNStrategy
from avalanche.training.plugins import SynapticIntelligencePlugin
from torch import Tensor, nn
from torch.utils.data import DataLoader

from alcl.backbones import BlockSpec
from alcl.backbones.mlp import MLPBackbone
from alcl.registry import ABSENT_MODES


class FillAbsent(nn.Module):
    """Make absent (NaN) inputs readable by a fixed-width model; see the module docs."""

    def __init__(self, n_features: int, mode: str = "zero") -> None:
        super().__init__()
        if mode not in ABSENT_MODES:
            raise ValueError(f"unknown absent-column mode {mode!r}; choose one of {ABSENT_MODES}.")
        self.n_features = n_features
        self.mode = mode
        self.register_buffer("present_sum", torch.zeros(n_features, dtype=torch.float64))
        self.register_buffer("present_count", torch.zeros(n_features, dtype=torch.float64))

    @property
    def out_features(self) -> int:
        return 2 * self.n_features if self.mode == "zero+mask" else self.n_features

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
            return torch.cat([filled, (~absent).to(x.dtype)], dim=1)
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


class NonZeroLoss(SupervisedPlugin):
    """Keeps Avalanche 0.6's MAS running when a minibatch loss is exactly 0.

    MAS's plugin tests ``not strategy.loss`` and raises "Loss is not
    available" when a well-fit batch underflows the cross-entropy to 0.
    Adding the smallest positive float leaves every gradient unchanged.
    Must come before the MAS plugin (user plugins do).
    """

    def before_backward(self, strategy, **kwargs) -> None:
        if not strategy.loss:
            strategy.loss = strategy.loss + torch.finfo(strategy.loss.dtype).tiny


class CopyingSynapticIntelligence(SynapticIntelligencePlugin):
    """Avalanche 0.6's SI plugin, with the weight snapshots it takes made real copies.

    The plugin snapshots weights as ``param.detach().cpu().flatten()``, which
    on a CPU device is the parameter itself: the weights at the start of an
    experience and before each step then follow the live weights, so every
    importance and the penalty are 0, and SI on CPU is plain fine-tuning.
    Copying the two snapshots right after they are taken restores SI (on a
    GPU ``.cpu()`` already copies, and the extra copy changes nothing).
    """

    @staticmethod
    def _copy(store: dict) -> None:
        for param in store.values():
            param.data = param.data.clone()

    def before_training_exp(self, strategy, **kwargs) -> None:
        super().before_training_exp(strategy, **kwargs)
        self._copy(self.ewc_data[0])

    def before_training_iteration(self, strategy, **kwargs) -> None:
        super().before_training_iteration(strategy, **kwargs)
        self._copy(self.syn_data["old_theta"])


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
        self, backbone, n_features: int, n_classes: int, depth: int, absent: str = "zero"
    ) -> None:
        super().__init__()
        if depth < 1:
            raise ValueError(f"a backprop model needs at least one block, got depth {depth}.")
        self.fill = FillAbsent(n_features, absent)
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


class AbsentAwarePNN(PNN):
    """Avalanche's PNN behind a :class:`FillAbsent`, answering task labels it has not trained on.

    A PNN has one column per task label. A test set released after the
    experiences trained so far carries a task label with no trained column;
    it is answered by the newest column (such entries of R enter no metric).
    """

    def __init__(
        self,
        n_features: int,
        widths: Sequence[int],
        absent: str = "zero",
        adapter: str = "mlp",
    ) -> None:
        fill = FillAbsent(n_features, absent)
        # PNN columns have one width for all layers: the shared widths must be uniform.
        if len(set(widths)) != 1:
            raise ValueError(
                f"PNN needs equal widths in every layer, got model.widths={list(widths)}."
            )
        super().__init__(
            num_layers=len(widths),
            in_features=fill.out_features,
            hidden_features_per_column=int(widths[0]),
            adapter=adapter,
        )
        self.fill = fill

    def forward_single_task(self, x: Tensor, task_label: int) -> Tensor:
        known = self.layers[-1].task_to_module_idx
        if task_label not in known:
            task_label = max(known)
        return super().forward_single_task(self.fill(x), task_label)


class TaskOraclePNNStrategy(PNNStrategy):
    """PNN that adapts (adds a column and a head) on training experiences only.

    Avalanche's PNN layers add a column for every new task label they meet,
    also while evaluating; a test set from the future would then freeze the
    column that is about to be trained. Adapting only while training avoids it.
    """

    def model_adaptation(self, model=None):
        if self.is_training:
            return super().model_adaptation(model)
        return (self.model if model is None else model).to(self.device)
