"""Thin wrappers over :mod:`scipy.stats` that return small named results."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import stats as sps


@dataclass(frozen=True)
class TestResult:
    """A two-sample test: its name, statistic, p-value and effect summary."""

    test: str
    statistic: float
    pvalue: float
    n1: int
    n2: int

    def __str__(self) -> str:
        return f"{self.test}: statistic={self.statistic:.4g}, p={self.pvalue:.3g} (n={self.n1}, {self.n2})"


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval."""

    estimate: float
    low: float
    high: float
    level: float

    def __str__(self) -> str:
        return f"{self.estimate:.3g} [{self.low:.3g}, {self.high:.3g}]"


def _sample(x, name: str, min_size: int = 1) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        a = a.ravel() if a.ndim > 1 else a.reshape(1)
    if a.size < min_size:
        raise ValueError(f"{name} needs at least {min_size} values, got {a.size}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or Inf ({np.sum(~np.isfinite(a))} of {a.size} values)")
    return a


def mann_whitney(x, y, alternative: str = "two-sided") -> TestResult:
    """Mann-Whitney U test of two independent samples (scipy, asymptotic method)."""
    a, b = _sample(x, "x"), _sample(y, "y")
    res = sps.mannwhitneyu(a, b, alternative=alternative)
    return TestResult("Mann-Whitney U", float(res.statistic), float(res.pvalue), a.size, b.size)


def welch_t(x, y, alternative: str = "two-sided") -> TestResult:
    """Welch's unequal-variance t-test of two independent samples."""
    a, b = _sample(x, "x", 2), _sample(y, "y", 2)
    res = sps.ttest_ind(a, b, equal_var=False, alternative=alternative)
    return TestResult("Welch t", float(res.statistic), float(res.pvalue), a.size, b.size)


def paired_t(x, y, alternative: str = "two-sided") -> TestResult:
    """Paired t-test (x[i] and y[i] are measurements of the same unit)."""
    a, b = _sample(x, "x", 2), _sample(y, "y", 2)
    if a.size != b.size:
        raise ValueError(f"paired_t needs equal lengths, got {a.size} and {b.size}")
    res = sps.ttest_rel(a, b, alternative=alternative)
    return TestResult("paired t", float(res.statistic), float(res.pvalue), a.size, b.size)


def one_sample_t(x, popmean: float = 0.0, alternative: str = "two-sided") -> TestResult:
    """One-sample t-test of ``mean(x) == popmean``."""
    a = _sample(x, "x", 2)
    res = sps.ttest_1samp(a, popmean, alternative=alternative)
    return TestResult("one-sample t", float(res.statistic), float(res.pvalue), a.size, 0)


def bootstrap_ci(
    x,
    statistic: Callable[[np.ndarray], float] = np.mean,
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap confidence interval of ``statistic(x)`` (scipy.stats.bootstrap)."""
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    a = _sample(x, "x", 2)
    if np.ptp(a) == 0:  # scipy cannot bootstrap a constant sample; its interval is a point
        value = float(statistic(a))
        return Interval(value, value, value, level)
    res = sps.bootstrap((a,), statistic, confidence_level=level, n_resamples=n_resamples,
                        method="percentile", random_state=np.random.default_rng(seed), vectorized=False)
    return Interval(float(statistic(a)), float(res.confidence_interval.low),
                    float(res.confidence_interval.high), level)
