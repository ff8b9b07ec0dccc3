"""Centred kernel alignment (Cortes et al., 2012) and linear CKA (Kornblith et al., 2019).

The alignment of two (conditions, conditions) kernels is

.. math:: C(K_1, K_2) = \\frac{\\langle H K_1 H, H K_2 H\\rangle_F}
          {\\lVert H K_1 H\\rVert_F \\lVert H K_2 H\\rVert_F},
          \\qquad H = I - \\tfrac{1}{n}\\mathbf 1 \\mathbf 1^\\top,

as in Alleman, Lindsey & Fusi (2024), Sec. 3. With linear kernels
``K = X Xᵀ`` it equals linear CKA of the feature matrices, which
:func:`linear_cka` computes without forming the kernels. All functions are
batched over leading dimensions, run on the input's device and accumulate in
float64. Each input is first rescaled by a power of two (exact), so that
values of any finite scale (1e-160 to 1e160 and beyond) neither overflow nor
underflow in the products: the measures are scale invariant and stay so
numerically.
"""
from __future__ import annotations

import torch

from repgeom.checks import all_finite, check_broadcast, check_nonempty, check_tensor

from .gram_matrix import _gram, _pow2_rescale

__all__ = ["centre_kernel", "centre_features", "kernel_alignment", "linear_cka", "pairwise_linear_cka",
           "gram_inner_products"]


def _check(x: torch.Tensor, name: str, min_dim: int = 2) -> None:
    check_tensor(x, name, min_dim)
    check_nonempty(x, name)


def _check_kernel(k: torch.Tensor, name: str) -> None:
    _check(k, name)
    if k.shape[-1] != k.shape[-2]:
        raise ValueError(f"{name} must be square in its last two dimensions, got shape {tuple(k.shape)}")
    if k.shape[-1] < 2:
        raise ValueError(f"{name} needs at least 2 conditions, got {k.shape[-1]}")


def centre_kernel(k: torch.Tensor) -> torch.Tensor:
    """Double-centre a kernel, ``H K H``.

    Parameters
    ----------
    k : torch.Tensor, shape (..., n, n)

    Returns
    -------
    torch.Tensor, shape (..., n, n), same dtype as ``k``
        Rows and columns sum to zero.
    """
    _check_kernel(k, "k")
    return _double_centred(k)


def _double_centred(k: torch.Tensor) -> torch.Tensor:
    return k - k.mean(-1, keepdim=True) - k.mean(-2, keepdim=True) + k.mean((-1, -2), keepdim=True)


def centre_features(x: torch.Tensor) -> torch.Tensor:
    """Centre a feature matrix over its samples, ``H X``.

    Parameters
    ----------
    x : torch.Tensor, shape (..., n_samples, n_features)

    Returns
    -------
    torch.Tensor, shape (..., n_samples, n_features)
        Each column has zero mean.
    """
    _check(x, "x")
    return _centred(x)


def _centred(x: torch.Tensor) -> torch.Tensor:
    return x - x.mean(-2, keepdim=True)


def kernel_alignment(k1: torch.Tensor, k2: torch.Tensor) -> torch.Tensor:
    """Centred kernel alignment ``C(K1, K2)`` (paper Sec. 3).

    Parameters
    ----------
    k1, k2 : torch.Tensor, shape (..., n, n)
        Kernels over the same ``n`` conditions; leading dimensions broadcast.

    Returns
    -------
    torch.Tensor, shape (...), float64
        Values in [-1, 1] (in [0, 1] for positive semi-definite kernels).
        A kernel that is constant after centring raises ``ValueError``.
    """
    _check_kernel(k1, "k1")
    _check_kernel(k2, "k2")
    if k1.shape[-1] != k2.shape[-1]:
        raise ValueError(f"k1 and k2 must cover the same conditions, got {k1.shape[-1]} and {k2.shape[-1]}")
    check_broadcast("k1", k1.shape[:-2], "k2", k2.shape[:-2])
    a = _double_centred(_pow2_rescale(k1.double(), (-2, -1)))
    b = _double_centred(_pow2_rescale(k2.double(), (-2, -1)))
    na = a.flatten(-2).norm(dim=-1)
    nb = b.flatten(-2).norm(dim=-1)
    out = (a * b).sum((-1, -2)) / (na * nb)
    if not all_finite(out):  # a zero norm: one of the kernels is constant after centring
        for name, norm in (("k1", na), ("k2", nb)):
            if bool((norm == 0).any()):
                raise ValueError(f"{name} is constant after centring; its alignment is undefined")
    return out


def linear_cka(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Linear CKA of two feature matrices over the same samples.

    Equal to ``kernel_alignment(x @ x.mT, y @ y.mT)`` but computed in feature
    space, ``‖XᵀY‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F)`` on centred features.

    Parameters
    ----------
    x : torch.Tensor, shape (..., n_samples, p)
    y : torch.Tensor, shape (..., n_samples, q)
        Leading dimensions broadcast; ``p`` and ``q`` may differ.

    Returns
    -------
    torch.Tensor, shape (...), float64, values in [0, 1].
    """
    _check(x, "x")
    _check(y, "y")
    if x.shape[-2] != y.shape[-2]:
        raise ValueError(f"x and y must have the same number of samples, got {x.shape[-2]} and {y.shape[-2]}")
    if x.shape[-2] < 2:
        raise ValueError(f"x and y need at least 2 samples, got {x.shape[-2]}")
    check_broadcast("x", x.shape[:-2], "y", y.shape[:-2])
    xc = _centred(_pow2_rescale(x.double(), (-2, -1)))
    yc = _centred(_pow2_rescale(y.double(), (-2, -1)))
    xy = (xc.mT @ yc).flatten(-2).pow(2).sum(-1)
    xx = (xc.mT @ xc).flatten(-2).norm(dim=-1)
    yy = (yc.mT @ yc).flatten(-2).norm(dim=-1)
    if bool((xx == 0).any()):
        raise ValueError("x is constant over samples; its CKA is undefined")
    if bool((yy == 0).any()):
        raise ValueError("y is constant over samples; its CKA is undefined")
    return xy / (xx * yy)


def pairwise_linear_cka(x: torch.Tensor) -> torch.Tensor:
    """Linear CKA between every pair of networks' features over the same samples.

    The same values as ``linear_cka(x[..., i, :, :], x[..., j, :, :])`` for
    every pair, with no loop over pairs: ``CKA_ij = <K_i, K_j>_F /
    (‖K_i‖_F ‖K_j‖_F)`` for the centred Gram matrices ``K = X_c X_cᵀ``, all
    inner products from :func:`gram_inner_products`.

    Parameters
    ----------
    x : torch.Tensor, shape (..., n_networks, n_samples, n_units)

    Returns
    -------
    torch.Tensor, shape (..., n_networks * (n_networks - 1) / 2), float64
        Pairs ``i > j`` in row order (as ``torch.tril_indices(n, n, -1)``).

    """
    if isinstance(x, torch.Tensor) and (x.ndim < 3 or x.shape[-3] < 2):
        raise ValueError(f"x must be (..., n_networks >= 2, n_samples, n_units), got shape {tuple(x.shape)}")
    _check(x, "x", 3)
    n, m, p = x.shape[-3:]
    if m < 2:
        raise ValueError(f"x needs at least 2 samples, got {m}")
    inner = _gram_inner_products(_centred(_pow2_rescale(x.double(), (-2, -1))))   # (..., n, n) = <K_i, K_j>
    norm = inner.diagonal(dim1=-2, dim2=-1).sqrt()           # ‖K_i‖_F = ‖X_iᵀX_i‖_F
    if bool((norm == 0).any()):
        raise ValueError("a network's features are constant over samples; its CKA is undefined")
    i, j = torch.tril_indices(n, n, offset=-1, device=x.device)
    return inner[..., i, j] / (norm[..., i] * norm[..., j])


def gram_inner_products(x: torch.Tensor) -> torch.Tensor:
    """``<X_i X_iᵀ, X_j X_jᵀ>_F = ‖X_iᵀ X_j‖²_F`` for every pair of networks, without a loop.

    Two routes to the same numbers; the one with fewer operations is taken:

    1. each network's Gram matrix ``X_i X_iᵀ`` once, then one product of the
       flattened Gram matrices (when ``m (p + n) <= n p²``);
    2. otherwise one product of all networks' features side by side,
       ``[X_1 ... X_n]ᵀ [X_1 ... X_n]``, whose (i, j) block is ``X_iᵀ X_j``.

    Parameters
    ----------
    x : torch.Tensor, shape (..., n, m, p)
        n networks' (m samples, p units) matrices, used as given (centre or
        normalise them first as the measure requires).

    Returns
    -------
    torch.Tensor, shape (..., n, n)

    Notes
    -----
    Memory: ``n m²`` (route 1) or ``(n p)²`` (route 2) values.
    """
    _check(x, "x", 3)
    return _gram_inner_products(x)


def _gram_inner_products(x: torch.Tensor) -> torch.Tensor:
    """:func:`gram_inner_products` without the argument checks, for callers that have checked ``x``."""
    n, m, p = x.shape[-3:]
    if m * (p + n) <= n * p * p:                             # 1. Gram matrices
        grams = _gram(x).flatten(-2)                         # (..., n, m*m)
        return grams @ grams.mT
    side = x.transpose(-3, -2).flatten(-2)                   # 2. (..., m, n*p)
    blocks = _gram(side.mT).unflatten(-1, (n, p)).unflatten(-3, (n, p))   # (..., n, p, n, p)
    return blocks.pow(2).sum((-3, -1))
