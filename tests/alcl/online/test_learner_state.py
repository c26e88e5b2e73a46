"""What the batch form of the online peers relies on: ``scores`` predicts as ``step`` does
without changing anything, and ``state_tensors`` captures everything a learner has learnt."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from alcl.online import build_learner
from streams.evolving import EvolvingPattern, online_stream

PEERS = ("majority", "ogd", "olsf", "odl", "aux_drop_odl", "aux_drop_ogd")


def stream(seed=0, n=150, d=6):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * np.array([1, 5, 0.2, 1, 3, 1])
    y = (x[:, 0] - x[:, 3] + 0.2 * x[:, 1] > 0).astype(np.int64)
    return online_stream(x, y, 2, EvolvingPattern("haphazard", base=2, p=0.6), seed)


@pytest.mark.parametrize("name", PEERS)
def test_scores_predict_what_step_predicts_and_change_nothing(name):
    s = stream()
    model = build_learner(name, 6, 2, seed=3)
    for i in range(len(s.y)):
        before = model.state_tensors()
        predicted = model.scores(s.x[i : i + 1]).argmax(axis=1)
        after = model.state_tensors()
        assert before.keys() == after.keys()
        assert all(torch.equal(before[k], after[k]) for k in before)  # nothing learnt or drawn
        stepped = model.step(s.x[i : i + 1], s.y[i : i + 1])
        if name in ("aux_drop_odl", "aux_drop_ogd") and i > 0:
            continue  # training drops aux units at random; scores use the expected mask
        assert predicted[0] == stepped[0]


@pytest.mark.parametrize("name", PEERS)
def test_a_restored_learner_goes_on_exactly_as_the_original(name):
    s = stream(seed=1)
    model = build_learner(name, 6, 2, seed=5)
    model.step(s.x[:80], s.y[:80]) if name == "majority" else [
        model.step(s.x[i : i + 1], s.y[i : i + 1]) for i in range(80)
    ]
    saved = model.state_tensors()
    assert all(isinstance(t, torch.Tensor) for t in saved.values())
    torch.save(saved, buffer := __import__("io").BytesIO())
    buffer.seek(0)
    fresh = build_learner(name, 6, 2, seed=99)  # another seed: everything must come back
    fresh.load_state_tensors(torch.load(buffer, weights_only=True))
    rest = [(s.x[i : i + 1], s.y[i : i + 1]) for i in range(80, 150)]
    assert [model.step(x, y)[0] for x, y in rest] == [fresh.step(x, y)[0] for x, y in rest]
    np.testing.assert_array_equal(model.scores(s.x), fresh.scores(s.x))
