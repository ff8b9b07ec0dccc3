"""Initial weights of GDLNs: small random weights, or the decoupled (mode-aligned) start of the reduction."""
from __future__ import annotations

from typing import Sequence

import torch

from .network import GDLN, _check_positive


def haar_orthonormal(gauss: torch.Tensor) -> torch.Tensor:
    """Orthonormal columns from Gaussian matrices (..., n, k), n >= k: Haar-distributed.

    The Q of a QR decomposition, with the signs of R's diagonal moved into Q
    (without that step Q is not uniformly distributed). Batched over leading axes.
    """
    q, r = torch.linalg.qr(gauss)
    signs = torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))
    return q * torch.where(signs == 0, torch.ones_like(signs), signs).unsqueeze(-2)


def _semi_orthogonal(rows: int, cols: int, gen: torch.Generator, dtype, device) -> torch.Tensor:
    """A (rows, cols) matrix with orthonormal rows or columns (whichever are fewer)."""
    q = haar_orthonormal(torch.randn(max(rows, cols), min(rows, cols), generator=gen, dtype=torch.float64))
    q = q if rows >= cols else q.T
    return q.to(dtype=dtype, device=device)


def _seeds(seeds: Sequence[int]) -> list[int]:
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed (one per network), got none")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise ValueError(f"seeds must be non-negative integers, got {s!r}")
    return seeds


def init_random(
    spec: GDLN,
    seeds: Sequence[int],
    sigma0: float | Sequence[float],
    kind: str = "orthogonal",
) -> list[torch.Tensor]:
    """Random initial weights of ``R = len(seeds)`` networks.

    Network ``r`` draws from its own generator seeded with ``seeds[r]``, so a
    network's weights do not depend on which others are drawn with it.

    Parameters
    ----------
    spec : GDLN
    seeds : sequence of int
        One seed per network.
    sigma0 : float or sequence of float
        Init scale (one value, or one per network). ``"orthogonal"``: each
        matrix is ``sigma0`` times a semi-orthogonal matrix (all singular
        values equal ``sigma0``); ``"gaussian"``: i.i.d. N(0, sigma0^2) entries.
    kind : {"orthogonal", "gaussian"}

    Returns
    -------
    list of torch.Tensor
        Per layer ``l``, shape (R, E_l, n_{l+1}, n_l), dtype and device of ``spec.x``.
    """
    seeds = _seeds(seeds)
    R = len(seeds)
    s0 = [float(sigma0)] * R if isinstance(sigma0, (int, float)) else [float(v) for v in sigma0]
    if len(s0) != R:
        raise ValueError(f"sigma0 must be one value or {R} values (one per seed), got {len(s0)}")
    for v in s0:
        _check_positive("sigma0", v)
    if kind not in ("orthogonal", "gaussian"):
        raise ValueError(f"kind must be 'orthogonal' or 'gaussian', got {kind!r}")
    dtype, device = spec.x.dtype, spec.x.device
    layers = [torch.empty(R, len(spec.edges[l]), spec.widths[l + 1], spec.widths[l], dtype=dtype, device=device)
              for l in range(spec.n_layers)]
    for r, seed in enumerate(seeds):
        gen = torch.Generator().manual_seed(seed)
        for l, w in enumerate(layers):
            for e in range(w.shape[1]):
                if kind == "orthogonal":
                    w[r, e] = s0[r] * _semi_orthogonal(w.shape[2], w.shape[3], gen, dtype, device)
                else:
                    w[r, e] = s0[r] * torch.randn(w.shape[2], w.shape[3], generator=gen, dtype=torch.float64).to(dtype=dtype, device=device)
    return layers


def modes(spec: GDLN) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Singular value decomposition of the items' input-output correlation ``y^T x``.

    Returns
    -------
    U : torch.Tensor
        Output singular vectors, shape (n_L, K).
    S : torch.Tensor
        The K non-zero singular values, descending, shape (K,).
    V : torch.Tensor
        Input singular vectors, shape (n_0, K).
    """
    c = spec.y.T.to(torch.float64) @ spec.x.to(torch.float64)
    u, s, vh = torch.linalg.svd(c, full_matrices=False)
    k = int((s > s.max() * 1e-10).sum())
    # Fix signs so each output vector has a positive largest entry (reproducible bases).
    flip = torch.sign(u[u.abs().argmax(0), torch.arange(u.shape[1])])
    u, vh = u * flip, vh * flip[:, None]
    return u[:, :k].to(spec.x.dtype), s[:k].to(spec.x.dtype), vh[:k].T.to(spec.x.dtype)


def init_decoupled(spec: GDLN, seeds: Sequence[int], b0: float | Sequence[float]) -> list[torch.Tensor]:
    """Initial weights aligned with the data's singular vectors (the paper's decoupled start).

    Each edge gets ``W_e = R_target diag(b0) R_source^T`` with ``R = V`` at the
    input nodes, ``R = U`` at the output nodes (:func:`modes`) and a random
    orthonormal basis (seeded per network) at every hidden node, so every
    mode strength starts at ``b0`` and gradient descent keeps the weights in
    this form (Eq. ``W_e(t) = R_t(e) B_e(t) R_s(e)^T``).

    Parameters
    ----------
    spec : GDLN
        Its gates must not depend on the item, and ``x`` must have orthonormal rows.
    seeds : sequence of int
    b0 : float or sequence of float
        Initial mode strength of every edge (one, or one per network).

    Returns
    -------
    list of torch.Tensor
        Per layer, shape (R, E_l, n_{l+1}, n_l).
    """
    if not spec.item_independent:
        raise ValueError("init_decoupled needs gates that do not depend on the item; got item-dependent gates")
    _check_orthonormal_items(spec)
    seeds = _seeds(seeds)
    R = len(seeds)
    b = [float(b0)] * R if isinstance(b0, (int, float)) else [float(v) for v in b0]
    if len(b) != R:
        raise ValueError(f"b0 must be one value or {R} values, got {len(b)}")
    for v in b:
        _check_positive("b0", v)
    U, S, V = modes(spec)
    K = S.shape[0]
    if min(spec.widths[1:-1], default=K) < K:
        raise ValueError(f"hidden widths {spec.widths[1:-1]} must be >= the {K} modes of the data")
    dtype, device = spec.x.dtype, spec.x.device
    layers = [torch.zeros(R, len(spec.edges[l]), spec.widths[l + 1], spec.widths[l], dtype=dtype, device=device)
              for l in range(spec.n_layers)]
    for r, seed in enumerate(seeds):
        gen = torch.Generator().manual_seed(seed)
        bases: dict[tuple[int, str], torch.Tensor] = {}

        def basis(level: int, node: str) -> torch.Tensor:
            if level == 0:
                return V
            if level == spec.n_layers:
                return U
            if (level, node) not in bases:
                bases[(level, node)] = _semi_orthogonal(spec.widths[level], K, gen, dtype, device)
            return bases[(level, node)]

        for l in range(spec.n_layers):
            for e, (src, dst) in enumerate(spec.edges[l]):
                layers[l][r, e] = b[r] * basis(l + 1, dst) @ basis(l, src).T
    return layers


def _check_orthonormal_items(spec: GDLN) -> None:
    gram = spec.x @ spec.x.T
    eye = torch.eye(gram.shape[0], dtype=gram.dtype, device=gram.device)
    if not torch.allclose(gram, eye, atol=1e-6):
        raise ValueError("x must have orthonormal rows (x @ x.T == I) for the decoupled reduction")
