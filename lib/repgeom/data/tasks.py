"""Synthetic cluster-classification tasks of Alleman, Lindsey & Fusi (2024).

A task is a set of ``P`` cluster centres in ``dim`` dimensions with ``k``
binary targets per cluster (:class:`ClusterTask`); samples are centres plus
isotropic Gaussian noise (:func:`sample`). Families:

* :func:`random_clusters` -- centres drawn from a unit normal (Sec. 4);
* :func:`delta_xor` -- four clusters whose classes go from XOR on a square
  (δ = 0) to equidistant clusters (δ = 1) (Sec. 5.1);
* :func:`aligned_task` -- ``P`` clusters, ``k`` balanced targets, inputs with a
  prescribed input-target kernel alignment ``c`` (Sec. 6, Appendix C).

Every generator takes a seed and batches over tasks (leading dimension).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from repgeom.measures.similarity.cka import kernel_alignment

__all__ = [
    "ClusterTask",
    "random_clusters",
    "delta_xor",
    "random_targets",
    "max_dim_kernel",
    "aligned_kernel",
    "aligned_task",
    "sample",
    "concat",
]


@dataclass(frozen=True)
class ClusterTask:
    """Cluster centres and their binary targets.

    Attributes
    ----------
    centres : torch.Tensor, shape (n_tasks, P, dim)
        Noise-free cluster means.
    targets : torch.Tensor, shape (n_tasks, P, k)
        ±1 labels of each cluster.
    """

    centres: torch.Tensor
    targets: torch.Tensor

    @property
    def n_clusters(self) -> int:
        return self.centres.shape[-2]


def _pos_int(v: int, name: str, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {v!r}")
    return v


def _orthonormal(n_tasks: int, dim: int, cols: int, g: torch.Generator) -> torch.Tensor:
    q, r = torch.linalg.qr(torch.randn(n_tasks, dim, cols, generator=g, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)


def random_clusters(dim: int, n_tasks: int = 1, seed: int = 0) -> ClusterTask:
    """Four centres from a unit normal, clusters 1,2 labelled +1 and 3,4 labelled -1 (Fig. 1A).

    Parameters
    ----------
    dim : int
        Input dimension.
    n_tasks : int
        Independent draws (one per network, say).
    seed : int

    Returns
    -------
    ClusterTask with centres (n_tasks, 4, dim) and targets (n_tasks, 4, 1).
    """
    _pos_int(dim, "dim", 2)
    _pos_int(n_tasks, "n_tasks")
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(n_tasks, 4, dim, generator=g)
    targets = torch.tensor([1.0, 1.0, -1.0, -1.0]).view(1, 4, 1).expand(n_tasks, -1, -1).clone()
    return ClusterTask(centres, targets)


def delta_xor(delta: torch.Tensor | float, dim: int, n_tasks: int = 1, seed: int = 0) -> ClusterTask:
    """The δ-separable XOR family (Sec. 5.1), clusters 1,2 vs 3,4.

    In three latent coordinates the centres are ``(1, 1, δ)``, ``(-1, -1, δ)``,
    ``(1, -1, -δ)``, ``(-1, 1, -δ)``: at δ = 0 the classes sit on opposite
    corners of a square (XOR), at δ = 1 the four clusters are equidistant (a
    regular tetrahedron). The latent points are embedded by a random
    orthonormal map and scaled by ``sqrt(dim) / 2`` so that at δ = 1 squared
    distances between centres equal ``2 dim``, as for unit-normal centres.

    Parameters
    ----------
    delta : float or torch.Tensor, shape (n_delta,)
        Separability, each in [0, 1].
    dim : int
        Input dimension, at least 3.
    n_tasks : int
        Random embeddings per δ.
    seed : int

    Returns
    -------
    ClusterTask with centres (n_delta * n_tasks, 4, dim) ordered δ-major, and
    targets (n_delta * n_tasks, 4, 1).
    """
    delta = torch.as_tensor(delta, dtype=torch.float64).reshape(-1)
    if not bool(torch.isfinite(delta).all()) or bool(((delta < 0) | (delta > 1)).any()):
        raise ValueError(f"delta must lie in [0, 1], got {delta.tolist()}")
    _pos_int(dim, "dim", 3)
    _pos_int(n_tasks, "n_tasks")
    g = torch.Generator().manual_seed(seed)
    n = delta.numel()
    latent = torch.tensor([[1.0, 1.0, 1.0], [-1.0, -1.0, 1.0], [1.0, -1.0, -1.0], [-1.0, 1.0, -1.0]],
                          dtype=torch.float64)
    latent = latent.expand(n, 4, 3).clone()
    latent[..., 2] *= delta.view(n, 1)
    o = _orthonormal(n * n_tasks, dim, 3, g).view(n, n_tasks, dim, 3)
    centres = (latent.unsqueeze(1) @ o.mT) * (math.sqrt(dim) / 2)
    targets = torch.tensor([1.0, 1.0, -1.0, -1.0]).view(1, 4, 1).expand(n * n_tasks, -1, -1).clone()
    return ClusterTask(centres.reshape(n * n_tasks, 4, dim).float(), targets)


def random_targets(n_clusters: int, k: int, seed: int = 0) -> torch.Tensor:
    """``k`` distinct balanced ±1 labellings of ``n_clusters`` clusters.

    Returns
    -------
    torch.Tensor, shape (n_clusters, k), float32 of ±1; no column repeats
    another or its sign flip.
    """
    _pos_int(n_clusters, "n_clusters", 2)
    if n_clusters % 2:
        raise ValueError(f"n_clusters must be even for balanced targets, got {n_clusters}")
    _pos_int(k, "k")
    available = math.comb(n_clusters, n_clusters // 2) // 2
    if k > available:
        raise ValueError(f"k={k} exceeds the {available} distinct balanced dichotomies of {n_clusters} clusters")
    g = torch.Generator().manual_seed(seed)
    cols, seen = [], set()
    while len(cols) < k:
        col = torch.ones(n_clusters)
        col[torch.randperm(n_clusters, generator=g)[: n_clusters // 2]] = -1.0
        if col[0] < 0:
            col = -col
        key = tuple(col.tolist())
        if key not in seen:
            seen.add(key)
            cols.append(col)
    return torch.stack(cols, dim=1)


def _centring(p: int) -> torch.Tensor:
    return torch.eye(p, dtype=torch.float64) - 1.0 / p


def _unit_trace(k: torch.Tensor) -> torch.Tensor:
    return k / torch.diagonal(k, dim1=-2, dim2=-1).sum(-1).view(*k.shape[:-2], 1, 1)


def max_dim_kernel(targets: torch.Tensor) -> torch.Tensor:
    """The unit-trace centred kernel with zero alignment to ``targets`` and maximal dimension.

    It is the projector on the centred directions orthogonal to the targets'
    column space, divided by its rank (Appendix C's ``K_max``).

    Parameters
    ----------
    targets : torch.Tensor, shape (P, k)

    Returns
    -------
    torch.Tensor, shape (P, P), float64
    """
    if not isinstance(targets, torch.Tensor) or targets.ndim != 2:
        raise ValueError(f"targets must be a (P, k) tensor, got {getattr(targets, 'shape', type(targets).__name__)}")
    p = targets.shape[0]
    h = _centring(p)
    u, s, _ = torch.linalg.svd(h @ targets.to(torch.float64), full_matrices=False)
    u = u[:, s > 1e-9 * s.max()]
    perp = h - u @ u.T
    rank = p - 1 - u.shape[1]
    if rank < 1:
        raise ValueError(f"the targets span all {p - 1} centred directions; no kernel has zero alignment to them")
    return perp / rank


def _align_to(kr: torch.Tensor, anchor: torch.Tensor, ky: torch.Tensor, c: float) -> torch.Tensor:
    """Bisection on s in (1-s) kr + s anchor until its alignment with ky equals c."""
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        val = kernel_alignment((1 - mid) * kr + mid * anchor, ky).item()
        toward = kernel_alignment(anchor, ky).item() > kernel_alignment(kr, ky).item()
        if (val < c) == toward:
            lo = mid
        else:
            hi = mid
    s = (lo + hi) / 2
    return (1 - s) * kr + s * anchor


def aligned_kernel(targets: torch.Tensor, c: float, rank: int | None = None, seed: int = 0) -> torch.Tensor:
    """A centred, unit-trace input kernel ``K_X`` with ``C(K_X, Y Yᵀ) = c``.

    ``rank=None`` gives the maximal-dimensional solution, the point at
    alignment ``c`` on the segment from :func:`max_dim_kernel` to the
    normalised target kernel (the paper's solid lines). With ``rank`` given, a
    random centred PSD kernel of that rank is mixed with the target kernel
    (to raise its alignment) or with ``K_max`` (to lower it) until the
    alignment is ``c``: a simple stand-in for the paper's projection onto the
    quadric, which stays PSD but is not uniform either.

    Parameters
    ----------
    targets : torch.Tensor, shape (P, k)
    c : float
        Target alignment, in [0, 1).
    rank : int, optional
        Rank of the random kernel (the result can have higher rank, except at
        ``c = 0``, where it is a random kernel of exactly this rank orthogonal
        to the targets: Appendix F's "hard" inputs).
    seed : int

    Returns
    -------
    torch.Tensor, shape (P, P), float64
    """
    if not isinstance(c, (int, float)) or not (0.0 <= c < 1.0):
        raise ValueError(f"c must be a number in [0, 1), got {c!r}")
    kmax = max_dim_kernel(targets)
    p = targets.shape[0]
    h = _centring(p)
    yc = h @ targets.to(torch.float64)
    ky = _unit_trace(yc @ yc.T)
    if rank is None:
        a, b = ky.norm(), kmax.norm()
        # C((1-t) K_max + t K_Y, K_Y) = c, with <K_max, K_Y> = 0, solved for t
        t = c * b / (a * math.sqrt(1 - c * c) + c * b)
        return (1 - t) * kmax + t * ky
    _pos_int(rank, "rank")
    if rank > p - 1:
        raise ValueError(f"rank must be at most P-1 = {p - 1}, got {rank}")
    g = torch.Generator().manual_seed(seed)
    if c == 0.0:
        # exactly zero alignment at exactly this rank: a random kernel inside K_max's range
        free = int(round(1 / kmax.pow(2).sum().item()))
        if rank > free:
            raise ValueError(f"rank must be at most {free} for c=0 (directions orthogonal to the targets), got {rank}")
        f = (kmax * free) @ torch.randn(p, rank, generator=g, dtype=torch.float64)
        return _unit_trace(f @ f.T)
    f = h @ torch.randn(p, rank, generator=g, dtype=torch.float64)
    kr = _unit_trace(f @ f.T)
    start = kernel_alignment(kr, ky).item()
    anchor = ky if start < c else kmax
    return _align_to(kr, anchor, ky, c)


def aligned_task(
    n_clusters: int, k: int, c: float, dim: int, *, rank: int | None = None, seed: int = 0
) -> ClusterTask:
    """A random task with prescribed input-target kernel alignment (Sec. 6).

    Targets are :func:`random_targets`; ``K_X`` is :func:`aligned_kernel`; the
    centres are ``X = U Λ^½ Oᵀ`` (the paper's ``O Λ^½ Uᵀ`` in our (samples,
    features) layout) with a random orthonormal ``O`` of shape (dim, P),
    scaled so the mean squared norm of a centre is ``dim`` (as for unit-normal
    centres). The centres' own kernel alignment with the targets is ``c``.

    Returns
    -------
    ClusterTask with centres (1, P, dim) and targets (1, P, k).
    """
    _pos_int(dim, "dim", 2)
    if dim < n_clusters:
        raise ValueError(f"dim must be at least n_clusters={n_clusters}, got {dim}")
    y = random_targets(n_clusters, k, seed)
    kx = aligned_kernel(y, c, rank=rank, seed=seed + 1)
    lam, u = torch.linalg.eigh(kx)
    lam = lam.clamp_min(0.0)
    g = torch.Generator().manual_seed(seed + 2)
    o = _orthonormal(1, dim, n_clusters, g)[0]
    x = (u * lam.sqrt()) @ o.T
    x = x * math.sqrt(dim * n_clusters / x.pow(2).sum())
    return ClusterTask(x.float().unsqueeze(0), y.unsqueeze(0))


def sample(
    task: ClusterTask, n_per_cluster: int, sigma: torch.Tensor | float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Noisy samples ``x = centre + σ ε`` from every cluster of every task.

    Parameters
    ----------
    task : ClusterTask
        Centres (n_tasks, P, dim), targets (n_tasks, P, k).
    n_per_cluster : int
    sigma : float or torch.Tensor, shape (n_tasks,)
        Noise standard deviation per input dimension (σ, not σ²), >= 0.
    generator : torch.Generator
        CPU generator; the noise is drawn on the CPU then moved to the centres' device.

    Returns
    -------
    x : torch.Tensor, shape (n_tasks, P * n_per_cluster, dim)
    y : torch.Tensor, shape (n_tasks, P * n_per_cluster, k), ±1
    condition : torch.Tensor, shape (P * n_per_cluster,), cluster id of each row
        Rows are cluster-major (all samples of cluster 0 first).
    """
    _pos_int(n_per_cluster, "n_per_cluster")
    n_tasks, p, dim = task.centres.shape
    sig = torch.as_tensor(sigma, dtype=task.centres.dtype).reshape(-1)
    if sig.numel() not in (1, n_tasks):
        raise ValueError(f"sigma must be a scalar or have n_tasks={n_tasks} entries, got {sig.numel()}")
    if not bool(torch.isfinite(sig).all()) or bool((sig < 0).any()):
        raise ValueError(f"sigma must be finite and >= 0, got {sig.tolist()}")
    cond = torch.arange(p).repeat_interleave(n_per_cluster)
    noise = torch.randn(n_tasks, p * n_per_cluster, dim, generator=generator, dtype=task.centres.dtype)
    dev = task.centres.device
    x = task.centres[:, cond.to(dev), :] + sig.to(dev).view(-1, 1, 1) * noise.to(dev)
    return x, task.targets[:, cond.to(dev), :], cond.to(dev)


def concat(tasks: list[ClusterTask]) -> ClusterTask:
    """Stack tasks with the same number of clusters, targets and dimension along the task axis."""
    if not tasks:
        raise ValueError("concat needs at least one task, got an empty list")
    shapes = {(t.centres.shape[1:], t.targets.shape[1:]) for t in tasks}
    if len(shapes) != 1:
        raise ValueError(f"tasks must share (P, dim) and (P, k), got {sorted(str(s) for s in shapes)}")
    return ClusterTask(torch.cat([t.centres for t in tasks]), torch.cat([t.targets for t in tasks]))
