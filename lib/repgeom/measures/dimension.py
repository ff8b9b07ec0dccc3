"""Linear dimension of a representation: the participation ratio of its kernel's eigenvalues.

Alleman, Lindsey & Fusi (2024), Appendix C, define the linear dimension of
an input geometry with kernel ``K`` (conditions x conditions, symmetric
positive semi-definite) as

    p.r.(K) = (sum_i lambda_i)^2 / sum_i lambda_i^2,

which lies in [1, rank K]: 1 for a rank-one kernel, ``n`` for the identity.
"""
from __future__ import annotations

import torch

from repgeom.checks import check_nonempty, check_tensor

from .similarity.gram_matrix import _pow2_rescale

__all__ = ["participation_ratio"]


def participation_ratio(k: torch.Tensor, *, psd_tol: float = 1e-8) -> torch.Tensor:
    """Participation ratio of the eigenvalues of symmetric PSD kernels.

    Parameters
    ----------
    k : torch.Tensor, shape (..., n, n)
        Symmetric positive semi-definite kernels (e.g. ``x @ x.T`` of
        condition means), batched over leading dimensions, finite, not all zero.
    psd_tol : float
        Eigenvalues below ``-psd_tol * max |lambda|`` are rejected as not PSD (>= 0).

    Returns
    -------
    torch.Tensor, shape (...), float64
        ``(sum lambda)^2 / sum lambda^2``, in [1, n].

    Notes
    -----
    1. For a symmetric matrix ``sum lambda = tr K`` and ``sum lambda^2 =
       ||K||_F^2``, so no eigendecomposition is needed for the value itself.
    2. Eigenvalues are computed only to check that ``K`` is PSD (the ratio is
       not a dimension otherwise).
    3. The kernel is first rescaled by a power of two (exact): the ratio is
       scale invariant, and stays so for entries near under- or overflow.

    References
    ----------
    Alleman, M., Lindsey, J. W. & Fusi, S. (2024). Task structure and
    nonlinearity jointly determine learned representational geometry. ICLR.
    Appendix C.

    Examples
    --------
    >>> import torch
    >>> float(participation_ratio(torch.eye(4)))
    4.0
    """
    check_nonempty(check_tensor(k, "k", 2), "k")
    if k.shape[-1] != k.shape[-2]:
        raise ValueError(f"k must be square kernels (..., n, n), got shape {tuple(k.shape)}")
    if isinstance(psd_tol, bool) or not isinstance(psd_tol, (int, float)) or not 0 <= psd_tol < float("inf"):
        raise ValueError(f"psd_tol must be a finite number >= 0, got {psd_tol!r}")
    a = _pow2_rescale(k.double(), (-2, -1))
    scale = a.abs().amax(dim=(-2, -1))
    if bool((scale == 0).any()):
        raise ValueError("k has an all-zero kernel; its participation ratio is undefined")
    if not torch.allclose(a, a.mT, rtol=1e-10, atol=1e-12):
        raise ValueError("k must be symmetric (k == k.mT)")
    lam = torch.linalg.eigvalsh(a)
    if bool((lam.amin(-1) < -psd_tol * lam.abs().amax(-1)).any()):
        raise ValueError(f"k must be positive semi-definite, got an eigenvalue of {float(lam.amin()):.3g} "
                         f"(tolerance {psd_tol:g} of the largest)")
    tr = a.diagonal(dim1=-2, dim2=-1).sum(-1)
    return tr.pow(2) / a.pow(2).sum((-2, -1))
