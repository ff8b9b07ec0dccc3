"""How many leading singular vectors to keep when comparing two subspaces.

Keeping every singular vector makes two subspaces of more than half the ambient
dimension share dimensions (exact zero angles), so the communication-subspace
analysis keeps a smaller size, chosen jointly over the networks compared:
:func:`choose_subspace_size`, with the authors' released grid search
(:func:`released_size_grids`) or a bisection rule. The angles at that size are
taken by :func:`repgeom.measures.subspace.kept_angles`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch

from repgeom.checks import check_tensor as _check_tensor

__all__ = ["SubspaceSize", "choose_subspace_size", "released_size_grids", "SIZE_RULES"]


@dataclass(frozen=True)
class SubspaceSize:
    """The subspace size chosen for one connection.

    Attributes
    ----------
    k : int
        Number of leading singular vectors kept on both sides.
    full : int
        The largest size available (the smaller number of columns).
    clean : bool
        True when every angle at size ``k`` exceeds the threshold; False when
        some are at or below it (those are then dropped, see :func:`kept_angles`).
    """

    k: int
    full: int
    clean: bool


class _Crosses:
    """The leading ``k x k`` blocks of ``u^T v`` of several pairs, computed once for every size tried.

    Principal angles at size ``k`` have cosines equal to the singular values of the leading ``k x k`` block
    of ``u^T v`` (orthonormal columns); near the 0.1 degree threshold their float64 rounding error is ~1e-12
    rad, far below the threshold.
    """

    def __init__(self, pairs: Sequence[tuple[torch.Tensor, torch.Tensor]]):
        self.crosses = [u.to(torch.float64).transpose(-1, -2) @ v.to(torch.float64) for u, v in pairs]

    def min_angle(self, k: int) -> float:
        """The smallest principal angle at size ``k`` over every pair and batch element (radians)."""
        return min(float(torch.arccos(torch.linalg.svdvals(c[..., :k, :k])[..., 0].clamp(-1, 1)).min())
                   for c in self.crosses)

    def count_above(self, k: int, thr: float) -> int:
        """Principal angles above ``thr`` (radians) at size ``k``, summed over pairs and batch elements.

        An angle exceeds ``thr`` exactly when its cosine is below ``cos(thr)``.
        """
        cos_thr = math.cos(thr)
        return sum(int((torch.linalg.svdvals(c[..., :k, :k]) < cos_thr).sum()) for c in self.crosses)


def released_size_grids(full: int, min_fraction: float = 0.5) -> tuple[list[int], list[int]]:
    """The two grids of sizes searched by the authors' released rule.

    Primary grid: from ``full`` downwards in steps of 50 (``full > 200``), 30
    (``full > 100``) or 20, stopping before ``ceil(full * min_fraction)``.
    Secondary grid: from ``full`` downwards in steps of ``max(1, full // 20)``,
    stopping before ``max(1, floor(full * min_fraction))``. With
    ``min_fraction = 0.5`` these are the released notebooks' grids
    (``ceil(m / 2)`` and ``max(1, m // 2)`` as exclusive bounds).

    Parameters
    ----------
    full : int
        The largest size (>= 1).
    min_fraction : float
        In (0, 1].

    Returns
    -------
    primary, secondary : list of int
        Descending sizes; either may be empty (e.g. ``full = 1``).
    """
    if isinstance(full, bool) or not isinstance(full, int) or full < 1:
        raise ValueError(f"full must be a positive integer, got {full!r}")
    if not (math.isfinite(min_fraction) and 0 < min_fraction <= 1):
        raise ValueError(f"min_fraction must lie in (0, 1], got {min_fraction!r}")
    step = 50 if full > 200 else 30 if full > 100 else 20
    lo1 = math.ceil(full * min_fraction)
    lo2 = max(1, math.floor(full * min_fraction))
    primary = list(range(full, lo1, -step))
    secondary = list(range(full, lo2, -max(1, full // 20)))
    return primary, secondary


#: The size rules of :func:`choose_subspace_size`.
SIZE_RULES = ("released", "first-all-above")


def choose_subspace_size(
    pairs: Sequence[tuple[torch.Tensor, torch.Tensor]],
    min_angle_deg: float = 0.1,
    min_fraction: float = 0.5,
    rule: str = "released",
) -> SubspaceSize:
    """The subspace size kept for one connection, chosen jointly over several networks.

    Two rules:

    ``"released"`` (the authors' released notebooks): a primary grid search
    over the sizes of :func:`released_size_grids` (steps of 20, 30 or 50 from
    the full size down to half of it) keeps the first size at which every
    angle of every pair exceeds ``min_angle_deg``. If none does, a secondary
    grid (steps of ``max(1, full // 20)``) keeps the size with the most angles
    above the threshold, summed over the pairs (the largest such size on
    ties); the angles at or below the threshold are then dropped (see
    :func:`kept_angles`). If no size of either grid has an angle above the
    threshold, the full size is returned, unclean.

    ``"first-all-above"``: the largest size between ``ceil(full *
    min_fraction)`` and ``full`` at which every angle exceeds the threshold
    (every size is tried, found by bisection: shrinking both nested subspaces
    can only raise the smallest angle); ``ceil(full * min_fraction)``,
    unclean, when even that size fails.

    Parameters
    ----------
    pairs : sequence of (u, v)
        Orthonormal bases, ``u`` of shape (..., n, p) and ``v`` of shape (..., n, q),
        columns ordered by decreasing singular value (e.g. the trained and the
        untrained networks; batch elements, such as images, count as pairs).
    min_angle_deg : float
        Threshold in degrees (> 0).
    min_fraction : float
        Lower bound of the sizes searched, as a fraction of the full size, in (0, 1].
    rule : {"released", "first-all-above"}

    Returns
    -------
    SubspaceSize
        ``clean`` is True when every angle at the chosen size exceeds the threshold.
    """
    if not pairs:
        raise ValueError("pairs must hold at least one (u, v) pair, got none")
    if not (math.isfinite(min_angle_deg) and min_angle_deg > 0):
        raise ValueError(f"min_angle_deg must be a positive number, got {min_angle_deg!r}")
    if not (math.isfinite(min_fraction) and 0 < min_fraction <= 1):
        raise ValueError(f"min_fraction must lie in (0, 1], got {min_fraction!r}")
    if rule not in SIZE_RULES:
        raise ValueError(f"rule must be one of {SIZE_RULES}, got {rule!r}")
    for i, (u, v) in enumerate(pairs):
        _check_tensor(u, f"pairs[{i}][0]", 2)
        _check_tensor(v, f"pairs[{i}][1]", 2)
        if u.shape[-2] != v.shape[-2]:
            raise ValueError(f"pairs[{i}] has ambient dimensions {u.shape[-2]} and {v.shape[-2]}; expected equal")
    full = min(min(u.shape[-1], v.shape[-1]) for u, v in pairs)
    thr = math.radians(min_angle_deg)
    crosses = _Crosses(pairs)
    min_angle = crosses.min_angle
    if rule == "released":
        primary, secondary = released_size_grids(full, min_fraction)
        for k in primary:
            if min_angle(k) > thr:
                return SubspaceSize(k, full, True)
        best_k, best_n = full, 0
        for k in secondary:
            n = crosses.count_above(k, thr)
            if n > best_n:  # strictly more: the largest size wins ties
                best_k, best_n = k, n
        return SubspaceSize(best_k, full, min_angle(best_k) > thr)
    lo = max(1, math.ceil(full * min_fraction))
    if min_angle(lo) <= thr:
        return SubspaceSize(lo, full, False)
    if min_angle(full) > thr:
        return SubspaceSize(full, full, True)
    good, bad = lo, full  # invariant: size `good` passes, size `bad` fails
    while bad - good > 1:
        mid = (good + bad) // 2
        if min_angle(mid) > thr:
            good = mid
        else:
            bad = mid
    return SubspaceSize(good, full, True)
