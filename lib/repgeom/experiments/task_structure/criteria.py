"""The criteria every claim of the chapter is graded by: floors, the ceiling rule and seed noise.

A tanh-ReLU difference counts only when it exceeds the seed-to-seed noise,
i.e. when the 95 % bootstrap interval of the difference of means over networks
excludes zero (:func:`diff_ci`), and only when the compared measure is below
:data:`CEILING` for at least one of the two arms (both at the ceiling:
inconclusive). Used by :mod:`.claims`.
"""
from __future__ import annotations

import numpy as np
import torch

from repgeom.book.claims import Check

from .sweep import act_means

__all__ = ["fmt", "diff_ci", "DECODE_FLOOR", "CEILING", "ACC_FLOOR", "ACC_MATCH", "CNN_FLOOR", "MIN_CNN_GAP"]

#: Trained-dichotomy decoding the four-cluster networks must reach (they learned their task).
DECODE_FLOOR = 0.9
#: A measure at or above this (for both arms) cannot separate the two activations.
CEILING = 0.98
#: Accuracy on fresh noisy samples the random-task networks must reach (chance 0.5).
ACC_FLOOR = 0.8
#: A perturbed ReLU is compared with tanh only when its accuracy is within this of tanh's.
ACC_MATCH = 0.03
#: Test accuracy (5 labels, chance 0.2) the CNNs must reach.
CNN_FLOOR = 0.6
#: Smallest tanh - ReLU gap of a CNN measure that counts as an ordering: one network per activation gives no
#: estimate of seed noise, so a gap must at least be visible at the two decimals the claim table shows.
MIN_CNN_GAP = 0.02

_READABLE = {"target_alignment": "target alignment", "input_alignment": "input alignment", "ps": "parallelism",
             "ccgp": "CCGP", "decode_trained": "trained decoding", "decode_untrained": "untrained decoding",
             "relu": "ReLU", "tanh": "tanh"}


def fmt(d: dict[str, float]) -> str:
    """Numbers for the claim table.

    Parameters
    ----------
    d : dict
        Name -> number (names are shown in words where known).

    Returns
    -------
    str
        ``"name value, ..."`` with two decimals.
    """
    return ", ".join(f"{_READABLE.get(k, k)} {v:.2f}" for k, v in d.items())


def diff_ci(a, b, *, paired: bool = False, level: float = 0.95, n: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Difference of means ``mean(a) - mean(b)`` with a percentile bootstrap interval over networks.

    Parameters
    ----------
    a, b : array-like, shape (networks,)
        One value per network of each arm.
    paired : bool
        ``a[i]`` and ``b[i]`` come from the same network (resample the pairs).
    level : float
    n : int
        Bootstrap resamples.
    seed : int

    Returns
    -------
    (estimate, low, high) : tuple of float
    """
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.size < 2 or b.size < 2:
        raise ValueError(f"diff_ci needs at least 2 networks per arm, got {a.size} and {b.size}")
    if paired and a.size != b.size:
        raise ValueError(f"paired arms must have the same size, got {a.size} and {b.size}")
    rng = np.random.default_rng(seed)
    if paired:
        idx = rng.integers(0, a.size, (n, a.size))
        boot = (a[idx] - b[idx]).mean(1)
    else:
        boot = a[rng.integers(0, a.size, (n, a.size))].mean(1) - b[rng.integers(0, b.size, (n, b.size))].mean(1)
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    return float(a.mean() - b.mean()), float(lo), float(hi)


def _beyond_noise(name: str, diffs: dict[str, tuple[float, float, float]], sign: int = 1) -> Check:
    """A control check: every interval lies on the side of zero that ``sign`` says."""
    met = all((lo > 0) if sign > 0 else (hi < 0) for _, lo, hi in diffs.values())
    value = "; ".join(f"{_READABLE.get(k, k)} {e:+.2f} [{lo:+.2f}, {hi:+.2f}]" for k, (e, lo, hi) in diffs.items())
    return Check(name, met, value)


def _join(*parts: str) -> str:
    """The non-empty parts of a note, joined by semicolons."""
    return "; ".join(p for p in parts if p)


_NOISE = "difference beyond seed noise (95 % bootstrap interval over networks excludes 0)"
_CEIL = f"compared measures below their ceiling ({CEILING:g}) for at least one arm"


def _ceiling_check(measures: dict[str, dict[str, float]]) -> Check:
    """The ceiling rule: a comparison of two arms that both sit at or above :data:`CEILING` on a measure is no
    evidence either way, so every compared measure must be below it for at least one arm.

    Parameters
    ----------
    measures : dict
        Measure (or setting) -> arm -> mean value.

    Returns
    -------
    Check
    """
    met = all(min(v.values()) < CEILING for v in measures.values())
    value = "; ".join(f"{_READABLE.get(k, k)}: " + ", ".join(f"{_READABLE.get(a, a)} {x:.2f}" for a, x in v.items())
                      for k, v in measures.items())
    return Check(_CEIL, met, value)


def _decode_check(final: dict[str, torch.Tensor], nets: int) -> Check:
    dec = act_means(final, "decode_trained", nets)
    return Check(f"networks learned the task (trained decoding ≥ {DECODE_FLOOR:g})", min(dec.values()) >= DECODE_FLOOR,
                 f"tanh {dec['tanh']:.2f}, ReLU {dec['relu']:.2f}")
