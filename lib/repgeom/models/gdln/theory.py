"""The neural race reduction: one scalar ODE per mode and edge of a GDLN.

When every path's input-output correlation shares singular vectors
(``Sigma^yx(p) = U S(p) V^T``) and the weights start aligned with them, each
weight matrix stays ``W_e(t) = R_t(e) B_e(t) R_s(e)^T`` with diagonal
``B_e`` (Saxe, Sodhani & Lewallen 2022, "Gradient Flow Reduction"). The
training loss then depends on the diagonals ``b_e`` only, through the path
strengths ``a_p = prod_{e in p} b_e``:

.. math:: L(b) = c \\sum_\\tau m_\\tau \\sum_\\alpha w_{\\tau\\alpha}
          \\Big(s_{\\tau\\alpha} - \\sum_p G_{\\tau p} a_{p\\alpha}\\Big)^2 ,

and gradient descent with learning rate ``lr`` per epoch is, in continuous
time measured in epochs, ``db_e/dt = -lr dL/db_e`` (the paper's Eq. for
``tau dB_e/dt`` with ``1/tau = lr``):

.. math:: \\frac{db_{e\\alpha}}{dt} = 2 c\\, lr \\sum_{p \\ni e} a_{p\\setminus e,\\alpha}
          \\sum_\\tau G_{\\tau p} m_\\tau w_{\\tau\\alpha} r_{\\tau\\alpha},\\qquad
          r = s - G a.

The rates are the gradient of the very loss :func:`repgeom.models.gdln.train`
minimises, so a decoupled simulation follows them exactly up to the
time-discretisation of gradient descent (the ``"euler"`` integrator with one
step per epoch *is* that gradient descent).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from . import GDLN, modes
from .initialisation import _check_orthonormal_items
from .network import _check_count, _check_finite, _check_positive


@dataclass(frozen=True)
class Reduced:
    """A GDLN in its mode coordinates.

    Attributes
    ----------
    paths : torch.Tensor
        Long, shape (P, L): global edge index of each path's edge in each layer.
    n_edges : int
        Number of edges E (all layers).
    gates : torch.Tensor
        Shape (T, P): path p is on in task tau.
    s : torch.Tensor
        Target mode strengths, shape (T, K).
    w : torch.Tensor
        Mode weights (input variance along the mode), shape (T, K).
    scale : float
        The loss weight c.
    """

    paths: torch.Tensor
    n_edges: int
    gates: torch.Tensor
    s: torch.Tensor
    w: torch.Tensor
    scale: float

    @property
    def n_modes(self) -> int:
        return int(self.s.shape[1])

    @property
    def n_tasks(self) -> int:
        return int(self.s.shape[0])

    def validate(self) -> "Reduced":
        """Check shapes and values; returns self."""
        P, T, K = self.paths.shape[0], self.s.shape[0], self.s.shape[1]
        if self.paths.ndim != 2 or self.paths.dtype != torch.long:
            raise ValueError(f"paths must be a long tensor (P, L), got {tuple(self.paths.shape)} {self.paths.dtype}")
        if (self.paths < 0).any() or (self.paths >= self.n_edges).any():
            raise ValueError(f"paths must index edges 0..{self.n_edges - 1}")
        if self.gates.shape != (T, P):
            raise ValueError(f"gates must have shape ({T}, {P}), got {tuple(self.gates.shape)}")
        if self.w.shape != (T, K):
            raise ValueError(f"w must have shape ({T}, {K}) like s, got {tuple(self.w.shape)}")
        _check_finite("s", self.s)
        _check_finite("w", self.w)
        _check_positive("scale", self.scale)
        return self


def reduce(spec: GDLN) -> Reduced:
    """The reduced system of a GDLN whose gates do not depend on the item.

    Needs orthonormal item inputs (``x @ x.T == I``); then every task's
    correlation is ``y^T x = U S V^T`` and the weight of every mode is 1.

    Parameters
    ----------
    spec : GDLN

    Returns
    -------
    Reduced
        Edges are numbered layer by layer (layer 0's edges first).
    """
    if not spec.item_independent:
        raise ValueError("reduce needs gates that do not depend on the item; build the Reduced system by hand")
    _check_orthonormal_items(spec)
    _, S, _ = modes(spec)
    offsets = torch.tensor([0] + [len(e) for e in spec.edges[:-1]], device=spec.paths.device).cumsum(0)
    T = spec.n_tasks
    return Reduced(
        paths=spec.paths + offsets,
        n_edges=sum(len(e) for e in spec.edges),
        gates=spec.gates[:, :, 0].to(S.dtype),
        s=S.expand(T, -1).clone(),
        w=torch.ones(T, S.shape[0], dtype=S.dtype, device=S.device),
        scale=spec.scale,
    ).validate()


def xor_reduced(spec: GDLN) -> Reduced:
    """The reduced system of :func:`repgeom.models.gdln.xor_gdln` (one path and task per point).

    Path ``p`` sees only point ``n = p``, so its correlation is the rank-one
    ``c y_n x_n^T``: one mode with ``s = |y_n| / ||x_n||`` and weight ``||x_n||^2``.
    """
    if spec.n_tasks != 1 or not torch.equal(spec.gates[0], torch.eye(spec.n_paths, dtype=spec.gates.dtype, device=spec.gates.device)):
        raise ValueError("xor_reduced needs one task whose path p is on only for item p")
    norm = spec.x.norm(dim=1)
    P = spec.n_paths
    offsets = torch.tensor([0] + [len(e) for e in spec.edges[:-1]], device=spec.paths.device).cumsum(0)
    return Reduced(
        paths=spec.paths + offsets,
        n_edges=sum(len(e) for e in spec.edges),
        gates=torch.eye(P, dtype=spec.x.dtype, device=spec.x.device),
        s=(spec.y[:, 0].abs() / norm).unsqueeze(1),
        w=norm.pow(2).unsqueeze(1),
        scale=spec.scale,
    ).validate()


def _prepare(sys: Reduced, b: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if b.ndim < 2 or b.shape[-2:] != (sys.n_edges, sys.n_modes):
        raise ValueError(f"b must have shape (..., {sys.n_edges}, {sys.n_modes}), got {tuple(b.shape)}")
    _check_finite("b", b)
    T = sys.n_tasks
    if mask is None:
        return torch.ones(T, dtype=b.dtype, device=b.device)
    mask = torch.as_tensor(mask, dtype=b.dtype, device=b.device)
    if mask.shape[-1:] != (T,) or not ((mask == 0) | (mask == 1)).all():
        raise ValueError(f"mask must be 0/1 with last axis {T} (tasks), got {tuple(mask.shape)}")
    return mask


def strengths(sys: Reduced, b: torch.Tensor) -> torch.Tensor:
    """Path strengths ``a_p = prod_{e in p} b_e`` per mode.

    Parameters
    ----------
    b : torch.Tensor
        Shape (..., E, K).

    Returns
    -------
    torch.Tensor
        Shape (..., P, K).
    """
    return b[..., sys.paths, :].prod(dim=-2)


def task_strengths(sys: Reduced, b: torch.Tensor) -> torch.Tensor:
    """The network's strength of every task and mode, ``sum_p G[tau, p] a_p``; shape (..., T, K)."""
    return torch.einsum("tp,...pk->...tk", sys.gates.to(b.dtype), strengths(sys, b))


def task_errors(sys: Reduced, b: torch.Tensor) -> torch.Tensor:
    """Scaled squared error of every task, ``c sum_k w (s - G a)^2``; shape (..., T).

    Equals :func:`repgeom.models.gdln.task_errors` of the decoupled network with these mode strengths.
    """
    _prepare(sys, b, None)
    r = sys.s.to(b.dtype) - task_strengths(sys, b)
    return sys.scale * (sys.w.to(b.dtype) * r.pow(2)).sum(-1)


def loss(sys: Reduced, b: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Training loss of the reduced system, shape (...): ``sum_tau mask_tau task_error_tau``."""
    m = _prepare(sys, b, mask)
    return (task_errors(sys, b) * m).sum(-1)


def gradient(sys: Reduced, b: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """``dL/db`` in closed form (the paper's reduced equation), shape (..., E, K).

    Parameters
    ----------
    b : torch.Tensor
        Shape (..., E, K).
    mask : torch.Tensor, optional
        Trained tasks, shape (T,) or (..., T).
    """
    m = _prepare(sys, b, mask)
    dtype = b.dtype
    r = sys.s.to(dtype) - task_strengths(sys, b)  # (..., T, K)
    q = -2.0 * sys.scale * sys.w.to(dtype) * r * m.unsqueeze(-1)  # dL/d(G a), (..., T, K)
    dl_da = torch.einsum("tp,...tk->...pk", sys.gates.to(dtype), q)  # (..., P, K)
    factors = b[..., sys.paths, :]  # (..., P, L, K)
    # Product of the other edges of the path (exclusive prefix x suffix products; no division by b).
    ones = torch.ones_like(factors[..., :1, :])
    prefix = torch.cat([ones, factors[..., :-1, :]], dim=-2).cumprod(-2)
    suffix = torch.cat([factors[..., 1:, :], ones], dim=-2).flip(-2).cumprod(-2).flip(-2)
    contrib = prefix * suffix * dl_da.unsqueeze(-2)  # (..., P, L, K)
    grad = torch.zeros_like(b)
    flat = contrib.reshape(*contrib.shape[:-3], -1, contrib.shape[-1])
    index = sys.paths.reshape(-1)
    return grad.index_add_(-2, index, flat)


def rate(sys: Reduced, b: torch.Tensor, lr: float | torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """``db/dt = -lr dL/db`` with t in epochs; ``lr`` a number or shape (...,)."""
    lr_t = torch.as_tensor(lr, dtype=b.dtype, device=b.device)
    return -lr_t[..., None, None] * gradient(sys, b, mask)


@dataclass
class TheoryRun:
    """A reduced trajectory at integer epochs.

    Attributes
    ----------
    b : torch.Tensor
        Mode strengths, shape (epochs + 1, ..., E, K).
    loss : torch.Tensor
        Shape (epochs + 1, ...).
    task_error : torch.Tensor
        Shape (epochs + 1, ..., T).
    """

    b: torch.Tensor
    loss: torch.Tensor
    task_error: torch.Tensor


def integrate(
    sys: Reduced,
    b0: torch.Tensor,
    lr: float | torch.Tensor,
    epochs: int,
    mask: torch.Tensor | None = None,
    method: str = "rk4",
    substeps: int = 4,
) -> TheoryRun:
    """Integrate the reduced dynamics in torch, batched over leading axes.

    Parameters
    ----------
    sys : Reduced
    b0 : torch.Tensor
        Initial mode strengths, shape (..., E, K).
    lr : float or torch.Tensor
        Learning rate per epoch (one, or shape (...,)).
    epochs : int
    mask : torch.Tensor, optional
        Trained tasks, shape (T,) or (..., T).
    method : {"rk4", "euler"}
        ``"rk4"``: the gradient flow (classical Runge-Kutta, ``substeps`` per
        epoch). ``"euler"`` with ``substeps=1`` is gradient descent itself.
    substeps : int

    Returns
    -------
    TheoryRun
    """
    _prepare(sys, b0, mask)
    _check_count("epochs", epochs, 0)
    _check_count("substeps", substeps)
    if method not in ("rk4", "euler"):
        raise ValueError(f"method must be 'rk4' or 'euler', got {method!r}")
    lr_t = torch.as_tensor(lr, dtype=b0.dtype, device=b0.device)
    if not torch.isfinite(lr_t).all() or (lr_t <= 0).any():
        raise ValueError(f"lr must be positive and finite, got {lr_t.tolist()}")
    h = 1.0 / substeps
    f = lambda z: rate(sys, z, lr_t, mask)  # noqa: E731
    out = [b0.clone()]
    b = b0.clone()
    for _ in range(epochs):
        for _ in range(substeps):
            if method == "euler":
                b = b + h * f(b)
            else:
                k1 = f(b)
                k2 = f(b + 0.5 * h * k1)
                k3 = f(b + 0.5 * h * k2)
                k4 = f(b + h * k3)
                b = b + (h / 6.0) * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(b)
    traj = torch.stack(out)
    terr = task_errors(sys, traj)
    m = _prepare(sys, b0, mask)
    return TheoryRun(traj, (terr * m).sum(-1), terr)


def logistic_two_layer(t: torch.Tensor, s: float, w: float, scale: float, lr: float, a0: float) -> torch.Tensor:
    """Closed-form strength of one two-layer path from balanced init (Saxe et al. 2014).

    For ``L = c w (s - a)^2`` with ``a = b_1 b_2`` and ``b_1 = b_2``, gradient
    flow ``db/dt = -lr dL/db`` gives ``da/dt = 4 c w lr a (s - a)``, solved by

    .. math:: a(t) = \\frac{s}{1 + (s / a_0 - 1) e^{-4 c w\\, lr\\, s t}}.

    Parameters
    ----------
    t : torch.Tensor
        Times in epochs, any shape.
    s, w, scale, lr, a0 : float
        Target strength, mode weight, loss weight c, learning rate, initial strength.

    Returns
    -------
    torch.Tensor
        ``a(t)``, the shape of ``t``.
    """
    for name, v in (("s", s), ("w", w), ("scale", scale), ("lr", lr), ("a0", a0)):
        _check_positive(name, v)
    _check_finite("t", t)
    return s / (1.0 + (s / a0 - 1.0) * torch.exp(-4.0 * scale * w * lr * s * t))


def edge_singular_values(spec: GDLN, weights: list[torch.Tensor], k: int | None = None) -> torch.Tensor:
    """The ``k`` largest singular values of every edge (all layers), for comparison with ``b``.

    For decoupled weights these are the edge's mode strengths, sorted in
    descending order.

    Parameters
    ----------
    spec : GDLN
    weights : list of torch.Tensor
        Per layer, shape (R, E_l, n_{l+1}, n_l).
    k : int, optional
        Default: the number of data modes K.

    Returns
    -------
    torch.Tensor
        Shape (R, E, k).
    """
    k = modes(spec)[1].shape[0] if k is None else k
    _check_count("k", k)
    return torch.cat([torch.linalg.svdvals(w)[..., :k] for w in weights], dim=1)


def combine(systems: list[Reduced]) -> Reduced:
    """Several independent reduced systems as one (block-diagonal), to integrate them together.

    Edges, paths and tasks are concatenated in order; all systems need the
    same number of modes and the same loss weight.

    Returns
    -------
    Reduced
    """
    if not systems:
        raise ValueError("systems must hold at least one Reduced system, got none")
    K, c = systems[0].n_modes, systems[0].scale
    if any(s.n_modes != K or s.scale != c for s in systems):
        raise ValueError(f"all systems need {K} modes and scale {c}; got modes {[s.n_modes for s in systems]}, "
                         f"scales {[s.scale for s in systems]}")
    L = max(s.paths.shape[1] for s in systems)
    if any(s.paths.shape[1] != L for s in systems):
        raise ValueError(f"all systems need paths of the same length, got {[s.paths.shape[1] for s in systems]}")
    offsets = [0]
    for s in systems[:-1]:
        offsets.append(offsets[-1] + s.n_edges)
    return Reduced(
        paths=torch.cat([s.paths + o for s, o in zip(systems, offsets)]),
        n_edges=sum(s.n_edges for s in systems),
        gates=torch.block_diag(*[s.gates for s in systems]),
        s=torch.cat([s.s for s in systems]),
        w=torch.cat([s.w for s in systems]),
        scale=c,
    ).validate()
