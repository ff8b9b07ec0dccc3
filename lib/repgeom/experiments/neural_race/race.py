"""Fig. 5: the race between gating schemes (theory) and the trained fraction K/M (simulation)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from repgeom.models import gdln
from repgeom.models.gdln import theory as th

from .params import Params, b0

__all__ = [
    "NoCommonResult",
    "RaceResult",
    "SweepResult",
    "first_above",
    "no_common_similarity",
    "race_theory",
    "trained_fraction_sweep",
]


def first_above(a: torch.Tensor, level: float) -> int | float:
    """First index at which the 1-D ``a`` exceeds ``level``; ``inf`` if it never does."""
    hit = torch.nonzero(a > level)
    return int(hit[0]) if len(hit) else float("inf")


@dataclass(frozen=True)
class RaceResult:
    """Fig. 5b: the reduced dynamics of route 0 -> 0 under three gating schemes.

    Attributes
    ----------
    race : dict
        P (tasks per hidden module: 1, 4, M^2) -> the route's strength of every mode,
        shape (epochs + 1, K), float64.
    half_time : dict
        P -> first epoch at which mode 1 exceeds half its target (``inf`` if never).
    ok : bool
        ``half_time[M^2] < half_time[4] < half_time[1]``: more sharing learns faster.
    overshoot, overshoot_fine : float
        Largest mode-1 strength of the P = M^2 route over its target, stepped once per epoch (as trained)
        and with ten sub-steps per epoch (closer to the gradient flow).
    """

    race: dict[int, torch.Tensor]
    half_time: dict[int, int | float]
    ok: bool
    overshoot: float = float("nan")
    overshoot_fine: float = float("nan")


def race_theory(P: Params, S: torch.Tensor, device: torch.device | str = "cpu") -> RaceResult:
    """Integrate the routing network (hidden width 8) with modules of 1, 2 and M domains, as one system.

    Parameters
    ----------
    P : Params
        ``race_M`` (divisible by 2), ``race_epochs``, ``sigma0`` (start at ``b0 = sigma0 / b0_ratio``), ``lr``.
    S : torch.Tensor
        The data's singular values, shape (K,) (:attr:`.routing.RoutingMeasures.S`).
    device : torch.device or str

    Returns
    -------
    RaceResult
    """
    groups = (1, 2, P.race_M)
    race_sys = [th.reduce(gdln.routing(P.race_M, 8, group=g).to(device)) for g in groups]
    race_all = th.combine(race_sys)  # the three networks as one block-diagonal system
    rr = th.integrate(race_all, torch.full((race_all.n_edges, race_all.n_modes), b0(P), dtype=torch.float64,
                                           device=device),
                      P.lr, P.race_epochs, method="euler", substeps=1)
    ts = th.task_strengths(race_all, rr.b).cpu()  # (epochs+1, 3 * M^2, K)
    race = {g * g: ts[:, i * P.race_M ** 2] for i, g in enumerate(groups)}  # route 0 -> 0 of each network
    half_time = {p: first_above(a[:, 0], S[0].item() / 2) for p, a in race.items()}
    race_ok = half_time[P.race_M ** 2] < half_time[4] < half_time[1]
    # The shared module's effective step is ~M^2 times larger: one Euler step per epoch can overshoot the target.
    shared = race_sys[-1]
    fine = th.integrate(shared, torch.full((shared.n_edges, shared.n_modes), b0(P), dtype=torch.float64,
                                           device=device), P.lr, P.race_epochs, method="euler", substeps=10)
    target = S[0].item()
    overshoot = float(race[P.race_M ** 2][:, 0].max()) / target
    overshoot_fine = float(th.task_strengths(shared, fine.b)[:, 0, 0].max().cpu()) / target
    return RaceResult(race, half_time, race_ok, overshoot, overshoot_fine)


@dataclass(frozen=True)
class SweepResult:
    """Fig. 5c: routing networks at M = ``sweep_M`` trained on K of M output domains.

    Attributes
    ----------
    spec : repgeom.models.gdln.GDLN
    conds : list of (int, int)
        (K, repetition) of every network, K-major.
    tmask : torch.Tensor
        Bool (C, M, M): trained routes of each network.
    trajectory : repgeom.models.gdln.Trajectory
    err_tr, err_un : numpy.ndarray
        Final error in the paper's units (``||Y - Y_hat||_F^2 / 2`` per route), mean over trained /
        untrained routes, shape (len(sweep_K), sweep_reps); NaN where every route is trained.
    zero_err : float
        One route's error when predicting zero, ``||Y||_F^2 / 2``.
    frac : numpy.ndarray
        ``K / M`` per value of ``sweep_K``.
    un_at_40, un_at_10 : float
        Mean untrained-route error at K = 4 and K = 1 (K/M = 0.4 and 0.1 at M = 10).
    seeds : tuple of int
        ``100, 101, ...``, one per network.
    """

    spec: gdln.GDLN
    conds: list[tuple[int, int]]
    tmask: torch.Tensor
    trajectory: gdln.Trajectory
    err_tr: np.ndarray
    err_un: np.ndarray
    frac: np.ndarray
    un_at_40: float
    un_at_10: float
    seeds: tuple[int, ...]
    zero_err: float = float("nan")


def trained_fraction_sweep(P: Params, device: torch.device | str = "cpu") -> SweepResult:
    """Train every K of ``sweep_K`` and every repetition as one batch, learning rate ``sweep_lr_K / K``.

    Parameters
    ----------
    P : Params
        ``sweep_M``, ``sweep_K`` (must contain 1 and 4), ``sweep_reps``, ``sweep_lr_K``,
        ``sweep_epochs``, ``hidden``, ``sigma0``.
    device : torch.device or str

    Returns
    -------
    SweepResult
    """
    spec10 = gdln.routing(P.sweep_M, P.hidden).to(device, torch.float32)
    conds = [(k, rep) for k in P.sweep_K for rep in range(P.sweep_reps)]
    tmask = torch.stack([gdln.trained_routes(P.sweep_M, k, device=device) for k, _ in conds])
    seeds = [100 + i for i in range(len(conds))]
    w10 = gdln.init_random(spec10, seeds, P.sigma0)
    sweep = gdln.train(spec10, w10, torch.tensor([P.sweep_lr_K / k for k, _ in conds]), P.sweep_epochs,
                       mask=tmask.reshape(len(conds), -1).float())
    rel10 = (sweep.task_error[:, -1] / (2 * spec10.scale)).reshape(len(conds), P.sweep_M, P.sweep_M).cpu()
    tmask_c = tmask.cpu()
    err_tr = np.array([float(rel10[c][tmask_c[c]].mean()) for c in range(len(conds))]).reshape(
        len(P.sweep_K), P.sweep_reps)
    err_un = np.array([float(rel10[c][~tmask_c[c]].mean()) if (~tmask_c[c]).any() else np.nan
                       for c in range(len(conds))]).reshape(len(P.sweep_K), P.sweep_reps)
    frac = np.array(P.sweep_K) / P.sweep_M
    un_at_40 = float(np.nanmean(err_un[list(P.sweep_K).index(4)]))
    un_at_10 = float(np.nanmean(err_un[list(P.sweep_K).index(1)]))
    return SweepResult(spec10, conds, tmask, sweep, err_tr, err_un, frac, un_at_40, un_at_10, tuple(seeds),
                       float(spec10.y.pow(2).sum()) / 2)


@dataclass(frozen=True)
class NoCommonResult:
    """Fig. 4g's second part: input domains never trained with a common output (K = 4).

    Attributes
    ----------
    pairs : list of (int, int)
        Ordered pairs of input domains whose trained outputs do not overlap.
    similarity : float
        Mean same-item first-hidden-layer cosine similarity over those pairs.
    at_init : float
        The same at initialisation (the untrained networks: the control).
    """

    pairs: list[tuple[int, int]]
    similarity: float
    at_init: float = float("nan")


def no_common_similarity(sweep: SweepResult, M: int, sigma0: float | None = None) -> NoCommonResult:
    """Similarity of domains without a common trained output, in the sweep's K = 4 networks.

    Parameters
    ----------
    sweep : SweepResult
        Needs networks at K = 4 and at least one pair of such domains (M >= 8).
    M : int
        The sweep's number of domains (``sweep_M``).
    sigma0 : float, optional
        The sweep's init scale; with it, the same similarity is measured at initialisation too.

    Returns
    -------
    NoCommonResult
    """
    k4 = [c for c, (k, _) in enumerate(sweep.conds) if k == 4]
    tm = gdln.trained_routes(M, 4).cpu()
    no_common = [(i, j) for i in range(M) for j in range(M) if i != j and not (tm[i] & tm[j]).any()]
    if not k4 or not no_common:
        raise ValueError(f"no_common_similarity needs networks at K=4 and M >= 8, got K values "
                         f"{sorted({k for k, _ in sweep.conds})} and M={M}")
    def mean_sim(weights):
        rsm = gdln.first_layer_similarity(sweep.spec, weights).cpu()
        return float(torch.stack([rsm[:, i * 4 + n, j * 4 + n] for i, j in no_common for n in range(4)]).mean())

    nc_sim = mean_sim([w[k4] for w in sweep.trajectory.weights])
    at_init = float("nan")
    if sigma0 is not None:
        at_init = mean_sim(gdln.init_random(sweep.spec, [sweep.seeds[c] for c in k4], sigma0))
    return NoCommonResult(no_common, nc_sim, at_init)
