"""Figures of the random tasks (Figs. 4B, 6), the deep networks (Fig. 5 and this book's addition), the CNNs (Fig. 4C).

Each function builds one figure of the chapter and returns it; saving and
captions stay with the chapter.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np

from .aligned import AlignedResults
from .cnn import CnnRow
from .deep import DeepResult
from .params import Params
from .sweep import COLORS, NAMES

__all__ = ["aligned_figure", "activations_figure", "deep_figure", "beyond_figure", "cnn_figure"]


def aligned_figure(aligned: AlignedResults, P: Params) -> matplotlib.figure.Figure:
    """Target alignment, PS and CCGP (rows) against c for every (P, k) (columns) (Fig. 4B).

    Lines: mean over the maximal-dimensional networks; dots: the random lower-rank kernels.

    Parameters
    ----------
    aligned : AlignedResults
    P : Params

    Returns
    -------
    matplotlib.figure.Figure
    """
    keys4 = ["target_alignment", "ps", "ccgp"]
    rows = [(p, k) for p, k in P.ks]
    fig, axs = plt.subplots(len(keys4), len(rows), figsize=(2.3 * len(rows), 6.5), sharey="row", squeeze=False)
    for j, (p, k) in enumerate(rows):
        for i, key in enumerate(keys4):
            ax = axs[i, j]
            for act in ("tanh", "relu"):
                v = aligned.collect(p, k, act, key)
                ax.plot(P.cs, v.mean(1), color=COLORS[act], label=act)
                dots = aligned.collect(p, k, act, key, solid=False)
                if dots.size:
                    ax.scatter(np.repeat(P.cs, dots.shape[1]), dots.ravel(), s=6, color=COLORS[act], alpha=0.5)
            if i == 0:
                ax.set_title(f"P={p}, k={k}", fontsize=9)
            if j == 0:
                ax.set_ylabel(NAMES[key], fontsize=8)
            if i == len(keys4) - 1:
                ax.set_xlabel("input-output alignment c")
    axs[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def activations_figure(curves6: dict[str, np.ndarray], P: Params) -> matplotlib.figure.Figure:
    """Target alignment against c for capped (left) and shifted (right) ReLUs, tanh and ReLU for reference (Fig. 6).

    Parameters
    ----------
    curves6 : dict
        Activation name -> mean target alignment per c (:func:`~.aligned.activation_curves`).
    P : Params

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axs = plt.subplots(1, 2, figsize=(9, 3.3), sharey=True)
    for ax, family, cmap in ((axs[0], "relu_cap", plt.cm.Blues), (axs[1], "relu_shift", plt.cm.RdYlGn)):
        ax.plot(P.cs, curves6["tanh"], "k--", label="tanh")
        ax.plot(P.cs, curves6["relu"], "k:", label="ReLU")
        fam = [a for a in curves6 if a.startswith(family)]
        for i, act in enumerate(fam):
            ax.plot(P.cs, curves6[act], color=cmap(0.35 + 0.6 * i / max(1, len(fam) - 1)), label=act)
        ax.set_xlabel("input-output alignment c")
        ax.set_title("capped ReLU min(max(x,0),a)" if family == "relu_cap" else "shifted ReLU max(x+b,0)", fontsize=9)
        ax.legend(fontsize=7)
    axs[0].set_ylabel("target alignment")
    fig.tight_layout()
    return fig


def deep_figure(deep: DeepResult, P: Params, task_names: Sequence[str]) -> matplotlib.figure.Figure:
    """Target and input alignment at every hidden layer, per depth (rows) and task (Fig. 5), mean ± s.d.

    Parameters
    ----------
    deep : DeepResult
    P : Params
    task_names : sequence of str
        In the order of the deep models' members.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axs = plt.subplots(len(P.depths), 2 * len(task_names), figsize=(13, 2.8 * len(P.depths)), squeeze=False)
    for r, depth in enumerate(P.depths):
        for t, tname in enumerate(task_names):
            for c_, key in enumerate(("target_alignment", "input_alignment")):
                ax = axs[r, 2 * t + c_]
                for a, act in enumerate(("tanh", "relu")):
                    v = deep.metrics[depth, key][:, t, a]
                    ax.errorbar(np.arange(1, depth + 1), v.mean(-1), yerr=v.std(-1), color=COLORS[act], label=act,
                                capsize=2)
                ax.set_title(f"{tname}, {depth} layers: {key.replace('_', ' ')}", fontsize=8)
                ax.set_xlabel("hidden layer")
    axs[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def beyond_figure(angles: np.ndarray, ve: dict[tuple[str, str], list[float]], members: dict[tuple[str, str], list[int]],
                  random: float, depth: int, k: int, nets: int) -> matplotlib.figure.Figure:
    """Communication-subspace angles per layer pair (left) and SRM variance explained per layer (right).

    Parameters
    ----------
    angles : np.ndarray, shape (depth - 1, n_models)
        Degrees (:func:`~.deep.communication_angles`).
    ve : dict
        (task, activation) -> variance explained per layer (:func:`~.deep.srm_across_seeds`).
    members : dict
        (task, activation) -> network indices (:func:`~.deep.deep_members`).
    random : float
        Mean angle of random subspaces (degrees), a dotted line.
    depth, k, nets : int
        Hidden layers, subspace dimension, networks per group.

    Returns
    -------
    matplotlib.figure.Figure
    """
    task_names = list(dict.fromkeys(t for t, _ in members))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.3))
    for t, style in zip(task_names, ("-", "--")):
        for ai, act in enumerate(("tanh", "relu")):
            cols = [members[t, act][0] + j for j in range(nets)]
            v = angles[:, cols]
            axes[0].errorbar(np.arange(1, depth), v.mean(1), yerr=v.std(1), color=COLORS[act], ls=style,
                             capsize=2, label=f"{act}, {t}")
            axes[1].plot(np.arange(1, depth + 1), ve[t, act], color=COLORS[act], ls=style, marker="o",
                         label=f"{act}, {t}")
    axes[0].axhline(random, color="k", lw=1, ls=":", label="random subspaces")
    axes[0].set(xlabel="layer pair (l → l+1)", ylabel="mean principal angle (deg)",
                title=f"output space of $W_l$ vs input space of $W_{{l+1}}$ (top {k})")
    axes[1].set(xlabel="hidden layer", ylabel="SRM variance explained (held out)",
                title=f"shared response across {nets} seeds")
    axes[0].legend(fontsize=7)
    for ax in axes:
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    fig.tight_layout()
    return fig


def cnn_figure(cnn_rows: list[CnnRow]) -> matplotlib.figure.Figure:
    """Bars of target alignment, PS, CCGP and accuracy per (dataset, architecture), tanh vs ReLU (Fig. 4C).

    Parameters
    ----------
    cnn_rows : list of CnnRow
        From :func:`~.cnn.cnn_geometry`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    cnn_keys = ["target_alignment", "ps", "ccgp", "accuracy"]
    fig, axs = plt.subplots(1, len(cnn_keys), figsize=(12, 2.8))
    groups = [(r.data, r.arch) for r in cnn_rows if r.act == "tanh"]
    for ax, key in zip(axs, cnn_keys):
        for a, act in enumerate(("tanh", "relu")):
            vals = [getattr(r, key) for r in cnn_rows if r.act == act]
            ax.bar(np.arange(len(vals)) + 0.38 * a, vals, width=0.36, color=COLORS[act], label=act)
        ax.set_xticks(np.arange(len(groups)) + 0.19, [f"{d}\n{a}" for d, a in groups], fontsize=7)
        ax.set_title(key.replace("_", " "), fontsize=9)
    axs[0].legend(fontsize=7)
    fig.tight_layout()
    return fig
