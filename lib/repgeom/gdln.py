"""Gated deep linear networks (GDLNs), simulated by batched full-batch gradient descent.

A GDLN (Saxe, Sodhani & Lewallen 2022) is a graph of weight matrices. A *path*
runs from an input node through one weight matrix per layer to an output node;
a *gate* switches whole paths on or off per task and item. The output of task
``tau`` for item ``n`` is

.. math:: \\hat y_{\\tau n} = \\sum_p g_{\\tau p n} W_{p} x_n,
          \\qquad W_p = W_{e_L(p)} \\cdots W_{e_1(p)},

and the loss is ``scale * sum_tau mask_tau sum_n ||y_n - yhat_tau n||^2``.

Everything here is batched over a leading axis of ``R`` independent networks
(repetitions and conditions: each network may have its own learning rate and
its own set of trained tasks), so many networks train as one tensor program.

Conventions: data matrices are (samples, features); a weight matrix is
(out, in) like ``torch.nn.Linear``; a layer's weights are stacked as
``(R, E_l, n_{l+1}, n_l)``.
"""
from __future__ import annotations

import math
import dataclasses
from dataclasses import dataclass
from typing import Sequence

import torch

from .checks import LOSS_CHECK_EVERY, check_losses, check_tensor


def _check_finite(name: str, t: torch.Tensor) -> None:
    check_tensor(t, name, floating=False)


def _check_positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")


def _check_count(name: str, value: int, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


@dataclass(frozen=True)
class GDLN:
    """A layered gated deep linear network and the data it is trained on.

    Attributes
    ----------
    widths : tuple of int
        Layer widths ``(n_0, ..., n_L)``; ``n_0`` inputs, ``n_L`` outputs.
    edges : tuple of tuple of (str, str)
        Per layer ``l`` (``L`` of them), the (source node, target node) of each
        of its ``E_l`` weight matrices, shape ``(n_{l+1}, n_l)`` each.
    paths : torch.Tensor
        Long, shape (P, L): the edge index used by each path in each layer.
    gates : torch.Tensor
        Shape (T, P, n): 1 where path ``p`` is on for item ``n`` of task ``tau``.
    x : torch.Tensor
        Items' inputs, shape (n, n_0), shared by all input nodes.
    y : torch.Tensor
        Items' targets, shape (n, n_L), shared by all output nodes.
    scale : float
        Loss weight: loss = scale * sum of squared errors over trained tasks.
    path_names : tuple of tuple of str
        The node sequence of each path (for display).
    task_names : tuple of tuple of str
        (input node, output node) of each task.
    """

    widths: tuple[int, ...]
    edges: tuple[tuple[tuple[str, str], ...], ...]
    paths: torch.Tensor
    gates: torch.Tensor
    x: torch.Tensor
    y: torch.Tensor
    scale: float
    path_names: tuple[tuple[str, ...], ...] = ()
    task_names: tuple[tuple[str, str], ...] = ()

    @property
    def n_layers(self) -> int:
        return len(self.widths) - 1

    @property
    def n_paths(self) -> int:
        return int(self.paths.shape[0])

    @property
    def n_tasks(self) -> int:
        return int(self.gates.shape[0])

    @property
    def item_independent(self) -> bool:
        """True when every gate is the same for all items of a task."""
        return bool((self.gates == self.gates[..., :1]).all())

    def to(self, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> "GDLN":
        """The same network with its tensors on ``device`` and gates/data in ``dtype`` (paths stay long)."""
        return dataclasses.replace(self, paths=self.paths.to(device), gates=self.gates.to(device, dtype),
                                   x=self.x.to(device, dtype), y=self.y.to(device, dtype))

    def validate(self) -> "GDLN":
        """Check shapes and values; returns self (raises ``ValueError``)."""
        L = self.n_layers
        if L < 1 or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in self.widths):
            raise ValueError(f"widths must be >= 2 positive integers, got {self.widths!r}")
        if len(self.edges) != L or any(len(e) < 1 for e in self.edges):
            raise ValueError(f"edges must list >= 1 edge for each of the {L} layers, got {len(self.edges)} layers")
        if self.paths.ndim != 2 or self.paths.shape[1] != L or self.paths.dtype != torch.long:
            raise ValueError(f"paths must be a long tensor of shape (P, {L}), got {tuple(self.paths.shape)} {self.paths.dtype}")
        for l in range(L):
            col = self.paths[:, l]
            if (col < 0).any() or (col >= len(self.edges[l])).any():
                raise ValueError(f"paths[:, {l}] must index the {len(self.edges[l])} edges of layer {l}")
        n = self.x.shape[0] if self.x.ndim == 2 else -1
        if self.x.ndim != 2 or self.x.shape[1] != self.widths[0]:
            raise ValueError(f"x must have shape (n, {self.widths[0]}), got {tuple(self.x.shape)}")
        if self.y.shape != (n, self.widths[-1]):
            raise ValueError(f"y must have shape ({n}, {self.widths[-1]}), got {tuple(self.y.shape)}")
        if self.gates.ndim != 3 or self.gates.shape[1:] != (self.n_paths, n):
            raise ValueError(f"gates must have shape (T, {self.n_paths}, {n}), got {tuple(self.gates.shape)}")
        _check_finite("x", self.x)
        _check_finite("y", self.y)
        if not ((self.gates == 0) | (self.gates == 1)).all():
            raise ValueError("gates must hold only 0 and 1")
        _check_positive("scale", self.scale)
        return self


def build(
    paths: Sequence[Sequence[str]],
    widths: Sequence[int],
    x: torch.Tensor,
    y: torch.Tensor,
    scale: float | None = None,
) -> GDLN:
    """A GDLN from a table of paths, each a sequence of node names.

    Every path has ``L + 1`` nodes: an input node, ``L - 1`` hidden nodes and
    an output node. Consecutive nodes (at the same layer positions) share a
    weight matrix whenever several paths pass through them. One task is made
    for each (input node, output node) pair that some path connects; the task
    gates on every path between that pair (the gating picks one input and one
    output domain, as in the paper's routing setting).

    Parameters
    ----------
    paths : sequence of sequences of str
        E.g. ``[("in0", "h1", "h2", "out0"), ("in0", "h1", "h2", "out1")]``.
    widths : sequence of int
        ``(n_0, ..., n_L)``; ``n_0 = x.shape[1]`` and ``n_L = y.shape[1]``.
    x : torch.Tensor
        Items' inputs, shape (n, n_0), shared by every input node.
    y : torch.Tensor
        Items' targets, shape (n, n_L), shared by every output node.
    scale : float, optional
        Loss weight; default ``1 / (n * n_L)`` (mean squared error per task).

    Returns
    -------
    GDLN
    """
    paths = [tuple(p) for p in paths]
    if not paths:
        raise ValueError("paths must hold at least one path, got none")
    L = len(widths) - 1
    if L < 1:
        raise ValueError(f"widths must have at least 2 entries, got {list(widths)!r}")
    for p in paths:
        if len(p) != L + 1 or not all(isinstance(v, str) for v in p):
            raise ValueError(f"every path must be {L + 1} node names (len(widths)), got {p!r}")
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must be (n, features) with the same n, got {tuple(x.shape)} and {tuple(y.shape)}")
    edge_ids: list[dict[tuple[str, str], int]] = [{} for _ in range(L)]
    index = []
    for p in paths:
        row = []
        for l in range(L):
            key = (p[l], p[l + 1])
            row.append(edge_ids[l].setdefault(key, len(edge_ids[l])))
        index.append(row)
    tasks: dict[tuple[str, str], list[int]] = {}
    for k, p in enumerate(paths):
        tasks.setdefault((p[0], p[-1]), []).append(k)
    n = x.shape[0]
    gates = torch.zeros(len(tasks), len(paths), n, dtype=x.dtype, device=x.device)
    for t, members in enumerate(tasks.values()):
        gates[t, members] = 1.0
    spec = GDLN(
        widths=tuple(int(w) for w in widths),
        edges=tuple(tuple(d) for d in edge_ids),
        paths=torch.tensor(index, dtype=torch.long, device=x.device),
        gates=gates,
        x=x,
        y=y,
        scale=float(scale) if scale is not None else 1.0 / (n * y.shape[1]),
        path_names=tuple(paths),
        task_names=tuple(tasks),
    )
    return spec.validate()


def hierarchical_items(dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> torch.Tensor:
    """The paper's 4-item, 7-feature hierarchical dataset (Fig. 4c).

    Feature 1 is 6 for all items, features 2-3 split the items in two pairs
    (value 4), features 4-7 are 3 times the identity.

    Returns
    -------
    torch.Tensor
        Shape (4, 7): items x features.
    """
    y = torch.zeros(4, 7, dtype=dtype, device=device)
    y[:, 0] = 6.0
    y[:2, 1] = 4.0
    y[2:, 2] = 4.0
    y[:, 3:] = 3.0 * torch.eye(4, dtype=dtype, device=device)
    return y


def trained_routes(M: int, K: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """Which (input domain, output domain) pairs are trained.

    Input domain ``i`` is trained with output domains ``i-1, i, ..., i+K-2``
    (mod M): for K = 4 that is i-1, i, i+1, i+2, as in the paper's Fig. 4d.

    Returns
    -------
    torch.Tensor
        Bool, shape (M, M): ``[i, j]`` true when route i -> j is trained.
    """
    _check_count("M", M)
    _check_count("K", K)
    if K > M:
        raise ValueError(f"K must be <= M={M}, got {K}")
    i = torch.arange(M, device=device)[:, None]
    j = torch.arange(M, device=device)[None, :]
    return ((j - i + 1) % M) < K


def routing(
    M: int,
    hidden: int = 64,
    y: torch.Tensor | None = None,
    group: int | None = None,
) -> GDLN:
    """The paper's routing network: M input domains, M output domains.

    Each input domain presents the items as one-hot vectors to its own
    encoder; two hidden layers; each output domain has its own decoder. With
    ``group = g`` the hidden layers are split into modules, one per block of
    ``g`` input and ``g`` output domains, so ``P = g^2`` tasks share a module
    (Fig. 5a); the default ``g = M`` is the fully shared network of Fig. 4.

    Parameters
    ----------
    M : int
        Number of input (and output) domains.
    hidden : int
        Width of each hidden layer (of each module).
    y : torch.Tensor, optional
        Targets, shape (n_items, n_features); default :func:`hierarchical_items`.
    group : int, optional
        Domains per module; must divide M.

    Returns
    -------
    GDLN
        Tasks are ordered ``i * M + j`` for route i -> j.
    """
    _check_count("M", M)
    _check_count("hidden", hidden)
    group = M if group is None else group
    _check_count("group", group)
    if M % group:
        raise ValueError(f"group must divide M={M}, got {group}")
    y = hierarchical_items() if y is None else y
    if y.ndim != 2:
        raise ValueError(f"y must have shape (n_items, n_features), got {tuple(y.shape)}")
    n = y.shape[0]
    x = torch.eye(n, dtype=y.dtype, device=y.device)
    blocks = M // group
    table = []
    for i in range(M):
        for j in range(M):
            m = (i // group) * blocks + (j // group)
            table.append((f"in{i}", f"h1m{m}", f"h2m{m}", f"out{j}"))
    return build(table, (n, hidden, hidden, y.shape[1]), x, y)


def xor_items(dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """The four XOR points and their +-1 labels.

    Returns
    -------
    x : torch.Tensor
        Shape (4, 2): (1, 1), (1, -1), (-1, 1), (-1, -1).
    y : torch.Tensor
        Shape (4, 1): ``x1 * x2`` (+1 on the diagonal points, -1 off it).
    """
    x = torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]], dtype=dtype, device=device)
    return x, (x[:, :1] * x[:, 1:])


def xor_gdln(hidden: int = 128, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu") -> GDLN:
    """The GDLN of Fig. 3b: four paths, each with ``hidden / 4`` units, each on for one XOR point.

    The loss is half the mean squared error over the four points (``scale = 1/8``),
    the loss of :func:`train_relu`.
    """
    _check_count("hidden", hidden, 4)
    if hidden % 4:
        raise ValueError(f"hidden must be a multiple of 4, got {hidden}")
    x, y = xor_items(dtype, device)
    gates = torch.eye(4, dtype=dtype, device=device).unsqueeze(0)  # (T=1, P=4, n=4)
    return GDLN(
        widths=(2, hidden // 4, 1),
        edges=(tuple(("in", f"h{p}") for p in range(4)), tuple((f"h{p}", "out") for p in range(4))),
        paths=torch.arange(4, device=device).unsqueeze(1).repeat(1, 2),
        gates=gates, x=x, y=y, scale=1.0 / 8.0,
        path_names=tuple(("in", f"h{p}", "out") for p in range(4)),
        task_names=(("in", "out"),),
    ).validate()


# --------------------------------------------------------------------------- init


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


# --------------------------------------------------------------------------- simulation


def _prefix_plan(paths: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per layer, the distinct path prefixes: (parent prefix index, edge index) of each.

    Paths sharing their first ``l`` edges share the partial product, so each
    distinct prefix is computed once (the shared hidden matrix of the routing
    network is applied M times, not M^2 times).
    """
    plan = []
    parent = torch.zeros(paths.shape[0], dtype=torch.long, device=paths.device)
    for l in range(paths.shape[1]):
        keys = torch.stack([parent, paths[:, l]], dim=1)
        uniq, inverse = torch.unique(keys, dim=0, return_inverse=True)
        plan.append((uniq[:, 0], uniq[:, 1]))
        parent = inverse
    plan.append((parent, parent))  # last: which final prefix each path is
    return plan


def path_maps(spec: GDLN, weights: Sequence[torch.Tensor], plan: list | None = None) -> torch.Tensor:
    """Each path's output for each item, ``W_p x_n``.

    Parameters
    ----------
    spec : GDLN
    weights : list of torch.Tensor
        Per layer, shape (R, E_l, n_{l+1}, n_l).
    plan : list, optional
        ``_prefix_plan(spec.paths)``, to reuse across calls.

    Returns
    -------
    torch.Tensor
        Shape (R, P, n, n_L).
    """
    plan = _prefix_plan(spec.paths) if plan is None else plan
    z = spec.x.T.to(weights[0].dtype).unsqueeze(0).unsqueeze(0)  # (1, 1, n_0, n)
    for l, w in enumerate(weights):
        parent, edge = plan[l]
        n_par, n_edge = z.shape[1], w.shape[1]
        if parent.numel() == n_par * n_edge and n_par * n_edge > 1:
            # Every (prefix, edge) pair occurs: one broadcast product, ordered like torch.unique.
            z = (w.unsqueeze(1) @ z.unsqueeze(2)).flatten(1, 2)
        else:
            zp = z if (n_par == 1 or torch.equal(parent, torch.arange(n_par, device=parent.device))) else z[:, parent]
            we = w if (n_edge == 1 or torch.equal(edge, torch.arange(n_edge, device=edge.device))) else w[:, edge]
            z = we @ zp  # (R, prefixes_l, n_{l+1}, n)
    last = plan[-1][0]
    if not torch.equal(last, torch.arange(z.shape[1], device=last.device)):
        z = z[:, last]
    return z.transpose(-1, -2)


def outputs(spec: GDLN, weights: Sequence[torch.Tensor], plan: list | None = None) -> torch.Tensor:
    """The network output of every task for every item.

    Returns
    -------
    torch.Tensor
        Shape (R, T, n, n_L): ``sum_p g[tau, p, n] W_p x_n``.
    """
    maps = path_maps(spec, weights, plan)
    g = spec.gates
    if spec.item_independent and bool((g[:, :, 0].sum(1) == 1).all()):
        return maps[:, g[:, :, 0].argmax(1)]  # one path per task: no mixing needed
    return torch.einsum("tpn,rpno->rtno", g.to(weights[0].dtype), maps)


def task_errors(spec: GDLN, weights: Sequence[torch.Tensor], plan: list | None = None) -> torch.Tensor:
    """Scaled squared error of every task, ``scale * sum_n ||y_n - yhat_tau n||^2``.

    Returns
    -------
    torch.Tensor
        Shape (R, T).
    """
    diff = outputs(spec, weights, plan) - spec.y.to(weights[0].dtype)
    return spec.scale * diff.pow(2).sum(dim=(-1, -2))


def _check_weights(spec: GDLN, weights: Sequence[torch.Tensor]) -> int:
    if len(weights) != spec.n_layers:
        raise ValueError(f"weights must hold {spec.n_layers} layers, got {len(weights)}")
    R = weights[0].shape[0]
    for l, w in enumerate(weights):
        want = (R, len(spec.edges[l]), spec.widths[l + 1], spec.widths[l])
        if tuple(w.shape) != want:
            raise ValueError(f"weights[{l}] must have shape {want}, got {tuple(w.shape)}")
        _check_finite(f"weights[{l}]", w)
    return R


@dataclass
class Trajectory:
    """What :func:`train` recorded.

    Attributes
    ----------
    loss : torch.Tensor
        Training loss of each network at epochs 0..epochs, shape (R, epochs + 1).
    task_error : torch.Tensor
        Scaled squared error of every task (trained or not), shape (R, epochs + 1, T).
    weights : list of torch.Tensor
        Final weights, per layer (R, E_l, n_{l+1}, n_l).
    snapshots : dict
        Epoch -> weights (list per layer), for the epochs asked for.
    """

    loss: torch.Tensor
    task_error: torch.Tensor
    weights: list[torch.Tensor]
    snapshots: dict[int, list[torch.Tensor]]


def train(
    spec: GDLN,
    weights: Sequence[torch.Tensor],
    lr: float | torch.Tensor,
    epochs: int,
    mask: torch.Tensor | None = None,
    snapshot_at: Sequence[int] = (),
) -> Trajectory:
    """Full-batch gradient descent of R networks at once.

    Each step is ``W <- W - lr_r * dL_r/dW`` with ``L_r = sum_tau mask[r, tau]
    * task_error[r, tau]``; the networks never interact, so the batched run
    equals running them one at a time.

    Parameters
    ----------
    spec : GDLN
    weights : list of torch.Tensor
        Initial weights, per layer (R, E_l, n_{l+1}, n_l); not modified.
    lr : float or torch.Tensor
        Learning rate, one value or shape (R,).
    epochs : int
        Number of gradient steps.
    mask : torch.Tensor, optional
        Trained tasks, shape (T,) or (R, T), 0/1; default all tasks.
    snapshot_at : sequence of int
        Epochs at which to keep a copy of the weights.

    Returns
    -------
    Trajectory
    """
    R = _check_weights(spec, weights)
    _check_count("epochs", epochs, 0)
    dtype, device = weights[0].dtype, weights[0].device
    lr_t = torch.as_tensor(lr, dtype=dtype, device=device)
    if lr_t.ndim == 0:
        lr_t = lr_t.expand(R)
    if lr_t.shape != (R,) or not torch.isfinite(lr_t).all() or (lr_t <= 0).any():
        raise ValueError(f"lr must be a positive finite number or shape ({R},), got {tuple(lr_t.shape)} {lr_t.tolist()[:4]}")
    T = spec.n_tasks
    m = torch.ones(R, T, dtype=dtype, device=device) if mask is None else torch.as_tensor(mask, dtype=dtype, device=device)
    if m.shape == (T,):
        m = m.expand(R, T)
    if m.shape != (R, T) or not ((m == 0) | (m == 1)).all():
        raise ValueError(f"mask must be 0/1 of shape ({T},) or ({R}, {T}), got {tuple(m.shape)}")
    w = [t.detach().clone().requires_grad_(True) for t in weights]
    loss = torch.empty(R, epochs + 1, dtype=dtype, device=device)
    terr = torch.empty(R, epochs + 1, T, dtype=dtype, device=device)
    snaps = {}
    wanted = set(int(e) for e in snapshot_at)
    plan = _prefix_plan(spec.paths)
    for epoch in range(epochs + 1):
        if epoch in wanted:
            snaps[epoch] = [t.detach().clone() for t in w]
        err = task_errors(spec, w, plan)
        per_net = (err * m).sum(1)
        loss[:, epoch] = per_net.detach()
        terr[:, epoch] = err.detach()
        if epoch == epochs:
            break
        gradient_step_(w, per_net, lr_t, loss[:, :epoch + 1], epoch)
    check_losses(loss.T, "epoch")
    return Trajectory(loss, terr, [t.detach() for t in w], snaps)


def gradient_step_(params: Sequence[torch.Tensor], per_net: torch.Tensor, lr: torch.Tensor,
                   history: torch.Tensor, epoch: int) -> None:
    """One full-batch gradient-descent step of R independent networks, in place.

    ``p <- p - lr[r] * d(per_net[r]) / dp`` for every parameter tensor (leading
    axis R). Every ``LOSS_CHECK_EVERY`` epochs the loss history so far
    (R, epoch + 1) is tested for NaN/Inf (one synchronisation).
    """
    grads = torch.autograd.grad(per_net.sum(), list(params))
    with torch.no_grad():
        for p, g in zip(params, grads):
            p.sub_(lr.view(-1, *([1] * (p.ndim - 1))) * g)
    if (epoch + 1) % LOSS_CHECK_EVERY == 0:
        check_losses(history.T, "epoch")


# --------------------------------------------------------------------------- ReLU XOR (Fig. 3)


@dataclass
class ReluRun:
    """R ReLU networks trained on XOR.

    Attributes
    ----------
    loss : torch.Tensor
        Shape (R, epochs + 1): half the mean squared error over the 4 points.
    w1 : torch.Tensor
        Final input-to-hidden weights, shape (R, hidden, 2).
    w2 : torch.Tensor
        Final hidden-to-output weights, shape (R, 1, hidden).
    """

    loss: torch.Tensor
    w1: torch.Tensor
    w2: torch.Tensor


def train_relu(
    x: torch.Tensor,
    y: torch.Tensor,
    seeds: Sequence[int],
    hidden: int,
    sigma0: float,
    lr: float,
    epochs: int,
) -> ReluRun:
    """Full-batch gradient descent of R two-layer ReLU networks ``y = W2 relu(W1 x)``.

    Loss ``(1/2) mean_n (y_n - yhat_n)^2`` (no biases); weights start i.i.d.
    N(0, sigma0^2), network ``r`` from its own generator ``seeds[r]``.

    Parameters
    ----------
    x : torch.Tensor
        Inputs, shape (n, d).
    y : torch.Tensor
        Targets, shape (n, 1).
    seeds : sequence of int
        One per network.
    hidden : int
    sigma0 : float
    lr : float
    epochs : int

    Returns
    -------
    ReluRun
    """
    if x.ndim != 2 or y.ndim != 2 or y.shape != (x.shape[0], 1):
        raise ValueError(f"x must be (n, d) and y (n, 1), got {tuple(x.shape)} and {tuple(y.shape)}")
    _check_finite("x", x)
    _check_finite("y", y)
    seeds = _seeds(seeds)
    _check_count("hidden", hidden)
    _check_positive("sigma0", sigma0)
    _check_positive("lr", lr)
    _check_count("epochs", epochs, 0)
    dtype, device = x.dtype, x.device
    w1 = torch.stack([sigma0 * torch.randn(hidden, x.shape[1], generator=torch.Generator().manual_seed(s), dtype=torch.float64)
                      for s in seeds]).to(dtype=dtype, device=device)
    w2 = torch.stack([sigma0 * torch.randn(1, hidden, generator=torch.Generator().manual_seed(s + 7_919_000), dtype=torch.float64)
                      for s in seeds]).to(dtype=dtype, device=device)
    n = x.shape[0]
    loss = torch.empty(len(seeds), epochs + 1, dtype=dtype, device=device)
    xt = x.T  # (d, n)
    for epoch in range(epochs + 1):
        pre = w1 @ xt  # (R, hidden, n)
        h = pre.clamp_min(0)
        err = (w2 @ h).squeeze(1) - y.T  # (R, n)
        loss[:, epoch] = 0.5 * err.pow(2).mean(1)
        if epoch == epochs:
            break
        g_out = err / n  # dL/dyhat, (R, n)
        g_w2 = (g_out.unsqueeze(1) @ h.transpose(1, 2))  # (R, 1, hidden)
        g_h = w2.transpose(1, 2) * g_out.unsqueeze(1) * (pre > 0)  # (R, hidden, n)
        g_w1 = g_h @ x  # (R, hidden, d)
        w1 = w1 - lr * g_w1
        w2 = w2 - lr * g_w2
    return ReluRun(loss, w1, w2)


def cell_types(w1: torch.Tensor, w2: torch.Tensor, x: torch.Tensor, min_share: float = 0.01, purity: float = 0.1) -> torch.Tensor:
    """Which training point each hidden ReLU unit responds to (its functional type).

    A unit's type is the point with its largest ReLU response, provided every
    other point's response is at most ``purity`` times that one.

    Parameters
    ----------
    w1 : torch.Tensor
        Shape (R, hidden, d).
    w2 : torch.Tensor
        Shape (R, 1, hidden).
    x : torch.Tensor
        Shape (n, d).
    min_share : float
        Units whose weight product ``||w1_i|| |w2_i|`` is below this fraction of
        the network's largest are counted as silent (type -1).
    purity : float
        In [0, 1): the largest allowed ratio of second-largest to largest response.

    Returns
    -------
    torch.Tensor
        Long, shape (R, hidden): the index of the point a unit is tuned to,
        ``-2`` for units responding to several points (or none), ``-1`` for silent units.
    """
    if w1.ndim != 3 or w2.ndim != 3 or w2.shape[:1] + w2.shape[2:] != w1.shape[:2] or x.ndim != 2 or x.shape[1] != w1.shape[2]:
        raise ValueError(f"w1 (R, hidden, d), w2 (R, 1, hidden), x (n, d) expected, got {tuple(w1.shape)}, {tuple(w2.shape)}, {tuple(x.shape)}")
    if not 0 <= purity < 1:
        raise ValueError(f"purity must lie in [0, 1), got {purity}")
    resp = (w1 @ x.T).clamp_min(0)  # (R, hidden, n)
    top = resp.topk(min(2, resp.shape[-1]), dim=-1).values
    second = top[..., 1] if top.shape[-1] > 1 else torch.zeros_like(top[..., 0])
    pure = (top[..., 0] > 0) & (second <= purity * top[..., 0])
    strength = w1.norm(dim=2) * w2.squeeze(1).abs()
    types = torch.where(pure, resp.argmax(-1), torch.full_like(strength, -2, dtype=torch.long))
    silent = strength < min_share * strength.amax(1, keepdim=True)
    return torch.where(silent, torch.full_like(types, -1), types)


# --------------------------------------------------------------------------- read-outs


def first_layer_similarity(spec: GDLN, weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """Cosine similarity of the first-hidden-layer representations of every (edge, item).

    Item ``n`` entering layer-0 edge ``e`` (in the routing network: input
    domain ``e``) is represented by ``W_e x_n``.

    Returns
    -------
    torch.Tensor
        Shape (R, E_0 * n, E_0 * n), rows ordered edge-major (edge e, item n at
        ``e * n_items + n``).
    """
    _check_weights(spec, weights)
    h = (weights[0] @ spec.x.T.to(weights[0].dtype)).transpose(-1, -2).flatten(1, 2)  # (R, E*n, n_1)
    h = h / h.norm(dim=-1, keepdim=True).clamp_min(torch.finfo(h.dtype).tiny)
    return h @ h.transpose(-1, -2)


def mode_strengths(spec: GDLN, weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """Each path's strength along each data mode, ``u_k^T W_p v_k``.

    For decoupled weights this is the theory's ``a_p``; for any weights it is
    the projection of the path's map onto the data's singular vectors.

    Returns
    -------
    torch.Tensor
        Shape (R, P, K).
    """
    _check_weights(spec, weights)
    U, _, V = modes(spec)
    eye = torch.eye(spec.widths[0], dtype=weights[0].dtype, device=weights[0].device)
    probe = GDLN(spec.widths, spec.edges, spec.paths, spec.gates[..., :1].expand(-1, -1, spec.widths[0]),
                 eye, torch.zeros(spec.widths[0], spec.widths[-1], dtype=eye.dtype, device=eye.device), spec.scale)
    maps = path_maps(probe, weights)  # (R, P, n_0, n_L): row i is W_p e_i, i.e. W_p^T
    return torch.einsum("ok,rpio,ik->rpk", U.to(eye.dtype), maps, V.to(eye.dtype))
