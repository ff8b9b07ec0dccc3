"""Figures of the random tasks (Figs. 4B, 6), the deep networks (Fig. 5 and this book's addition), the CNNs (Fig. 4C).

Each function builds one figure of the chapter, drawn to the book's figure
standard with :mod:`repgeom.book.plots` (rows of at most three panels at the
book's width, axis labels in words), and returns it; saving and captions stay
with the chapter.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np

from repgeom.book import plots

from .aligned import AlignedResults
from .cnn import CnnRow
from .deep import DeepResult
from .params import Params
from .plots_four_clusters import ACT_LABELS, SHORT
from .sweep import COLORS

__all__ = ["aligned_figure", "activations_figure", "deep_figure", "beyond_figure", "cnn_figure"]


def aligned_figure(aligned: AlignedResults, P: Params) -> matplotlib.figure.Figure:
    """Target alignment, PS and CCGP (columns) against c for every (P, k) (rows) (Fig. 4B).

    Lines: mean over the maximal-dimensional networks; dots: the random lower-rank kernels.

    Parameters
    ----------
    aligned : AlignedResults
    P : Params

    Returns
    -------
    matplotlib.figure.Figure, one row of three panels per (P, k).
    """
    keys = ["target_alignment", "ps", "ccgp"]
    rows = [(p, k) for p, k in P.ks]
    fig, axs = plots.panels(len(keys) * len(rows), panel_height=1.55, sharex=True)
    for i, (p, k) in enumerate(rows):
        for j, key in enumerate(keys):
            ax = axs[i * len(keys) + j]
            for act in ("tanh", "relu"):
                v = aligned.collect(p, k, act, key)
                ax.plot(P.cs, v.mean(1), color=COLORS[act], label=ACT_LABELS[act], marker="o", ms=3)
                dots = aligned.collect(p, k, act, key, solid=False)
                if dots.size:
                    ax.scatter(np.repeat(P.cs, dots.shape[1]), dots.ravel(), s=8, color=COLORS[act], alpha=0.5)
            if i == 0:
                ax.set_title(SHORT[key].replace(" (accuracy)", ""))
            ax.set_ylabel(f"P={p}, k={k}" if j == 0 else "")
            ax.set_xlabel("input-output alignment c" if i == len(rows) - 1 else "")
    axs[0].legend()
    return fig


def activations_figure(curves6: dict[str, np.ndarray], P: Params,
                       check: dict[str, np.ndarray] | None = None) -> matplotlib.figure.Figure:
    """Target alignment against c for capped (left) and shifted (right) ReLUs, tanh and ReLU for reference (Fig. 6).

    Parameters
    ----------
    curves6 : dict
        Activation name -> mean target alignment per ``P.cs`` (:func:`~.aligned.activation_curves`).
    P : Params
    check : dict, optional
        The same for the paper-scale check (per ``P.check_cs``): drawn as a second row.

    Returns
    -------
    matplotlib.figure.Figure, one row of two panels (two rows with ``check``).
    """
    rows = [(curves6, P.cs, f"input dim. {P.aligned_dim}, width {P.aligned_width}")]
    if check is not None:
        rows.append((check, P.check_cs, f"input dim. {P.check_dim}, width {P.check_width}"))
    fig, axs = plots.panels(2 * len(rows), ncols=2, panel_height=2.9, sharey=True)
    for r, (curves, cs, scale) in enumerate(rows):
        for j, (family, cmap) in enumerate((("relu_cap", plt.cm.Blues), ("relu_shift", plt.cm.RdYlGn))):
            ax = axs[2 * r + j]
            ax.plot(cs, curves["tanh"], "k--", label="tanh")
            ax.plot(cs, curves["relu"], "k:", label="ReLU")
            fam = [a for a in curves if a.startswith(family)]
            for i, act in enumerate(fam):
                value = act.partition(":")[2]
                label = f"cap a = {value}" if family == "relu_cap" else f"shift b = {value}"
                ax.plot(cs, curves[act], color=cmap(0.35 + 0.6 * i / max(1, len(fam) - 1)), marker="o", ms=3,
                        label=label)
            ax.set_xlabel("input-output alignment c")
            name = "capped ReLU min(max(x,0),a)" if family == "relu_cap" else "shifted ReLU max(x+b,0)"
            ax.set_title(f"{'AB'[j]}: {name}\n{scale}")
            ax.set_ylabel("target alignment" if j == 0 else "")
            ax.legend(fontsize=8)
    return fig


def deep_figure(deep: DeepResult, P: Params, task_names: Sequence[str]) -> matplotlib.figure.Figure:
    """Target and input alignment (columns) at every hidden layer, per depth (rows) (Fig. 5), mean ± s.d.

    The tasks are told apart by line style (solid: the first, dashed: the second).

    Parameters
    ----------
    deep : DeepResult
    P : Params
    task_names : sequence of str
        In the order of the deep models' members.

    Returns
    -------
    matplotlib.figure.Figure, one row of two panels per depth.
    """
    fig, axs = plots.panels(2 * len(P.depths), ncols=2, panel_height=2.5)
    for r, depth in enumerate(P.depths):
        for c_, key in enumerate(("target_alignment", "input_alignment")):
            ax = axs[2 * r + c_]
            for t, (tname, style) in enumerate(zip(task_names, ("-", "--", ":"))):
                for a, act in enumerate(("tanh", "relu")):
                    v = deep.metrics[depth, key][:, t, a]
                    plots.mean_sd(ax, np.arange(1, depth + 1), v.T, color=COLORS[act], linestyle=style,
                                  label=f"{ACT_LABELS[act]}, {tname}", alpha=0.15)
            ax.set_title(f"{depth} hidden layers")
            ax.set_xlabel("hidden layer")
            ax.set_ylabel(SHORT[key])
            ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    axs[0].legend()
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
    fig, axes = plots.panels(2, panel_height=3.0)
    for t, style in zip(task_names, ("-", "--")):
        for ai, act in enumerate(("tanh", "relu")):
            cols = [members[t, act][0] + j for j in range(nets)]
            plots.mean_sd(axes[0], np.arange(1, depth), angles[:, cols].T, color=COLORS[act], linestyle=style,
                          label=f"{ACT_LABELS[act]}, {t}", alpha=0.15)
            axes[1].plot(np.arange(1, depth + 1), ve[t, act], color=COLORS[act], ls=style, marker="o",
                         label=f"{ACT_LABELS[act]}, {t}")
    axes[0].axhline(random, color="k", lw=1, ls=":", label="random subspaces")
    axes[0].set(xlabel="layer pair (l to l+1)", ylabel="mean principal angle (degrees)",
                title=f"weight subspaces (top {k})")
    axes[1].set(xlabel="hidden layer", ylabel="SRM variance explained\n(held out)",
                title=f"shared response, {nets} seeds")
    axes[0].legend(fontsize=8)
    for ax in axes:
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    return fig


def cnn_figure(cnn_rows: list[CnnRow]) -> matplotlib.figure.Figure:
    """Bars of target alignment, PS, CCGP and accuracy per (dataset, architecture), tanh vs ReLU (Fig. 4C).

    Parameters
    ----------
    cnn_rows : list of CnnRow
        From :func:`~.cnn.cnn_geometry`.

    Returns
    -------
    matplotlib.figure.Figure, two rows of two panels.
    """
    cnn_keys = {"target_alignment": "target alignment", "ps": "parallelism score", "ccgp": "CCGP (accuracy)",
                "accuracy": "test accuracy"}
    fig, axs = plots.panels(len(cnn_keys), ncols=2, panel_height=2.3)
    groups = [(r.data, r.arch) for r in cnn_rows if r.act == "tanh"]
    for ax, (key, label) in zip(axs, cnn_keys.items()):
        for a, act in enumerate(("tanh", "relu")):
            vals = [getattr(r, key) for r in cnn_rows if r.act == act]
            ax.bar(np.arange(len(vals)) + 0.38 * a, vals, width=0.36, color=COLORS[act], label=ACT_LABELS[act])
        ax.set_xticks(np.arange(len(groups)) + 0.19, [f"{d}, {a} CNN" for d, a in groups])
        ax.set_ylabel(label)
        ax.set_xlabel("data set and network")
    axs[0].legend()
    return fig
