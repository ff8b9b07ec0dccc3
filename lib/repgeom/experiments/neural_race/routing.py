"""Fig. 4: the routing network, its reduced theory, stages, singular values and shared representation.

Fig. 6's init-scale runs use the same network and are trained in the same
batch (:func:`train_routing`); :mod:`.init_scale` reads them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from repgeom.models import gdln
from repgeom.models.gdln import theory as th

from .params import Params, b0

__all__ = [
    "RoutingGeometry",
    "RoutingMeasures",
    "RoutingRuns",
    "RoutingTheory",
    "routing_geometry",
    "routing_measures",
    "paper_error",
    "routing_theory",
    "train_routing",
]


@dataclass(frozen=True)
class RoutingRuns:
    """The simulated routing networks of Figs. 4 and 6 (M domains, K trained outputs per input domain).

    Attributes
    ----------
    spec : repgeom.models.gdln.GDLN
        The routing network (float32, on the device); tasks ordered ``i * M + j``.
    trained : torch.Tensor
        Bool (M, M): the trained routes.
    mask : torch.Tensor
        Float (M * M,): ``trained`` flattened.
    snap_at : list of int
        Epochs with weight snapshots (every 25).
    sim : repgeom.models.gdln.Trajectory
        Fig. 4: ``reps`` random-init networks, then one decoupled-init network (last), epochs ``0..epochs``.
    sim6 : repgeom.models.gdln.Trajectory
        Fig. 6: ``init_reps`` networks per init scale (scale-major), epochs ``0..init_epochs``; no snapshots.
    init_seeds : tuple of int
        Seeds of the Fig. 6 networks (then those of ``spread``).
    spread : repgeom.models.gdln.Trajectory
        Fig. 6's smallest init scale once more, ``spread_reps`` seeds: the first ``init_reps`` are those of
        ``sim6``, the rest trained in the same batch (final loss and errors only).
    """

    spec: gdln.GDLN
    trained: torch.Tensor
    mask: torch.Tensor
    snap_at: list[int]
    sim: gdln.Trajectory
    sim6: gdln.Trajectory
    init_seeds: tuple[int, ...]
    spread: gdln.Trajectory


def train_routing(P: Params, device: torch.device | str = "cpu") -> RoutingRuns:
    """Train the Fig. 4 networks (random and decoupled init) and the Fig. 6 init-scale networks as one batch.

    Fig. 4: seeds ``1..reps`` from orthogonal init at ``sigma0`` and one
    decoupled start at ``b0 = sigma0 / b0_ratio`` (seed 0), learning rate ``lr``.
    Fig. 6: seeds ``200, 201, ...`` at each of ``init_scales`` with learning rate
    ``init_lr / sigma0^(1/3)``, then ``spread_reps - init_reps`` more seeds at the
    smallest scale.
    All train ``max(epochs, init_epochs)`` epochs on the ``K`` trained routes;
    Fig. 4 reads its runs' first ``epochs`` epochs.

    Parameters
    ----------
    P : Params
    device : torch.device or str

    Returns
    -------
    RoutingRuns
    """
    spec = gdln.routing(P.M, P.hidden).to(device, torch.float32)
    trained = gdln.trained_routes(P.M, P.K, device=device)
    mask = trained.reshape(-1).float()
    seeds = list(range(1, P.reps + 1))
    w_rand = gdln.init_random(spec, seeds, P.sigma0)
    w_dec = gdln.init_decoupled(spec, [0], b0(P))
    n_extra = max(P.spread_reps - P.init_reps, 0)
    n6 = len(P.init_scales) * P.init_reps
    sig = [s for s in P.init_scales for _ in range(P.init_reps)] + [P.init_scales[0]] * n_extra
    init_seeds = [200 + i for i in range(len(sig))]
    w6 = gdln.init_random(spec, init_seeds, sig)
    n4 = P.reps + 1
    w0 = [torch.cat([a, b, c]) for a, b, c in zip(w_rand, w_dec, w6)]
    lrs = torch.tensor([P.lr] * n4 + [P.init_lr / s ** (1 / 3) for s in sig])
    snap_at = list(range(0, P.epochs + 1, 25))
    both = gdln.train(spec, w0, lrs, max(P.epochs, P.init_epochs), mask=mask, snapshot_at=snap_at)
    sim = gdln.Trajectory(both.loss[:n4, :P.epochs + 1], both.task_error[:n4, :P.epochs + 1],
                          [w[:n4] for w in both.snapshots[P.epochs]],
                          {e: [w[:n4] for w in ws] for e, ws in both.snapshots.items()})
    sim6 = gdln.Trajectory(both.loss[n4:n4 + n6, :P.init_epochs + 1], both.task_error[n4:n4 + n6, :P.init_epochs + 1],
                           [w[n4:n4 + n6] for w in both.weights], {})
    first = list(range(n4, n4 + P.init_reps)) + list(range(n4 + n6, n4 + n6 + n_extra))
    spread = gdln.Trajectory(both.loss[first, P.init_epochs:P.init_epochs + 1],
                             both.task_error[first, P.init_epochs:P.init_epochs + 1], [w[first] for w in both.weights], {})
    return RoutingRuns(spec, trained, mask, snap_at, sim, sim6, tuple(init_seeds), spread)


@dataclass(frozen=True)
class RoutingTheory:
    """The reduced dynamics of the routing network from ``b0 = sigma0 / b0_ratio`` (the authors' start).

    Attributes
    ----------
    sys : repgeom.models.gdln.theory.Reduced
    theory : repgeom.models.gdln.theory.TheoryRun
        Stepped like gradient descent (Euler, one step per epoch); ``b`` (epochs + 1, E, K).
    flow : repgeom.models.gdln.theory.TheoryRun
        The continuous gradient flow (one Runge-Kutta step per epoch).
    at_sigma0 : repgeom.models.gdln.theory.TheoryRun
        For comparison: stepped like gradient descent from ``b0 = sigma0``.
    """

    sys: th.Reduced
    theory: th.TheoryRun
    flow: th.TheoryRun
    at_sigma0: th.TheoryRun


def routing_theory(runs: RoutingRuns, P: Params, device: torch.device | str = "cpu") -> RoutingTheory:
    """Integrate the routing network's reduced equations on its trained routes.

    Parameters
    ----------
    runs : RoutingRuns
        Supplies the network and the trained routes.
    P : Params
        ``sigma0``, ``lr``, ``epochs``.
    device : torch.device or str

    Returns
    -------
    RoutingTheory
    """
    sys4 = th.reduce(runs.spec)
    start = torch.full((sys4.n_edges, sys4.n_modes), b0(P), dtype=torch.float64, device=device)
    theory = th.integrate(sys4, start, P.lr, P.epochs, mask=runs.mask.double(), method="euler", substeps=1)
    # Gradient flow (one classical Runge-Kutta step per epoch; 4 steps per epoch change it by < 1e-3).
    flow = th.integrate(sys4, start, P.lr, P.epochs, mask=runs.mask.double(), method="rk4", substeps=1)
    at_sigma0 = th.integrate(sys4, torch.full_like(start, P.sigma0), P.lr, P.epochs, mask=runs.mask.double(),
                             method="euler", substeps=1)
    return RoutingTheory(sys4, theory, flow, at_sigma0)


@dataclass(frozen=True)
class RoutingMeasures:
    """Fig. 4e and 4h: simulation against theory, learning stages and route errors.

    Attributes
    ----------
    dec_gap, flow_gap, rand_gap : float
        Largest gap to the stepped theory's loss, over its initial loss, of the
        decoupled simulation, the gradient flow and the mean random-init run.
    rand_gap_sigma0 : float
        The same for the mean random-init run against the theory started at ``b0 = sigma0``.
    levels : tuple of float
        Loss levels (fractions 1/2, 1/8, 1/32 of the initial loss) at which crossing epochs are read.
    cross_rand, cross_theory, cross_sigma0 : numpy.ndarray
        First epoch at which the mean random-init loss, the theory (authors' b0) and the theory from
        ``b0 = sigma0`` fall below each level (``inf`` if never), shape (3,).
    S : torch.Tensor
        The data's singular values (target mode strengths), shape (K,).
    stage_times : numpy.ndarray
        Per mode, the median over random-init runs of the first snapshot epoch at
        which the mode's strength exceeds half its target (NaN if never), shape (K,).
    y_energy : float
        The loss weight times the targets' squared norm (one route's scaled error when predicting zero).
    zero_err : float
        One route's error in the paper's units, ``||Y||_F^2 / 2``, when the network predicts zero.
    tr_err, un_err : float
        Error in the paper's units, ``||Y - Y_hat||_F^2 / 2`` per route, of the random-init runs at the
        end: mean over trained / untrained routes and runs.
    """

    dec_gap: float
    flow_gap: float
    rand_gap: float
    S: torch.Tensor
    stage_times: np.ndarray
    y_energy: float
    tr_err: float
    un_err: float
    zero_err: float = float("nan")
    rand_gap_sigma0: float = float("nan")
    levels: tuple = (0.5, 0.125, 0.03125)
    cross_rand: np.ndarray = None
    cross_theory: np.ndarray = None
    cross_sigma0: np.ndarray = None


def paper_error(spec: gdln.GDLN, task_error: torch.Tensor) -> torch.Tensor:
    """A route's error in the paper's units, ``||Y - Y_hat||_F^2 / 2``, from :func:`gdln.train`'s scaled task error."""
    return task_error / (2 * spec.scale)


def _crossings(loss: torch.Tensor, levels: np.ndarray) -> np.ndarray:
    hit = [torch.nonzero(loss < lv) for lv in levels]
    return np.array([float(h[0]) if len(h) else np.inf for h in hit])


def routing_measures(runs: RoutingRuns, theory: RoutingTheory, P: Params) -> RoutingMeasures:
    """Compare the Fig. 4 simulations with the theory and read off stages and route errors.

    Parameters
    ----------
    runs : RoutingRuns
    theory : RoutingTheory
    P : Params
        ``reps``, ``M``.

    Returns
    -------
    RoutingMeasures
    """
    spec, sim, snap_at, mask, trained = runs.spec, runs.sim, runs.snap_at, runs.mask, runs.trained
    L0 = float(theory.theory.loss[0])
    dec_gap = float((sim.loss[-1].double() - theory.theory.loss).abs().max() / L0)
    flow_gap = float((theory.flow.loss - theory.theory.loss).abs().max() / L0)
    rand_mean = sim.loss[:-1].double().mean(0)
    rand_gap = float((rand_mean - theory.theory.loss).abs().max() / L0)
    rand_gap_sigma0 = float((rand_mean - theory.at_sigma0.loss).abs().max() / float(theory.at_sigma0.loss[0]))
    levels = (0.5, 0.125, 0.03125)
    lv = np.array(levels) * float(rand_mean[0])
    cross_rand, cross_theory, cross_sigma0 = (_crossings(x.cpu(), lv) for x in
                                              (rand_mean, theory.theory.loss, theory.at_sigma0.loss))

    # Stages: epoch at which each data mode reaches half its target in the random-init runs.
    _, S4, _ = gdln.modes(spec)
    strength_t = torch.stack([gdln.mode_strengths(spec, sim.snapshots[e])[:-1][:, mask.bool()].mean(1) for e in snap_at])
    half = [[next((snap_at[i] for i in range(len(snap_at)) if strength_t[i, r, k] > S4[k] / 2), None)
             for k in range(S4.shape[0])] for r in range(P.reps)]
    half = np.array([[np.nan if v is None else v for v in row] for row in half], dtype=float)
    stage_times = np.nanmedian(half, axis=0)

    # Errors on trained and untrained routes in the paper's units, ||Y - Y_hat||^2 / 2 per route.
    y_energy = spec.scale * float(spec.y.pow(2).sum())
    zero_err = float(spec.y.pow(2).sum()) / 2
    err = paper_error(spec, sim.task_error[:-1, -1]).reshape(P.reps, P.M, P.M).cpu()
    tr_err, un_err = float(err[:, trained.cpu()].mean()), float(err[:, ~trained.cpu()].mean())
    return RoutingMeasures(dec_gap, flow_gap, rand_gap, S4, stage_times, y_energy, tr_err, un_err, zero_err,
                           rand_gap_sigma0, levels, cross_rand, cross_theory, cross_sigma0)


@dataclass(frozen=True)
class RoutingGeometry:
    """Fig. 4f-g: singular values of the trained matrices and the first hidden layer's similarity.

    Attributes
    ----------
    sv_h, sv_e, sv_d : torch.Tensor
        Top four singular values per snapshot and random-init run of the shared
        hidden matrix, the encoders (mean over them) and the decoders, shape (snapshots, reps, 4).
    ratio_top : float
        Mean over runs of the final top hidden over top encoder singular value (paper: sqrt(M)).
    sim_rsm : torch.Tensor
        Cosine similarity of first-hidden-layer representations, (reps, M * n_items, M * n_items).
    cross_sim : float
        Mean similarity of the same item in two different input domains.
    ratio_init, cross_init : float
        The same two statistics at initialisation (the untrained networks: the control).
    """

    sv_h: torch.Tensor
    sv_e: torch.Tensor
    sv_d: torch.Tensor
    ratio_top: float
    sim_rsm: torch.Tensor
    cross_sim: float
    ratio_init: float = float("nan")
    cross_init: float = float("nan")


def routing_geometry(runs: RoutingRuns, P: Params) -> RoutingGeometry:
    """Singular values of hidden vs encoder/decoder matrices, and the cross-domain similarity.

    Parameters
    ----------
    runs : RoutingRuns
    P : Params
        ``M``.

    Returns
    -------
    RoutingGeometry
    """
    sim, snap_at, spec = runs.sim, runs.snap_at, runs.spec
    sv_h = torch.stack([torch.linalg.svdvals(sim.snapshots[e][1][:-1, 0])[:, :4] for e in snap_at]).cpu()
    sv_e = torch.stack([torch.linalg.svdvals(sim.snapshots[e][0][:-1]).mean(1)[:, :4] for e in snap_at]).cpu()
    sv_d = torch.stack([torch.linalg.svdvals(sim.snapshots[e][2][:-1]).mean(1)[:, :4] for e in snap_at]).cpu()
    ratio_top = float((sv_h[-1, :, 0] / sv_e[-1, :, 0]).mean())

    ratio_init = float((sv_h[0, :, 0] / sv_e[0, :, 0]).mean())

    n_items = spec.x.shape[0]

    def cross(rsm):
        return float(torch.stack([torch.stack([rsm[:, i * n_items + n, j * n_items + n] for n in range(n_items)]).mean(0)
                                  for i in range(P.M) for j in range(P.M) if i != j]).mean())

    sim_rsm = gdln.first_layer_similarity(spec, sim.weights)[:-1].cpu()  # (reps, M*4, M*4)
    cross_init = cross(gdln.first_layer_similarity(spec, sim.snapshots[snap_at[0]])[:-1].cpu())
    return RoutingGeometry(sv_h, sv_e, sv_d, ratio_top, sim_rsm, cross(sim_rsm), ratio_init, cross_init)
