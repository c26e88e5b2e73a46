"""``slda``: streaming LDA on the raw columns is scikit-learn's LDA on every row seen, counts
each row once whatever the epochs, and refuses token ids."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from alcl.config import ModelConfig, TrainingConfig
from alcl.registry import Problem, build_strategy
from streams import DataError, StreamConfig, build_stream
from tests.alcl.helpers import TEXT
from tests.conftest import blobs


def _build(n_features: int, n_classes: int, epochs: int, layout=None, shrinkage: float = 0.2):
    return build_strategy(
        "slda",
        {"shrinkage": shrinkage},
        Problem(n_features, n_classes, layout, ()),
        ModelConfig(widths=[8]),
        TrainingConfig(epochs=epochs, batch_size=7),
        evaluator=None,
    )


def test_it_is_sklearns_lda_on_the_rows_seen_and_counts_each_row_once():
    data = blobs(n_per_class=30, n_classes=4)
    stream = build_stream(data, StreamConfig(kind="class_incremental", n_experiences=2))
    strategy = _build(stream.n_features, 4, epochs=3)
    for experience in stream.train_stream:
        strategy.train(experience)
    x = np.concatenate([stream.arrays("train", j)[0] for j in range(2)])
    y = np.concatenate([stream.arrays("train", j)[1] for j in range(2)])
    assert float(strategy.model.count.sum()) == len(y)  # three epochs, every row once
    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=0.2).fit(x, y)
    x_test = np.concatenate([stream.arrays("test", j)[0] for j in range(2)])
    ours = strategy.model(torch.as_tensor(x_test)).double().numpy()
    np.testing.assert_allclose(ours, lda.predict_log_proba(x_test), atol=1e-5)
    assert strategy.optimizer is None and strategy.model.n_parameters == 4 + 4 * 8 + 8 * 8


def test_token_ids_are_refused_with_the_fix():
    with pytest.raises(DataError, match="slda reads columns as numbers.*encoding bow or tfidf"):
        _build(12, 3, epochs=1, layout=TEXT)
