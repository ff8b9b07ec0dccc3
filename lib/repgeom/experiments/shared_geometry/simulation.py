"""Proposition 1 and the XOR simulation of the paper's Fig. 2.

A 2-50-1 sigmoid network learns noisy XOR; its hidden activity on fresh points
is copied into ten "networks" by random orthogonal or permutation matrices,
SRM is fitted on half of the points and the inter-network RSM (iRSM) in the
shared and the native space is compared with the within-network RSM (wRSM) on
the other half.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from repgeom import stats
from repgeom.measures.similarity import compare_rsms, inter_rsm, rsm, within_rsm
from repgeom.measures.srm import SRM, random_orthogonal
from repgeom.models.convnets import XorNet, xor_clouds
from repgeom.training import progress

from .parameters import Params

__all__ = [
    "KINDS",
    "METHODS",
    "SPACES",
    "Proposition1",
    "SimulationRun",
    "SimulationSummary",
    "proposition1",
    "simulate",
    "simulate_all",
    "simulation_seeds",
    "summarise_simulations",
]

KINDS = ("orthogonal", "permutation")      # transforms that copy the hidden activity into networks
SPACES = ("shared", "native")
METHODS = ("pearson", "spearman")          # linear and rank correlation of RSMs
FIRST_SEED = 1000                          # run r uses seed FIRST_SEED + r


@dataclass(frozen=True)
class SimulationRun:
    """One run of the Fig. 2 simulation.

    Attributes
    ----------
    acc : float
        Test accuracy of the XOR network, in [0, 1].
    correlations : dict
        ``(kind, space, method) -> corr(iRSM, wRSM)`` for ``kind`` in
        :data:`KINDS`, ``space`` in :data:`SPACES`, ``method`` in :data:`METHODS`.
    rsms : dict
        ``kind -> (wRSM, shared-space iRSM, native-space iRSM)``, each of shape
        (m_test, m_test) with test points sorted by cloud.
    hidden : torch.Tensor, shape (4 * sim_per_cloud, sim_hidden), float64
        Hidden activity on the fresh points.
    """

    acc: float
    correlations: dict
    rsms: dict
    hidden: torch.Tensor


def simulate(seed: int, p: Params) -> SimulationRun:
    """One run of the paper's Fig. 2 simulation.

    Parameters
    ----------
    seed : int
        Seeds the data, the network (global torch RNG), the copies and SRM.
    p : Params
        Uses ``sim_per_cloud``, ``sim_hidden`` and ``sim_steps``.

    Returns
    -------
    SimulationRun
    """
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    x, y = xor_clouds(p.sim_per_cloud, 0.3, generator=gen)
    net = XorNet(p.sim_hidden)
    opt = torch.optim.Adam(net.parameters(), lr=0.02)
    for _ in range(p.sim_steps):
        opt.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(net(x), y).backward()
        opt.step()
    xt, yt = xor_clouds(p.sim_per_cloud, 0.3, generator=gen)
    with torch.no_grad():
        h = net.features(xt).double()
        acc = ((net(xt) > 0).float() == yt).float().mean().item()
    order = torch.randperm(len(yt), generator=gen)
    fit_idx, test_idx = order[: len(yt) // 2], order[len(yt) // 2:].sort().values  # test sorted by cloud
    correlations, rsms = {}, {}
    for kind in KINDS:
        if kind == "orthogonal":
            q = random_orthogonal(10, p.sim_hidden, p.sim_hidden, generator=gen)
        else:
            q = torch.stack([torch.eye(p.sim_hidden, dtype=torch.float64)[torch.randperm(p.sim_hidden, generator=gen)]
                             for _ in range(10)])
        xs = h.unsqueeze(0) @ q.transpose(-1, -2)                        # (10, m, n): rows Q_i h_t
        srm = SRM(n_iter=10, method="probabilistic", seed=seed, trace="raw").fit(xs[:, fit_idx])  # BrainIAK
        test = xs[:, test_idx]
        shared = srm.transform(test)
        w, i_s, i_n = within_rsm(test), inter_rsm(shared), inter_rsm(test)
        for method in METHODS:
            correlations[(kind, "shared", method)] = compare_rsms(i_s, w, method).item()
            correlations[(kind, "native", method)] = compare_rsms(i_n, w, method).item()
        rsms[kind] = (w, i_s, i_n)
    return SimulationRun(acc, correlations, rsms, h)


def simulation_seeds(p: Params) -> list[int]:
    """The seed of each simulation run, ``1000, 1001, ...`` (``p.sim_runs`` of them)."""
    return [FIRST_SEED + r for r in range(p.sim_runs)]


def simulate_all(p: Params) -> list[SimulationRun]:
    """All ``p.sim_runs`` runs of :func:`simulate`, in seed order (with a progress bar).

    Parameters
    ----------
    p : Params

    Returns
    -------
    list of SimulationRun
    """
    return [simulate(FIRST_SEED + r, p) for r in progress(range(p.sim_runs), desc="simulation")]


@dataclass(frozen=True)
class Proposition1:
    """Proposition 1 checked numerically on rotated copies of one activity matrix.

    Attributes
    ----------
    same_rsm : float
        Largest |RSM of a copy - wRSM| (cosine RSMs, the paper's AᵀA form); ~0.
    aligned : float
        Largest |shared-space iRSM - wRSM| after deterministic SRM; ~0.
    native : float
        corr(native-space iRSM, wRSM), in [-1, 1]; low.
    """

    same_rsm: float
    aligned: float
    native: float


def proposition1(h: torch.Tensor, n_copies: int = 10, seed: int = 7) -> Proposition1:
    """Proposition 1, numerically: rotated copies of one matrix share one RSM and SRM aligns them.

    Parameters
    ----------
    h : torch.Tensor, shape (m, n), float64
        One activity matrix (examples x units).
    n_copies : int
        Number of random orthogonal copies ("networks").
    seed : int
        Seed of the rotations.

    Returns
    -------
    Proposition1
    """
    n = h.shape[-1]
    q = random_orthogonal(n_copies, n, n, generator=torch.Generator().manual_seed(seed))
    copies = h.unsqueeze(0) @ q.transpose(-1, -2)
    w_cos = within_rsm(copies, center=False)
    same_rsm = (rsm(copies, center=False) - w_cos).abs().max().item()
    det = SRM(n_iter=30, method="deterministic").fit(copies)
    shared_cos = copies @ det.w_                        # uncentred projection keeps AᵀA exactly
    aligned = (inter_rsm(shared_cos, center=False) - w_cos).abs().max().item()
    native = compare_rsms(inter_rsm(copies, center=False), w_cos).item()
    return Proposition1(same_rsm, aligned, native)


@dataclass(frozen=True)
class SimulationSummary:
    """The simulation runs summarised.

    Attributes
    ----------
    table : dict
        ``(kind, space, method) -> stats.Interval``: mean over runs and 95%
        bootstrap CI of corr(iRSM, wRSM).
    acc : float
        Mean test accuracy of the XOR networks, in [0, 1].
    """

    table: dict
    acc: float


def summarise_simulations(sims: list[SimulationRun], n_resamples: int) -> SimulationSummary:
    """Mean and bootstrap CI of every correlation over the runs, and the mean accuracy.

    Parameters
    ----------
    sims : list of SimulationRun
        At least two runs.
    n_resamples : int
        Bootstrap resamples.

    Returns
    -------
    SimulationSummary
    """
    table = {}
    for kind in KINDS:
        for space in SPACES:
            for method in METHODS:
                vals = np.array([s.correlations[(kind, space, method)] for s in sims])
                table[(kind, space, method)] = stats.bootstrap_ci(vals, n_resamples=n_resamples, seed=0)
    return SimulationSummary(table, float(np.mean([s.acc for s in sims])))
