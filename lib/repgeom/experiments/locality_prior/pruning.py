"""Beyond the README: pruning the trained LP layer by ``|W * P|`` (``|W|`` for controls), without fine-tuning."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from repgeom.measures.spatial import wiring_cost
from repgeom.models.locality_nets import prune_sweep
from repgeom.models.locality_prior import effective_weight

from .networks import Pairs

__all__ = ["PruneSweep", "prune_pairs", "PruneSummary", "prune_summary"]

ARMS = ("control", "locality")


@dataclass(frozen=True, eq=False)
class PruneSweep:
    """Accuracy and wiring of every trained network's LP layer pruned to each sparsity.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per (seed, arm, sparsity): ``accuracy (%)``, ``wiring cost`` (sum of |W*P| d)
        and ``mean length`` (weight-averaged connection length, grid spacings).
    mean : pandas.DataFrame
        Means over seeds, indexed by (arm, sparsity).
    """

    frame: pd.DataFrame
    mean: pd.DataFrame

    def at(self, arm: str, sparsity: float, column: str) -> float:
        """The mean over seeds of one column.

        Parameters
        ----------
        arm : {"control", "locality"}
        sparsity : float
            One of the swept sparsities.
        column : str
            ``"accuracy (%)"``, ``"wiring cost"`` or ``"mean length"``.

        Returns
        -------
        float
        """
        return float(self.mean.loc[(arm, sparsity), column])


def prune_pairs(pairs: Pairs, y_test: torch.Tensor, sparsities: Sequence[float],
                distances: torch.Tensor) -> PruneSweep:
    """Prune the LP layer of every network of ``pairs`` to each sparsity and measure it.

    Parameters
    ----------
    pairs : Pairs
    y_test : torch.Tensor, shape (n,)
        Labels of the test images whose LP inputs the pairs hold (``lp_input_test``).
    sparsities : sequence of float
        Fractions of the connections removed, each in [0, 1].
    distances : torch.Tensor, shape (side**2, side**2)
        Grid distances of the LP layer's connections.

    Returns
    -------
    PruneSweep
    """
    prune_rows = []
    for seed, pr in pairs.items():
        for arm in ARMS:
            for pruned in prune_sweep(pr[arm].model, pr[arm].lp_input_test, y_test, sparsities):
                prune_rows.append({"seed": seed, "arm": arm, "sparsity": pruned.sparsity,
                                   "accuracy (%)": 100 * pruned.accuracy,
                                   "wiring cost": float(wiring_cost(pruned.weight, distances)),
                                   "mean length": float(wiring_cost(pruned.weight, distances, per_unit_weight=True))})
    prune_df = pd.DataFrame(prune_rows)
    prune_mean = prune_df.groupby(["arm", "sparsity"]).mean(numeric_only=True).drop(columns="seed")
    return PruneSweep(prune_df, prune_mean)


@dataclass(frozen=True)
class PruneSummary:
    """What the pruning figure says, per arm.

    Attributes
    ----------
    drop50 : dict of str to float
        Accuracy lost (percentage points) at 50 % sparsity.
    len0 : dict of str to float
        Weight-averaged connection length before pruning (grid spacings).
    tiny : dict of str to float
        Fraction in [0, 1] of effective weights below 1 % of the layer's largest (mean over pairs).
    """

    drop50: dict[str, float]
    len0: dict[str, float]
    tiny: dict[str, float]


def prune_summary(sweep: PruneSweep, pairs: Pairs) -> PruneSummary:
    """The accuracy cost of pruning half the LP layer, its wiring length and its near-zero weights.

    Parameters
    ----------
    sweep : PruneSweep
        Must include sparsities 0 and 0.5.
    pairs : Pairs

    Returns
    -------
    PruneSummary
    """
    at = sweep.at
    drop50 = {arm: at(arm, 0.0, "accuracy (%)") - at(arm, 0.5, "accuracy (%)") for arm in ARMS}
    len0 = {arm: at(arm, 0.0, "mean length") for arm in ARMS}
    tiny = {arm: float(np.mean([float((effective_weight(pr[arm].model.lp).abs()
                                       < 0.01 * effective_weight(pr[arm].model.lp).abs().max()).float().mean())
                                for pr in pairs.values()])) for arm in ARMS}
    return PruneSummary(drop50, len0, tiny)
