"""GDLNs simulated by batched full-batch gradient descent.

Everything here is batched over a leading axis of ``R`` independent networks
(repetitions and conditions: each network may have its own learning rate and
its own set of trained tasks), so many networks train as one tensor program.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from repgeom.checks import LOSS_CHECK_EVERY, check_losses

from .network import GDLN, _check_count, _check_finite


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
