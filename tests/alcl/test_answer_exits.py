"""Answering exits chosen on validation: stored in the network, respected by every inference
path, restored with state_dict, chosen as the best exit (ties: the deeper), recorded by a run."""

from __future__ import annotations

import math

import pytest
import torch

from alcl import inference
from alcl.answer_exits import choose_answer_exit, exit_accuracies
from alcl.early_exits import ANSWER_TABLE
from tests.alcl.helpers import CASES, batch, grown_network

GROUPS = [[0, 1, 2], [3, 4], [5, 6, 7]]


def test_the_table_is_checked_padded_after_growth_and_absent_until_chosen():
    net, rule = grown_network(GROUPS[:2])
    assert net.answer_exits() == [1, 2] and ANSWER_TABLE not in net.state_dict()
    with pytest.raises(ValueError, match="one exit 1..d per depth"):
        net.set_answer_exits([1, 3])
    with pytest.raises(ValueError, match="one exit 1..d per depth"):
        net.set_answer_exits([1])
    net.set_answer_exits([1, 1])
    rule.grow(net, GROUPS[2])
    assert net.answer_exits() == [1, 1, 3]  # the new block answers for itself until chosen


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_every_path_answers_a_row_at_its_feature_sets_exit(case):
    net, _ = case.grown()
    net.eval()
    net.set_answer_exits([1, 1, 2])
    x, _ = case.batch(30)
    x[:10, case.groups[2]] = math.nan  # these rows reach block 2: answered by exit 1
    full = inference.full_path(net, x)
    assert full.exit_depth.tolist() == [1] * 10 + [2] * 20
    torch.testing.assert_close(full.logits[:10], inference.shortcut(net, x[:10], 1))
    torch.testing.assert_close(full.logits[10:], inference.shortcut(net, x[10:], 2))
    torch.testing.assert_close(net(x), full.logits)
    table = inference.exit_table(net, x)
    for tau in (0.3, 0.9, math.inf):
        real = inference.adaptive(net, x, threshold=tau)
        assert torch.equal(
            inference.decide(net, table, tau, "max_prob").exit_depth, real.exit_depth
        )
        routed = inference.adaptive_routed(net, x, tau, batch_size=8)
        assert torch.equal(routed.exit_depth, real.exit_depth)
        assert int(real.exit_depth.max()) <= 2


def test_the_table_travels_with_state_dict_into_a_freshly_grown_network():
    net, _ = grown_network(GROUPS)
    net.set_answer_exits([1, 2, 2])
    fresh, _ = grown_network(GROUPS)
    assert ANSWER_TABLE not in fresh.state_dict()
    fresh.load_state_dict(net.state_dict())
    assert fresh.answer_exits() == [1, 2, 2]


def test_the_most_accurate_exit_answers_and_ties_go_to_the_deeper():
    net, _ = grown_network(GROUPS)
    net.eval()
    x, y = batch(60)
    scores = exit_accuracies(net, x, y)
    best = max(scores)
    expected = max(k for k, s in enumerate(scores, start=1) if s == best)
    assert choose_answer_exit(net, x, y) == [1, 2, expected]
    tied, _ = grown_network(GROUPS)
    y_all = inference.all_exits(tied, x)[2].argmax(1)  # exit 3 is right everywhere
    assert choose_answer_exit(tied, x, y_all)[-1] == 3
    with pytest.raises(ValueError, match="empty validation set"):
        choose_answer_exit(net, x[:0], y[:0])


def test_a_run_records_its_tables_and_trains_exactly_as_the_full_path_run(tmp_path):
    from alcl.results.files import load_runs
    from experiments.config import ConfigError, config_from_dict
    from experiments.runner import run_experiment

    base = {
        "seeds": [0],
        "device": "cpu",
        "threads": 1,
        "stream": {"dataset": "wine", "n_experiences": 4},
        "model": {"widths": [16, 16, 16, 16], "label_dim": 8},
        "training": {"epochs": 5, "batch_size": 16, "lr": 0.01},
        "adaptive": {"latency_repeats": 0, "thresholds": [0.5, 0.9]},
    }
    strategies = ["al", {"name": "al", "label": "al-best", "answer": "best_valid"}]
    folder = run_experiment(
        config_from_dict({**base, "strategies": strategies}), tmp_path / "out", plots=False,
        progress=False,
    )  # fmt: skip
    runs = {r.strategy: r for r in load_runs(folder)}
    deepest, best = runs["al"], runs["al-best"]
    assert deepest.al.answer_exits is None
    tables = best.al.answer_exits
    assert [len(t) for t in tables] == [1, 2, 3, 4]
    assert all(1 <= e <= d for t in tables for d, e in enumerate(t, start=1))
    assert all(t[: len(prev)] == prev for prev, t in zip(tables, tables[1:], strict=False))
    assert best.al.exit_accuracy == deepest.al.exit_accuracy  # the choice never trains
    if tables[-1] == [1, 2, 3, 4]:
        assert best.accuracy_matrix == deepest.accuracy_matrix
    from alcl.results.plots import draw_all

    assert folder / "figures" / "answer_exits.png" in draw_all(folder)
    with pytest.raises(ConfigError, match=r"answer must be one of \['deepest', 'best_valid'\]"):
        config_from_dict({**base, "strategies": [{"name": "al", "answer": "best"}]})
