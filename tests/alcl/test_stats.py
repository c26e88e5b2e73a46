"""The statistics of alcl tables, checked against scipy called directly, and the CD diagram."""

from __future__ import annotations

import math
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy import stats as sps  # noqa: E402

from alcl.results import stats  # noqa: E402
from alcl.results.plots_cd import cd_figure, cliques  # noqa: E402

ACC = [0.84, 0.845, 0.838, 0.842, 0.836, 0.841, 0.839, 0.843, 0.837, 0.846]


# ----------------------------------------------------------------------------- mean_ci


def test_mean_ci_matches_scipy_t_interval():
    ci = stats.mean_ci(ACC, confidence=0.95)
    values = np.array(ACC)
    low, high = sps.t.interval(
        0.95, len(values) - 1, loc=values.mean(), scale=sps.sem(values, ddof=1)
    )
    assert ci.n == 10
    assert ci.mean == pytest.approx(values.mean())
    assert ci.std == pytest.approx(values.std(ddof=1))
    assert ci.std != pytest.approx(values.std(ddof=0))
    assert ci.low == pytest.approx(low)
    assert ci.high == pytest.approx(high)
    wider = stats.mean_ci(ACC, confidence=0.99)
    assert wider.half_width > ci.half_width


def test_mean_ci_drops_missing_values_and_formats():
    ci = stats.mean_ci([0.5, None, float("nan"), 0.7])
    assert ci.n == 2 and ci.mean == pytest.approx(0.6)
    expected = sps.t.ppf(0.975, 1) * np.std([0.5, 0.7], ddof=1) / math.sqrt(2)
    assert ci.half_width == pytest.approx(expected)
    assert ci.format(3) == f"0.600 ± {expected:.3f}"


def test_mean_ci_one_and_zero_values():
    one = stats.mean_ci([0.8407])
    assert one.n == 1 and one.mean == 0.8407
    assert math.isnan(one.std) and math.isnan(one.half_width)
    assert one.format() == "0.8407"
    none = stats.mean_ci([None, float("nan")])
    assert none.n == 0 and math.isnan(none.mean) and math.isnan(none.half_width)
    assert none.format() == "-"
    assert stats.mean_ci([]).format() == "-"


def test_mean_ci_format_digits():
    ci = stats.MeanCI(n=10, mean=0.84071, std=0.005, half_width=0.00357)
    assert ci.format() == "0.8407 ± 0.0036"
    assert ci.format(2) == "0.84 ± 0.00"


# ----------------------------------------------------------------------------- paired


def test_paired_counts_and_mean_difference():
    ref = [0.9, 0.8, 0.7, 0.6, 0.5]
    oth = [0.8, 0.8, 0.75, 0.4, 0.45]
    result = stats.paired(ref, oth)
    assert (result.n, result.wins, result.losses, result.ties_count) == (5, 3, 1, 1)
    assert result.mean_diff == pytest.approx(np.mean(np.subtract(ref, oth)))
    assert result.ci.n == 5 and result.ci.mean == pytest.approx(result.mean_diff)


def test_paired_p_value_exact_without_ties():
    rng = np.random.default_rng(0)
    ref = rng.uniform(0.8, 0.9, 12)
    oth = ref - rng.uniform(-0.02, 0.05, 12)
    result = stats.paired(ref.tolist(), oth.tolist())
    diffs = np.round(ref - oth, stats.DIFF_DECIMALS)
    assert result.method == "exact"
    assert result.p_value == pytest.approx(sps.wilcoxon(diffs, method="exact").pvalue)


def test_paired_exact_distribution_for_ten_wins():
    # every one of 10 distinct differences positive: exact two-sided p = 2 / 2**10
    ref = [0.9 + 0.001 * i for i in range(10)]
    oth = [0.8] * 10
    result = stats.paired(ref, oth)
    assert result.wins == 10
    assert result.p_value == pytest.approx(2 / 2**10)


def test_paired_with_ties_matches_scipy_with_the_same_method():
    ref = [0.85, 0.86, 0.84, 0.86, 0.83, 0.87, 0.85, 0.88]
    oth = [0.84, 0.85, 0.84, 0.85, 0.84, 0.85, 0.83, 0.85]  # diff 0 once, |0.01| four times
    result = stats.paired(ref, oth)
    diffs = np.round(np.subtract(ref, oth), stats.DIFF_DECIMALS)
    method = stats.wilcoxon_method(diffs)
    assert method != "exact"
    if stats.NEW_WILCOXON:
        assert result.method == "permutation"
    assert result.p_value == pytest.approx(sps.wilcoxon(diffs, method=method).pvalue)
    assert (result.wins, result.losses, result.ties_count) == (6, 1, 1)


def test_paired_rounds_away_roundoff_ties():
    # 0.3 - 0.1 and 0.5 - 0.3 differ in the last bit; rounded they tie
    assert 0.3 - 0.1 != 0.5 - 0.3
    diffs = np.round(np.subtract([0.3, 0.5, 0.9], [0.1, 0.3, 0.6]), stats.DIFF_DECIMALS)
    assert stats.wilcoxon_method(diffs) != "exact"


def test_paired_all_zero_differences_give_one():
    result = stats.paired([0.8, 0.7, 0.9], [0.8, 0.7, 0.9])
    assert result.p_value == 1.0
    assert (result.wins, result.losses, result.ties_count) == (0, 0, 3)
    assert result.mean_diff == 0.0


def test_paired_needs_two_pairs_and_equal_lengths():
    assert math.isnan(stats.paired([0.9], [0.8]).p_value)
    short = stats.paired([0.9, None], [0.8, 0.7])  # the second seed is missing on one side
    assert short.n == 1 and math.isnan(short.p_value)
    with pytest.raises(ValueError, match="same seeds"):
        stats.paired([0.9, 0.8, 0.7], [0.8, 0.7])


# ----------------------------------------------------------------------------- holm


def test_holm_hand_worked_example():
    adjusted = stats.holm([0.01, 0.04, 0.03, 0.005])
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_passes_nan_through_and_caps_at_one():
    adjusted = stats.holm([0.01, float("nan"), 0.04, None, 0.5])
    assert math.isnan(adjusted[1]) and math.isnan(adjusted[3])
    # m = 3: 0.01 * 3, max(0.03, 0.04 * 2), max(0.08, 0.5 * 1)
    assert [adjusted[0], adjusted[2], adjusted[4]] == pytest.approx([0.03, 0.08, 0.5])
    assert stats.holm([0.4, 0.6]) == pytest.approx([0.8, 0.8])
    assert stats.holm([0.7, 0.9]) == pytest.approx([1.0, 1.0])
    assert stats.holm([]) == []


# ----------------------------------------------------------------------------- ranks


def test_mean_ranks_average_ties():
    scores = [
        [0.9, 0.8, 0.8, 0.7],  # ranks 1, 2.5, 2.5, 4
        [0.6, 0.9, 0.7, 0.8],  # ranks 4, 1, 3, 2
    ]
    assert stats.mean_ranks(scores) == pytest.approx([2.5, 1.75, 2.75, 3.0])
    lower = stats.mean_ranks(scores, higher_is_better=False)
    assert lower == pytest.approx([2.5, 3.25, 2.25, 2.0])


def test_mean_ranks_rejects_nan_and_vectors():
    with pytest.raises(ValueError, match="drop the streams"):
        stats.mean_ranks([[0.9, float("nan"), 0.8]])
    with pytest.raises(ValueError, match="streams × methods"):
        stats.mean_ranks([0.9, 0.8])


def test_friedman_matches_scipy():
    rng = np.random.default_rng(1)
    scores = np.linspace(0.9, 0.8, 4) + rng.normal(0, 0.03, (6, 4))
    result = stats.friedman(scores)
    expected = sps.friedmanchisquare(*scores.T)
    assert (result.n_streams, result.n_methods, result.note) == (6, 4, "")
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)


def test_friedman_needs_three_methods_and_two_streams():
    two = stats.friedman([[0.9, 0.8], [0.7, 0.6], [0.8, 0.9]])
    assert math.isnan(two.statistic) and math.isnan(two.p_value)
    assert "3 methods" in two.note and two.n_methods == 2
    one = stats.friedman([[0.9, 0.8, 0.7]])
    assert math.isnan(one.p_value) and "2 streams" in one.note
    flat = stats.friedman([[0.5, 0.5, 0.5], [0.7, 0.7, 0.7]])
    assert math.isnan(flat.p_value) and "ties" in flat.note


# ----------------------------------------------------------------------------- Nemenyi


@pytest.mark.parametrize(("k", "q"), [(2, 1.960), (3, 2.343), (5, 2.728), (10, 3.164)])
def test_nemenyi_q_matches_demsar_table(k, q):
    assert stats.nemenyi_q(k, 0.05) == pytest.approx(q, abs=1e-3)


def test_nemenyi_cd_formula():
    cd = stats.nemenyi_cd(5, 20, alpha=0.05)
    assert cd == pytest.approx(2.728 * math.sqrt(5 * 6 / (6 * 20)), abs=1e-3)
    assert stats.nemenyi_cd(5, 80) == pytest.approx(cd / 2)
    assert stats.nemenyi_cd(5, 20, alpha=0.10) < cd
    with pytest.raises(ValueError, match="at least 2 methods"):
        stats.nemenyi_cd(1, 10)


def test_small_test_sets():
    assert stats.small_test_sets([500, 99, 100, 12]) == [1, 3]
    assert stats.small_test_sets([40, 60], minimum=50) == [0]


def test_stats_and_plots_cd_import_light():
    code = (
        "import sys, alcl.results.stats, alcl.results.plots_cd; "
        "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- CD diagram


def test_cliques_join_groups_within_the_cd():
    assert cliques([1.0, 1.2, 3.0, 3.3, 5.0], 0.5) == [(0, 1), (2, 3)]
    # groups inside bigger ones are skipped; input order does not matter
    assert cliques([3.0, 1.0, 2.0, 4.0], 1.5) == [(1, 2), (2, 0), (0, 3)]
    assert cliques([1.0, 2.0, 3.0], 3.0) == [(0, 1, 2)]
    assert cliques([1.0, 2.0, 3.0], 1.0) == []  # a difference equal to the CD is significant


def test_cd_figure_draws_five_methods(tmp_path):
    names = ["AL", "EWC", "LwF", "Replay", "Naive"]
    fig = cd_figure(plt, names, [1.0, 1.2, 3.0, 3.3, 5.0], 0.5, title="five methods")
    try:
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert "CD = 0.50" in texts and "five methods" in texts
        assert "AL  (1.00)" in texts and "(5.00)  Naive" in texts
        thick = [line for line in fig.axes[0].lines if line.get_linewidth() == 3.0]
        assert len(thick) == 2  # the two cliques
        path = tmp_path / "cd.png"
        fig.savefig(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        plt.close(fig)


def test_cd_figure_labels_never_overlap_with_twelve_methods():
    names = [f"strategy number {i}" for i in range(11)] + ["GDumb (task-label oracle)"]
    ranks = np.linspace(1.5, 11.5, 12)
    fig = cd_figure(plt, names, ranks, stats.nemenyi_cd(12, 10))
    try:
        renderer = fig.canvas.get_renderer()
        boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts]
        figure_box = fig.bbox
        for i, box in enumerate(boxes):
            assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1
            assert figure_box.y0 <= box.y0 and box.y1 <= figure_box.y1
            for other in boxes[i + 1 :]:
                assert not box.overlaps(other)
    finally:
        plt.close(fig)


def test_cd_figure_rejects_mismatched_names():
    with pytest.raises(ValueError, match="one mean rank per method"):
        cd_figure(plt, ["AL", "EWC"], [1.0, 2.0, 3.0], 1.0)
