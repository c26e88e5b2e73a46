"""``snapshot-route``: fine-tuning plus frozen snapshots, each row answered by the newest snapshot
whose columns it has. As released it cannot forget; on the current-feature matrix it can."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from avalanche.training.plugins import EvaluationPlugin

from alcl.baselines.fixed_width import FillAbsent, backprop_mlp
from alcl.baselines.snapshot_route import FrozenFill, SnapshotRouter
from alcl.evaluation import metrics
from alcl.evaluation.accuracy import ExperienceAccuracy
from alcl.evaluation.protocol import run_protocol
from streams import FeatureIncrementalStream
from tests.alcl.helpers import build

N_FEATURES, N_CLASSES = 8, 3
GROUPS = [np.arange(0, 4), np.array([4, 5]), np.array([6, 7])]
SETTINGS = {"label_dim": 6, "epochs": 10, "batch_size": 16, "lr": 0.01}
NAN = float("nan")


def _shifting_stream() -> FeatureIncrementalStream:
    """3 experiences whose classes move: in experience j, class c sits where class c + j sat in
    experience 0, so a model fine-tuned on the last experience misreads the first one's rows."""
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 3, size=(N_CLASSES, N_FEATURES))
    sizes = {"train": 30, "valid": 5, "test": 15}

    def part(j: int, n: int):
        y = np.repeat(np.arange(N_CLASSES), n)
        x = centers[(y + j) % N_CLASSES] + rng.normal(0, 0.7, size=(len(y), N_FEATURES))
        return x.astype(np.float32), y.astype(np.int64)

    return FeatureIncrementalStream.from_parts(
        name="shifting",
        groups=GROUPS,
        parts={split: [part(j, n) for j in range(3)] for split, n in sizes.items()},
        n_classes=N_CLASSES,
        feature_names=tuple(f"x{i}" for i in range(N_FEATURES)),
        class_names=tuple(str(c) for c in range(N_CLASSES)),
    )


def _run(name: str, loop: str = "fast", **changes):
    stream = _shifting_stream()
    torch.manual_seed(0)
    accuracy = ExperienceAccuracy()
    settings = {**SETTINGS, "loop": loop, **changes}
    strategy = build(
        name, {}, N_FEATURES, N_CLASSES, (16, 16), EvaluationPlugin(loggers=[]), [accuracy],
        **settings,
    )  # fmt: skip
    record = run_protocol(strategy, stream, accuracy, adaptive=None)
    return strategy, record, stream


@pytest.mark.parametrize("loop", ["fast", "avalanche"])
def test_no_forgetting_as_released_but_forgetting_on_current_features(loop):
    strategy, record, _ = _run("snapshot-route", loop)
    R, C = record.accuracy_matrix, record.current_matrix
    T = len(R)
    assert T == 3 and len(strategy.model.snapshots) == 3
    for i in range(T):
        for j in range(i + 1):
            assert R[i][j] == R[j][j], (i, j)  # answered by snapshot j, as when it was taken
    for key in ("forgetting", "max_forgetting"):  # after experience 1: nothing to forget yet
        assert record.curves[key][1:] == [0.0] * (T - 1), key
        assert record.final[key] == 0.0
    assert min(R[j][j] for j in range(T)) > 0.9  # each snapshot learnt its experience
    # With the columns of now, every row goes to the newest snapshot: the fine-tuned model.
    assert metrics.max_forgetting(C, T - 1) > 0.5
    assert np.mean([C[j][j] - C[T - 1][j] for j in range(T - 1)]) > 0.5


def test_the_stream_makes_fine_tuning_forget():
    """The same stream and budget: Naive forgets as released, so the zero above is routing's."""
    _, record, _ = _run("naive")
    assert record.curves["forgetting"][-1] > 0.5


def _distinct_router() -> tuple[SnapshotRouter, list[torch.nn.Module]]:
    """A router with 3 snapshots of different weights, for columns F_1 ⊂ F_2 ⊂ F_3."""
    torch.manual_seed(0)
    router = SnapshotRouter(backprop_mlp(N_FEATURES, (8,), N_CLASSES))
    for j in range(3):
        with torch.no_grad():
            for param in router.live.parameters():
                param.add_(torch.randn_like(param))
        router.take_snapshot(np.concatenate(GROUPS[: j + 1]))
    return router.eval(), list(router.snapshots)


def test_rows_go_to_the_newest_snapshot_whose_columns_they_have():
    router, snapshots = _distinct_router()
    assert router.snapshot_columns.tolist() == [
        [True] * 4 + [False] * 4,
        [True] * 6 + [False] * 2,
        [True] * 8,
    ]
    x = torch.randn(6, N_FEATURES)
    x[0, 4:] = NAN  # F_1 only -> snapshot 1
    x[1, 6:] = NAN  # F_2 -> snapshot 2
    # row 2: every column -> snapshot 3
    x[3, 4] = NAN  # F_1, half of G_2 and all of G_3 -> snapshot 1
    x[4, 7] = NAN  # F_2 and half of G_3 -> snapshot 2
    x[5, 5:7] = NAN  # F_1 and column 7: G_2 incomplete -> snapshot 1
    assert router.route(x).tolist() == [0, 1, 2, 0, 1, 0]
    with torch.no_grad():
        out = router(x)
        for row, k in enumerate([0, 1, 2, 0, 1, 0]):
            torch.testing.assert_close(out[row], snapshots[k](x[row : row + 1])[0])
        # training mode: the live model answers every row
        router.train()
        torch.testing.assert_close(router(x), router.live(x))
    lacking = torch.randn(2, N_FEATURES)
    lacking[1, 2] = NAN  # a column of F_1 absent: no snapshot applies
    with pytest.raises(ValueError, match="row 1 lacks columns that snapshot 1 reads"):
        router.eval().route(lacking)


def test_snapshots_are_frozen_and_outside_the_optimizer():
    strategy, record, stream = _run("snapshot-route", epochs=2)
    router = strategy.model
    snapshots = list(router.snapshots)
    assert len(snapshots) == stream.n_experiences
    assert router.snapshot_columns.sum(1).tolist() == [4, 6, 8]
    for snapshot in snapshots:
        assert not any(p.requires_grad for p in snapshot.parameters())
        assert not snapshot.training
        assert isinstance(snapshot.fill, FrozenFill)
    router.train()
    assert router.training and router.live.training
    assert not any(m.training for s in snapshots for m in s.modules())
    optimized = {id(p) for g in strategy.optimizer.param_groups for p in g["params"]}
    assert optimized == {id(p) for p in router.live.parameters()}
    assert set(strategy.optimized_param_id) == set(router.trained_parameters())
    assert all(name.startswith("live.") for name in strategy.optimized_param_id)
    # it stores models: the live one and every snapshot count
    live = sum(p.numel() for p in router.live.parameters())
    assert record.n_parameters == live * (1 + len(snapshots))


def test_a_snapshot_keeps_its_weights_and_absent_column_means():
    stream = _shifting_stream()
    torch.manual_seed(0)
    strategy = build(
        "snapshot-route", {}, N_FEATURES, N_CLASSES, (16, 16), **{**SETTINGS, "epochs": 2},
        absent="mean",
    )  # fmt: skip
    strategy.train(stream.train_stream[0], eval_streams=[])
    first = {k: v.clone() for k, v in strategy.model.snapshots[0].state_dict().items()}
    for experience in stream.train_stream[1:]:
        strategy.train(experience, eval_streams=[])
    later = strategy.model.snapshots[0].state_dict()
    assert all(torch.equal(first[k], later[k]) for k in first)
    live_fill, frozen_fill = strategy.model.live.fill, strategy.model.snapshots[0].fill
    assert isinstance(live_fill, FillAbsent) and live_fill.mode == frozen_fill.mode == "mean"
    assert not torch.equal(live_fill.present_count, frozen_fill.present_count)


def test_snapshots_keep_one_mask_input_per_text_field(tmp_path):
    from alcl.results import files as results
    from experiments.config import config_from_dict
    from experiments.runner import run_experiment
    from tests.streams.formats import news_rows, write_csv

    path = write_csv(tmp_path / "news.csv", news_rows(80), ["label", "title", "description"])
    stream = {"dataset": "ag_news", "path": str(path), "grouping": "fields",
              "n_experiences": 2, "encoding": "tfidf", "vocab_size": 40}  # fmt: skip
    cfg = config_from_dict(
        {
            "seeds": [0],
            "device": "cpu",
            "stream": stream,
            "model": {"widths": [8, 8], "label_dim": 4},
            "training": {"epochs": 1},
            "strategies": ["snapshot-route", "naive"],
        }
    )
    folder = run_experiment(cfg, out=tmp_path / "out", progress=False, plots=False)
    assert {r.strategy for r in results.load_runs(folder)} == {"snapshot-route", "naive"}
