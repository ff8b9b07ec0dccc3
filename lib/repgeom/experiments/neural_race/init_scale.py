"""Fig. 6: the rich race against the lazy regime, from the init-scale runs of :func:`.routing.train_routing`."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from repgeom.models import gdln
from repgeom.models.gdln import theory as th

from .params import Params, b0
from .routing import RoutingRuns

__all__ = ["InitScaleResult", "init_scale_analysis"]


@dataclass(frozen=True)
class InitScaleResult:
    """Errors, hidden similarity and the theory's accuracy at each init scale (S scales, R runs each).

    Attributes
    ----------
    rel : torch.Tensor
        Final error of every route in the paper's units (``||Y - Y_hat||_F^2 / 2``), shape (S, R, M, M).
    tr, un : numpy.ndarray
        Mean error on trained / untrained routes per scale (paper's units), shape (S,).
    rsm : torch.Tensor
        First-hidden-layer cosine similarity, shape (S, R, M * 4, M * 4).
    cross : numpy.ndarray
        Mean same-item similarity across different input domains per scale, shape (S,).
    theory : repgeom.models.gdln.theory.TheoryRun
        Reduced dynamics from ``b0 = sigma0 / b0_ratio`` at every scale (loss shape (epochs + 1, S)).
    sim_mean : torch.Tensor
        Mean simulated loss per scale, float64, shape (S, epochs + 1).
    th_gap : numpy.ndarray
        Largest gap between ``sim_mean`` and the theory's loss over the initial loss, shape (S,).
    spread_tr, spread_un : numpy.ndarray
        Per seed at the smallest scale (``spread_reps`` seeds): mean error on trained / untrained routes
        (paper's units), shape (spread_reps,).
    zero_err : float
        One route's error when predicting zero, ``||Y||_F^2 / 2``.
    """

    rel: torch.Tensor
    tr: np.ndarray
    un: np.ndarray
    rsm: torch.Tensor
    cross: np.ndarray
    theory: th.TheoryRun
    sim_mean: torch.Tensor
    th_gap: np.ndarray
    spread_tr: np.ndarray = None
    spread_un: np.ndarray = None
    zero_err: float = float("nan")


def init_scale_analysis(runs: RoutingRuns, y_energy: float, P: Params,
                        device: torch.device | str = "cpu") -> InitScaleResult:
    """Read Fig. 6 from the init-scale runs and integrate the decoupled theory at each scale.

    Parameters
    ----------
    runs : RoutingRuns
        Its ``sim6`` holds ``init_reps`` networks per scale of ``init_scales``.
    y_energy : float
        One route's scaled error when predicting zero (:attr:`.routing.RoutingMeasures.y_energy`).
    P : Params
        ``init_scales``, ``init_reps``, ``init_lr``, ``init_epochs``, ``M``.
    device : torch.device or str

    Returns
    -------
    InitScaleResult
    """
    spec, sim6, trained, mask = runs.spec, runs.sim6, runs.trained, runs.mask
    to_paper = 1.0 / (2 * spec.scale)  # scaled task error -> ||Y - Y_hat||^2 / 2
    zero_err = y_energy * to_paper
    rel6 = (sim6.task_error[:, -1] * to_paper).reshape(len(P.init_scales), P.init_reps, P.M, P.M).cpu()
    spread = (runs.spread.task_error[:, -1] * to_paper).reshape(-1, P.M, P.M).cpu()
    spread_tr = spread[:, trained.cpu()].mean(1).numpy()
    spread_un = spread[:, ~trained.cpu()].mean(1).numpy()
    tr6 = rel6[:, :, trained.cpu()].mean((1, 2)).numpy()
    un6 = rel6[:, :, ~trained.cpu()].mean((1, 2)).numpy()
    rsm6 = gdln.first_layer_similarity(spec, sim6.weights).cpu().reshape(len(P.init_scales), P.init_reps, P.M * 4, P.M * 4)
    cross6 = np.array([float(torch.stack([rsm6[s, :, i * 4 + n, j * 4 + n] for i in range(P.M) for j in range(P.M)
                                          if i != j for n in range(4)]).mean()) for s in range(len(P.init_scales))])

    # Beyond the paper: theory (decoupled start at b0 = sigma0 / b0_ratio) against the random-init simulations at each scale.
    sys6 = th.reduce(spec)
    b06 = torch.stack([torch.full((sys6.n_edges, sys6.n_modes), b0(P, s), dtype=torch.float64) for s in P.init_scales]).to(device)
    th6 = th.integrate(sys6, b06, torch.tensor([P.init_lr / s ** (1 / 3) for s in P.init_scales], dtype=torch.float64,
                                               device=device),
                       P.init_epochs, mask=mask.double(), method="euler", substeps=1)
    sim6_mean = sim6.loss.double().reshape(len(P.init_scales), P.init_reps, -1).mean(1).cpu()
    th_gap = ((sim6_mean - th6.loss.T.cpu()).abs().amax(1) / sim6_mean[:, 0]).numpy()
    return InitScaleResult(rel6, tr6, un6, rsm6, cross6, th6, sim6_mean, th_gap, spread_tr, spread_un, zero_err)
