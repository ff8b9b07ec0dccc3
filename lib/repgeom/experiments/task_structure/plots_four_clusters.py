"""Figures of the four-cluster tasks: training curves, weight fields, the δ-XOR sweep, the appendices (A, B, E).

Each function builds one figure of the chapter, drawn to the book's figure
standard with :mod:`repgeom.book.plots` (rows of at most three panels at the
book's width, axis labels in words, a labelled colour bar for every heat map),
and returns it; saving and captions stay with the chapter.
"""
from __future__ import annotations

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np

from repgeom.book import plots
from repgeom.data import tasks

from .delta import delta_member
from .params import Params
from .sweep import COLORS, NAMES, SweepResult, by_act
from .weights import REGIONS, WeightField, group_tuning, group_weight_field, weight_field

__all__ = ["training_figure", "weight_panel", "weights_figure", "delta_figure", "delta_weights_figure",
           "noise_figure", "readouts_figure", "group_tuning_figure", "group_weights_figure", "noise_regions_figure",
           "ACT_LABELS", "SHORT", "REGION_COLORS"]

#: Legend name of each activation.
ACT_LABELS = {"tanh": "tanh", "relu": "ReLU"}
#: Short axis-label name of each measure (the panels' y labels).
SHORT = {"decode_trained": "trained-dichotomy\ndecoding accuracy", "decode_untrained": "untrained-dichotomy\ndecoding accuracy",
         "target_alignment": "target alignment", "input_alignment": "input alignment",
         "ps": "parallelism score", "ccgp": "CCGP (accuracy)"}


def _measure_grid(x: np.ndarray, values, *, xlabel: str, logx: bool = False) -> matplotlib.figure.Figure:
    """Six measures (2 rows of 3 panels), tanh vs ReLU as mean ± s.d.; ``values(key, act)`` -> (runs, points)."""
    fig, axes = plots.panels(len(NAMES), panel_height=2.2)
    for ax, key in zip(axes, NAMES):
        for act in ("tanh", "relu"):
            plots.mean_sd(ax, x, values(key, act), color=COLORS[act], label=ACT_LABELS[act], marker="o", ms=3)
        if logx:
            ax.set_xscale("log")
        ax.set_ylabel(SHORT[key])
        ax.set_xlabel(xlabel)
    axes[0].legend()
    return fig


def training_figure(result: SweepResult, P: Params) -> matplotlib.figure.Figure:
    """Every measure against the SGD step, tanh vs ReLU, mean ± s.d. over networks (Fig. 1B).

    Parameters
    ----------
    result : SweepResult
        A paired sweep measured at ``P.snapshots``.
    P : Params

    Returns
    -------
    matplotlib.figure.Figure, two rows of three panels.
    """
    def values(key, act):
        return np.array([by_act(result.metrics[s][0], key, P.nets)[act] for s in P.snapshots]).T

    return _measure_grid(np.array(P.snapshots) + 1.0, values, xlabel="SGD step + 1", logx=True)


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
    ax.set_title(title)
    ax.set_xlabel("weight on inter-class axis")
    ax.set_ylabel("weight on intra-class axis")


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
    fig, axs = plots.panels(2, panel_height=3.3)
    weight_panel(axs[0], weight_field(result, task, 0, "tanh"), "tanh", "tanh")
    weight_panel(axs[1], weight_field(result, task, P.nets, "relu"), "relu", "ReLU")
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
    matplotlib.figure.Figure, two rows of three panels.
    """
    def values(key, act):
        return dmet[key][("tanh", "relu").index(act), i1].T

    return _measure_grid(np.array(P.deltas, dtype=float), values, xlabel="separability δ")


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
    fig, axs = plots.panels(2 * len(show_d), ncols=len(show_d), panel_height=2.4)
    for a, act in enumerate(("tanh", "relu")):
        for j, di in enumerate(show_d):
            ax = axs[a * len(show_d) + j]
            member = delta_member(P, a, i1, di)
            weight_panel(ax, weight_field(result, task, member, act), act,
                         f"{ACT_LABELS[act]}, δ = {P.deltas[di]:.1f}")
            ax.set_xlabel("inter-class weight" if a == 1 else "")
            ax.set_ylabel("intra-class weight" if j == 0 else "")
    return fig


def noise_figure(dmet: dict[str, np.ndarray], P: Params) -> matplotlib.figure.Figure:
    """Heat maps of four measures (rows) over δ and training noise, tanh (left) and ReLU (right) (Fig. 3).

    Parameters
    ----------
    dmet : dict
        Measure -> array (2, noises, deltas, nets) (:func:`~.delta.delta_grid`).
    P : Params

    Returns
    -------
    matplotlib.figure.Figure, four rows of two heat maps, one colour bar per row.
    """
    nd, nn_ = len(P.deltas), len(P.noise_vars)
    heat_keys = ["target_alignment", "input_alignment", "ps", "ccgp"]
    fig, axs = plots.panels(2 * len(heat_keys), ncols=2, panel_height=1.9)
    step = max(1, nd // 6)
    for j, key in enumerate(heat_keys):
        row = axs[2 * j: 2 * j + 2]
        for a, act in enumerate(("tanh", "relu")):
            ax = row[a]
            im = plots.heatmap(ax, dmet[key][a].mean(-1), vmin=-0.2 if key == "ps" else 0.0, vmax=1.0,
                               origin="lower")
            ax.grid(False)  # the style's grid would cut the cells
            ax.set_xticks(range(0, nd, step), [f"{d:.1f}" for d in P.deltas][::step])
            ax.set_yticks(range(nn_), [f"{v:g}" for v in P.noise_vars])
            ax.set_title(f"{ACT_LABELS[act]}: {SHORT[key]}")
            ax.set_xlabel("separability δ" if j == len(heat_keys) - 1 else "")
            ax.set_ylabel("training noise σ²" if a == 0 else "")
        plots.shared_colorbar(fig, im, row, SHORT[key].replace(" (accuracy)", ""))
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
    matplotlib.figure.Figure, two rows of two panels.
    """
    steps_axis = np.array(P.snapshots) + 1.0
    fig, axs = plots.panels(4, ncols=2, panel_height=2.5)
    keys_a = ["target_alignment", "input_alignment", "ps", "ccgp"]
    for i, key in enumerate(keys_a):
        for a, act in enumerate(("tanh", "relu")):
            v0, v1 = (by_act(two.metrics[s][0], key, P.nets)[act] for s in (0, P.steps))
            axs[0].errorbar([3 * i + a, 3 * i + a + 0.4], [v0.mean(), v1.mean()], yerr=[v0.std(), v1.std()],
                            color=COLORS[act], marker="o", ms=3, label=ACT_LABELS[act] if i == 0 else None)
    axs[0].set_xticks([3 * i + 0.7 for i in range(4)], ["target\nalign.", "input\nalign.", "PS", "CCGP"])
    axs[0].set_title("A: two outputs, start → end")
    axs[0].set_xlabel("measure")
    axs[0].set_ylabel("value")
    axs[0].legend()
    for ax, key, tag in zip(axs[1:], ("target_alignment", "input_alignment", "ccgp"), "BCD"):
        for (label, res), ls in zip(readout_runs.items(), ("-", "--", ":")):
            for act in ("tanh", "relu"):
                v = np.array([by_act(res.metrics[s][0], key, P.nets)[act].mean() for s in P.snapshots])
                ax.plot(steps_axis, v, ls, color=COLORS[act], label=f"{ACT_LABELS[act]}, {label}")
        ax.set_xscale("log")
        ax.set_title(f"{tag}: readouts, {SHORT[key].replace(' (accuracy)', '')}")
        ax.set_xlabel("SGD step + 1")
        ax.set_ylabel(SHORT[key])
    fig.legend(*axs[1].get_legend_handles_labels(), loc="outside lower center", ncol=3)
    return fig


def _signs_label(signs: tuple[float, ...]) -> str:
    """``(1.0, -1.0)`` -> ``"(+1, −1)"``."""
    return "(" + ", ".join("+1" if v > 0 else ("−1" if v < 0 else "0") for v in signs) + ")"


def group_tuning_figure(two: SweepResult, task: tasks.ClusterTask, P: Params) -> matplotlib.figure.Figure:
    """Tuning of each readout group's input weights to the four cluster centres after training (Fig. 7D).

    One tanh network (the first) and one ReLU network (the first of the second half),
    mean ± s.d. over the units of each group.

    Parameters
    ----------
    two : SweepResult
        The two-output paired sweep, run with ``keep_weights=True``.
    task : ClusterTask
        Its tasks (targets (n_models, 4, 2)).
    P : Params

    Returns
    -------
    matplotlib.figure.Figure, one panel per readout group (rows of two).
    """
    tuning = {act: group_tuning(two, task, m) for act, m in (("tanh", 0), ("relu", P.nets))}
    patterns = list(tuning["tanh"])
    fig, axs = plots.panels(len(patterns), ncols=2, panel_height=2.3, sharey=True)
    y = task.targets[0].cpu().numpy()
    ticks = [f"x{i + 1}\n{_signs_label(tuple(y[i]))}" for i in range(y.shape[0])]
    for i, (ax, pat) in enumerate(zip(axs, patterns)):
        for a, act in enumerate(("tanh", "relu")):
            d = tuning[act].get(pat, np.zeros((0, y.shape[0])))
            if len(d):
                ax.errorbar(np.arange(y.shape[0]) + 0.15 * (2 * a - 1), d.mean(0), yerr=d.std(0), color=COLORS[act],
                            marker="o", ms=4, ls="none", capsize=2, label=f"{ACT_LABELS[act]} ({len(d)} units)")
        ax.axhline(0, color="0.5", lw=0.6)
        ax.set_xticks(range(y.shape[0]), ticks)
        ax.set_title(f"readout weights {_signs_label(pat)}")
        ax.set_xlabel("cluster (its two labels)")
        ax.set_ylabel("input weights · centre" if i % 2 == 0 else "")
        ax.legend(fontsize=8)
    return fig


def group_weights_figure(two: SweepResult, task: tasks.ClusterTask, P: Params) -> matplotlib.figure.Figure:
    """Weight trajectories of the units with first readout weight +1, per second readout sign (Fig. 7E).

    Rows: the first tanh and the first ReLU network; columns: readout (+1, +1) and (+1, -1), each over the
    expected gradient field of its group.

    Parameters
    ----------
    two : SweepResult
        The two-output paired sweep, run with ``keep_weights=True`` at several snapshots.
    task : ClusterTask
    P : Params

    Returns
    -------
    matplotlib.figure.Figure, two rows of two panels.
    """
    fig, axs = plots.panels(4, ncols=2, panel_height=3.0)
    for a, (act, member) in enumerate((("tanh", 0), ("relu", P.nets))):
        for j, signs in enumerate(((1.0, 1.0), (1.0, -1.0))):
            ax = axs[2 * a + j]
            weight_panel(ax, group_weight_field(two, task, member, act, signs), act,
                         f"{ACT_LABELS[act]}, readout {_signs_label(signs)}")
            ax.set_xlabel("inter-class weight" if a == 1 else "")
            ax.set_ylabel("intra-class weight" if j == 0 else "")
    return fig


#: Colour of each region of :data:`~.weights.REGIONS` (Fig. 10): inter-class orange, x1 purple, x2 green.
REGION_COLORS = ("C1", "C4", "C2")


def noise_regions_figure(regions: list[tuple[np.ndarray, np.ndarray]], noise_vars: tuple,
                         delta: float) -> matplotlib.figure.Figure:
    """Initial weights of ReLU units coloured by the region they end in, one panel per training noise (Fig. 10).

    Parameters
    ----------
    regions : list of (init, region)
        Per noise level (:func:`~.weights.noise_regions`): initial coordinates (2, units) and end regions.
    noise_vars : tuple of float
        The training noise variances, one per entry of ``regions``.
    delta : float
        The separability of the task (for the titles).

    Returns
    -------
    matplotlib.figure.Figure, rows of up to three panels, a shared legend below.
    """
    if len(regions) != len(noise_vars):
        raise ValueError(f"regions and noise_vars must have the same length, got {len(regions)} and {len(noise_vars)}")
    lim = 1.1 * max(float(np.abs(init).max()) for init, _ in regions) + 1e-6
    wedges = ([(0, 0), (lim, lim), (lim, -lim)], [(0, 0), (lim, lim), (-lim, lim), (-lim, 0)],
              [(0, 0), (lim, -lim), (-lim, -lim), (-lim, 0)])
    fig, axs = plots.panels(len(regions), panel_height=2.6, sharex=True, sharey=True)
    for i, (ax, (init, reg), nv) in enumerate(zip(axs, regions, noise_vars)):
        for r, (poly, color) in enumerate(zip(wedges, REGION_COLORS)):
            ax.fill(*zip(*poly), color=color, alpha=0.12, lw=0)
            sel = reg == r
            ax.scatter(init[0, sel], init[1, sel], s=10, color=color,
                       label=f"ends {REGIONS[r]}" if i == 0 else None)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.set_title(f"training noise $\\sigma^2$ = {nv:g}")
        ax.set_xlabel("initial inter-class weight")
        ax.set_ylabel("initial intra-class weight" if i % 3 == 0 else "")
    fig.legend(*axs[0].get_legend_handles_labels(), loc="outside lower center", ncol=3)
    return fig
