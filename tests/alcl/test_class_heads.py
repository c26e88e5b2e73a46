"""Class-statistics exits (``al: head: lda``): the discriminant is LDA's, statistics stream,
exits cover classes as they saw them, the state travels with state_dict, and a
class-incremental run learns the classes that come after experience 1."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from alcl import class_heads, inference
from tests.alcl.helpers import CASES, batch, grown_network

GROUPS = [[0, 1, 2], [3, 4], [5, 6, 7]]


@torch.no_grad()
def _features(net, x, depth):
    return dict(enumerate(class_heads.pooled_features(net, x), start=1))[depth][1]


@pytest.mark.parametrize("shrinkage", [0.0, 0.3])
def test_the_exit_is_sklearns_lda_on_the_same_features(shrinkage):
    net, _ = grown_network(GROUPS[:1])
    net.eval()
    g = torch.Generator().manual_seed(3)
    y = torch.cat([torch.full((n,), c) for c, n in enumerate((60, 25, 15))])  # unequal shares
    x = torch.randn(100, 8, generator=g) + y.unsqueeze(1).float()
    class_heads.observe(net, x[:50], y[:50], shrinkage)  # statistics stream in two parts
    class_heads.observe(net, x[50:], y[50:], shrinkage)
    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=shrinkage or None)
    lda.fit(_features(net, x, 1).double().numpy(), y.numpy())
    x_new, _ = batch(200)
    ours = net(x_new).double()
    theirs = lda.predict_log_proba(_features(net, x_new, 1).double().numpy())
    np.testing.assert_allclose(ours.numpy(), theirs, atol=1e-5)


def test_statistics_stream_and_exits_cover_the_classes_they_saw():
    net, rule = grown_network(GROUPS[:1], n_classes=4)
    whole = copy.deepcopy(net)
    x, _ = batch(80)
    y = torch.arange(2).repeat(40)
    class_heads.observe(net, x[:30], y[:30], 0.1)
    class_heads.observe(net, x[30:], y[30:], 0.1)
    class_heads.observe(whole, x, y, 0.1)
    stats = [name for name in net.state_dict() if name.startswith("class_")]
    assert len(stats) == 4  # count, sum and second moment of exit 1, and the shrinkage
    for name in stats:
        torch.testing.assert_close(net.state_dict()[name], whole.state_dict()[name])
    assert class_heads.seen_classes(net, 1) == {0, 1}
    rule.grow(net, [])  # layer accumulation: block 2 sees only the next classes
    class_heads.observe(net, x, y + 2, 0.1)
    assert class_heads.seen_classes(net, 1) == {0, 1, 2, 3}
    assert class_heads.seen_classes(net, 2) == {2, 3}
    assert class_heads.covering_exits(net) == [1, 1]
    logits = inference.all_exits(net.eval(), x)
    assert bool((logits[1][:, :2] == class_heads.UNSEEN).all())  # never argmax
    assert bool((logits[0] > class_heads.UNSEEN).all())  # exit 1 has seen every class
    rule.grow(net, [])
    class_heads.observe(net, x, y, 0.1)  # exit 2 has now seen all four, exit 3 two
    assert class_heads.covering_exits(net) == [1, 2, 2]
    class_heads.observe(net, x, y + 2, 0.1)
    assert class_heads.covering_exits(net) == [1, 2, 3]


def test_rows_without_a_blocks_columns_add_to_the_exits_they_reach_only():
    net, _ = grown_network(GROUPS[:2])
    x, y = batch(20)
    x[:5, 3] = float("nan")  # these rows reach block 1 only
    class_heads.observe(net, x, y, 0.1)
    counts = {k: float(net._buffers[f"class_count_{k}"].sum()) for k in (1, 2)}
    assert counts == {1: 20.0, 2: 15.0}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_every_backbone_answers_through_its_statistics_and_restores_them(case):
    net, _ = case.grown()
    x, y = case.batch(40)
    assert not any(k.startswith("class_") for k in net.state_dict())  # nothing until observed
    class_heads.observe(net, x, y, 0.1)
    net.set_answer_exits(class_heads.covering_exits(net))
    net.eval()
    full = inference.full_path(net, x)
    assert full.exit_depth.tolist() == [3] * 40
    assert full.logits.shape == (40, 3) and bool(torch.isfinite(full.logits).all())
    fresh, _ = case.grown()
    fresh.load_state_dict(net.state_dict())
    fresh.eval()
    torch.testing.assert_close(fresh(x), net(x))


def test_a_class_incremental_run_learns_later_classes_and_bad_settings_are_refused(tmp_path):
    from alcl.results.files import load_runs
    from experiments.config import ConfigError, config_from_dict
    from experiments.runner import run_experiment

    base = {
        "seeds": [0],
        "device": "cpu",
        "threads": 1,
        "stream": {"dataset": "digits", "kind": "class_incremental", "n_experiences": 5},
        "model": {"widths": [32, 32], "label_dim": 8},
        "training": {"epochs": 3, "batch_size": 32, "lr": 0.01},
        "adaptive": {"latency_repeats": 0, "thresholds": [0.5, 0.9]},
    }
    strategies = [{"name": "al", "head": "lda"}, "naive"]
    folder = run_experiment(
        config_from_dict({**base, "strategies": strategies}), tmp_path / "out", plots=False,
        progress=False,
    )  # fmt: skip
    runs = {r.strategy: r for r in load_runs(folder)}
    al, naive = runs["al"], runs["naive"]
    last = al.accuracy_matrix[-1]
    assert min(last) > 0.5, last  # every pair of classes, the four that came later included
    assert naive.accuracy_matrix[-1][0] < 0.2  # fine-tuning forgets the first classes
    assert al.final["avg_accuracy"] > naive.final["avg_accuracy"] + 0.3
    assert al.al.answer_exits == [[1] * d for d in range(1, 6)]
    assert al.stored_samples == 0
    with pytest.raises(ConfigError, match="set head: lda"):
        config_from_dict({**base, "strategies": ["al"]})
    with pytest.raises(ConfigError, match="head lda needs freeze: true"):
        config_from_dict({**base, "strategies": [{"name": "al", "head": "lda", "freeze": False}]})
    with pytest.raises(ConfigError, match=r"head must be one of \['codes', 'lda'\]"):
        config_from_dict({**base, "strategies": [{"name": "al", "head": "ncm"}]})
    with pytest.raises(ConfigError, match="lda_shrinkage must be >= 0.0 and <= 1.0"):
        config_from_dict(
            {**base, "strategies": [{"name": "al", "head": "lda", "lda_shrinkage": 2}]}
        )


def test_a_stopped_and_resumed_lda_run_equals_the_uninterrupted_one(tmp_path, monkeypatch):
    from experiments.config import config_from_dict
    from experiments.runner import run_one
    from streams import build_stream, load_stream_data
    from tests.experiments.helpers import resumed_run, without_timings

    cfg = config_from_dict({
        "seeds": [0],
        "device": "cpu",
        "stream": {"dataset": "wine", "kind": "class_incremental", "n_experiences": 3},
        "model": {"widths": [8, 8], "label_dim": 4},
        "training": {"epochs": 3, "batch_size": 16, "lr": 0.01},
        "adaptive": {"latency_repeats": 0, "thresholds": [0.5, 0.9]},
        "strategies": [{"name": "al", "head": "lda"}],
    })  # fmt: skip
    with pytest.warns(UserWarning, match="single class"):
        stream = build_stream(load_stream_data(cfg.stream), cfg.stream, 0)
    uninterrupted = run_one(cfg, 0, 0, stream, "cpu")
    resumed = resumed_run(cfg, 0, stream, tmp_path, monkeypatch, done=1)
    assert resumed.model_fingerprint == uninterrupted.model_fingerprint
    assert without_timings(resumed) == without_timings(uninterrupted)


def test_an_exit_chosen_on_validation_never_goes_past_the_one_that_has_seen_every_class():
    from alcl.answer_exits import choose_answer_exit

    net, rule = grown_network(GROUPS[:1], n_classes=4)
    x, _ = batch(60)
    y = torch.arange(2).repeat(30)
    class_heads.observe(net, x, y, 0.1)
    rule.grow(net, [])
    class_heads.observe(net, x, y + 2, 0.1)
    net.set_answer_exits(class_heads.covering_exits(net))
    assert choose_answer_exit(net, x, y + 2) == [1, 1]  # exit 2 alone knows 2 and 3
