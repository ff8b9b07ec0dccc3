"""The chapter's figures, drawn to the book's figure standard; the chapter publishes each with its caption."""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from repgeom import stats
from repgeom.book.plots import heatmap, panels
from repgeom.measures.spatial import class_mean_maps

from .clustering import Comparisons
from .networks import Measured
from .prior import Priors

__all__ = ["prior_figure", "class_mosaic", "class_maps_figure", "seed_effects_figure", "costs_figure",
           "pruning_figure"]

ARM_COLOURS = {"control": "C0", "locality": "C1"}


def _bare(ax) -> None:
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def prior_figure(priors: Priors) -> Figure:
    """Five heat maps of the prior, in two rows: 1-D example, LeNet grid (centre, top-left, normalised), AlexNet grid.

    Parameters
    ----------
    priors : Priors

    Returns
    -------
    matplotlib.figure.Figure
    """
    side, centre, p2 = priors.side, priors.centre, priors.lenet
    fig, axes = panels(5, ncols=3, panel_height=2.2)
    shown = [
        (priors.one_d.numpy(), "1-D, 7 neurons", "fraction transmitted"),
        (p2[centre].reshape(side, side).numpy(), f"{side} × {side}, centre", "fraction transmitted"),
        (p2[0].reshape(side, side).numpy(), f"{side} × {side}, top-left", "fraction transmitted"),
        (priors.lenet_normalized[0].reshape(side, side).numpy(), "top-left, normalised", "rescaled fraction"),
        (priors.alexnet[64 * 32 + 32].reshape(64, 64).numpy(), "64 × 64, centre", "fraction transmitted"),
    ]
    for ax, (img, title, what) in zip(axes, shown):
        heatmap(ax, img, colorbar=what, aspect="equal")
        ax.set_title(title, fontsize=9)
        _bare(ax)
    return fig


def class_mosaic(maps: np.ndarray, side: int, per_row: int = 5, gap: int = 3) -> np.ndarray:
    """Tile per-class maps into one image: rows of ``per_row`` tiles, a ``gap`` of NaN above each row.

    Parameters
    ----------
    maps : numpy.ndarray, shape (classes, side**2)
    side : int
    per_row : int
    gap : int
        NaN rows above each row of tiles (room for the class names); one NaN column between tiles.

    Returns
    -------
    numpy.ndarray, shape (rows * (gap + side), per_row * (side + 1) - 1)
        Tile ``c`` occupies rows ``r * (gap + side) + gap + [0, side)``, columns ``k * (side + 1) + [0, side)``
        with ``r, k = divmod(c, per_row)``.
    """
    maps = np.asarray(maps, dtype=float)
    n = maps.shape[0]
    rows = -(-n // per_row)
    out = np.full((rows * (gap + side), per_row * (side + 1) - 1), np.nan)
    for c in range(n):
        r, k = divmod(c, per_row)
        y, x = r * (gap + side) + gap, k * (side + 1)
        out[y:y + side, x:x + side] = maps[c].reshape(side, side)
    return out


def class_maps_figure(pair: dict[str, Measured], layer: str, labels: torch.Tensor, names: Sequence[str],
                      side: int) -> Figure:
    """Class-averaged activation maps of one pair: raw (top row) and minus the mean over classes (bottom row).

    Each panel tiles the classes' 7 x 7 maps, named above each tile.

    Parameters
    ----------
    pair : dict of str to Measured
        ``pairs[seed]``.
    layer : {"lp_input", "lp_output"}
    labels : torch.Tensor, shape (n_maps,)
    names : sequence of str
        Class names, one per class.
    side : int
        LP grid side.

    Returns
    -------
    matplotlib.figure.Figure
        Four panels: control and locality, raw and mean-subtracted.
    """
    num_classes, per_row, gap = len(names), 5, 3
    fig, axes = panels(4, ncols=2, panel_height=2.0)
    for ax, (arm, centred) in zip(axes, [("control", False), ("locality", False), ("control", True),
                                         ("locality", True)]):
        m = class_mean_maps(getattr(pair[arm], layer), labels, num_classes)
        if centred:
            m = m - m.mean(0, keepdim=True)
        vmax = max(float(m.abs().max()), 1e-12)
        heatmap(ax, class_mosaic(m.numpy(), side, per_row, gap), cmap="RdBu_r" if centred else "viridis",
                vmin=-vmax if centred else 0.0, vmax=vmax, aspect="equal",
                colorbar="difference from mean" if centred else "mean activation")
        for c, name in enumerate(names):
            name = name if len(name) <= 8 else name.split()[-1].capitalize()  # "Ankle boot" -> "Boot"
            r, k = divmod(c, per_row)
            ax.text(k * (side + 1) + (side - 1) / 2, r * (gap + side) + gap - 0.8, name, ha="center",
                    va="bottom", fontsize=8)
        ax.set_title(f"{arm}, {'mean-subtracted' if centred else 'raw'}")
        _bare(ax)
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
        Two panels: LP output, LP input; each has its own y axis.
    """
    fig, axes = panels(2, panel_height=3.0)
    k = len(seeds)
    for ax, layer in zip(axes, ("output", "input")):
        d = [cmp[s][layer].diff for s in seeds]
        e = [1.96 * cmp[s][layer].se for s in seeds]
        ax.errorbar(range(k), d, yerr=e, fmt="o", capsize=4, label="one pair (95 % CI over images)")
        c = ci[layer]
        ax.errorbar([k + 0.5], [c.estimate], yerr=[[c.estimate - c.low], [c.high - c.estimate]], fmt="s",
                    color="C3", capsize=4, label="mean over pairs (bootstrap 95 % CI)")
        ax.axhline(0, color="grey", lw=1)
        ax.set_xticks(list(range(k)) + [k + 0.5], [str(s) for s in seeds] + ["all"])
        ax.set_xlabel("seed pair")
        ax.set_title(f"LP {layer}")
        ax.set_ylabel("variance, locality − control")
    axes[0].legend(fontsize=8, loc="best")
    return fig


def costs_figure(cost_mean: pd.DataFrame, wd_mean: pd.DataFrame) -> Figure:
    """Accuracy and clustering by cost function (top) and against the weight decay (bottom).

    Parameters
    ----------
    cost_mean : pandas.DataFrame
        :attr:`~.sweeps.CostSweep.mean`.
    wd_mean : pandas.DataFrame
        :attr:`~.sweeps.WeightDecaySweep.mean`.

    Returns
    -------
    matplotlib.figure.Figure
        Four panels, one y axis each.
    """
    fig, axes = panels(4, ncols=2, panel_height=2.6)
    x = np.arange(len(cost_mean))
    names = [str(v) for v in cost_mean.index]
    ax = axes[0]
    ax.bar(x, cost_mean["accuracy (%)"], color="C1", label="locality variant")
    ax.axhline(cost_mean["control accuracy (%)"].iloc[0], color="C0", lw=2, label="control")
    ax.set_xticks(x, names)
    ax.set_xlabel("cost function")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(max(0.0, float(cost_mean["accuracy (%)"].min()) - 15), 100)
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title("accuracy by cost")
    ax = axes[1]
    ax.bar(x, cost_mean["output var diff"], color="C2")
    ax.axhline(0, color="grey", lw=1)
    ax.set_xticks(x, names)
    ax.set_xlabel("cost function")
    ax.set_ylabel("LP output variance,\nvariant − control")
    ax.set_title("clustering by cost")
    ax = axes[2]
    ax.plot(wd_mean.index, wd_mean["control accuracy (%)"], "o-", color=ARM_COLOURS["control"], label="control")
    ax.plot(wd_mean.index, wd_mean["locality accuracy (%)"], "s-", color=ARM_COLOURS["locality"], label="locality")
    ax.set_xscale("log")
    ax.set_xlabel("weight decay")
    ax.set_ylabel("test accuracy (%)")
    ax.legend(fontsize=8)
    ax.set_title("accuracy by weight decay")
    ax = axes[3]
    ax.plot(wd_mean.index, wd_mean["output var diff"], "^-", color="C2")
    ax.axhline(0, color="grey", lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("weight decay")
    ax.set_ylabel("LP output variance,\nlocality − control")
    ax.set_title("clustering by weight decay")
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
        Two panels, one y axis each.
    """
    fig, axes = panels(2, panel_height=2.8)
    for arm, colour in ARM_COLOURS.items():
        g = prune_df[prune_df.arm == arm].groupby("sparsity")
        for ax, col in zip(axes, ("accuracy (%)", "mean length")):
            ax.errorbar(g[col].mean().index, g[col].mean(), yerr=g[col].std(), fmt="o-", color=colour, capsize=3,
                        label=arm)
    axes[0].set_ylabel("test accuracy (%)")
    axes[0].legend(fontsize=8)
    axes[0].set_title("accuracy")
    axes[1].set_ylabel("mean connection length\n(grid spacings)")
    axes[1].set_title("wiring left")
    for ax in axes:
        ax.set_xlabel("fraction of LP connections pruned")
    return fig
