"""The statistics every alcl table prints: confidence intervals, paired tests, ranks.

Two kinds of comparison, after Demšar (JMLR 2006):

* one stream, many seeds: :func:`mean_ci` (mean ± t-interval half width) per method, and
  :func:`paired` (the reference method, AL, against each other method over the same seeds,
  Wilcoxon signed-rank), with :func:`holm` correcting the p-values for the number of methods;
* many streams: :func:`mean_ranks` of the methods, :func:`friedman` to test that they differ at
  all, and :func:`nemenyi_cd` for the critical difference that
  :func:`alcl.results.plots_cd.cd_figure` draws.

Every test and distribution comes from :mod:`scipy.stats`; only Holm's step-down correction is
written out here. The module imports numpy and scipy only, so tables can use it without torch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy
from scipy import stats

_SCIPY = tuple(int(part) for part in re.findall(r"\d+", scipy.__version__)[:2])
NEW_WILCOXON = _SCIPY >= (1, 15)
"""scipy 1.15 renamed wilcoxon's ``"approx"`` to ``"asymptotic"`` and accepts a permutation."""
ASYMPTOTIC = "asymptotic" if NEW_WILCOXON else "approx"
EXACT_MAX_N = 50
"""Largest n for scipy's exact signed-rank distribution (scipy's own ``"auto"`` threshold)."""
PERMUTATION_MAX_N = 13
"""Largest n for the exact sign-flip permutation (2**13 = 8192 flips, a fraction of a second)."""
DIFF_DECIMALS = 12
"""Differences are rounded to this many decimals, so roundoff does not break true ties."""


def _clean(values: Sequence[float | None]) -> np.ndarray:
    """``values`` as floats with None and NaN dropped."""
    array = np.array([np.nan if v is None else v for v in values], dtype=float)
    return array[~np.isnan(array)]


@dataclass(frozen=True)
class MeanCI:
    """Mean of ``n`` values with its sample std (ddof=1) and t-interval half width."""

    n: int
    mean: float
    std: float
    half_width: float

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    def format(self, digits: int = 4) -> str:
        """``0.8407 ± 0.0036``; ``0.8407`` when the interval is undefined (n=1); ``-`` for n=0."""
        if self.n == 0 or math.isnan(self.mean):
            return "-"
        if math.isnan(self.half_width):
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {self.half_width:.{digits}f}"


def mean_ci(values: Sequence[float | None], confidence: float = 0.95) -> MeanCI:
    """Mean and the Student-t confidence interval of ``values`` (None and NaN dropped).

    ``half_width = t.ppf((1 + confidence) / 2, n - 1) * std / sqrt(n)`` with the sample std
    (ddof=1): the interval for the mean over seeds, not a spread of the seeds. n=0 gives NaNs;
    n=1 gives the mean with std and half width NaN.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}; e.g. 0.95.")
    array = _clean(values)
    n = int(array.size)
    if n == 0:
        return MeanCI(0, math.nan, math.nan, math.nan)
    mean = float(array.mean())
    if n == 1:
        return MeanCI(1, mean, math.nan, math.nan)
    std = float(array.std(ddof=1))
    half = float(stats.t.ppf((1.0 + confidence) / 2.0, n - 1)) * std / math.sqrt(n)
    return MeanCI(n, mean, std, half)


@dataclass(frozen=True)
class Paired:
    """A reference method against another over the same seeds (differences: reference − other).

    ``method`` names how the p-value was computed (see :func:`paired`).
    """

    n: int
    mean_diff: float
    ci: MeanCI
    p_value: float
    wins: int
    losses: int
    ties_count: int
    method: str


def wilcoxon_method(diffs: np.ndarray):
    """The ``method`` argument :func:`paired` gives ``scipy.stats.wilcoxon`` for ``diffs``.

    * no zero differences and no tied ``|diff|``, n ≤ 50: ``"exact"``, scipy's exact
      signed-rank distribution;
    * zeros or ties, n ≤ 13, scipy ≥ 1.15: a ``PermutationMethod`` over all 2**n sign flips,
      which is exact given the ties (scipy's exact table is not, with ties or zeros);
    * otherwise the normal approximation with tie correction (``"asymptotic"``; ``"approx"``
      before scipy 1.15).

    Zero differences are dropped from the ranking (scipy's default ``zero_method="wilcox"``).
    """
    diffs = np.asarray(diffs, dtype=float)
    nonzero = np.abs(diffs[diffs != 0])
    clean = nonzero.size == diffs.size and np.unique(nonzero).size == nonzero.size
    if clean and diffs.size <= EXACT_MAX_N:
        return "exact"
    if not clean and NEW_WILCOXON and diffs.size <= PERMUTATION_MAX_N:
        return stats.PermutationMethod(n_resamples=2**diffs.size)
    return ASYMPTOTIC


def _method_name(method) -> str:
    return method if isinstance(method, str) else "permutation"


def paired(
    reference: Sequence[float | None], other: Sequence[float | None], confidence: float = 0.95
) -> Paired:
    """Paired comparison of ``reference`` (AL) against ``other``, by position (seed).

    A pair with a missing value (None or NaN) on either side is dropped. Differences are
    rounded to :data:`DIFF_DECIMALS` decimals so that equal accuracies tie. The p-value is
    the two-sided Wilcoxon signed-rank test, with the method chosen by
    :func:`wilcoxon_method`; it is 1.0 when every difference is zero (scipy gives NaN or fails
    there) and NaN for fewer than two pairs.
    """
    if len(reference) != len(other):
        raise ValueError(
            f"paired() needs one value per seed on both sides, got {len(reference)} and "
            f"{len(other)}; pass both methods' results over the same seeds, in the same order."
        )
    ref = np.array([np.nan if v is None else v for v in reference], dtype=float)
    oth = np.array([np.nan if v is None else v for v in other], dtype=float)
    keep = ~(np.isnan(ref) | np.isnan(oth))
    diffs = np.round(ref[keep] - oth[keep], DIFF_DECIMALS)
    n = int(diffs.size)
    wins, losses = int((diffs > 0).sum()), int((diffs < 0).sum())
    ci = mean_ci(diffs.tolist(), confidence)
    if n < 2:
        p_value, method = math.nan, "none (n < 2)"
    elif not diffs.any():
        p_value, method = 1.0, "none (all differences zero)"
    else:
        chosen = wilcoxon_method(diffs)
        p_value = float(stats.wilcoxon(diffs, method=chosen).pvalue)
        method = _method_name(chosen)
    return Paired(n, ci.mean, ci, p_value, wins, losses, n - wins - losses, method)


def holm(p_values: Sequence[float | None]) -> list[float]:
    """Holm–Bonferroni adjusted p-values, in the input order.

    The i-th smallest of the m valid p-values becomes ``max_{j ≤ i} (m − j + 1) p_(j)``,
    capped at 1, so the adjusted values keep the order of the raw ones. None and NaN are
    passed through as NaN and do not count in m.
    """
    raw = np.array([np.nan if p is None else p for p in p_values], dtype=float)
    out = raw.copy()
    valid = np.flatnonzero(~np.isnan(raw))
    order = valid[np.argsort(raw[valid], kind="stable")]
    m = order.size
    running = 0.0
    for step, index in enumerate(order):
        running = max(running, min(1.0, (m - step) * raw[index]))
        out[index] = running
    return out.tolist()


def _matrix(scores) -> np.ndarray:
    array = np.asarray(scores, dtype=float)
    if array.ndim != 2:
        raise ValueError(
            f"scores must be a (streams × methods) matrix, got shape {array.shape}; "
            "one row per stream, one column per method."
        )
    if np.isnan(array).any():
        raise ValueError(
            "scores hold NaN; drop the streams where a method has no result before ranking."
        )
    return array


def mean_ranks(scores, higher_is_better: bool = True) -> np.ndarray:
    """Mean rank of every method over streams (rank 1 = best; ties share the average rank).

    ``scores`` is a (streams × methods) array; methods are ranked within each stream with
    ``scipy.stats.rankdata``.
    """
    array = _matrix(scores)
    ranks = stats.rankdata(-array if higher_is_better else array, axis=1)
    return ranks.mean(axis=0)


@dataclass(frozen=True)
class Friedman:
    """Friedman's test that the methods' ranks over streams differ; ``note`` says why NaN."""

    statistic: float
    p_value: float
    n_streams: int
    n_methods: int
    note: str = ""


def friedman(scores) -> Friedman:
    """``scipy.stats.friedmanchisquare`` over the methods (columns) of a (streams × methods) matrix.

    It needs at least 3 methods and 2 streams (with 2 methods use :func:`paired`); otherwise,
    or when every stream ties all methods, statistic and p-value are NaN and ``note`` says why.
    """
    array = _matrix(scores)
    n_streams, n_methods = array.shape
    nan = math.nan
    if n_methods < 3:
        note = (
            f"Friedman's test needs at least 3 methods, got {n_methods}; compare 2 with paired()."
        )
        return Friedman(nan, nan, n_streams, n_methods, note)
    if n_streams < 2:
        note = f"Friedman's test needs at least 2 streams, got {n_streams}."
        return Friedman(nan, nan, n_streams, n_methods, note)
    if all(np.unique(row).size == 1 for row in array):
        note = "every stream ties all methods; there is nothing to rank."
        return Friedman(nan, nan, n_streams, n_methods, note)
    result = stats.friedmanchisquare(*array.T)
    return Friedman(float(result.statistic), float(result.pvalue), n_streams, n_methods)


def nemenyi_q(n_methods: int, alpha: float = 0.05) -> float:
    """Demšar's q_alpha: the studentized range quantile (infinite df) over sqrt(2)."""
    if n_methods < 2:
        raise ValueError(f"the Nemenyi test compares at least 2 methods, got {n_methods}.")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha}; e.g. 0.05.")
    return float(stats.studentized_range.ppf(1.0 - alpha, n_methods, np.inf)) / math.sqrt(2.0)


def nemenyi_cd(n_methods: int, n_streams: int, alpha: float = 0.05) -> float:
    """Nemenyi critical difference ``q_alpha * sqrt(k (k + 1) / (6 N))`` of mean ranks.

    Two methods whose mean ranks over N streams differ by at least this much differ
    significantly at level ``alpha`` (Demšar 2006, section 3.2.2).
    """
    if n_streams < 1:
        raise ValueError(f"the critical difference needs at least 1 stream, got {n_streams}.")
    k = n_methods
    return nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n_streams))


def small_test_sets(sizes: Sequence[int], minimum: int = 100) -> list[int]:
    """Indices of the per-experience test sets with fewer than ``minimum`` samples.

    Accuracies on such sets move in coarse steps (1/size), so scoreboards warn about them.
    """
    return [index for index, size in enumerate(sizes) if size < minimum]
