"""Shared response model (SRM) for many networks at once.

Lu et al. (2018), Eq. (1), in the library's (samples, features) layout: each
network's (centred) activations ``x_i`` of shape (m examples, n units) are
modelled as ``x_i ≈ s @ w_iᵀ`` with a shared response ``s`` of shape (m, k) and
``w_i`` of shape (n, k) with orthonormal columns (``w_iᵀ w_i = I_k``).

Two solvers:

* ``"deterministic"``: block-coordinate descent of Eq. (1): ``w_i`` is the
  orthogonal Procrustes solution of ``x_iᵀ s`` and ``s = mean_i x_i w_i``.
* ``"probabilistic"``: the EM algorithm of Chen et al. (2015) as implemented in
  BrainIAK's ``brainiak.funcalign.srm.SRM`` (the one the paper used): a
  Gaussian shared response ``s_t ~ N(0, Σ_s)`` and isotropic noise ``ρ_i²`` per
  network.

Unlike BrainIAK's ``SRM.transform`` (which projects raw data), :meth:`SRM.transform`
subtracts the per-network unit means learned in :meth:`SRM.fit`.

BrainIAK computes the trace term ``tr(x_iᵀ x_i)`` of the noise update on the
*raw* data although the rest of its EM uses centred data (its docstring says
"demeaned"). ``SRM(trace="raw")`` does the same, so that the fit equals
BrainIAK's also when the units have non-zero means; ``trace="centred"`` (the
default) uses the centred data throughout (the textbook EM). The two agree
when the unit means are zero.

More units than examples (``n > m``, BrainIAK's usual voxels > time points) is
well posed and supported; a shared response with more dimensions than examples
(``k > m``, including ``k=None`` with ``n > m``) is not determined by the data
and raises ``ValueError``, as BrainIAK's ``SRM.fit`` does.
"""
from __future__ import annotations

import torch

from repgeom.checks import check_broadcast, check_nonempty, check_tensor

from .similarity.gram_matrix import _pow2_rescale

__all__ = ["SRM", "procrustes", "variance_explained", "procrustes_distance", "random_orthogonal",
           "zscore_examples"]

_METHODS = ("probabilistic", "deterministic")
_TRACES = ("raw", "centred")


def _check_stack(x: torch.Tensor, name: str, min_networks: int = 1) -> torch.Tensor:
    if isinstance(x, torch.Tensor) and x.ndim < 3:
        raise ValueError(f"{name} must have shape (..., n_networks, n_examples, n_units), got {tuple(x.shape)}")
    check_tensor(x, name)
    if x.shape[-3] < min_networks:
        raise ValueError(f"{name} needs at least {min_networks} networks on axis -3, got {x.shape[-3]}")
    return check_nonempty(x, name)


def _check_matrices(x: torch.Tensor, name: str) -> torch.Tensor:
    """A finite, floating, non-empty tensor of shape (..., rows, columns)."""
    if isinstance(x, torch.Tensor) and x.ndim < 2:
        raise ValueError(f"{name} must have shape (..., m, n), got {tuple(x.shape)}")
    return check_nonempty(check_tensor(x, name, 2), name)


def procrustes(a: torch.Tensor) -> torch.Tensor:
    """Nearest matrix with orthonormal columns: ``argmax_W tr(Wᵀ a)``, ``Wᵀ W = I``.

    Parameters
    ----------
    a : torch.Tensor, shape (..., n, k), n >= k >= 1
        Finite, floating point (integer tensors are rejected, not cast: cast them yourself).

    Returns
    -------
    torch.Tensor, shape (..., n, k), dtype of ``a``
        ``U Vᵀ`` from the thin SVD ``a = U Σ Vᵀ``.
    """
    _check_matrices(a, "a")
    if a.shape[-2] < a.shape[-1]:
        raise ValueError(f"a must have shape (..., n, k) with n >= k, got {tuple(a.shape)}")
    return _procrustes(a)


def _procrustes(a: torch.Tensor) -> torch.Tensor:
    """:func:`procrustes` without the argument checks (the solvers' inner loop, finite by construction)."""
    u, _, vh = torch.linalg.svd(a, full_matrices=False)
    return u @ vh


def random_orthogonal(*shape: int, generator: torch.Generator | None = None,
                      dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> torch.Tensor:
    """Random matrices with orthonormal columns, Haar-distributed (QR with sign fix).

    Parameters
    ----------
    *shape : int
        ``(..., n, k)`` with ``n >= k >= 1`` (every entry >= 1).
    generator : torch.Generator, optional
        CPU generator (the draw happens on the CPU, then moves to ``device``).
    dtype : torch.dtype
        A floating-point dtype.

    Returns
    -------
    torch.Tensor, shape (..., n, k)
    """
    if (len(shape) < 2 or any(isinstance(d, bool) or not isinstance(d, int) for d in shape)
            or shape[-2] < shape[-1] or min(shape) < 1):
        raise ValueError(f"shape must be integers (..., n, k) with n >= k >= 1, got {shape}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    g = torch.randn(*shape, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(g)
    q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)
    return q.to(dtype=dtype, device=device)


class SRM:
    """Shared response model fitted to N networks at once.

    Parameters
    ----------
    k : int or None
        Shared dimensions; ``None`` means the number of units (each ``w_i``
        square orthogonal, as in the paper).
    n_iter : int
        Iterations of the solver (the paper: 10).
    method : {"probabilistic", "deterministic"}
    seed : int
        Seed of the random orthonormal initial ``w_i``.
    trace : {"raw", "centred"}
        Data of the trace term ``tr(x_iᵀ x_i)`` in the probabilistic noise update: the raw data, as
        BrainIAK computes it (what the paper ran), or the centred data.

    Attributes (after :meth:`fit`)
    ------------------------------
    w_ : torch.Tensor, shape (..., N, n, k)
    s_ : torch.Tensor, shape (..., m, k)      shared response of the fit data
    mu_ : torch.Tensor, shape (..., N, 1, n)  per-network unit means
    rho2_ : torch.Tensor, shape (..., N)      noise variances (probabilistic)
    sigma_s_ : torch.Tensor, shape (..., k, k) shared covariance (probabilistic)
    """

    def __init__(self, k: int | None = None, n_iter: int = 10, method: str = "probabilistic", seed: int = 0,
                 trace: str = "centred"):
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            raise ValueError(f"k must be a positive integer or None, got {k!r}")
        if isinstance(n_iter, bool) or not isinstance(n_iter, int) or n_iter < 1:
            raise ValueError(f"n_iter must be a positive integer, got {n_iter!r}")
        if method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        if trace not in _TRACES:
            raise ValueError(f"trace must be one of {_TRACES}, got {trace!r}")
        self.k, self.n_iter, self.method, self.seed, self.trace = k, n_iter, method, seed, trace
        self.perturbation = 1e-3
        self.w_: torch.Tensor | None = None

    def _k_for(self, x: torch.Tensor) -> int:
        """The number of shared dimensions for data ``x`` of shape (..., N, m, n), checked against n and m."""
        n, m = x.shape[-1], x.shape[-2]
        k = self.k or n
        given = f"k={k}" if self.k else f"k=None (k = n = {n} units)"
        if k > n:
            raise ValueError(f"{given} is larger than the number of units n={n}; expected k <= n")
        if m < 2:
            raise ValueError(f"x needs at least 2 examples, got {m}")
        if k > m:
            raise ValueError(f"{given} is larger than the number of examples m={m} on axis -2 of x; expected "
                             f"k <= m (a shared response with more dimensions than examples is not determined "
                             f"by the data): pass k <= {m} or more examples")
        return k

    def init_w(self, x: torch.Tensor) -> torch.Tensor:
        """The seeded random orthonormal initial ``w_i`` for data ``x`` of shape (..., N, m, n): (..., N, n, k)."""
        _check_stack(x, "x")
        k = self._k_for(x)
        gen = torch.Generator().manual_seed(self.seed)
        return random_orthogonal(*x.shape[:-2], x.shape[-1], k, generator=gen, dtype=x.dtype, device=x.device)

    def fit(self, x: torch.Tensor, w0: torch.Tensor | None = None) -> "SRM":
        """Fit the model.

        Parameters
        ----------
        x : torch.Tensor, shape (..., N, m, n)
            N networks' activations on the same m examples, n units each;
            ``m >= 2`` and ``k <= min(n, m)`` (``n > m`` is fine).
        w0 : torch.Tensor, shape (..., N, n, k), optional
            Initial transforms, finite, cast to ``x``'s dtype and device (default: :meth:`init_w`).
            Orthonormal columns are expected (not checked).

        Returns
        -------
        SRM
            ``self``, fitted.
        """
        _check_stack(x, "x")
        n = x.shape[-1]
        k = self._k_for(x)
        if w0 is None:
            w = self.init_w(x)
        else:
            if not isinstance(w0, torch.Tensor):
                raise ValueError(f"w0 must be a tensor of shape {(*x.shape[:-2], n, k)}, got {type(w0).__name__}")
            if w0.shape != (*x.shape[:-2], n, k):
                raise ValueError(f"w0 must have shape {(*x.shape[:-2], n, k)}, got {tuple(w0.shape)}")
            check_tensor(w0, "w0", floating=False)
            # checked again after the cast: a float64 w0 beyond float32's range becomes Inf
            w = check_tensor(w0.to(dtype=x.dtype, device=x.device), "w0 (cast to x's dtype)")
        self.mu_ = x.mean(dim=-2, keepdim=True)
        xc = x - self.mu_
        if self.method == "deterministic":
            self._fit_deterministic(xc, w)
        else:
            self._fit_probabilistic(xc, w, x if self.trace == "raw" else xc)
        return self

    def _fit_deterministic(self, xc: torch.Tensor, w: torch.Tensor) -> None:
        s = (xc @ w).mean(dim=-3)
        for _ in range(self.n_iter):
            w = _procrustes(xc.transpose(-1, -2) @ s.unsqueeze(-3))
            s = (xc @ w).mean(dim=-3)
        self.w_, self.s_ = w, s
        self.rho2_ = ((xc - s.unsqueeze(-3) @ w.transpose(-1, -2)) ** 2).mean(dim=(-1, -2))
        self.sigma_s_ = s.transpose(-1, -2) @ s / xc.shape[-2]

    def _fit_probabilistic(self, xc: torch.Tensor, w: torch.Tensor, x_trace: torch.Tensor) -> None:
        # EM of Chen et al. (2015), Sec. 3; notation of BrainIAK's SRM._srm.
        n_nets, m, n = xc.shape[-3], xc.shape[-2], xc.shape[-1]
        k = w.shape[-1]
        eye = torch.eye(k, dtype=xc.dtype, device=xc.device)
        batch = xc.shape[:-3]
        rho2 = torch.ones(*batch, n_nets, dtype=xc.dtype, device=xc.device)
        sigma_s = eye.expand(*batch, k, k).clone()
        trace_xtx = (x_trace ** 2).sum(dim=(-1, -2))                   # (..., N); raw data as BrainIAK
        for _ in range(self.n_iter):
            rho0 = (1.0 / rho2).sum(dim=-1)                             # (...)
            inv_sigma_s = torch.linalg.inv(sigma_s)
            inv_sigma_s_rhos = torch.linalg.inv(inv_sigma_s + rho0[..., None, None] * eye)
            # Σ_i W_iᵀ x_i / ρ_i²  as (..., m, k)
            wt_x = ((xc @ w) / rho2[..., None, None]).sum(dim=-3)
            # E-step: posterior mean of s, (Σ_s - ρ0 Σ_s (Σ_s⁻¹ + ρ0 I)⁻¹) Σ_i W_iᵀx_i/ρ_i²
            proj = sigma_s @ (eye - rho0[..., None, None] * inv_sigma_s_rhos)
            s = wt_x @ proj.transpose(-1, -2)
            sigma_s = inv_sigma_s_rhos + s.transpose(-1, -2) @ s / m
            trace_sigma_s = m * torch.diagonal(sigma_s, dim1=-2, dim2=-1).sum(dim=-1)
            # M-step: W_i by Procrustes of x_iᵀ s, then the noise variances
            a = xc.transpose(-1, -2) @ s.unsqueeze(-3)                  # (..., N, n, k)
            # BrainIAK adds 0.001 to the diagonal before the SVD (keeps it well posed)
            w = _procrustes(a + self.perturbation * torch.eye(n, k, dtype=a.dtype, device=a.device))
            rho2 = (trace_xtx - 2 * (w * a).sum(dim=(-1, -2)) + trace_sigma_s[..., None]) / (m * n)
        self.w_, self.s_, self.rho2_, self.sigma_s_ = w, s, rho2, sigma_s

    def _check_fitted(self, x: torch.Tensor, name: str) -> None:
        if self.w_ is None:
            raise ValueError("this SRM is not fitted; call fit(x) first")
        _check_stack(x, name)
        if x.shape[:-2] != self.w_.shape[:-2] or x.shape[-1] != self.w_.shape[-2]:
            raise ValueError(
                f"{name} must have shape (..., N, m, n) = {(*self.w_.shape[:-2], 'm', self.w_.shape[-2])}, "
                f"got {tuple(x.shape)}"
            )

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """Project each network's activations into the shared space.

        Parameters
        ----------
        x : torch.Tensor, shape (..., N, m', n)
            New examples of the same networks (same order as in ``fit``).

        Returns
        -------
        torch.Tensor, shape (..., N, m', k)
            ``(x_i - mu_i) @ w_i``.
        """
        self._check_fitted(x, "x")
        return (x.to(self.w_.dtype) - self.mu_) @ self.w_

    def reconstruct(self, s: torch.Tensor) -> torch.Tensor:
        """Each network's activations predicted from shared responses.

        Parameters
        ----------
        s : torch.Tensor, shape (..., m', k)
            Finite, floating point (cast to the fit's dtype); leading dimensions those of the fit's batch.

        Returns
        -------
        torch.Tensor, shape (..., N, m', n)
            ``s @ w_iᵀ + mu_i``.
        """
        if self.w_ is None:
            raise ValueError("this SRM is not fitted; call fit(x) first")
        if not isinstance(s, torch.Tensor) or s.ndim < 2 or s.shape[-1] != self.w_.shape[-1]:
            raise ValueError(f"s must have shape (..., m, k={self.w_.shape[-1]}), got {tuple(getattr(s, 'shape', ()))}"
                             + ("" if isinstance(s, torch.Tensor) else f" ({type(s).__name__})"))
        _check_matrices(s, "s")
        if s.shape[:-2] != self.w_.shape[:-3]:
            raise ValueError(f"s must have leading dimensions {tuple(self.w_.shape[:-3])} (the fit's batch), "
                             f"got shape {tuple(s.shape)}")
        return s.to(self.w_.dtype).unsqueeze(-3) @ self.w_.transpose(-1, -2) + self.mu_


def variance_explained(model: SRM, x: torch.Tensor) -> torch.Tensor:
    """SRM variance explained on held-out examples (Lu et al. 2018, Fig. 3 middle).

    ``s̄`` is the mean over networks of the shared-space responses to ``x``;
    ``VE_i = 1 - mean((s̄ w_iᵀ + mu_i - x_i)²) / var(x_i)``.

    Parameters
    ----------
    model : SRM
        Fitted on other examples of the same networks.
    x : torch.Tensor, shape (..., N, m, n)

    Returns
    -------
    torch.Tensor, shape (..., N)
        Per-network fraction of variance explained (average it for the paper's number).
    """
    if not isinstance(model, SRM):
        raise ValueError(f"model must be a fitted SRM, got {type(model).__name__}")
    model._check_fitted(x, "x")
    x = x.to(model.w_.dtype)
    s_bar = model.transform(x).mean(dim=-3)
    resid = model.reconstruct(s_bar) - x
    var = x.var(dim=(-1, -2), unbiased=False)
    if bool((var == 0).any()):
        raise ValueError("x has a network with constant activity; variance explained is undefined")
    return 1.0 - (resid ** 2).mean(dim=(-1, -2)) / var


def procrustes_distance(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Orthogonal Procrustes distance between two representations (angular form).

    Both are centred over examples and scaled to unit Frobenius norm; the
    distance is ``arccos(‖xᵀy‖_*)`` where ``‖·‖_*`` is the nuclear norm, i.e.
    the angle left after the best rotation of one onto the other (Williams et
    al. 2021, Eq. 5 with the orthogonal group).

    Parameters
    ----------
    x : torch.Tensor, shape (..., m, n1)
    y : torch.Tensor, shape (..., m, n2)
        Same examples (rows); unit counts may differ.

    Returns
    -------
    torch.Tensor, shape (...), float64, in [0, π/2]
        Scale invariant at any finite scale (the inputs are rescaled by a power of two first, exactly).
    """
    _check_matrices(x, "x")
    _check_matrices(y, "y")
    if x.shape[-2] != y.shape[-2]:
        raise ValueError(f"x and y need the same number of examples, got {x.shape[-2]} and {y.shape[-2]}")
    check_broadcast("x", x.shape[:-2], "y", y.shape[:-2])
    xs, ys = (t - t.mean(dim=-2, keepdim=True) for t in (_pow2_rescale(u.double(), (-2, -1)) for u in (x, y)))
    nx, ny = xs.norm(dim=(-1, -2)), ys.norm(dim=(-1, -2))
    if bool((nx == 0).any()) or bool((ny == 0).any()):
        raise ValueError("x or y is constant over examples; the distance is undefined")
    nuc = torch.linalg.svdvals(xs.transpose(-1, -2) @ ys).sum(dim=-1) / (nx * ny)
    return torch.arccos(nuc.clamp(-1.0, 1.0))


def zscore_examples(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Z-score each example across units (the authors' ``StandardScaler`` on ``Xᵀ``).

    Parameters
    ----------
    x : torch.Tensor, shape (..., m, n)
    eps : float
        Rows whose standard deviation is at most ``eps`` (>= 0) are only centred, not scaled.

    Returns
    -------
    torch.Tensor, shape (..., m, n)
        Each row has mean 0 and (population) standard deviation 1; constant
        rows become 0. Rows of any finite scale (1e160) are z-scored without overflow.
    """
    _check_matrices(x, "x")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps >= 0 or eps == float("inf"):
        raise ValueError(f"eps must be a finite number >= 0, got {eps!r}")
    # the same numbers as (x - mean) / sd, on rows rescaled by a power of two (exact) so that sd cannot overflow
    _, e = torch.frexp(x.abs().amax(dim=-1, keepdim=True))
    xs = _pow2_rescale(x, -1)
    sd = xs.std(dim=-1, keepdim=True, unbiased=False)
    scaled = sd > torch.ldexp(torch.full_like(sd, float(eps)), -e)          # sd of x > eps
    xc = torch.where(scaled, xs, x)
    return (xc - xc.mean(dim=-1, keepdim=True)) / torch.where(scaled, sd, torch.ones_like(sd))
