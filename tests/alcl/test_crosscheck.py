"""alcl's forgetting and BWT, computed from R, equal Avalanche's own metrics for the same run.

The stream is built so that Naive's accuracy on the first test set first
rises (experience 2 brings more data of the same task) and then falls
(experience 3 permutes the labels): there Avalanche's forgetting (accuracy
right after training minus accuracy now) and the max-based forgetting
(best earlier accuracy minus accuracy now) differ, so the test can tell which
definition alcl's ``forgetting`` follows.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from avalanche.evaluation.metrics import accuracy_metrics, bwt_metrics, forgetting_metrics
from avalanche.training.plugins import EvaluationPlugin

from alcl.evaluation import metrics
from alcl.evaluation.accuracy import ExperienceAccuracy, evaluate
from streams import FeatureIncrementalStream
from tests.alcl.helpers import build

N_FEATURES, N_CLASSES = 8, 3
GROUPS = [np.arange(0, 6), np.array([6]), np.array([7])]


def _blobs(n_per_class: int, rng: np.random.Generator, centers: np.ndarray, permute: bool):
    y = np.repeat(np.arange(N_CLASSES), n_per_class)
    x = centers[y] + rng.normal(0, 0.7, size=(len(y), N_FEATURES))
    labels = (y + 1) % N_CLASSES if permute else y
    return x.astype(np.float32), labels.astype(np.int64)


def _rise_then_fall_stream() -> FeatureIncrementalStream:
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 2.5, size=(N_CLASSES, N_FEATURES))
    sizes = {"train": (2, 40, 40), "valid": (4, 4, 4), "test": (10, 10, 10)}
    parts = {
        split: [_blobs(n, rng, centers, permute=(j == 2)) for j, n in enumerate(counts)]
        for split, counts in sizes.items()
    }
    return FeatureIncrementalStream.from_parts(
        name="rise-then-fall",
        groups=GROUPS,
        parts=parts,
        n_classes=N_CLASSES,
        feature_names=tuple(f"x{i}" for i in range(N_FEATURES)),
        class_names=tuple(str(c) for c in range(N_CLASSES)),
    )


def _avalanche_values(results: dict, prefix: str) -> dict[str, float]:
    return {k: v for k, v in results.items() if k.startswith(prefix)}


@pytest.mark.parametrize("name", ["naive", "al", "replay"])
def test_forgetting_and_bwt_from_R_equal_avalanches(name):
    stream = _rise_then_fall_stream()
    torch.manual_seed(0)
    accuracy = ExperienceAccuracy()
    evaluator = EvaluationPlugin(
        accuracy_metrics(experience=True, stream=True),
        forgetting_metrics(experience=True, stream=True),
        bwt_metrics(experience=True, stream=True),
        loggers=[],
    )
    params = {"mem_size": 20} if name == "replay" else {}
    strategy = build(
        name, params, N_FEATURES, N_CLASSES, (16, 16), evaluator, [accuracy],
        label_dim=8, epochs=3, batch_size=8, lr=0.01,
    )  # fmt: skip
    R = []
    for i, experience in enumerate(stream.train_stream):
        strategy.train(experience, eval_streams=[])
        R.append(evaluate(strategy, stream.test_stream, accuracy))  # what run_protocol records
        results = strategy.evaluator.get_last_metrics()
        accs = _avalanche_values(results, "Top1_Acc_Exp/eval_phase/test_stream")
        assert [accs[k] for k in sorted(accs)] == pytest.approx(R[i], abs=1e-12)
        if i == 0:
            continue
        stream_forgetting = results["StreamForgetting/eval_phase/test_stream"]
        stream_bwt = results["StreamBWT/eval_phase/test_stream"]
        assert metrics.forgetting(R, i) == pytest.approx(stream_forgetting, abs=1e-12)
        assert metrics.bwt(R, i) == pytest.approx(stream_bwt, abs=1e-12)
        per_exp = _avalanche_values(results, "ExperienceForgetting/eval_phase/test_stream")
        per_bwt = _avalanche_values(results, "ExperienceBWT/eval_phase/test_stream")
        assert len(per_exp) == len(per_bwt) == i  # test sets 0..i-1 were trained before
        for j, key in enumerate(sorted(per_exp)):
            assert per_exp[key] == pytest.approx(R[j][j] - R[i][j], abs=1e-12)
        for j, key in enumerate(sorted(per_bwt)):
            assert per_bwt[key] == pytest.approx(R[i][j] - R[j][j], abs=1e-12)

    if name == "naive":
        # The run really rose then fell on test set 1, so the two definitions part ways.
        assert R[1][0] > R[0][0] + 0.1 and R[2][0] < R[1][0] - 0.1
        assert metrics.max_forgetting(R, 2) > metrics.forgetting(R, 2) + 0.05
    if name == "al":
        assert R[2][0] == R[0][0]  # frozen blocks: no forgetting at all
