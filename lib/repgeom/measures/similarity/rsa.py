"""Representational similarity matrices (RSMs) and their comparison.

Conventions follow Lu et al. (2018), Sec. 2, in the library's (samples,
features) layout: an activation matrix ``x`` has shape (examples, units), its
RSM is the (examples, examples) matrix of Pearson correlations between the
examples' activity patterns. Everything is batched over leading dimensions
(networks, layers) and runs on the input's device. Rows are rescaled by a power
of two (exact) before their norms are taken, so activations of any finite
scale give the same correlations (no overflow at 1e160, no underflow at
1e-160).
"""
from __future__ import annotations

import torch

from repgeom.checks import check_broadcast, check_nonempty, check_tensor

from .cka import _gram_inner_products
from .gram_matrix import _gram, _pow2_rescale

__all__ = [
    "rsm",
    "cross_rsm",
    "within_rsm",
    "inter_rsm",
    "lower_triangle",
    "compare_rsms",
    "rsm_consistency",
]


_METHODS = ("pearson", "spearman")


def _check(x: torch.Tensor, name: str, min_dim: int = 2) -> torch.Tensor:
    return check_nonempty(check_tensor(x, name, min_dim), name)


def _check_flag(value: bool, name: str) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def _check_method(method: str) -> None:
    if method not in _METHODS:
        raise ValueError(f"method must be 'pearson' or 'spearman', got {method!r}")


def _row_normalise(x: torch.Tensor, name: str, center: bool = True) -> torch.Tensor:
    """Centre each row over its last axis (if ``center``) and scale it to unit norm."""
    if x.shape[-1] < 2:
        raise ValueError(f"{name} needs at least 2 units per example to correlate, got {x.shape[-1]}")
    x = _pow2_rescale(x, -1)                       # exact; keeps the squares below overflow
    xc = x - x.mean(dim=-1, keepdim=True) if center else x
    norm = xc.norm(dim=-1, keepdim=True)
    if bool((norm == 0).any()):
        raise ValueError(f"{name} has an example with constant activity; its correlation is undefined")
    return xc / norm


def rsm(x: torch.Tensor, center: bool = True) -> torch.Tensor:
    """Within-network RSM: Pearson correlation between examples.

    Parameters
    ----------
    x : torch.Tensor, shape (..., n_examples, n_units)
    center : bool
        Pearson correlation (default); ``False`` gives the cosine similarity,
        the paper's ``AᵀA`` for column-normalised ``A`` (rotation invariant).

    Returns
    -------
    torch.Tensor, shape (..., n_examples, n_examples)
        ``out[..., a, b] = corr(x[..., a, :], x[..., b, :])``.
    """
    _check_flag(center, "center")
    z = _row_normalise(_check(x, "x"), "x", center)
    return _gram(z)


def cross_rsm(x: torch.Tensor, y: torch.Tensor, center: bool = True) -> torch.Tensor:
    """Inter-network RSM of two activation sets, ``RSM(A, B) = AᵀB`` (paper Sec. 2).

    Parameters
    ----------
    x, y : torch.Tensor, shape (..., n_examples, n_units)
        Same shape (broadcastable leading dimensions); rows are examples.
    center : bool
        Pearson (default) or cosine (``False``) similarity.

    Returns
    -------
    torch.Tensor, shape (..., n_examples, n_examples)
        ``out[..., a, b] = corr(x[..., a, :], y[..., b, :])`` (not symmetric in general).
    """
    _check_flag(center, "center")
    _check(x, "x")
    _check(y, "y")
    if x.shape[-2:] != y.shape[-2:]:
        raise ValueError(f"x and y need the same (examples, units), got {tuple(x.shape[-2:])} and {tuple(y.shape[-2:])}")
    check_broadcast("x", x.shape[:-2], "y", y.shape[:-2])
    zx, zy = _row_normalise(x, "x", center), _row_normalise(y, "y", center)
    return zx @ zy.transpose(-1, -2)


def _check_networks(x: torch.Tensor, name: str = "x", min_networks: int = 2) -> torch.Tensor:
    check_tensor(x, name, min_dim=3)
    if x.shape[-3] < min_networks:
        raise ValueError(f"{name} needs at least {min_networks} network{'s' * (min_networks > 1)} on axis -3, "
                         f"got shape {tuple(x.shape)}")
    return check_nonempty(x, name)


def within_rsm(x: torch.Tensor, center: bool = True) -> torch.Tensor:
    """Average within-network RSM (wRSM) over networks.

    Parameters
    ----------
    x : torch.Tensor, shape (..., n_networks, n_examples, n_units)
    center : bool
        Pearson (default) or cosine (``False``) similarity.

    Returns
    -------
    torch.Tensor, shape (..., n_examples, n_examples)
    """
    _check_flag(center, "center")
    _check_networks(x, min_networks=1)
    return _gram(_row_normalise(x, "x", center)).mean(dim=-3)


def inter_rsm(x: torch.Tensor, symmetric: bool = False, center: bool = True) -> torch.Tensor:
    """Average inter-network RSM (iRSM), leave-one-out.

    For each network ``i`` the cross RSM between ``x_i`` and the mean of the
    other networks' activity is formed; the result is their average over ``i``.

    Parameters
    ----------
    x : torch.Tensor, shape (..., n_networks, n_examples, n_units)
        At least 2 networks. Networks must share a space for the result to be
        meaningful (e.g. SRM shared-space responses).
    symmetric : bool
        Return ``(M + Mᵀ) / 2`` instead of ``M`` (the authors' code keeps
        ``M``, whose strict lower triangle is what gets compared).
    center : bool
        Pearson (default) or cosine (``False``) similarity.

    Returns
    -------
    torch.Tensor, shape (..., n_examples, n_examples)
    """
    _check_flag(symmetric, "symmetric")
    _check_flag(center, "center")
    _check_networks(x)
    n = x.shape[-3]
    others = (x.sum(dim=-3, keepdim=True) - x) / (n - 1)
    zx, zo = _row_normalise(x, "x", center), _row_normalise(others, "the other networks' mean", center)
    # mean_i zx_i zo_iᵀ is one product of the networks' unit-normalised rows laid
    # side by side, (m, n p) @ (n p, m): no (n, m, m) stack of cross RSMs is formed
    m = _side_by_side(zx) @ _side_by_side(zo).mT / n
    return 0.5 * (m + m.transpose(-1, -2)) if symmetric else m


def _side_by_side(z: torch.Tensor) -> torch.Tensor:
    """(..., n, m, p) -> (..., m, n p): each example's rows of the ``n`` networks concatenated."""
    n, m, p = z.shape[-3:]
    return z.movedim(-3, -2).reshape(*z.shape[:-3], m, n * p)


def lower_triangle(m: torch.Tensor) -> torch.Tensor:
    """Strict lower triangle of square matrices, flattened.

    Parameters
    ----------
    m : torch.Tensor, shape (..., n, n)

    Returns
    -------
    torch.Tensor, shape (..., n * (n - 1) / 2)
    """
    return _lower_triangle(m, "m")


def _lower_triangle(m: torch.Tensor, name: str) -> torch.Tensor:
    _check(m, name)
    if m.shape[-1] != m.shape[-2] or m.shape[-1] < 3:
        raise ValueError(f"{name} must be square matrices of side >= 3, got shape {tuple(m.shape)}")
    i, j = torch.tril_indices(m.shape[-1], m.shape[-1], offset=-1, device=m.device)
    return m[..., i, j]


def _rank(v: torch.Tensor) -> torch.Tensor:
    """Average ranks (ties share their mean rank) along the last axis, as scipy.stats.rankdata."""
    sorted_v, order = v.sort(dim=-1, stable=True)
    n = v.shape[-1]
    # tie groups: positions where the sorted value changes start a new group
    new = torch.ones_like(sorted_v, dtype=torch.bool)
    new[..., 1:] = sorted_v[..., 1:] != sorted_v[..., :-1]
    group = new.long().cumsum(dim=-1) - 1
    pos = torch.arange(1, n + 1, device=v.device, dtype=torch.float64).expand_as(sorted_v)
    sums = torch.zeros(sorted_v.shape, dtype=torch.float64, device=v.device).scatter_add_(-1, group, pos)
    counts = torch.zeros(sorted_v.shape, dtype=torch.float64, device=v.device).scatter_add_(
        -1, group, torch.ones_like(pos))
    mean_rank = (sums / counts.clamp_min(1)).gather(-1, group)
    return torch.empty_like(mean_rank).scatter_(-1, order, mean_rank)


def _standardise(v: torch.Tensor) -> torch.Tensor:
    """Centre float64 copies of the vectors along the last axis and scale them to unit norm."""
    v = _pow2_rescale(v.double(), -1)              # exact; keeps the squares below overflow
    v = v - v.mean(dim=-1, keepdim=True)
    norm = v.norm(dim=-1, keepdim=True)
    if bool((norm == 0).any()):
        raise ValueError("an RSM's lower triangle is constant; its correlation is undefined")
    return v / norm


def _pearson(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (_standardise(a) * _standardise(b)).sum(dim=-1)


def compare_rsms(a: torch.Tensor, b: torch.Tensor, method: str = "pearson") -> torch.Tensor:
    """Second-order similarity: correlation of two RSMs' strict lower triangles.

    Parameters
    ----------
    a, b : torch.Tensor, shape (..., n, n)
        RSMs (leading dimensions broadcast).
    method : {"pearson", "spearman"}
        Linear correlation, or its rank version (average ranks for ties).

    Returns
    -------
    torch.Tensor, shape (...), float64
    """
    _check_method(method)
    la, lb = _lower_triangle(a, "a"), _lower_triangle(b, "b")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"a and b must have the same side, got {a.shape[-1]} and {b.shape[-1]}")
    check_broadcast("a", a.shape[:-2], "b", b.shape[:-2])
    la, lb = torch.broadcast_tensors(la, lb)
    if method == "spearman":
        la, lb = _rank(la), _rank(lb)
    return _pearson(la, lb)


def rsm_consistency(x: torch.Tensor, method: str = "pearson", center: bool = True) -> torch.Tensor:
    """Pairwise correlations between the networks' within-network RSMs (Fig. 3, bottom).

    The same values as ``compare_rsms`` of each pair. Pearson never forms
    the RSMs: the sums over their lower triangles follow from the activations
    (steps in the code), which on (examples x units) activations with fewer
    units than examples costs a fraction of building the RSMs. Spearman ranks
    each network's lower triangle once.

    Parameters
    ----------
    x : torch.Tensor, shape (..., n_networks, n_examples, n_units)
    method : {"pearson", "spearman"}
    center : bool
        Pearson (default) or cosine (``False``) first-order similarity.

    Returns
    -------
    torch.Tensor, shape (..., n_networks * (n_networks - 1) / 2), float64
        One value per unordered pair of networks (pairs ``i > j`` in row order).
    """
    _check_method(method)
    _check_flag(center, "center")
    _check_networks(x)
    n = x.shape[-3]
    if x.shape[-2] < 3:
        raise ValueError(f"x needs at least 3 examples on axis -2 (RSMs of side >= 3), got shape {tuple(x.shape)}")
    i, j = torch.tril_indices(n, n, offset=-1, device=x.device)
    if method == "spearman":
        z = _standardise(_rank(lower_triangle(rsm(x, center))))    # (..., n_networks, T)
        return (z @ z.mT)[..., i, j]
    # Pearson over the lower triangles from sums over whole RSMs A = Z Zᵀ, never forming them:
    # 1. sum_{k>l} A_kl = (sum A - tr A) / 2, with sum A = ‖Σ_k z_k‖² and A_kk = ‖z_k‖²;
    # 2. sum_{k>l} A_kl B_kl = (<A, B>_F - Σ_k A_kk B_kk) / 2, <A, B>_F from gram_inner_products;
    # 3. covariance and correlation over the T = m (m - 1) / 2 entries.
    z = _row_normalise(x.double(), "x", center)                  # (..., n, m, p)
    m = z.shape[-2]
    diag = z.pow(2).sum(-1)                                      # (..., n, m): A_kk
    tri_sum = (z.sum(-2).pow(2).sum(-1) - diag.sum(-1)) / 2      # (..., n)
    tri_prod = (_gram_inner_products(z) - diag @ diag.mT) / 2     # (..., n, n)
    cov = tri_prod - tri_sum.unsqueeze(-1) * tri_sum.unsqueeze(-2) / (m * (m - 1) / 2)
    var = cov.diagonal(dim1=-2, dim2=-1)
    if bool((var <= 0).any()):
        raise ValueError("an RSM's lower triangle is constant; its correlation is undefined")
    return cov[..., i, j] / (var[..., i] * var[..., j]).sqrt()
