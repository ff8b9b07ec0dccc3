"""Figures of the four-cluster tasks: training curves, weight fields, the δ-XOR sweep, the appendices.

Each function builds one figure of the chapter and returns it; saving and
captions stay with the chapter.
"""
from __future__ import annotations

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np

from repgeom.data import tasks

from .delta import delta_member
from .params import Params
from .sweep import COLORS, NAMES, SweepResult, by_act
from .weights import WeightField, weight_field

__all__ = ["training_figure", "weight_panel", "weights_figure", "delta_figure", "delta_weights_figure",
           "noise_figure", "readouts_figure"]


def training_figure(result: SweepResult, P: Params) -> matplotlib.figure.Figure:
    """Every measure against the SGD step, tanh vs ReLU, mean ± s.d. over networks (Fig. 1B).

    Parameters
    ----------
    result : SweepResult
        A paired sweep measured at ``P.snapshots``.
    P : Params

    Returns
    -------
    matplotlib.figure.Figure, one row of six panels.
    """
    fig, axes = plt.subplots(1, 6, figsize=(15, 2.8))
    steps_axis = np.array(P.snapshots)
    for ax, key in zip(axes, NAMES):
        for act in ("tanh", "relu"):
            vals = np.array([by_act(result.metrics[s][0], key, P.nets)[act] for s in P.snapshots])
            ax.errorbar(steps_axis + 1, vals.mean(1), yerr=vals.std(1), color=COLORS[act], label=act, capsize=2)
        ax.set_xscale("log")
        ax.set_title(NAMES[key], fontsize=9)
        ax.set_xlabel("SGD step + 1")
    axes[0].legend()
    fig.tight_layout()
    return fig


def weight_panel(ax: plt.Axes, wf: WeightField, act: str, title: str) -> None:
    """Draw one network's weight trajectories over its expected gradient field (circles: initialisation).

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    wf : WeightField
        From :func:`~.weights.weight_field`.
    act : str
        Activation (sets the colour).
    title : str
    """
    lim, traj, grid, field = wf.lim, wf.traj, wf.grid, wf.field
    ax.quiver(grid[:, 0], grid[:, 1], field[:, 0], field[:, 1], color="0.7", angles="xy")
    for u in range(traj.shape[2]):
        ax.plot(traj[:, 0, u], traj[:, 1, u], color=COLORS.get(act, "C2"), lw=0.8)
    ax.scatter(traj[0, 0], traj[0, 1], s=8, facecolors="none", edgecolors="k", lw=0.5)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("inter-class axis")
    ax.set_ylabel("intra-class axis")


def weights_figure(result: SweepResult, task: tasks.ClusterTask, P: Params) -> matplotlib.figure.Figure:
    """Weight trajectories of the first tanh and the first ReLU network of a paired sweep (Fig. 1D).

    Parameters
    ----------
    result : SweepResult
        A paired sweep run with ``keep_weights=True``.
    task : ClusterTask
        Its four-cluster tasks.
    P : Params

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axs = plt.subplots(1, 2, figsize=(8, 3.8))
    weight_panel(axs[0], weight_field(result, task, 0, "tanh"), "tanh", "tanh")
    weight_panel(axs[1], weight_field(result, task, P.nets, "relu"), "relu", "ReLU")
    fig.tight_layout()
    return fig


def delta_figure(dmet: dict[str, np.ndarray], P: Params, i1: int) -> matplotlib.figure.Figure:
    """Every measure after training against δ at one training noise, mean ± s.d. over networks (Fig. 2B).

    Parameters
    ----------
    dmet : dict
        Measure -> array (2, noises, deltas, nets) (:func:`~.delta.delta_grid`).
    P : Params
    i1 : int
        Index of the training noise shown.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plt.subplots(1, 6, figsize=(15, 2.8))
    for ax, key in zip(axes, NAMES):
        for a, act in enumerate(("tanh", "relu")):
            v = dmet[key][a, i1]
            ax.errorbar(P.deltas, v.mean(-1), yerr=v.std(-1), color=COLORS[act], label=act, capsize=2)
        ax.set_title(NAMES[key], fontsize=9)
        ax.set_xlabel("separability δ")
    axes[0].legend()
    fig.tight_layout()
    return fig


def delta_weights_figure(result: SweepResult, task: tasks.ClusterTask, P: Params, i1: int) -> matplotlib.figure.Figure:
    """Weight trajectories of one network per activation (rows) at a small, a middle and the largest δ (Fig. 2C).

    Parameters
    ----------
    result : SweepResult
        The δ-XOR sweep, run with ``keep_weights=True``.
    task : ClusterTask
        Its tasks (:func:`~.delta.delta_sweep`).
    P : Params
    i1 : int
        Index of the training noise shown.

    Returns
    -------
    matplotlib.figure.Figure
    """
    nd = len(P.deltas)
    show_d = [1, nd // 2, nd - 1]  # at δ = 0 the inter-class axis vanishes
    fig, axs = plt.subplots(2, len(show_d), figsize=(3.2 * len(show_d), 6))
    for a, act in enumerate(("tanh", "relu")):
        for j, di in enumerate(show_d):
            member = delta_member(P, a, i1, di)
            weight_panel(axs[a, j], weight_field(result, task, member, act), act, f"{act}, δ = {P.deltas[di]:.1f}")
    fig.tight_layout()
    return fig


def noise_figure(dmet: dict[str, np.ndarray], P: Params) -> matplotlib.figure.Figure:
    """Heatmaps of four measures over δ and training noise, tanh (top) and ReLU (bottom) (Fig. 3).

    Parameters
    ----------
    dmet : dict
        Measure -> array (2, noises, deltas, nets) (:func:`~.delta.delta_grid`).
    P : Params

    Returns
    -------
    matplotlib.figure.Figure
    """
    nd, nn_ = len(P.deltas), len(P.noise_vars)
    heat_keys = ["target_alignment", "input_alignment", "ps", "ccgp"]
    fig, axs = plt.subplots(2, len(heat_keys), figsize=(13, 5.2))
    for a, act in enumerate(("tanh", "relu")):
        for j, key in enumerate(heat_keys):
            im = axs[a, j].imshow(dmet[key][a].mean(-1), origin="lower", aspect="auto", vmin=0 if key != "ps" else -0.2,
                                  vmax=1, cmap="viridis")
            axs[a, j].set_xticks(range(nd), [f"{d:.1f}" for d in P.deltas], fontsize=7)
            axs[a, j].set_yticks(range(nn_), [f"{v:g}" for v in P.noise_vars], fontsize=7)
            axs[a, j].set_title(f"{act}: {NAMES[key]}", fontsize=8)
            axs[a, j].set_xlabel("δ")
            axs[a, j].set_ylabel("σ²_train")
            fig.colorbar(im, ax=axs[a, j], fraction=0.046)
    fig.tight_layout()
    return fig


def readouts_figure(two: SweepResult, readout_runs: dict[str, SweepResult], P: Params) -> matplotlib.figure.Figure:
    """Two-output task at initialisation and after training (App. A), and three readouts over training (App. B).

    Parameters
    ----------
    two : SweepResult
        The two-output sweep, measured at steps 0 and ``P.steps``.
    readout_runs : dict
        Readout label -> paired sweep measured at ``P.snapshots`` (:func:`~.appendix.readout_runs`).
    P : Params

    Returns
    -------
    matplotlib.figure.Figure
    """
    steps_axis = np.array(P.snapshots)
    fig, axs = plt.subplots(1, 4, figsize=(13, 2.9))
    keys_a = ["target_alignment", "input_alignment", "ps", "ccgp"]
    for i, key in enumerate(keys_a):
        for a, act in enumerate(("tanh", "relu")):
            v0, v1 = (by_act(two.metrics[s][0], key, P.nets)[act] for s in (0, P.steps))
            axs[0].errorbar([3 * i + a, 3 * i + a + 0.4], [v0.mean(), v1.mean()], yerr=[v0.std(), v1.std()],
                            color=COLORS[act], marker="o", ms=3, label=act if i == 0 else None)
    axs[0].set_xticks([3 * i + 0.7 for i in range(4)], ["target\nalign.", "input\nalign.", "PS", "CCGP"], fontsize=7)
    axs[0].set_title("App. A: two outputs (init → trained)", fontsize=9)
    axs[0].legend(fontsize=7)
    for ax, key in zip(axs[1:], ("target_alignment", "input_alignment", "ccgp")):
        for (label, res), ls in zip(readout_runs.items(), ("-", "--", ":")):
            for act in ("tanh", "relu"):
                v = np.array([by_act(res.metrics[s][0], key, P.nets)[act].mean() for s in P.snapshots])
                ax.plot(steps_axis + 1, v, ls, color=COLORS[act], label=f"{act}, {label}")
        ax.set_xscale("log")
        ax.set_title(f"App. B: {key.replace('_', ' ')}", fontsize=9)
        ax.set_xlabel("SGD step + 1")
    axs[1].legend(fontsize=6)
    fig.tight_layout()
    return fig
