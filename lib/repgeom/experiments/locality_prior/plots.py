"""The chapter's figures; each function returns the figure, the chapter saves it with its caption."""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from repgeom import stats
from repgeom.measures.spatial import class_mean_maps

from .clustering import Comparisons
from .networks import Measured
from .prior import Priors

__all__ = ["prior_figure", "class_maps_figure", "seed_effects_figure", "costs_figure", "pruning_figure"]


def prior_figure(priors: Priors) -> Figure:
    """Five heatmaps of the prior: 1-D example, LeNet grid (centre, top-left, normalised), AlexNet grid.

    Parameters
    ----------
    priors : Priors

    Returns
    -------
    matplotlib.figure.Figure
    """
    side, centre, p2 = priors.side, priors.centre, priors.lenet
    fig, axes = plt.subplots(1, 5, figsize=(15, 3.2))
    panels = [
        (priors.one_d.numpy(), "1-D, 7 neurons: $P_{ji}$"),
        (p2[centre].reshape(side, side).numpy(), f"{side}x{side}: into the centre neuron"),
        (p2[0].reshape(side, side).numpy(), f"{side}x{side}: into the top-left neuron"),
        (priors.lenet_normalized[0].reshape(side, side).numpy(), "top-left, rows normalised"),
        (priors.alexnet[64 * 32 + 32].reshape(64, 64).numpy(), "64x64 (AlexNet): centre neuron"),
    ]
    for ax, (img, title) in zip(axes, panels):
        im = ax.imshow(img, cmap="viridis")
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


def class_maps_figure(pair: dict[str, Measured], layer: str, labels: torch.Tensor, num_classes: int,
                      side: int) -> Figure:
    """Class-averaged activation maps of one pair: raw (rows 1-2) and minus the mean over classes (rows 3-4).

    Parameters
    ----------
    pair : dict of str to Measured
        ``pairs[seed]``.
    layer : {"lp_input", "lp_output"}
    labels : torch.Tensor, shape (n_maps,)
    num_classes : int
    side : int
        LP grid side.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(4, num_classes, figsize=(1.35 * num_classes, 6.0))
    for row, (arm, centred) in enumerate([("control", False), ("locality", False), ("control", True),
                                          ("locality", True)]):
        m = class_mean_maps(getattr(pair[arm], layer), labels, num_classes)
        if centred:
            m = m - m.mean(0, keepdim=True)
        vmax = float(m.abs().max())
        for c in range(num_classes):
            ax = axes[row, c]
            ax.imshow(m[c].reshape(side, side).numpy(), cmap="RdBu_r" if centred else "viridis",
                      vmin=-vmax if centred else 0, vmax=vmax)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if row == 0:
                ax.set_title(f"class {c}", fontsize=8)
        axes[row, 0].set_ylabel(f"{arm}\n{'mean-subtracted' if centred else 'raw'}", fontsize=8)
    fig.tight_layout()
    return fig


def seed_effects_figure(cmp: Comparisons, ci: dict[str, stats.Interval], seeds: Sequence[int]) -> Figure:
    """Variance difference (locality - control) of each pair with its 95 % interval, and the mean over pairs.

    Parameters
    ----------
    cmp : Comparisons
    ci : dict of str to Interval
        Bootstrap interval over pairs per layer (:class:`~.clustering.PairEffects`).
    seeds : sequence of int

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: LP output, LP input.
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=False)
    for ax, layer in zip(axes, ("output", "input")):
        d = [cmp[s][layer].diff for s in seeds]
        e = [1.96 * cmp[s][layer].se for s in seeds]
        ax.errorbar(range(len(seeds)), d, yerr=e, fmt="o", capsize=4, label="one pair (95% CI over images)")
        k = len(seeds)
        ax.errorbar([k + 0.5], [ci[layer].estimate], yerr=[[ci[layer].estimate - ci[layer].low],
                    [ci[layer].high - ci[layer].estimate]], fmt="s", color="C3", capsize=4,
                    label="mean over pairs (bootstrap 95% CI)")
        ax.axhline(0, color="grey", lw=1)
        ax.set_xticks(list(range(k)) + [k + 0.5], [f"seed {s}" for s in seeds] + ["all"])
        ax.set_title(f"LP {layer}")
        ax.set_ylabel("variance: locality − control")
    axes[0].legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def costs_figure(cost_mean: pd.DataFrame, wd_mean: pd.DataFrame) -> Figure:
    """Accuracy and clustering by cost function, and both against the weight decay.

    Parameters
    ----------
    cost_mean : pandas.DataFrame
        :attr:`~.sweeps.CostSweep.mean`.
    wd_mean : pandas.DataFrame
        :attr:`~.sweeps.WeightDecaySweep.mean`.

    Returns
    -------
    matplotlib.figure.Figure
        Three panels.
    """
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.4))
    x = np.arange(len(cost_mean))
    axes[0].bar(x, cost_mean["accuracy (%)"], color="C1", label="locality variant")
    axes[0].axhline(cost_mean["control accuracy (%)"].iloc[0], color="C0", lw=2, label="control")
    axes[0].set_xticks(x, cost_mean.index, rotation=20)
    axes[0].set_ylabel("test accuracy (%)")
    axes[0].set_ylim(max(0, float(cost_mean["accuracy (%)"].min()) - 15), 100)
    axes[0].legend(fontsize=8)
    axes[0].set_title("accuracy by cost")
    axes[1].bar(x, cost_mean["output var diff"], color="C2")
    axes[1].axhline(0, color="grey", lw=1)
    axes[1].set_xticks(x, cost_mean.index, rotation=20)
    axes[1].set_ylabel("LP output variance: variant − control")
    axes[1].set_title("clustering by cost")
    ax2 = axes[2]
    ax2.plot(wd_mean.index, wd_mean["control accuracy (%)"], "o-", label="control accuracy")
    ax2.plot(wd_mean.index, wd_mean["locality accuracy (%)"], "s-", label="locality accuracy")
    ax2.set_xscale("log")
    ax2.set_xlabel("weight decay")
    ax2.set_ylabel("test accuracy (%)")
    ax3 = ax2.twinx()
    ax3.plot(wd_mean.index, wd_mean["output var diff"], "^--", color="C2", label="output var diff")
    ax3.axhline(0, color="C2", lw=0.8, ls=":")
    ax3.set_ylabel("LP output variance: locality − control")
    ax3.grid(False)
    ax2.legend(fontsize=8, loc="lower left")
    ax2.set_title("weight-decay sweep")
    fig.tight_layout()
    return fig


def pruning_figure(prune_df: pd.DataFrame) -> Figure:
    """Accuracy and weight-averaged connection length against sparsity, control vs locality (mean and sd).

    Parameters
    ----------
    prune_df : pandas.DataFrame
        :attr:`~.pruning.PruneSweep.frame`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for arm, colour in (("control", "C0"), ("locality", "C1")):
        sub = prune_df[prune_df.arm == arm]
        g = sub.groupby("sparsity")
        axes[0].errorbar(g["accuracy (%)"].mean().index, g["accuracy (%)"].mean(), yerr=g["accuracy (%)"].std(),
                         fmt="o-", color=colour, capsize=3, label=arm)
        axes[1].errorbar(g["mean length"].mean().index, g["mean length"].mean(), yerr=g["mean length"].std(),
                         fmt="o-", color=colour, capsize=3, label=arm)
    axes[0].set_xlabel("fraction of LP connections pruned")
    axes[0].set_ylabel("test accuracy (%)")
    axes[0].legend(fontsize=8)
    axes[1].set_xlabel("fraction of LP connections pruned")
    axes[1].set_ylabel("mean connection length (grid spacings)")
    fig.tight_layout()
    return fig
