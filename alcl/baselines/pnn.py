"""Progressive neural networks (Avalanche's PNN) behind absent-column filling: one column per
task label, so in the feature-incremental setting a task-label oracle (results say so)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from avalanche.models import PNN
from avalanche.training import PNNStrategy
from torch import Tensor, nn

from alcl.baselines.avalanche import FixedWidthParams
from alcl.baselines.fixed_width import FillAbsent, RunningMeans, mask_pieces
from alcl.config import ModelConfig, TrainingConfig
from alcl.registry import Problem, register_strategy
from alcl.training.loop import fast_loop_class, loop_kwargs
from alcl.training.optim import optimizer_for

ADAPTERS = ("mlp", "linear")


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
        pieces=None,
    ) -> None:
        fill = FillAbsent(n_features, absent, pieces)
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


@dataclass(frozen=True)
class PNNParams(FixedWidthParams):
    adapter: str = "mlp"

    def problems(self) -> list[str]:
        out = super().problems()
        if self.adapter not in ADAPTERS:
            out.append(f"adapter must be one of {list(ADAPTERS)}, got {self.adapter!r}")
        return out


@register_strategy(
    "pnn",
    TaskOraclePNNStrategy,
    PNNParams,
    "progressive neural network: one column per task label (a task-label oracle here)",
    fixed_width=True,
    task_oracle=True,
    source="Avalanche's PNN defaults; layers and width = model.widths",
)
def build_pnn(
    problem: Problem,
    model: ModelConfig,
    training: TrainingConfig,
    params: PNNParams,
    *,
    device: str = "cpu",
    evaluator=None,
    plugins=None,
):
    if model.backbone != "mlp":
        raise ValueError(f"pnn is built on MLP columns only, not on backbone {model.backbone!r}.")
    net = AbsentAwarePNN(
        problem.n_features,
        model.widths,
        params.absent or model.absent,
        adapter=params.adapter,
        pieces=mask_pieces(problem.layout),
    )
    return fast_loop_class(TaskOraclePNNStrategy)(
        model=net,
        optimizer=optimizer_for(training)(net.parameters()),
        criterion=nn.CrossEntropyLoss(),
        **loop_kwargs(training, device, evaluator, [*(plugins or []), RunningMeans()]),
    )
