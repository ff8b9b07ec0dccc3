"""Input-weight trajectories of hidden units against the expected gradient field (paper Figs. 1D, 2C).

A hidden unit's input weights are projected on the inter-class axis
``x1 + x2 - x3 - x4`` and the intra-class axis ``x1 - x2`` of a four-cluster
task; the expected update of Eq. 1 is evaluated on a grid of that plane.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np
import torch

from repgeom.data import tasks
from repgeom.models.batched_mlp import expected_gradient_field

from .sweep import SweepResult

__all__ = ["WeightField", "class_axes", "weight_field", "selectivity_ratio"]


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
    """
    c = task.centres[member].double().cpu()
    axes2 = class_axes(c)
    pos = result.model.readout[member, :, 0].cpu() > 0
    traj = np.stack([(axes2 @ result.weights[s][member].double()[:, pos]).numpy() for s in sorted(result.weights)])
    lim = float(np.abs(traj).max()) * 1.1 + 1e-6
    grid = torch.stack(torch.meshgrid(torch.linspace(-lim, lim, 13), torch.linspace(-lim, lim, 13), indexing="xy"),
                       -1).reshape(-1, 2)
    field = expected_gradient_field(c, task.targets[member, :, 0].cpu(), act, axes2, grid.double())
    return WeightField(traj, grid, field, lim)


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
