"""Input weights of hidden units: trajectories, gradient fields, tuning and end regions (paper Figs. 1D, 2C, 7D-E, 10).

A hidden unit's input weights are projected on the inter-class axis
``x1 + x2 - x3 - x4`` and the intra-class axis ``x1 - x2`` of a four-cluster
task; the expected update of Eq. 1 is evaluated on a grid of that plane. With
several outputs, the units fall into groups by the signs of their readout
weights (Appendix A), and a group's expected update weights cluster ``i`` by
``sum_o w_o y_io``. At the end of training a unit lies in one of three regions
of the plane (:func:`end_region`, Appendix E).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import torch

from repgeom.data import tasks
from repgeom.models.batched_mlp import expected_gradient_field

from .sweep import SweepResult

__all__ = ["WeightField", "class_axes", "weight_field", "group_weight_field", "readout_groups", "group_tuning",
           "tuning_asymmetry", "REGIONS", "end_region", "noise_regions", "selectivity_ratio"]


@dataclass(frozen=True)
class WeightField:
    """Trajectories of one network's +1-readout units and the gradient field around them.

    Attributes
    ----------
    traj : np.ndarray, shape (snapshots, 2, units)
        Weights projected on the (inter-class, intra-class) axes at every kept snapshot.
    grid : torch.Tensor, shape (169, 2)
        13 x 13 grid of the plane, ``[-lim, lim]`` on both axes.
    field : torch.Tensor, shape (169, 2)
        Expected update of Eq. 1 at every grid point.
    lim : float
        Half-width of the plotted square.
    """

    traj: np.ndarray
    grid: torch.Tensor
    field: torch.Tensor
    lim: float


def class_axes(c: torch.Tensor) -> torch.Tensor:
    """Unit inter-class (x1+x2-x3-x4) and intra-class (x1-x2, orthogonalised) axes.

    Parameters
    ----------
    c : torch.Tensor, shape (4, dim)
        The four cluster centres.

    Returns
    -------
    torch.Tensor, shape (2, dim), orthonormal rows.
    """
    e1 = c[0] + c[1] - c[2] - c[3]
    e1 = e1 / e1.norm()
    e2 = c[0] - c[1]
    e2 = e2 - (e2 @ e1) * e1
    return torch.stack([e1, e2 / e2.norm().clamp_min(1e-12)])


def _field(result: SweepResult, task: tasks.ClusterTask, member: int, act: str, units: torch.Tensor,
           labels: torch.Tensor) -> WeightField:
    """Trajectories of ``units`` (bool mask over hidden units) and the field of Eq. 1 with cluster weights ``labels``."""
    c = task.centres[member].double().cpu()
    axes2 = class_axes(c)
    traj = np.stack([(axes2 @ result.weights[s][member].double()[:, units]).numpy() for s in sorted(result.weights)])
    lim = float(np.abs(traj).max()) * 1.1 + 1e-6
    grid = torch.stack(torch.meshgrid(torch.linspace(-lim, lim, 13), torch.linspace(-lim, lim, 13), indexing="xy"),
                       -1).reshape(-1, 2)
    field = expected_gradient_field(c, labels.double(), act, axes2, grid.double())
    return WeightField(traj, grid, field, lim)


def weight_field(result: SweepResult, task: tasks.ClusterTask, member: int, act: str) -> WeightField:
    """Projected weight trajectories of one network and the expected gradient field of its activation.

    Parameters
    ----------
    result : SweepResult
        A sweep run with ``keep_weights=True`` on four-cluster tasks.
    task : ClusterTask
        The sweep's tasks, centres (n_models, 4, dim).
    member : int
        Which network.
    act : str
        Its activation (for the field).

    Returns
    -------
    WeightField
        Of the units whose (first) readout weight is positive.
    """
    pos = result.model.readout[member, :, 0].cpu() > 0
    return _field(result, task, member, act, pos, task.targets[member, :, 0].cpu())


def readout_groups(result: SweepResult, member: int) -> torch.Tensor:
    """Sign pattern of every hidden unit's readout weights (the neuron groups of Appendix A).

    Parameters
    ----------
    result : SweepResult
    member : int
        Which network.

    Returns
    -------
    torch.Tensor, shape (width, n_out)
        ``sign`` of the readout weights (+1, -1, or 0), float.
    """
    return torch.sign(result.model.readout[member].detach().cpu().float())


def group_weight_field(result: SweepResult, task: tasks.ClusterTask, member: int, act: str,
                       signs: tuple[float, ...]) -> WeightField:
    """Trajectories of the units of one readout group and the expected field of that group (Fig. 7E).

    A unit with readout weights ``w_o`` is driven (Eq. 1 with a constant error
    direction) by ``sum_i (sum_o w_o y_io) f'(w^T x_i) x_i``.

    Parameters
    ----------
    result : SweepResult
        A sweep run with ``keep_weights=True`` on four-cluster tasks.
    task : ClusterTask
        Centres (n_models, 4, dim), targets (n_models, 4, n_out).
    member : int
    act : str
    signs : tuple of float, length n_out
        The group's readout signs.

    Returns
    -------
    WeightField
        Of the units whose readout signs equal ``signs``.
    """
    s = torch.tensor(signs, dtype=torch.float32)
    groups = readout_groups(result, member)
    if s.shape != groups.shape[1:]:
        raise ValueError(f"signs must have one entry per output ({groups.shape[1]}), got {signs!r}")
    units = (groups == s).all(1)
    if not bool(units.any()):
        raise ValueError(f"network {member} has no unit with readout signs {signs!r}")
    return _field(result, task, member, act, units, task.targets[member].cpu().float() @ s)


def group_tuning(result: SweepResult, task: tasks.ClusterTask, member: int, step: int | None = None
                 ) -> dict[tuple[float, ...], np.ndarray]:
    """Dot product of every unit's input weights with each cluster centre, per readout group (Fig. 7D).

    Parameters
    ----------
    result : SweepResult
        Run with ``keep_weights=True``.
    task : ClusterTask
        Centres (n_models, P, dim).
    member : int
    step : int, optional
        The snapshot (default: the last).

    Returns
    -------
    dict
        Readout sign pattern -> array of shape (units of the group, P): ``w_u . x_c``.
    """
    step = max(result.weights) if step is None else step
    w = result.weights[step][member].double()             # (dim, width)
    dots = (task.centres[member].double().cpu() @ w).T.numpy()  # (width, P)
    groups = readout_groups(result, member)
    patterns = sorted({tuple(float(v) for v in g) for g in groups.tolist()}, reverse=True)
    return {pat: dots[(groups == torch.tensor(pat)).all(1).numpy()] for pat in patterns}


def tuning_asymmetry(result: SweepResult, task: tasks.ClusterTask, members: Iterable[int]) -> tuple[float, float]:
    """Mean tuning to the matched and against the mismatched cluster of the units of every readout group (Fig. 7D).

    A unit's matched cluster is the one whose labels equal its readout signs,
    its mismatched cluster the one whose labels are their opposite.

    Parameters
    ----------
    result : SweepResult
        Run with ``keep_weights=True``; the final snapshot is used.
    task : ClusterTask
        Centres (n_models, P, dim), ±1 targets (n_models, P, n_out).
    members : iterable of int
        The networks pooled.

    Returns
    -------
    (matched, mismatched) : tuple of float
        Mean of ``w . x_matched`` and mean of ``-w . x_mismatched`` over all units that have both clusters.
    """
    matched, mismatched = [], []
    for m in members:
        y = task.targets[m].cpu().float()
        for pat, dots in group_tuning(result, task, m).items():
            s = torch.tensor(pat)
            hit = torch.nonzero((y == s).all(1)).flatten()
            anti = torch.nonzero((y == -s).all(1)).flatten()
            if len(hit) and len(anti) and len(dots):
                matched.append(dots[:, int(hit[0])])
                mismatched.append(-dots[:, int(anti[0])])
    if not matched:
        raise ValueError("no unit has both a matched and a mismatched cluster")
    return float(np.concatenate(matched).mean()), float(np.concatenate(mismatched).mean())


#: The three regions of the (inter-class, intra-class) plane, in :func:`end_region`'s order.
REGIONS = ("inter-class", "intra-class, toward x1", "intra-class, toward x2")


def end_region(proj: np.ndarray) -> np.ndarray:
    """Region of the (inter-class, intra-class) plane a weight lies in (Appendix E, Fig. 10).

    Region 0 (inter-class) where the inter-class coordinate ``u`` exceeds the
    intra-class one's magnitude ``|v|``; otherwise 1 (``v > 0``: toward x1) or
    2 (``v <= 0``: toward x2).

    Parameters
    ----------
    proj : np.ndarray, shape (2, units)
        (inter-class, intra-class) coordinates.

    Returns
    -------
    np.ndarray of int, shape (units,)
    """
    proj = np.asarray(proj, dtype=float)
    if proj.ndim != 2 or proj.shape[0] != 2:
        raise ValueError(f"proj must have shape (2, units), got {proj.shape}")
    u, v = proj
    return np.where(u > np.abs(v), 0, np.where(v > 0, 1, 2))


def noise_regions(result: SweepResult, task: tasks.ClusterTask, members_by_noise: list[list[int]]
                  ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Initial weights and end regions of the +1-readout units, pooled over networks, per noise level (Fig. 10).

    Parameters
    ----------
    result : SweepResult
        A four-cluster sweep run with ``keep_weights=True`` (snapshot 0 and a final one).
    task : ClusterTask
        Its tasks.
    members_by_noise : list of list of int
        For every noise level, the networks pooled.

    Returns
    -------
    list of (init, region)
        ``init`` (2, units): initial (inter-class, intra-class) coordinates on each network's own axes;
        ``region`` (units,): :func:`end_region` of the final weights.
    """
    first, last = min(result.weights), max(result.weights)
    out = []
    for members in members_by_noise:
        inits, regions = [], []
        for m in members:
            ax2 = class_axes(task.centres[m].double().cpu())
            if not bool(torch.isfinite(ax2).all()):
                raise ValueError(f"network {m}: its task has no inter-class axis (x1 + x2 = x3 + x4, e.g. δ = 0)")
            pos = result.model.readout[m, :, 0].cpu() > 0
            inits.append((ax2 @ result.weights[first][m].double()[:, pos]).numpy())
            regions.append(end_region((ax2 @ result.weights[last][m].double()[:, pos]).numpy()))
        out.append((np.concatenate(inits, 1), np.concatenate(regions)))
    return out


def selectivity_ratio(result: SweepResult, task: tasks.ClusterTask, members: Iterable[int]) -> float:
    """Mean over networks of the median |intra-class| / |inter-class| projection of the +1-readout units' final weights.

    Parameters
    ----------
    result : SweepResult
        A sweep run with ``keep_weights=True`` on four-cluster tasks.
    task : ClusterTask
    members : iterable of int
        The networks averaged.

    Returns
    -------
    float
        0 for units on the inter-class axis, large for intra-class selective units.
    """
    out = []
    for m in members:
        ax2 = class_axes(task.centres[m].double().cpu())
        pos = result.model.readout[m, :, 0].cpu() > 0
        proj = ax2 @ result.weights[max(result.weights)][m].double()[:, pos]
        out.append(float((proj[1].abs() / proj[0].abs().clamp_min(1e-9)).median()))
    return float(np.mean(out))
