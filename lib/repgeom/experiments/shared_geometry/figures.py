"""The chapter's figures: the simulation (Fig. 2), the ConvNet example (Fig. 1), the layer profiles (Fig. 3)
and the comparison with CKA and Procrustes distance."""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.decomposition import PCA

from repgeom import stats

from .analysis import EnsembleAnalysis, layer_profiles
from .simulation import KINDS, METHODS, SPACES

__all__ = ["plot_beyond", "plot_class_means", "plot_layer_profiles", "plot_rsm_row", "plot_sim_bars"]


def plot_sim_bars(table: dict) -> matplotlib.figure.Figure:
    """Fig. 2A: corr(iRSM, wRSM) in the shared and native spaces, bars with 95% CIs.

    Parameters
    ----------
    table : dict
        ``(kind, space, method) -> stats.Interval``, as in :class:`.simulation.SimulationSummary`.

    Returns
    -------
    matplotlib.figure.Figure
        One panel per kind of transform, linear and rank correlation side by side.
    """
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharey=True)
    colors = {"shared": "C0", "native": "C5"}
    for ax, kind in zip(axes, KINDS):
        for j, method in enumerate(METHODS):
            for k, space in enumerate(SPACES):
                iv = table[(kind, space, method)]
                xpos = j + (k - 0.5) * 0.35
                ax.bar(xpos, iv.estimate, width=0.33, color=colors[space], label=f"{space} space" if j == 0 else None)
                ax.errorbar(xpos, iv.estimate, yerr=[[iv.estimate - iv.low], [iv.high - iv.estimate]], color="k",
                            capsize=3)
        ax.set_xticks([0, 1], ["linear", "rank"])
        ax.set_title(f"{kind} transforms")
        ax.axhline(0, color="k", lw=0.5)
    axes[0].set_ylabel("corr(iRSM, wRSM)")
    axes[1].legend(loc="center right")
    fig.tight_layout()
    return fig


def plot_rsm_row(mats: Sequence[torch.Tensor], titles: Sequence[str]) -> matplotlib.figure.Figure:
    """RSMs side by side on one colour scale [-1, 1] with one colour bar (Figs. 1B and 2B).

    Parameters
    ----------
    mats : sequence of torch.Tensor, shape (m, m)
        Three RSMs.
    titles : sequence of str
        One title per RSM.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.1))
    for ax, mat, title in zip(axes, mats, titles):
        im = ax.imshow(mat.numpy(), vmin=-1, vmax=1, cmap="viridis")
        ax.set_title(title)
        ax.set_xticks([]), ax.set_yticks([])
    fig.colorbar(im, ax=axes, shrink=0.8, label="correlation")
    return fig


def plot_class_means(native: torch.Tensor, shared: torch.Tensor, labels: np.ndarray) -> matplotlib.figure.Figure:
    """Fig. 1A: two networks' class means in a common 2-D PCA view, native and shared space.

    Parameters
    ----------
    native, shared : torch.Tensor, shape (2, m_eval, n_units)
        Two networks' evaluation activity before and after SRM.
    labels : np.ndarray, shape (m_eval,)
        Class of each evaluation image.

    Returns
    -------
    matplotlib.figure.Figure
    """
    classes = np.unique(labels)
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    for ax, space, title in ((axes[0], native, "native space"), (axes[1], shared, "shared space (SRM)")):
        means = np.stack([[space[i][labels == c].mean(0).numpy() for c in classes] for i in range(2)])  # (2, C, n)
        pca = PCA(2, random_state=0).fit(means.reshape(-1, means.shape[-1]))
        for i, marker in enumerate(("o", "^")):
            z = pca.transform(means[i])
            ax.scatter(z[:, 0], z[:, 1], c=[f"C{c % 10}" for c in classes], marker=marker, s=50,
                       label=f"network {i + 1}", edgecolor="k", linewidth=0.4)
        ax.set_title(title)
        ax.set_xlabel("PC 1"), ax.set_ylabel("PC 2")
    axes[0].legend()
    fig.tight_layout()
    return fig


def _ci_bars(ax, samples: list[np.ndarray], shades: np.ndarray, n_resamples: int) -> None:
    cis = [stats.bootstrap_ci(v, n_resamples=n_resamples, seed=0) for v in samples]
    ax.bar(range(len(samples)), [i.estimate for i in cis], color=shades,
           yerr=[[i.estimate - i.low for i in cis], [i.high - i.estimate for i in cis]], capsize=2)
    ax.set_ylim(0, 1)


def plot_layer_profiles(results: dict[tuple[str, str], EnsembleAnalysis], n_resamples: int
                        ) -> matplotlib.figure.Figure:
    """Fig. 3: per ensemble, the alignment over training, SRM variance explained and wRSM consistency per layer.

    Parameters
    ----------
    results : dict
        ``(role, arch) -> EnsembleAnalysis``; one column each.
    n_resamples : int
        Bootstrap resamples of the 95% CIs (over networks or network pairs).

    Returns
    -------
    matplotlib.figure.Figure
        Three rows (training curve, variance explained, consistency), layers shaded darker with depth.
    """
    fig, axes = plt.subplots(3, len(results), figsize=(3.4 * len(results), 8.2), squeeze=False)
    for c, ((ds, arch), res) in enumerate(results.items()):
        layers = res.layers
        shades = plt.cm.Blues(np.linspace(0.35, 1.0, len(layers)))
        ax = axes[0, c]
        for layer, col in zip(layers, shades):
            ax.plot(res.epochs, res.curve[layer], "o-", color=col, label=layer, ms=3)
        ax.set_title(f"{arch}, {ds}")
        ax.set_xlabel("epoch")
        ax.legend(fontsize=6, ncol=2)
        _ci_bars(axes[1, c], [res.per_layer[l].ve for l in layers], shades, n_resamples)
        _ci_bars(axes[2, c], [res.per_layer[l].consistency for l in layers], shades, n_resamples)
        for r in (1, 2):
            axes[r, c].set_xticks(range(len(layers)), layers, rotation=60, fontsize=7)
    axes[0, 0].set_ylabel("corr(shared iRSM, final wRSM)")
    axes[1, 0].set_ylabel("SRM variance explained\n(held-out images)")
    axes[2, 0].set_ylabel("corr between wRSMs\n(consistency)")
    fig.tight_layout()
    return fig


def plot_beyond(results: dict[tuple[str, str], EnsembleAnalysis],
                ve_mean: dict[tuple[str, str], np.ndarray]) -> matplotlib.figure.Figure:
    """SRM variance explained beside linear CKA and Procrustes similarity per layer, and accuracy against VE.

    Parameters
    ----------
    results : dict
        ``(role, arch) -> EnsembleAnalysis``; one panel each.
    ve_mean : dict
        ``(role, arch) -> np.ndarray (n_layers,)`` mean variance explained.

    Returns
    -------
    matplotlib.figure.Figure
        The last panel scatters each network's held-out accuracy (%) against its last-layer VE.
    """
    fig, axes = plt.subplots(1, len(results) + 1, figsize=(3.4 * (len(results) + 1), 3.4), squeeze=False)
    axes = axes[0]
    for c, ((ds, arch), res) in enumerate(results.items()):
        layers = res.layers
        cka, proc = layer_profiles(res)
        ax = axes[c]
        ax.plot(range(len(layers)), ve_mean[ds, arch], "o-", label="SRM variance explained")
        ax.plot(range(len(layers)), cka, "s-", label="linear CKA (mean pair)")
        ax.plot(range(len(layers)), proc, "^-", label="1 - Procrustes angle / (π/2)")
        ax.set_xticks(range(len(layers)), layers, rotation=60, fontsize=7)
        ax.set_ylim(0, 1)
        ax.set_title(f"{arch}, {ds}")
    axes[0].legend(fontsize=7)
    ax = axes[-1]
    for k, ((ds, arch), res) in enumerate(results.items()):
        last = res.layers[-1]
        ax.scatter(100 * res.acc, res.per_layer[last].ve, label=f"{arch}, {ds} ({last})", color=f"C{k}")
    ax.set_xlabel("test accuracy (%)")
    ax.set_ylabel("SRM VE of the network (last layer)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
