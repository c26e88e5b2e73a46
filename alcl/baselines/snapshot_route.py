"""``snapshot-route``: routing plus freezing, without local learning.

AL's as-released forgetting is zero by construction: a test row of experience j has exactly
the columns F_j, so it exits at AL's frozen block j. This reference baseline gives that
property to plain backprop, to isolate it. The shared fixed-width
:class:`~alcl.baselines.fixed_width.BackpropNet` (built exactly as the Avalanche baselines
build it, :func:`alcl.baselines.avalanche.build_fixed_width`) is fine-tuned on every
experience (Naive); after each training experience a frozen copy of it, a *snapshot*, is
kept with the columns that experience had (``experience.visible_columns``). In evaluation
each row is answered by the newest snapshot whose columns it all has (none NaN); every row
has F_1, so snapshot 1 always applies. As released, R[i][j] = R[j][j]; on the
current-feature matrix every row has the newest columns, is answered by the newest snapshot
(the fine-tuned model), and forgets as Naive does.

It stores models, not samples: its parameter count is the live model's plus every
snapshot's.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from avalanche.models.dynamic_optimizers import update_optimizer
from avalanche.training import Naive
from torch import Tensor, nn

from alcl.baselines.avalanche import FixedWidthParams, build_fixed_width
from alcl.baselines.fixed_width import BackpropNet, FillAbsent
from alcl.registry import register_strategy


class FrozenFill(FillAbsent):
    """A snapshot's :class:`FillAbsent`: its running means (``absent: mean``) stay those of the
    moment the snapshot was taken (``RunningMeans`` still finds it, and changes nothing)."""

    def observe(self, x: Tensor) -> None:
        return None


class SnapshotRouter(nn.Module):
    """The live model, its frozen snapshots, and the columns each snapshot was trained with.

    Training mode: the live model answers. Evaluation mode: each row goes to the newest
    snapshot whose columns the row has (the live model while there is no snapshot yet).
    """

    def __init__(self, live: BackpropNet) -> None:
        super().__init__()
        self.live = live
        self.snapshots = nn.ModuleList()
        n_features = live.fill.n_features
        # row k: the columns snapshot k reads (True = visible when it was taken)
        self.register_buffer("snapshot_columns", torch.zeros(0, n_features, dtype=torch.bool))

    @property
    def n_features(self) -> int:
        return self.snapshot_columns.shape[1]

    def trained_parameters(self) -> dict[str, nn.Parameter]:
        """The live model's parameters, named as in this module (all the optimizer gets)."""
        return dict(self.live.named_parameters(prefix="live"))

    @torch.no_grad()
    def take_snapshot(self, columns: Sequence[int] | Tensor) -> None:
        """Keep a frozen copy of the live model, answering rows that have ``columns``."""
        snapshot = copy.deepcopy(self.live)
        fill = snapshot.fill
        frozen = FrozenFill(fill.n_features, fill.mode).to(fill.present_sum.device)
        frozen.load_state_dict(fill.state_dict())
        frozen.piece_starts = fill.piece_starts.clone()  # zero+mask per field (not in state)
        snapshot.fill = frozen
        for param in snapshot.parameters():
            param.grad = None
            param.requires_grad_(False)
        self.snapshots.append(snapshot.eval())
        mask = torch.zeros(self.n_features, dtype=torch.bool, device=self.snapshot_columns.device)
        mask[torch.as_tensor(columns, dtype=torch.long, device=mask.device)] = True
        self.snapshot_columns = torch.cat([self.snapshot_columns, mask.unsqueeze(0)])

    def train(self, mode: bool = True) -> SnapshotRouter:
        super().train(mode)
        for snapshot in self.snapshots:
            snapshot.eval()  # frozen: dropout off, batch-norm statistics kept
        return self

    def route(self, x: Tensor) -> Tensor:
        """Per row of ``x`` (NaN = absent), the index of the newest snapshot whose columns it has."""
        absent = torch.isnan(x).to(torch.float32)
        # has[b, k]: no column of snapshot k is absent from row b
        has = (absent @ self.snapshot_columns.T.to(torch.float32)) == 0
        index = torch.arange(has.shape[1], device=x.device)
        newest = torch.where(has, index, -1).amax(dim=1)
        if (newest < 0).any():
            bad = int((newest < 0).nonzero()[0])
            raise ValueError(
                f"row {bad} lacks columns that snapshot 1 reads; every row needs the first "
                "released feature group."
            )
        return newest

    def forward(self, x: Tensor) -> Tensor:
        if self.training or len(self.snapshots) == 0 or x.shape[0] == 0:
            return self.live(x)
        route = self.route(x)
        out = None
        for k in route.unique().tolist():
            rows = (route == k).nonzero().squeeze(1)
            logits = self.snapshots[k](x[rows])
            if out is None:
                out = logits.new_empty(x.shape[0], logits.shape[1])
            out[rows] = logits
        return out


class SnapshotRoute(Naive):
    """Fine-tuning that keeps a frozen snapshot after every training experience.

    Only the live model is optimized: the snapshots never enter the optimizer.
    """

    def __init__(self, *, model: nn.Module, **kwargs) -> None:
        if not isinstance(model, SnapshotRouter):
            model = SnapshotRouter(model)
        super().__init__(model=model, **kwargs)

    def make_optimizer(
        self, reset_optimizer_state=False, remove_params=False, verbose_optimizer=False, **kwargs
    ):
        self.optimized_param_id = update_optimizer(
            self.optimizer,
            self.model.trained_parameters(),
            self.optimized_param_id,
            reset_state=reset_optimizer_state,
            remove_params=remove_params,
            verbose=verbose_optimizer,
        )

    def take_snapshot(self) -> None:
        """Snapshot the live model with the columns of the current training experience."""
        columns = getattr(self.experience, "visible_columns", None)
        if columns is None:  # an experience without a column schedule has every column
            columns = range(self.model.n_features)
        self.model.take_snapshot(columns)

    def _after_training_exp(self, **kwargs) -> None:
        self.take_snapshot()  # before the plugins, so that anything they evaluate routes
        super()._after_training_exp(**kwargs)


@dataclass(frozen=True)
class SnapshotRouteParams(FixedWidthParams):
    """No hyper-parameters beyond how absent columns are seen."""


@register_strategy(
    "snapshot-route",
    SnapshotRoute,
    SnapshotRouteParams,
    "reference: fine-tuning plus a frozen snapshot per experience; each row answered by the "
    "newest snapshot whose columns it has (routing and freezing without local learning)",
    fixed_width=True,
    routes_rows=True,
)
def build_snapshot_route(problem, model, training, params: SnapshotRouteParams, **run):
    """The shared fixed-width model and budget, as every Avalanche baseline gets them."""
    return build_fixed_width(problem, model, training, params, cls=SnapshotRoute, **run)
