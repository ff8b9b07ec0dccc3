"""Cost functions and weight decays: each locality variant against the control of the same seed."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from repgeom import training

from .networks import LeNetSetup, Pairs, compare, trained

__all__ = ["cost_variants", "CostSweep", "cost_sweep", "WeightDecaySweep", "weight_decay_sweep",
           "optimizer_variant"]


def cost_variants(normalized_variant: bool) -> list[tuple[str, bool]]:
    """The (cost, row-normalised) variants of the cost comparison, in training order.

    The costs are the released code's: ``1 / sqrt(1 + d)``, ``1 / (1 + d)``, ``1 / (1 + d)**2``.

    Parameters
    ----------
    normalized_variant : bool
        Also the row-normalised linear prior.

    Returns
    -------
    list of (str, bool)
    """
    return [("sqrt", False), ("linear", False)] + [("linear", True)] * normalized_variant + [("quadratic", False)]


@dataclass(frozen=True, eq=False)
class CostSweep:
    """The cost-function comparison.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per (seed, variant): accuracies (%) of variant and control, the
        LP-output variance difference with its t and p, the LP-input difference and p.
    mean : pandas.DataFrame
        The mean over seeds, indexed by variant in training order.
    """

    frame: pd.DataFrame
    mean: pd.DataFrame

    @property
    def accuracy(self) -> pd.Series:
        """Mean test accuracy (%) of each variant."""
        return self.mean["accuracy (%)"]

    @property
    def n_seeds(self) -> int:
        """Seeds the comparison was trained for."""
        return int(self.frame["seed"].nunique())

    @property
    def control_accuracy(self) -> float:
        """Mean test accuracy (%) of the same-seed controls."""
        return float(self.mean["control accuracy (%)"].iloc[0])


def cost_sweep(setup: LeNetSetup, pairs: Pairs) -> CostSweep:
    """Train the square-root, linear, (row-normalised) and quadratic priors for ``params.cost_seeds``.

    Networks already in ``pairs`` (the seed's control and linear locality network) are reused.

    Parameters
    ----------
    setup : LeNetSetup
    pairs : Pairs

    Returns
    -------
    CostSweep
    """
    p = setup.params
    cost_rows = []
    for seed in training.progress(p.cost_seeds, desc="cost functions"):
        ctrl = pairs[seed]["control"] if seed in pairs else trained(setup, "control", seed)
        for cost, norm in cost_variants(p.normalized_variant):
            if cost == "linear" and not norm and seed in pairs:
                loc = pairs[seed]["locality"]
            else:
                loc = trained(setup, "locality", seed, cost=cost, normalize=norm)
            o = compare(loc, ctrl, "output")
            i = compare(loc, ctrl, "input")
            cost_rows.append({"seed": seed, "variant": cost + (" (normalised)" if norm else ""),
                              "accuracy (%)": 100 * loc.acc, "control accuracy (%)": 100 * ctrl.acc,
                              "output var diff": o.diff, "output t": o.t, "output p": o.p,
                              "input var diff": i.diff, "input p": i.p})
    cost_df = pd.DataFrame(cost_rows)
    cost_mean = cost_df.groupby("variant", sort=False).mean(numeric_only=True).drop(columns="seed")
    return CostSweep(cost_df, cost_mean)


@dataclass(frozen=True, eq=False)
class WeightDecaySweep:
    """The weight-decay sweep.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per (seed, weight decay): accuracies (%) of both arms, LP-output variance difference and p.
    mean : pandas.DataFrame
        The mean over seeds, indexed by weight decay.
    """

    frame: pd.DataFrame
    mean: pd.DataFrame


def weight_decay_sweep(setup: LeNetSetup, pairs: Pairs) -> WeightDecaySweep:
    """Train both arms at every weight decay of ``params.wd_sweep`` for ``params.wd_seeds``.

    The pairs at the chapter's own weight decay are reused.

    Parameters
    ----------
    setup : LeNetSetup
    pairs : Pairs

    Returns
    -------
    WeightDecaySweep
    """
    p = setup.params
    wd_rows = []
    for seed in training.progress(p.wd_seeds, desc="weight decay"):
        for wd in p.wd_sweep:
            if wd == p.weight_decay and seed in pairs:
                ctrl, loc = pairs[seed]["control"], pairs[seed]["locality"]
            else:
                ctrl, loc = trained(setup, "control", seed, wd=wd), trained(setup, "locality", seed, wd=wd)
            o = compare(loc, ctrl, "output")
            wd_rows.append({"seed": seed, "weight decay": wd, "control accuracy (%)": 100 * ctrl.acc,
                            "locality accuracy (%)": 100 * loc.acc, "output var diff": o.diff, "output p": o.p})
    wd_df = pd.DataFrame(wd_rows)
    wd_mean = wd_df.groupby("weight decay").mean(numeric_only=True).drop(columns="seed")
    return WeightDecaySweep(wd_df, wd_mean)


def optimizer_variant(setup: LeNetSetup, pairs: Pairs, seed: int) -> pd.DataFrame:
    """The README table's RMSProp setting (same lr, momentum and weight decay) next to the SGD network.

    Trains the locality arm of ``seed`` with ``torch.optim.RMSprop`` and sets
    it beside the same seed's SGD networks of ``pairs``.

    Parameters
    ----------
    setup : LeNetSetup
    pairs : Pairs
        Must hold ``seed``.
    seed : int

    Returns
    -------
    pandas.DataFrame
        Rows: optimiser and arm; columns ``optimiser, network, test accuracy (%)``.
    """
    p = setup.params
    rms = trained(setup, "locality", seed, optimizer="rmsprop")
    setting = f"lr {p.lr:g}, momentum {p.momentum:g}, weight decay {p.weight_decay:g}"
    rows = [{"optimiser": f"{p.optimizer.upper()} (released script), {setting}", "network": f"{arm}, seed {seed}",
             "test accuracy (%)": 100 * pairs[seed][arm].acc} for arm in ("control", "locality")]
    rows.append({"optimiser": f"RMSProp (README table), {setting}", "network": f"locality, seed {seed}",
                 "test accuracy (%)": 100 * rms.acc})
    return pd.DataFrame(rows)
