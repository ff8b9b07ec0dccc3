"""A gating structure given as a table of paths: its reduced theory beside simulations."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import torch

from repgeom.models import gdln
from repgeom.models.gdln import theory as th

__all__ = ["CustomResult", "custom_gating", "path_table"]


@dataclass(frozen=True)
class CustomResult:
    """Theory and simulations of a user-defined GDLN.

    Attributes
    ----------
    spec : repgeom.models.gdln.GDLN
    sys : repgeom.models.gdln.theory.Reduced
    theory : repgeom.models.gdln.theory.TheoryRun
        Reduced dynamics from ``b0`` (loss shape (epochs + 1,)).
    sims : repgeom.models.gdln.Trajectory
        Network 0 from the decoupled start, networks 1-3 from random orthogonal init.
    n_shared : int
        The first ``n_shared`` paths are the shared ones.
    share_theory, share_rand : float
        Fraction of the top mode's total path strength on the shared paths at the end:
        in theory, and in the random-init simulations (mean over them).
    gap : float
        Largest gap between the decoupled simulation's loss and the theory's, over the initial loss.
    """

    spec: gdln.GDLN
    sys: th.Reduced
    theory: th.TheoryRun
    sims: gdln.Trajectory
    n_shared: int
    share_theory: float
    share_rand: float
    gap: float


def custom_gating(table: Sequence[tuple[str, ...]], n_shared: int, device: torch.device | str = "cpu",
                  epochs: int = 300, b0: float = 0.1, lr: float = 0.02) -> CustomResult:
    """Build a GDLN from a table of paths and race its shared against its private paths.

    Items are one-hot (4 inputs), targets the hierarchical dataset (7 features),
    hidden width 16. Network 0 starts decoupled (seed 0), networks 1-3 at random
    (seeds 1-3), all at init scale ``b0``.

    Parameters
    ----------
    table : sequence of tuple of str
        One row per path: input node, two hidden nodes, output node.
    n_shared : int
        The table's first ``n_shared`` rows are the shared paths.
    device : torch.device or str
    epochs : int
    b0 : float
        Init scale (and the theory's initial mode strength).
    lr : float
        Learning rate per epoch.

    Returns
    -------
    CustomResult
    """
    y_items = gdln.hierarchical_items(device=device)
    cspec = gdln.build(list(table), (4, 16, 16, 7), torch.eye(4, dtype=torch.float64, device=device), y_items)
    csys = th.reduce(cspec)
    cb0 = torch.full((csys.n_edges, csys.n_modes), b0, dtype=torch.float64, device=device)
    c_theory = th.integrate(csys, cb0, lr, epochs, method="euler", substeps=1)
    c_w = [torch.cat([a, b]) for a, b in zip(gdln.init_decoupled(cspec, [0], b0), gdln.init_random(cspec, [1, 2, 3], b0))]
    c_all = gdln.train(cspec, c_w, lr, epochs)  # network 0: decoupled start; 1-3: random
    a_th = th.strengths(csys, c_theory.b[-1])  # (P, K)
    share_theory = float(a_th[:n_shared, 0].sum() / a_th[:, 0].sum())
    a_rand = gdln.mode_strengths(cspec, [w[1:] for w in c_all.weights])  # (R, P, K)
    share_rand = float((a_rand[:, :n_shared, 0].sum(1) / a_rand[:, :, 0].sum(1)).mean())
    custom_gap = float((c_all.loss[0] - c_theory.loss).abs().max() / c_theory.loss[0])
    return CustomResult(cspec, csys, c_theory, c_all, n_shared, share_theory, share_rand, custom_gap)


def path_table(spec: gdln.GDLN) -> pd.DataFrame:
    """The network's paths as a table: one row per path, columns input, hidden 1, hidden 2, output."""
    return pd.DataFrame(spec.path_names, columns=["input", "hidden 1", "hidden 2", "output"])
