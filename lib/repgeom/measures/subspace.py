"""Principal angles between subspaces, and convolutions as matrices.

The communication-subspace analysis (Section 2.1 of the NeurReps 2024 paper)
reorganises a convolution's weights into a 2-D connection matrix, takes its
singular vectors, and measures the principal angles between the subspaces
spanned by the leading singular vectors of two layers (or of an activation
and a layer).

The subspace-size rules are in :mod:`repgeom.measures.subspace_size` (re-exported
here). Conventions: a subspace is given by the column space of a matrix of shape
(..., n, p): ``n`` is the ambient dimension, ``p`` spanning vectors; leading
dimensions are batch dimensions and broadcast. Angles are in radians.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from repgeom.checks import check_tensor as _check_tensor

from .subspace_size import SIZE_RULES, SubspaceSize, choose_subspace_size, released_size_grids

__all__ = [
    "principal_angles",
    "conv_weight_matrix",
    "conv_channel_matrix",
    "unfold_input",
    "singular_spaces",
    "explained_variance",
    "SubspaceSize",          # the size rules live in repgeom.measures.subspace_size; re-exported here
    "choose_subspace_size",
    "released_size_grids",
    "SIZE_RULES",
    "kept_angles",
    "random_subspace_angles",
]



def _orth(a: torch.Tensor, tol_dtype: torch.dtype, name: str) -> torch.Tensor:
    """Orthonormal basis of the column space (rank-revealing SVD, scipy.linalg.orth's rule)."""
    u, s, _ = torch.linalg.svd(a, full_matrices=False)
    n, p = a.shape[-2], a.shape[-1]
    smax = s[..., :1]
    tol = smax * max(n, p) * torch.finfo(tol_dtype).eps
    ranks = (s > tol).sum(-1)
    r = int(ranks.flatten()[0]) if ranks.numel() else p
    if ranks.numel() and not bool((ranks == r).all()):
        raise ValueError(
            f"{name} has different ranks across its batch ({sorted(set(ranks.flatten().tolist()))}); "
            "expected one rank for all batch elements"
        )
    if r == 0:
        raise ValueError(f"{name} has rank 0 (all columns are zero); expected at least one non-zero column")
    return u[..., :r]


def principal_angles(a: torch.Tensor, b: torch.Tensor, *, orthonormal: bool = False) -> torch.Tensor:
    """Principal angles between the column spaces of ``a`` and ``b``.

    Follows Knyazev & Argentati (2002): cosines from the singular values of
    ``Qa^T Qb``, sines from those of ``Qb - Qa Qa^T Qb``; the sine is used for
    angles below 45 degrees, where the cosine loses precision. Computed in
    float64 on the inputs' device.

    Parameters
    ----------
    a : torch.Tensor, shape (..., n, p)
    b : torch.Tensor, shape (..., n, q)
        Same ambient dimension ``n``; leading dimensions broadcast.
    orthonormal : bool
        Set when the columns of ``a`` and ``b`` are already orthonormal (e.g.
        singular vectors); skips the rank-revealing orthogonalisation.

    Returns
    -------
    torch.Tensor, shape (..., z), float64
        Angles in radians in [0, pi/2], ascending; ``z = min(rank a, rank b)``
        (``min(p, q)`` for full-rank inputs). Ranks are decided as
        :func:`scipy.linalg.orth` does, with the input dtype's precision.
    """
    _check_tensor(a, "a", 2)
    _check_tensor(b, "b", 2)
    if a.shape[-2] != b.shape[-2]:
        raise ValueError(
            f"a and b must have the same number of rows (ambient dimension), got a {tuple(a.shape)} and b {tuple(b.shape)}"
        )
    if a.shape[-1] < 1 or b.shape[-1] < 1 or a.shape[-2] < 1:
        raise ValueError(f"a and b need at least one row and one column, got {tuple(a.shape)} and {tuple(b.shape)}")
    try:
        batch = torch.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except RuntimeError:
        raise ValueError(
            f"the leading (batch) dimensions of a {tuple(a.shape[:-2])} and b {tuple(b.shape[:-2])} do not broadcast"
        ) from None
    if a.device != b.device:
        raise ValueError(f"a and b must be on the same device, got {a.device} and {b.device}")
    qa = a.to(torch.float64)
    qb = b.to(torch.float64)
    if not orthonormal:
        qa = _orth(qa, a.dtype, "a")
        qb = _orth(qb, b.dtype, "b")
    qa = qa.expand(*batch, *qa.shape[-2:])
    qb = qb.expand(*batch, *qb.shape[-2:])
    if qa.shape[-1] < qb.shape[-1]:
        qa, qb = qb, qa  # the residual is taken of the smaller basis
    cross = qa.transpose(-1, -2) @ qb  # (..., p, q), p >= q
    cos = torch.linalg.svdvals(cross).clamp(0.0, 1.0)  # descending: angles ascending
    resid = qb - qa @ cross
    sin = torch.linalg.svdvals(resid).clamp(0.0, 1.0).flip(-1)  # ascending: angles ascending
    small = cos.square() >= 0.5  # angle <= 45 degrees: the sine is the accurate one
    return torch.where(small, torch.arcsin(sin), torch.arccos(cos))


def _check_conv(conv: nn.Module, name: str = "conv") -> nn.Conv2d:
    if not isinstance(conv, nn.Conv2d):
        raise ValueError(f"{name} must be a torch.nn.Conv2d, got {type(conv).__name__}")
    if conv.groups != 1:
        raise ValueError(f"{name} must have groups=1 (one dense connection matrix), got groups={conv.groups}")
    if isinstance(conv.padding, str):
        raise ValueError(f"{name} must have numeric padding, got padding={conv.padding!r}")
    if conv.padding_mode != "zeros":
        raise ValueError(f"{name} must use zero padding, got padding_mode={conv.padding_mode!r}")
    return conv


def conv_weight_matrix(conv: nn.Conv2d) -> torch.Tensor:
    """The connection matrix of a convolution (Section 2.1, step 1).

    Parameters
    ----------
    conv : torch.nn.Conv2d
        A dense (``groups=1``) convolution with weights (out, in, kh, kw).

    Returns
    -------
    torch.Tensor, shape (out, in * kh * kw)
        Row ``o`` is output channel ``o``'s flattened kernel, ordered (in, kh,
        kw) like the rows of :func:`unfold_input`, so that
        ``conv_weight_matrix(conv) @ unfold_input(x, conv)`` is the convolution
        (without bias) at every output position.
    """
    _check_conv(conv)
    w = conv.weight.detach()
    return w.reshape(w.shape[0], -1)


def conv_channel_matrix(conv: nn.Conv2d) -> torch.Tensor:
    """The connection matrix with kernel positions as extra rows.

    Its right singular vectors span the conv's input *channel* space R^in for
    any kernel size, so a 3x3 layer's input space can be compared with the
    previous layer's output space. For a 1x1 conv it equals
    :func:`conv_weight_matrix`.

    Returns
    -------
    torch.Tensor, shape (out * kh * kw, in)
    """
    _check_conv(conv)
    w = conv.weight.detach()
    return w.permute(0, 2, 3, 1).reshape(-1, w.shape[1])


def unfold_input(x: torch.Tensor, conv: nn.Conv2d) -> torch.Tensor:
    """Input patches of a convolution (Section 2.1, Appendix Fig. 3).

    Parameters
    ----------
    x : torch.Tensor, shape (N, in, H, W) or (in, H, W)
        Input feature maps of ``conv``.
    conv : torch.nn.Conv2d
        Its kernel size, stride, padding and dilation are used.

    Returns
    -------
    torch.Tensor, shape (N, in * kh * kw, positions) or (in * kh * kw, positions)
        One column per output position (row-major over the output map).
    """
    _check_conv(conv)
    _check_tensor(x, "x", 3)
    single = x.ndim == 3
    if x.ndim not in (3, 4):
        raise ValueError(f"x must have shape (N, C, H, W) or (C, H, W), got {tuple(x.shape)}")
    if x.shape[-3] != conv.in_channels:
        raise ValueError(f"x has {x.shape[-3]} channels but conv expects in_channels={conv.in_channels}")
    cols = F.unfold(x.unsqueeze(0) if single else x, kernel_size=conv.kernel_size, dilation=conv.dilation,
                    padding=conv.padding, stride=conv.stride)
    return cols[0] if single else cols


def singular_spaces(m: torch.Tensor, method: str = "svd") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Left singular vectors, singular values and right singular vectors.

    Parameters
    ----------
    m : torch.Tensor, shape (..., rows, cols)
    method : {"svd", "gram"}
        ``"svd"``: LAPACK / cuSOLVER SVD in ``m``'s dtype. ``"gram"``: the
        eigendecomposition of the smaller Gram matrix (``m m^T`` or ``m^T m``)
        in float64, then the other side as ``m^T u / s``; several times faster
        for wide weight matrices such as (512, 4608). Falls back to ``"svd"``
        (in float64) when ``m`` is numerically rank deficient, where the
        second side would be inaccurate (condition number above 1e4).

    Returns
    -------
    u : torch.Tensor, shape (..., rows, r)
        Output space (columns ordered by decreasing singular value).
    s : torch.Tensor, shape (..., r)
    v : torch.Tensor, shape (..., cols, r)
        Input space. ``r = min(rows, cols)``; ``m = u diag(s) v^T``. The
        ``"gram"`` method returns float64.
    """
    _check_tensor(m, "m", 2)
    if m.shape[-1] < 1 or m.shape[-2] < 1:
        raise ValueError(f"m must be non-empty, got shape {tuple(m.shape)}")
    if method not in ("svd", "gram"):
        raise ValueError(f"method must be 'svd' or 'gram', got {method!r}")
    if method == "gram":
        x = m.to(torch.float64)
        wide = x.shape[-2] <= x.shape[-1]
        xs = x if wide else x.transpose(-1, -2)  # (..., small, large)
        lam, a = torch.linalg.eigh(xs @ xs.transpose(-1, -2))
        lam, a = lam.flip(-1), a.flip(-1)  # descending
        sv = lam.clamp_min(0).sqrt()
        # the second side's error grows like eps * cond^2: use it only for cond < 1e4
        if bool((sv > 1e-4 * sv[..., :1]).all()):
            b = (xs.transpose(-1, -2) @ a) / sv.unsqueeze(-2)
            return (a, sv, b) if wide else (b, sv, a)
        m = x
    u, s, vh = torch.linalg.svd(m, full_matrices=False)
    return u, s, vh.transpose(-1, -2)


def explained_variance(s: torch.Tensor, k: int) -> torch.Tensor:
    """Fraction of the squared singular values held by the leading ``k``.

    Parameters
    ----------
    s : torch.Tensor, shape (..., r), descending, non-negative
    k : int, 1 <= k <= r

    Returns
    -------
    torch.Tensor, shape (...)
    """
    _check_tensor(s, "s", 1)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= s.shape[-1]:
        raise ValueError(f"k must be an integer in [1, {s.shape[-1]}], got {k!r}")
    if bool((s < 0).any()):
        raise ValueError("s must be non-negative singular values")
    sq = s.to(torch.float64).square()
    total = sq.sum(-1)
    if bool((total == 0).any()):
        raise ValueError("s is all zeros for some batch element; explained variance is undefined")
    return sq[..., :k].sum(-1) / total


def kept_angles(u: torch.Tensor, v: torch.Tensor, k: int, min_angle_deg: float = 0.1) -> torch.Tensor:
    """All principal angles at size ``k``, pooled, without those at or below the threshold.

    Parameters
    ----------
    u : torch.Tensor, shape (..., n, p), orthonormal columns, p >= k
    v : torch.Tensor, shape (..., n, q), orthonormal columns, q >= k
    k : int
    min_angle_deg : float

    Returns
    -------
    torch.Tensor, shape (m,), float64, radians
        Angles of every batch element, flattened, only those above the
        threshold (``m <= batch * k``).
    """
    _check_tensor(u, "u", 2)
    _check_tensor(v, "v", 2)
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= min(u.shape[-1], v.shape[-1]):
        raise ValueError(f"k must be an integer in [1, {min(u.shape[-1], v.shape[-1])}], got {k!r}")
    ang = principal_angles(u[..., :k], v[..., :k], orthonormal=True).flatten()
    return ang[ang > math.radians(min_angle_deg)]


def random_subspace_angles(
    n: int,
    k: int,
    draws: int = 16,
    *,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """Principal angles between pairs of uniformly random ``k``-dim subspaces of R^n.

    Gaussian matrices have uniformly (Haar) distributed column spaces; their
    QR factors give orthonormal bases of them.

    Parameters
    ----------
    n, k : int
        Ambient dimension and subspace dimension, ``1 <= k <= n``.
    draws : int
        Independent pairs.
    seed : int
    device : torch.device or str

    Returns
    -------
    torch.Tensor, shape (draws, k), float64, radians
    """
    for name, val in (("n", n), ("k", k), ("draws", draws)):
        if isinstance(val, bool) or not isinstance(val, int) or val < 1:
            raise ValueError(f"{name} must be a positive integer, got {val!r}")
    if k > n:
        raise ValueError(f"k must be <= n, got k={k} and n={n}")
    gen = torch.Generator(device="cpu").manual_seed(seed)
    a = torch.linalg.qr(torch.randn(draws, n, k, generator=gen, dtype=torch.float64).to(device))[0]
    b = torch.linalg.qr(torch.randn(draws, n, k, generator=gen, dtype=torch.float64).to(device))[0]
    return principal_angles(a, b, orthonormal=True)
