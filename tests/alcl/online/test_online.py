"""The online protocol and its learners, on small streams the tests build themselves."""

import numpy as np
import pytest
import torch
from sklearn.metrics import balanced_accuracy_score

from alcl.online import ONLINE_LEARNERS, OnlineLearner, build_learner, prequential
from alcl.online.hedge_net import HedgeNetwork
from streams.evolving import EvolvingPattern, online_stream


def separable(n=600, d=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] + 0.5 * x[:, 2] > 0).astype(np.int64)
    return x, y


def test_prequential_predicts_before_it_learns():
    y = np.array([0, 1, 1, 1])
    result = prequential(build_learner("majority", 1, 2, 0), np.zeros((4, 1)), y)
    # before any row: class 0; counts [1, 0] -> 0; [1, 1] -> 0 (first of a tie); [1, 2] -> 1
    assert result.errors == 2
    assert result.accuracy == 0.5
    assert result.balanced_accuracy == balanced_accuracy_score(y, [0, 0, 0, 1])
    assert result.curve_at[-1] == 4 and result.error_rate[-1] == 0.5


def test_prequential_minibatches_predict_the_whole_batch_first():
    class Spy(OnlineLearner):
        name = "spy"

        def __init__(self):
            super().__init__(1, 2)
            self.sizes = []

        def step(self, x, y):
            self.sizes.append(len(y))
            return np.zeros(len(y), dtype=np.int64)

    spy = Spy()
    prequential(spy, np.zeros((10, 1)), np.arange(10) % 2, batch_size=4)
    assert spy.sizes == [4, 4, 2]
    with pytest.raises(ValueError, match="batch size must be >= 1"):
        prequential(spy, np.zeros((10, 1)), np.zeros(10, dtype=np.int64), batch_size=0)


def test_registry_and_bad_names():
    assert {"majority", "ogd", "olsf", "odl", "aux_drop_odl", "aux_drop_ogd", "al"} <= set(
        ONLINE_LEARNERS
    )
    with pytest.raises(ValueError, match="unknown online learner 'olvf2'; choose one of"):
        build_learner("olvf2", 3, 2, 0)
    with pytest.raises(ValueError, match="online learner 'ogd'.*unexpected keyword"):
        build_learner("ogd", 3, 2, 0, momentum=0.9)
    with pytest.raises(ValueError, match="OLSF is a binary classifier"):
        build_learner("olsf", 3, 3, 0)


@pytest.mark.parametrize("name", ["ogd", "olsf", "odl", "aux_drop_odl", "aux_drop_ogd", "al"])
def test_every_learner_beats_the_floor_on_a_separable_trapezoid(name):
    x, y = separable()
    stream = online_stream(x, y, 2, EvolvingPattern("trapezoidal", n_chunks=3, base=2), seed=0)
    params = {"lr": 0.3} if name.startswith(("aux", "odl")) else {}
    run = prequential(build_learner(name, 6, 2, 0, **params), stream.x, stream.y)
    floor = prequential(build_learner("majority", 6, 2, 0), stream.x, stream.y)
    assert run.errors < 0.6 * floor.errors, (name, run.errors, floor.errors)
    assert run.balanced_accuracy > 0.7


@pytest.mark.parametrize("name", ["odl", "aux_drop_odl", "al", "ogd", "olsf"])
def test_learners_are_deterministic_given_the_seed(name):
    x, y = separable(200)
    stream = online_stream(x, y, 2, EvolvingPattern("haphazard", base=2, p=0.6), seed=2)
    runs = [prequential(build_learner(name, 6, 2, 5), stream.x, stream.y) for _ in range(2)]
    assert runs[0].errors == runs[1].errors and runs[0].error_rate == runs[1].error_rate


def _weighted_loss(net, x, y, loss):
    """sum_i alpha_i L_i of a HedgeNetwork without an aux layer, recomputed from its weights."""
    h, outs = x, []
    for w, b in net.layers:
        h = np.maximum(h @ w.T + b, 0.0)
        outs.append(h)
    total = 0.0
    for a, (k, (w, b)) in zip(net.alpha, net.heads.items(), strict=True):
        z = outs[k] @ w.T + b
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        if loss == "reference":
            p = np.exp(p) / np.exp(p).sum(axis=1, keepdims=True)
        total += a * -np.log(p[np.arange(len(y)), y]).mean()
    return total


@pytest.mark.parametrize("loss", ["reference", "cross_entropy"])
def test_hedge_backpropagation_follows_the_gradient(loss):
    """The step moves every weight by -lr * d(sum_i alpha_i L_i)/dw: checked by finite differences."""
    rng = np.random.default_rng(0)
    net = HedgeNetwork(4, 3, [5, 5, 5], [1, 2], rng, lr=1e-3, hedge=False, loss=loss)
    x, y = rng.normal(size=(3, 4)), np.array([0, 2, 1])
    before = [w.copy() for w, _ in net.layers] + [w.copy() for w, _ in net.heads.values()]
    numeric = []
    for w in [w for w, _ in net.layers] + [w for w, _ in net.heads.values()]:
        grad = np.zeros_like(w)
        for idx in np.ndindex(w.shape):
            old = w[idx]
            w[idx] = old + 1e-6
            up = _weighted_loss(net, x, y, loss)
            w[idx] = old - 1e-6
            down = _weighted_loss(net, x, y, loss)
            w[idx] = old
            grad[idx] = (up - down) / 2e-6
        numeric.append(grad)
    net.step(x, y)
    after = [w for w, _ in net.layers] + [w for w, _ in net.heads.values()]
    for b, a, g in zip(before, after, numeric, strict=True):
        np.testing.assert_allclose((b - a) / 1e-3, g, rtol=1e-4, atol=1e-7)


def test_hedge_weights_move_to_the_better_head_and_keep_their_floor():
    rng = np.random.default_rng(1)
    net = HedgeNetwork(6, 2, [8, 8, 8], [0, 2], rng, lr=0.0, s=0.2, loss="cross_entropy")
    net.heads[2] = (np.zeros((2, 8)), np.array([0.0, 5.0]))  # always says class 1
    x, y = separable(300)
    y = np.ones_like(y)  # ... which is always right
    for row, label in zip(x, y, strict=True):
        net.step(row[None].astype(np.float64), label[None])
    assert net.alpha.sum() == pytest.approx(1.0)
    assert net.alpha[1] > 0.85  # the better head gained the weight
    assert net.alpha[0] == pytest.approx(0.1 / (1.0 + 0.0), rel=0.2)  # ...down to its floor s/n


def test_aux_drop_drops_exactly_the_absent_features_units():
    rng = np.random.default_rng(0)
    net = HedgeNetwork(2, 2, [4, 10, 4], [2], rng, lr=0.1, aux_layer=1, n_aux=3, dropout=0.3)
    mask = np.array([[1.0, 0.0, 1.0]])
    drops = np.concatenate([net._drop_mask(mask) for _ in range(4000)])
    assert (drops[:, :3] == mask / 0.7).all()
    # the other 7 units are dropped so that 30 % of the 10 units are dropped in all
    assert (drops[:, 3:] == 0).mean() == pytest.approx((0.3 * 10 - 1) / 7, abs=0.02)


def test_al_grows_a_block_per_chunk_and_starts_each_as_its_parent():
    x, y = separable(300)
    stream = online_stream(x, y, 2, EvolvingPattern("trapezoidal", n_chunks=3, base=2), seed=0)
    learner = build_learner("al", 6, 2, 0, min_block_rows=20)
    depths, agreement = [], []
    probe = torch.from_numpy(separable(200, seed=9)[0])
    for first in range(0, 300):
        depth = learner.net.depth
        learner.step(stream.x[first : first + 1], stream.y[first : first + 1])
        if learner.net.depth > depth and depth:
            logits, _ = learner._exits(probe)
            agreement.append((logits[-2].argmax(1) == logits[-1].argmax(1)).float().mean())
        depths.append(learner.net.depth)
    assert depths[0] == 1 and depths[-1] == 3
    assert all(b.frozen for b in learner.net.blocks[:-1]) and not learner.net.blocks[-1].frozen
    assert learner.read.all()
    # warm start: right after growing (and one row of training) the new exit answers as its
    # parent on nearly every row (tanh label maps make it close, not equal)
    assert len(agreement) == 2 and min(agreement) >= 0.8  # 0.60 and 0.69 without warm start


def test_al_lean_exits_match_the_network_exit_table():
    from alcl.inference import exit_table

    x, y = separable(200)
    stream = online_stream(x, y, 2, EvolvingPattern("trapezoidal", n_chunks=2, base=2), seed=0)
    learner = build_learner("al", 6, 2, 0, min_block_rows=10)
    prequential(learner, stream.x, stream.y)
    xt = torch.from_numpy(np.nan_to_num(x[:20]))
    lean, _ = learner._exits(xt)
    torch.testing.assert_close(lean, exit_table(learner.net, xt).logits)


def test_al_route_policy_answers_rows_that_miss_a_block_column():
    x, y = separable(300)
    stream = online_stream(x, y, 2, EvolvingPattern("haphazard", base=2, p=0.5), seed=0)
    learner = build_learner("al", 6, 2, 0, absent="route", min_block_rows=20)
    run = prequential(learner, stream.x, stream.y)
    assert run.n_instances == 300 and run.errors < 150
    with pytest.raises(ValueError, match="absent must be one of"):
        build_learner("al", 6, 2, 0, absent="drop")
