"""Gated deep linear networks (GDLNs): their specification and the paper's architectures.

A GDLN (Saxe, Sodhani & Lewallen 2022) is a graph of weight matrices. A *path*
runs from an input node through one weight matrix per layer to an output node;
a *gate* switches whole paths on or off per task and item. The output of task
``tau`` for item ``n`` is

.. math:: \\hat y_{\\tau n} = \\sum_p g_{\\tau p n} W_{p} x_n,
          \\qquad W_p = W_{e_L(p)} \\cdots W_{e_1(p)},

and the loss is ``scale * sum_tau mask_tau sum_n ||y_n - yhat_tau n||^2``.
:class:`GDLN` holds the graph, gates, data and loss mask; :func:`build`,
:func:`routing` and :func:`xor_gdln` make the paper's networks.

Conventions: data matrices are (samples, features); a weight matrix is
(out, in) like ``torch.nn.Linear``; a layer's weights are stacked as
``(R, E_l, n_{l+1}, n_l)`` for ``R`` networks trained as one program.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Sequence

import torch

from repgeom.checks import check_tensor


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
