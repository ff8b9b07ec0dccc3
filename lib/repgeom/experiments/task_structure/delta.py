"""The δ-XOR sweep over separability and training noise (paper Figs. 2-3).

One batched run holds every (activation, noise, δ, network) member; members
are ordered activation-major, then noise, then δ, then network.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from repgeom.data import tasks

from .params import Params
from .sweep import Context, SweepResult, cluster_run

__all__ = ["DeltaSweep", "delta_sweep", "delta_grid", "noise_index", "delta_member", "run_delta_check"]


@dataclass(frozen=True)
class DeltaSweep:
    """Tasks, noise levels and activations of the δ-XOR sweep.

    Attributes
    ----------
    task : ClusterTask
        Centres (2 * noises * deltas * nets, 4, delta_dim), members ordered (act, noise, δ, net).
    sigma : torch.Tensor, shape (members,)
        Training noise standard deviation of every member.
    activations : list of str
        Activation of every member.
    snapshots : tuple of int
        Steps at which weights and geometry are recorded.
    """

    task: tasks.ClusterTask
    sigma: torch.Tensor
    activations: list[str]
    snapshots: tuple[int, ...]


def delta_sweep(P: Params) -> DeltaSweep:
    """The δ-XOR tasks of every member, the same embeddings for every noise level and activation.

    Parameters
    ----------
    P : Params
        Uses ``deltas``, ``noise_vars``, ``nets``, ``delta_dim`` and ``delta_steps``.

    Returns
    -------
    DeltaSweep
    """
    nd, nn_ = len(P.deltas), len(P.noise_vars)
    base = tasks.delta_xor(torch.tensor(P.deltas), P.delta_dim, n_tasks=P.nets, seed=21)  # (nd * nets, 4, dim)
    # members ordered (act, noise, delta, net)
    cen = base.centres.view(1, 1, nd, P.nets, 4, -1).expand(2, nn_, -1, -1, -1, -1).reshape(-1, 4, P.delta_dim)
    delta_task = tasks.ClusterTask(cen, torch.tensor([1.0, 1.0, -1.0, -1.0]).view(1, 4, 1).expand(cen.shape[0], -1, -1))
    sig = torch.tensor(P.noise_vars).sqrt().view(1, nn_, 1, 1).expand(2, -1, nd, P.nets).reshape(-1)
    acts_d = ["tanh"] * (nn_ * nd * P.nets) + ["relu"] * (nn_ * nd * P.nets)
    snaps_d = (0, P.delta_steps // 8, P.delta_steps // 3, P.delta_steps)
    return DeltaSweep(delta_task, sig, acts_d, snaps_d)


def delta_grid(result: SweepResult, P: Params) -> dict[str, np.ndarray]:
    """Final measures of the δ-XOR sweep on its grid.

    Parameters
    ----------
    result : SweepResult
        The sweep of :func:`delta_sweep`'s members, trained for ``P.delta_steps``.
    P : Params

    Returns
    -------
    dict
        Measure -> array of shape (2 activations, noises, deltas, nets).
    """
    nd, nn_ = len(P.deltas), len(P.noise_vars)
    return {k: v.view(2, nn_, nd, P.nets).cpu().numpy() for k, v in result.metrics[P.delta_steps][0].items()}


def noise_index(noise_vars: tuple, value: float = 1.0) -> int:
    """Index of the training noise variance closest to ``value`` (σ²_train = 1 is Fig. 2's slice).

    Parameters
    ----------
    noise_vars : tuple of float
        Training noise variances σ²_train.
    value : float

    Returns
    -------
    int
    """
    return int(np.argmin(np.abs(np.array(noise_vars) - value)))


def delta_member(P: Params, act: int, noise: int, delta: int) -> int:
    """Index of the first network of one (activation, noise, δ) cell of the sweep.

    Parameters
    ----------
    P : Params
    act, noise, delta : int
        Indices into ``ACTS``, ``P.noise_vars`` and ``P.deltas``.

    Returns
    -------
    int
        Member index; the cell's networks are this one and the next ``P.nets - 1``.
    """
    return ((act * len(P.noise_vars) + noise) * len(P.deltas) + delta) * P.nets


def run_delta_check(ctx: Context, seed: int = 200) -> tuple[dict[str, np.ndarray], Params] | None:
    """The δ-XOR task at the paper's input dimension, width and samples per step, at σ²_train = 1.

    At the quick profile the δ sweep runs small networks; this check trains
    ``check_nets`` networks per activation and δ of ``check_deltas`` at
    ``check_delta_dim`` inputs, ``check_delta_width`` hidden units and
    ``check_delta_per_cluster`` samples per cluster for ``check_steps`` steps.

    Parameters
    ----------
    ctx : Context
        Uses the ``check_*`` fields; empty ``check_deltas`` (the full profile) means no check.
    seed : int

    Returns
    -------
    (dmet, Pc) or None
        ``dmet`` as :func:`delta_grid` (one noise level) and the parameters ``Pc`` it ran with.
    """
    P = ctx.params
    if not P.check_deltas:
        return None
    pc = replace(P, deltas=tuple(P.check_deltas), noise_vars=(1.0,), nets=P.check_nets, delta_dim=P.check_delta_dim,
                 delta_width=P.check_delta_width, delta_steps=P.check_steps,
                 delta_per_cluster=P.check_delta_per_cluster)
    sw = delta_sweep(pc)
    res = cluster_run(Context(pc, ctx.device, ctx.add_seeds), sw.task, sw.activations, pc.delta_steps,
                      pc.delta_per_cluster, pc.lr, (pc.delta_steps,), pc.delta_width, sigma_train=sw.sigma, seed=seed)
    return delta_grid(res, pc), pc
