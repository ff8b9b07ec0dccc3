import numpy as np
import pytest
from scipy import stats as sps

from repgeom import stats


def test_tests_match_scipy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 1, 40), rng.normal(0.5, 2, 30)
    assert stats.mann_whitney(x, y).pvalue == pytest.approx(sps.mannwhitneyu(x, y).pvalue)
    assert stats.welch_t(x, y).statistic == pytest.approx(sps.ttest_ind(x, y, equal_var=False).statistic)
    z = x[:30] + rng.normal(0.2, 0.1, 30)
    assert stats.paired_t(x[:30], z).pvalue == pytest.approx(sps.ttest_rel(x[:30], z).pvalue)
    assert stats.one_sample_t(x, 0.3).statistic == pytest.approx(sps.ttest_1samp(x, 0.3).statistic)


def test_paired_needs_equal_lengths_and_finite_values():
    with pytest.raises(ValueError, match="equal lengths"):
        stats.paired_t([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="NaN or Inf"):
        stats.welch_t([1, np.nan, 3], [1, 2, 3])
    with pytest.raises(ValueError, match="at least 2"):
        stats.welch_t([1], [1, 2])


def test_bootstrap_ci_covers_the_mean_and_is_seeded():
    x = np.random.default_rng(1).normal(3.0, 1.0, 200)
    a = stats.bootstrap_ci(x, seed=4)
    b = stats.bootstrap_ci(x, seed=4)
    assert a == b
    assert a.low < x.mean() < a.high
    assert a.high - a.low == pytest.approx(2 * 1.96 / np.sqrt(200), rel=0.3)
    assert stats.bootstrap_ci([2.0, 2.0, 2.0]).low == 2.0
    with pytest.raises(ValueError, match="level"):
        stats.bootstrap_ci(x, level=1.5)
