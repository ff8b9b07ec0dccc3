"""The chapter's figures: the simulation (Fig. 2), the ConvNet example (Fig. 1), the layer profiles (Fig. 3)
and the comparison with CKA and Procrustes distance, drawn to the book's figure standard."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.figure
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import torch
from sklearn.decomposition import PCA

from repgeom import stats
from repgeom.book.plots import heatmap, panels, shared_colorbar

from .analysis import EnsembleAnalysis, layer_profiles
from .networks import epoch_text
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
    fig, axes = panels(2, panel_height=2.8, sharey=True)
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
        ax.set_xlabel("correlation of the RSMs")
        ax.set_title(f"{kind} transforms")
        ax.axhline(0, color="k", lw=0.5)
    axes[0].set_ylabel("corr(iRSM, wRSM)")
    axes[1].legend(loc="center right")
    return fig


def plot_rsm_row(mats: Sequence[torch.Tensor], titles: Sequence[str], axis_label: str = "image"
                 ) -> matplotlib.figure.Figure:
    """RSMs side by side on one colour scale [-1, 1] with one colour bar (Figs. 1B and 2B).

    Parameters
    ----------
    mats : sequence of torch.Tensor, shape (m, m)
        Three RSMs.
    titles : sequence of str
        One title per RSM.
    axis_label : str
        What the rows and columns are (e.g. "test point (sorted by cloud)").

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = panels(3, panel_height=2.6)
    for ax, mat, title in zip(axes, mats, titles):
        im = heatmap(ax, mat.numpy(), vmin=-1, vmax=1, aspect="equal")
        ax.set_title(title)
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_xlabel(axis_label)
    axes[0].set_ylabel(axis_label)
    shared_colorbar(fig, im, axes, "correlation")
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
    fig, axes = panels(2, panel_height=3.0)
    for ax, space, title in ((axes[0], native, "native space"), (axes[1], shared, "shared space (SRM)")):
        means = np.stack([[space[i][labels == c].mean(0).numpy() for c in classes] for i in range(2)])  # (2, C, n)
        pca = PCA(2, random_state=0).fit(means.reshape(-1, means.shape[-1]))
        for i, marker in enumerate(("o", "^")):
            z = pca.transform(means[i])
            ax.scatter(z[:, 0], z[:, 1], c=[f"C{c % 10}" for c in classes], marker=marker, s=50,
                       label=f"network {i + 1}", edgecolor="k", linewidth=0.4)
        ax.set_title(title)
        ax.set_xlabel("principal component 1"), ax.set_ylabel("principal component 2")
    axes[0].legend()
    return fig


def _ci_bars(ax, samples: list[np.ndarray], shades: np.ndarray, n_resamples: int) -> None:
    cis = [stats.bootstrap_ci(v, n_resamples=n_resamples, seed=0) for v in samples]
    ax.bar(range(len(samples)), [i.estimate for i in cis], color=shades,
           yerr=[[i.estimate - i.low for i in cis], [i.high - i.estimate for i in cis]], capsize=2)
    ax.set_ylim(0, 1)


def _log_epoch_axis(ax, epochs: Sequence) -> None:
    """Training time on a log scale, 0 (initialisation) on the linear part of a symlog axis.

    The linear part from 0 to the first checkpoint is as wide as the step from the first to the second
    checkpoint, so log-spaced checkpoints (doubling, as 1/16, 1/8 ... or 1, 2, 4) lie evenly.
    """
    pos = sorted(float(e) for e in epochs if e > 0)
    if pos:
        ratio = pos[1] / pos[0] if len(pos) > 1 else 10.0
        ax.set_xscale("symlog", linthresh=pos[0], linscale=float(np.log10(ratio)))
    ax.set_xticks([float(e) for e in epochs], [epoch_text(e) for e in epochs])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())


def plot_layer_profiles(results: Mapping[tuple[str, str], EnsembleAnalysis], arch: str, roles: Sequence[str],
                        labels: Mapping[str, str], n_resamples: int,
                        not_run: str = "not run in this build") -> matplotlib.figure.Figure:
    """Fig. 3 for one architecture: a column per dataset role, rows as in the paper.

    Rows: the shared-space iRSM–final-wRSM correlation over the training checkpoints (training time on a
    log scale, initialisation at 0), SRM variance explained per layer, and wRSM consistency per layer (95%
    bootstrap CIs over networks / network pairs). A role that was not run gets a column that says so.

    Parameters
    ----------
    results : mapping
        ``(role, arch) -> EnsembleAnalysis``.
    arch : {"ConvNet", "ResNet-18"}
    roles : sequence of str
        The paper's dataset roles in column order (``("cifar10", "cifar100")``).
    labels : mapping
        ``role -> the data it used, in words``; roles absent from ``results`` are shown as not run.
    n_resamples : int
        Bootstrap resamples of the 95% CIs.
    not_run : str
        Why a role absent from ``results`` was not run, shown in its column (e.g. "not run at the quick profile").

    Returns
    -------
    matplotlib.figure.Figure
    """
    ncols = len(roles)
    fig, axes = panels(3 * ncols, ncols=ncols, panel_height=2.2)
    grid = np.array(axes).reshape(3, ncols)
    names = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100"}
    for c, role in enumerate(roles):
        col = grid[:, c]
        if (role, arch) not in results:
            for ax in col:
                ax.set_axis_off()
            col[0].set_title(f"{arch}, {names.get(role, role)} role")
            col[1].text(0.5, 0.5, f"{names.get(role, role)} role\n{not_run}", ha="center",
                        va="center", transform=col[1].transAxes)
            continue
        res = results[role, arch]
        layers = res.layers
        shades = plt.cm.Blues(np.linspace(0.35, 1.0, len(layers)))
        for layer, colr in zip(layers, shades):
            col[0].plot([float(e) for e in res.epochs], res.curve[layer], "o-", color=colr, label=layer, ms=3)
        _log_epoch_axis(col[0], res.epochs)
        col[0].set_title(f"{arch}\n{labels[role]}")
        col[0].set_xlabel("training time (epochs, log scale)")
        _ci_bars(col[1], [res.per_layer[l].ve for l in layers], shades, n_resamples)
        _ci_bars(col[2], [res.per_layer[l].consistency for l in layers], shades, n_resamples)
        short = [l.replace("block", "b") for l in layers]
        for ax in col[1:]:
            ax.set_xticks(range(len(layers)), short, rotation=90 if len(layers) > 4 else 0)
            ax.set_xlabel("layer (shallow to deep)")
    grid[0, 0].set_ylabel("corr(shared iRSM,\nfinal wRSM)")
    grid[1, 0].set_ylabel("SRM variance\nexplained (held out)")
    grid[2, 0].set_ylabel("corr between\nwRSMs")
    drawn = next((grid[0, c] for c, role in enumerate(roles) if (role, arch) in results), None)
    if drawn is not None:       # below the figure, clear of the curves: one entry per layer, shallow to deep
        handles, names_ = drawn.get_legend_handles_labels()
        fig.legend(handles, [n.replace("block", "b") for n in names_], loc="outside lower center",
                   ncol=len(handles), fontsize=8, title="layer (darker = deeper)", title_fontsize=8,
                   handlelength=1.2, columnspacing=0.8)
    return fig


def plot_beyond(results: Mapping[tuple[str, str], EnsembleAnalysis], ve_mean: Mapping[tuple[str, str], np.ndarray],
                labels: Mapping[str, str]) -> matplotlib.figure.Figure:
    """SRM variance explained beside linear CKA and Procrustes similarity per layer, and accuracy against VE.

    Parameters
    ----------
    results : mapping
        ``(role, arch) -> EnsembleAnalysis``; one panel each.
    ve_mean : mapping
        ``(role, arch) -> np.ndarray (n_layers,)`` mean variance explained.
    labels : mapping
        ``role -> the data it used, in words``.

    Returns
    -------
    matplotlib.figure.Figure
        The last panel scatters each network's held-out accuracy (%) against its last-layer VE.
    """
    fig, axes = panels(len(results) + 1, panel_height=3.0)
    for c, ((ds, arch), res) in enumerate(results.items()):
        layers = res.layers
        cka, proc = layer_profiles(res)
        ax = axes[c]
        ax.plot(range(len(layers)), ve_mean[ds, arch], "o-", label="SRM variance explained")
        ax.plot(range(len(layers)), cka, "s-", label="linear CKA")
        ax.plot(range(len(layers)), proc, "^-", label="Procrustes similarity")
        ax.set_xticks(range(len(layers)), [l.replace("block", "b") for l in layers],
                      rotation=90 if len(layers) > 4 else 0)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("layer (shallow to deep)")
        ax.set_ylabel("similarity across networks")
        ax.set_title(f"{arch}\n{labels[ds]}")
    axes[0].legend(fontsize=8, loc="lower right")
    ax = axes[-1]
    for k, ((ds, arch), res) in enumerate(results.items()):
        last = res.layers[-1]
        ax.scatter(100 * res.acc, res.per_layer[last].ve, label=f"{arch} ({last})", color=f"C{k}")
    ax.set_xlabel("held-out accuracy (%)")
    ax.set_ylabel("SRM variance explained,\nlast layer")
    ax.set_title("each network")
    ax.legend(fontsize=8)
    return fig
