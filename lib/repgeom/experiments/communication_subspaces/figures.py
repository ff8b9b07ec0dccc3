"""The chapter's figures: convolution as a matrix product, alignment per block, p-values, training curve."""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from repgeom.models import resnet_connections as rc

from .measurements import MatmulCheck

__all__ = [
    "KIND_TITLE",
    "matmul_figure",
    "alignment_figure",
    "pvalue_figure",
    "training_figure",
    "resnet18_figure",
]

#: Connection type -> its name in titles and claim texts.
KIND_TITLE = {"direct": "direct", "branching": "branching", "short_skip": "short skip",
              "long_skip": "long skip", "indirect": "indirect (control)"}


def matmul_figure(check: MatmulCheck) -> matplotlib.figure.Figure:
    """Appendix Fig. 3: (a) a conv's output, (b) the same from ``W @ X``, (c) all outputs against each other.

    Parameters
    ----------
    check : MatmulCheck
        From :func:`.measurements.conv_as_matmul`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    ref, mm, err = check.conv_output, check.matmul_output, check.max_abs_err
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.3))
    vmax = float(ref[0].abs().max())
    axes[0].imshow(ref[0].cpu(), cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    axes[0].set_title(f"(a) convolution, channel 0\n{check.input_shape} input")
    axes[1].imshow(mm[0].cpu(), cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    axes[1].set_title(f"(b) W {check.weight_shape} @ X {check.unfolded_shape}\nchannel 0")
    for ax in axes[:2]:
        ax.set_xticks([]), ax.set_yticks([])
    axes[2].scatter(ref.flatten().cpu(), mm.flatten().cpu(), s=3, alpha=0.4)
    lim = float(ref.abs().max())
    axes[2].plot([-lim, lim], [-lim, lim], color="grey", lw=0.8)
    axes[2].set(xlabel="convolution output", ylabel="matrix product output",
                title=f"(c) all {ref.numel()} outputs\nmax |difference| = {err:.1e}")
    fig.tight_layout()
    return fig


def alignment_figure(tab: pd.DataFrame, title: str, blocks: Sequence[str]) -> matplotlib.figure.Figure:
    """Fig. 2: mean principal angle per block for each connection type, trained vs untrained vs random.

    Parameters
    ----------
    tab : pandas.DataFrame
        :func:`.alignment.alignment_table` (angles in degrees).
    title : str
        Figure title.
    blocks : sequence of str
        Block names of the network (``"layer1.0"`` ...), one tick each.

    Returns
    -------
    matplotlib.figure.Figure
        Five panels (a-e), one per connection type; stars mark p < .05.
    """
    short = [b.replace("layer", "") for b in blocks]
    fig, axes = plt.subplots(1, 5, figsize=(16, 3.4), sharey=True)
    for ax, kind, letter in zip(axes, rc.KINDS, "abcde"):
        t = tab[tab.kind == kind]
        x = t.block_index.to_numpy()
        ax.plot(x, t.baseline_deg, ls="--", color="grey", lw=1, label="random subspaces")
        yerr = np.vstack([t.untrained_deg - t.untrained_lo_deg, t.untrained_hi_deg - t.untrained_deg])
        ax.errorbar(x, t.untrained_deg, yerr=yerr, fmt="s", ms=4, color="C1", label="untrained")
        ax.plot(x, t.trained_deg, "o-", ms=4, color="C0", label="trained")
        sig = t.pvalue < 0.05
        ax.plot(x[sig.to_numpy()], np.full(int(sig.sum()), 2.0), "k*", ms=4, label="p < .05")
        ax.set_xticks(range(len(blocks)), short, rotation=90, fontsize=7)
        ax.set_xlim(-0.5, len(blocks) - 0.5)
        ax.set_title(f"({letter}) {KIND_TITLE[kind]}")
        ax.set_xlabel("block")
    axes[0].set_ylabel("mean principal angle (deg)")
    axes[0].set_ylim(0, 92)
    axes[-1].legend(loc="lower right", fontsize=7)
    fig.suptitle(title, y=1.02)
    fig.tight_layout()
    return fig


def pvalue_figure(w_tab: pd.DataFrame, a_tab: pd.DataFrame, blocks: Sequence[str]) -> matplotlib.figure.Figure:
    """Appendix Fig. 5: Mann-Whitney p-values per connection type (rows) and block (columns).

    Parameters
    ----------
    w_tab, a_tab : pandas.DataFrame
        :func:`.alignment.alignment_table` of the weight and the activation analysis.
    blocks : sequence of str
        Block names (``"layer1.0"`` ...).

    Returns
    -------
    matplotlib.figure.Figure
        Two heatmaps of log10 p with one colour bar; blank where a block has no such connection.
    """
    short = [b.replace("layer", "") for b in blocks]
    fig, axes = plt.subplots(1, 2, figsize=(14, 3.2))
    for ax, tab, title in ((axes[0], w_tab, "(a) weight-weight"), (axes[1], a_tab, "(b) activation-weight")):
        grid = np.full((len(rc.KINDS), len(blocks)), np.nan)
        for _, row in tab.iterrows():
            grid[rc.KINDS.index(row.kind), row.block_index] = row.pvalue
        im = ax.imshow(np.log10(np.clip(grid, 1e-30, 1)), cmap="Blues_r", vmin=-10, vmax=0, aspect="auto")
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if np.isfinite(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j]:.0e}" if grid[i, j] < 0.01 else f"{grid[i, j]:.2f}",
                            ha="center", va="center", fontsize=5.5,
                            color="white" if grid[i, j] < 1e-5 else "black")
        ax.set_xticks(range(len(blocks)), short, fontsize=7)
        ax.set_yticks(range(len(rc.KINDS)), [KIND_TITLE[k] for k in rc.KINDS], fontsize=8)
        ax.set_title(title)
        ax.grid(False)
    fig.colorbar(im, ax=axes, label="log10 p", shrink=0.9)
    return fig


def training_figure(curve: pd.DataFrame, loss: Sequence[float], steps_per_epoch: int) -> matplotlib.figure.Figure:
    """(a) Mean weight-to-weight angle per connection type along training; (b) the training loss.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`.measurements.training_curve`.
    loss : sequence of float
        Mean training loss of each epoch.
    steps_per_epoch : int
        Adam steps per epoch (the x axis is in steps).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.4))
    for kind in rc.KINDS:
        c = curve[curve.kind == kind]
        axes[0].plot(c.step, c.mean_deg, "o-", label=KIND_TITLE[kind])
    axes[0].set(xlabel="training step", ylabel="mean principal angle (deg)", title="(a) weight-to-weight alignment")
    axes[0].legend(fontsize=7)
    axes[1].plot(np.arange(1, len(loss) + 1) * steps_per_epoch, loss, "o-", color="k")
    axes[1].set(xlabel="training step", ylabel="training loss (epoch mean)", title="(b) training loss")
    fig.tight_layout()
    return fig


def resnet18_figure(tab: pd.DataFrame, blocks: Sequence[str]) -> matplotlib.figure.Figure:
    """Weight-to-weight alignment of a ResNet-18: direct, short skip and long skip, trained vs untrained.

    Parameters
    ----------
    tab : pandas.DataFrame
        :func:`.alignment.alignment_table` of the ResNet-18 (degrees).
    blocks : sequence of str
        Short block names (``"1.0"`` ...), one tick each.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.2), sharey=True)
    for ax, kind, letter in zip(axes, ("direct", "short_skip", "long_skip"), "abc"):
        t = tab[tab.kind == kind]
        ax.plot(t.block_index, t.baseline_deg, ls="--", color="grey", lw=1, label="random subspaces")
        ax.plot(t.block_index, t.untrained_deg, "s", color="C1", label="untrained")
        ax.plot(t.block_index, t.trained_deg, "o-", color="C0", label="trained")
        ax.set_xticks(range(len(blocks)), blocks, fontsize=7)
        ax.set_title(f"({letter}) {KIND_TITLE[kind]}")
        ax.set_xlabel("block")
    axes[0].set_ylabel("mean principal angle (deg)")
    axes[0].set_ylim(0, 92)
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    return fig
