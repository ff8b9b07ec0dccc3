"""The chapter's figures: convolution as a matrix product, alignment per block, p-values, training curve.

Every figure is drawn to the book's figure standard (at most three panels per
row, 7 inches wide, text of at least 8 pt) with :mod:`repgeom.book.plots`.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib.figure
import numpy as np
import pandas as pd

from repgeom.book import plots
from repgeom.models import resnet_connections as rc

from .measurements import MatmulCheck

__all__ = [
    "KIND_TITLE",
    "matmul_figure",
    "alignment_figure",
    "pvalue_figure",
    "training_figure",
    "resnet18_figure",
    "connections_schematic",
]

#: Connection type -> its name in titles and claim texts.
KIND_TITLE = {"direct": "direct", "branching": "branching", "short_skip": "short skip",
              "long_skip": "long skip", "indirect": "indirect (control)"}
_FS = 8  # the smallest text the standard allows


def _stage_ticks(ax, blocks: Sequence[str]) -> None:
    """One tick per block, labelled at the first block of each stage (``"1.0"``, ``"2.0"`` ...)."""
    short = [b.replace("layer", "") for b in blocks]
    ax.set_xticks(range(len(blocks)), [s if s.endswith(".0") else "" for s in short], fontsize=_FS)
    ax.set_xlim(-0.5, len(blocks) - 0.5)


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
    fig, axes = plots.panels(3, panel_height=2.6)
    vmax = float(ref[0].abs().max())
    im = plots.heatmap(axes[0], ref[0].cpu().numpy(), cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="equal")
    axes[0].set_title("(a) convolution,\nchannel 0", fontsize=_FS)
    plots.heatmap(axes[1], mm[0].cpu().numpy(), cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="equal")
    axes[1].set_title("(b) connection matrix ×\nunfolded input, channel 0", fontsize=_FS)
    for ax in axes[:2]:
        ax.set_xticks([]), ax.set_yticks([])
        ax.grid(False)
    plots.shared_colorbar(fig, im, axes[:2], "output value")
    axes[2].scatter(ref.flatten().cpu(), mm.flatten().cpu(), s=3, alpha=0.4)
    lim = float(ref.abs().max())
    axes[2].plot([-lim, lim], [-lim, lim], color="grey", lw=0.8)
    axes[2].set_xlabel("convolution output", fontsize=_FS)
    axes[2].set_ylabel("matrix product output", fontsize=_FS)
    axes[2].set_title(f"(c) all {ref.numel()} outputs\nlargest difference "
                      + ("0" if err == 0 else f"{err:.1e}".replace("e-0", "e-")), fontsize=_FS)
    axes[2].tick_params(labelsize=_FS)
    return fig


def alignment_figure(tab: pd.DataFrame, title: str, blocks: Sequence[str]) -> matplotlib.figure.Figure:
    """Fig. 2: mean principal angle per block for each connection type, and the trained - untrained difference.

    Parameters
    ----------
    tab : pandas.DataFrame
        :func:`.alignment.alignment_table` (angles in degrees).
    title : str
        The analysis (e.g. ``"weight-to-weight alignment"``), named in the figure's caption, not drawn.
    blocks : sequence of str
        Block names of the network (``"layer1.0"`` ...), one tick each.

    Returns
    -------
    matplotlib.figure.Figure
        Six panels in two rows: (a-e) one per connection type, trained vs
        untrained (bar: the seeds' range) vs random subspaces, stars at p < .05;
        (f) trained minus untrained per type, with zero dashed.
    """
    fig, axes = plots.panels(6, panel_height=2.25, sharex=True)
    for ax, kind, letter in zip(axes, rc.KINDS, "abcde"):
        t = tab[tab.kind == kind]
        x = t.block_index.to_numpy()
        ax.plot(x, t.baseline_deg, ls="--", color="grey", lw=1, label="random subspaces")
        yerr = np.vstack([t.untrained_deg - t.untrained_lo_deg, t.untrained_hi_deg - t.untrained_deg])
        ax.errorbar(x, t.untrained_deg, yerr=yerr, fmt="s", ms=3, color="C1", label="untrained")
        ax.plot(x, t.trained_deg, "o-", ms=3, color="C0", label="trained")
        sig = (t.pvalue < 0.05).to_numpy()
        lo = float(np.nanmin(np.r_[t.trained_deg, t.untrained_lo_deg, t.baseline_deg])) if len(t) else 0.0
        hi = float(np.nanmax(np.r_[t.trained_deg, t.untrained_hi_deg, t.baseline_deg])) if len(t) else 90.0
        pad = max(1.0, 0.15 * (hi - lo))
        ax.plot(x[sig], np.full(int(sig.sum()), lo - 0.6 * pad), "k*", ms=4, label="p < .05")
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_title(f"({letter}) {KIND_TITLE[kind]}", fontsize=_FS)
        ax.tick_params(labelsize=_FS)
        _stage_ticks(ax, blocks)
    ax = axes[5]
    for i, kind in enumerate(rc.KINDS):
        t = tab[tab.kind == kind]
        ax.plot(t.block_index, t.trained_deg - t.untrained_deg, "o-", ms=3, color=f"C{i + 2}",
                label=KIND_TITLE[kind].replace(" (control)", ""))
    ax.axhline(0, color="grey", ls="--", lw=1)
    ax.set_title("(f) trained − untrained", fontsize=_FS)
    ax.set_ylabel("difference (deg)", fontsize=_FS)
    ax.tick_params(labelsize=_FS)
    _stage_ticks(ax, blocks)
    for row in (axes[0], axes[3]):
        row.set_ylabel("mean angle (deg)", fontsize=_FS)
    for ax in axes[3:]:
        ax.set_xlabel("block (stage.block)", fontsize=_FS)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncols=4, fontsize=_FS, frameon=False)
    handles, labels = axes[5].get_legend_handles_labels()
    fig.legend(handles, [f"(f) {lab}" if i == 0 else lab for i, lab in enumerate(labels)],
               loc="outside lower center", ncols=5, fontsize=_FS, frameon=False)
    fig.get_layout_engine().set(rect=None)
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
        Two heat maps, one above the other, of -log10 p (capped at 10) with one
        colour bar; each cell is written as -log10 p; blank where a block has no
        such connection (or was not analysed).
    """
    short = [b.replace("layer", "") for b in blocks]
    fig, axes = plots.panels(2, ncols=1, panel_height=2.3)
    im = None
    for ax, tab, title in ((axes[0], w_tab, "(a) weight to weight"), (axes[1], a_tab, "(b) activation to weight")):
        grid = np.full((len(rc.KINDS), len(blocks)), np.nan)
        for _, row in tab.iterrows():
            grid[rc.KINDS.index(row.kind), int(row.block_index)] = row.pvalue
        score = -np.log10(np.clip(grid, 1e-300, 1))
        im = plots.heatmap(ax, np.minimum(score, 10), cmap="Blues", vmin=0, vmax=10)
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if np.isfinite(grid[i, j]):
                    v = score[i, j]
                    ax.text(j, i, f"{v:.0f}" if v >= 9.95 else f"{v:.1f}", ha="center", va="center",
                            fontsize=_FS, color="white" if v > 6 else "black")
        ax.set_xticks(range(len(blocks)), short, fontsize=_FS, rotation=90)
        ax.set_yticks(range(len(rc.KINDS)), [KIND_TITLE[k].replace(" (control)", "") for k in rc.KINDS],
                      fontsize=_FS)
        ax.set_title(title, fontsize=_FS)
        ax.set_xlabel("block (stage.block)", fontsize=_FS)
        ax.set_ylabel("connection", fontsize=_FS)
        ax.grid(False)
    plots.shared_colorbar(fig, im, axes, "−log10 p-value (capped at 10)")
    return fig


def training_figure(curve: pd.DataFrame, movement: pd.DataFrame, movement_floor_deg: float, loss: Sequence[float],
                    steps_per_epoch: int) -> matplotlib.figure.Figure:
    """Along training: (a) weight-to-weight angle minus random per connection type, (b) input-space movement, (c) loss.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`.training_study.training_curve`.
    movement : pandas.DataFrame
        From :func:`.training_study.movement_curve`.
    movement_floor_deg : float
        The movement floor of the claims (degrees), drawn as a line.
    loss : sequence of float
        Mean training loss of each interval.
    steps_per_epoch : int
        Adam steps per interval (the x axis is in steps).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, axes = plots.panels(3, ncols=2, panel_height=2.7)
    for i, kind in enumerate(rc.KINDS):
        c = curve[curve.kind == kind]
        axes[0].plot(c.step, c.excess_deg, "o-", ms=3, color=f"C{i + 2}", label=KIND_TITLE[kind])
    axes[0].axhline(0, color="grey", ls="--", lw=1)
    axes[0].set_ylabel("mean angle − random (deg)", fontsize=_FS)
    axes[0].set_title("(a) weight-to-weight alignment\nrelative to random subspaces", fontsize=_FS)
    # the legend of (a) sits in the grid's empty fourth cell, clear of the curves
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, title="(a) connection type", fontsize=_FS, title_fontsize=_FS,
               loc="center", bbox_to_anchor=(0.75, 0.25))
    axes[1].plot(movement.step, movement.movement_deg, "o-", ms=3, color="k", label="trained network")
    axes[1].axhline(movement_floor_deg, color="C3", ls="--", lw=1, label="movement floor")
    axes[1].set_ylim(0, max(movement_floor_deg, float(movement.movement_deg.max())) * 1.15)
    axes[1].set_ylabel("input spaces turned (deg)", fontsize=_FS)
    axes[1].set_title("(b) mean angle from the initial\ninput spaces (leading half)", fontsize=_FS)
    axes[1].legend(fontsize=_FS, handlelength=1.2, labelspacing=0.2, loc="lower right")
    axes[2].plot(np.arange(1, len(loss) + 1) * steps_per_epoch, loss, "o-", ms=3, color="k")
    axes[2].set_ylabel("training loss (interval mean)", fontsize=_FS)
    axes[2].set_title("(c) training loss", fontsize=_FS)
    for ax in axes:
        ax.set_xlabel("training step", fontsize=_FS)
        ax.tick_params(labelsize=_FS)
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
    fig, axes = plots.panels(3, panel_height=2.5, sharey=True)
    for ax, kind, letter in zip(axes, ("direct", "short_skip", "long_skip"), "abc"):
        t = tab[tab.kind == kind]
        ax.plot(t.block_index, t.baseline_deg, ls="--", color="grey", lw=1, label="random")
        ax.plot(t.block_index, t.untrained_deg, "s", ms=3, color="C1", label="untrained")
        ax.plot(t.block_index, t.trained_deg, "o-", ms=3, color="C0", label="trained")
        ax.set_xticks(range(len(blocks)), blocks, fontsize=_FS, rotation=90)
        ax.set_title(f"({letter}) {KIND_TITLE[kind]}", fontsize=_FS)
        ax.set_xlabel("block", fontsize=_FS)
        ax.tick_params(labelsize=_FS)
    axes[0].set_ylabel("mean angle (deg)", fontsize=_FS)
    axes[0].set_ylim(0, 92)
    axes[-1].legend(fontsize=_FS)
    return fig


def _layer_word(name: str) -> str:
    """``"layer1.0.conv2"`` -> ``"conv2"``; a downsample conv -> ``"projection"``."""
    return "projection" if ".downsample." in name else name.split(".")[-1]


#: Side of a weight matrix each connection's source stands for, in words.
_SIDE = {"out": "output space", "in": "input space", "act": "input activity"}


def connections_schematic(connections: Sequence[rc.Connection], blocks: Sequence[str]) -> matplotlib.figure.Figure:
    """Appendix Fig. 4: which layers each connection type compares, drawn from the connection list.

    The convs of ``blocks`` (and the first conv of the block after them) are boxes in forward order,
    a downsample projection below its block's conv1; every connection of ``connections`` whose block is
    in ``blocks`` is one arc from its source conv to its target conv, coloured by type (the direct,
    short-skip and indirect arcs above the row, branching and long-skip arcs below it).

    Parameters
    ----------
    connections : sequence of Connection
        :func:`repgeom.models.resnet_connections.resnet_connections` of one network (weight analysis).
    blocks : sequence of str
        Consecutive block names to draw, e.g. ``("layer1.0", "layer1.1")``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    shown = [c for c in connections if c.block in blocks]
    if not shown:
        raise ValueError(f"no connection is drawn at the blocks {list(blocks)}")
    # boxes: the convs on the main path in forward order, projections below their block's conv1
    names: list[str] = []
    for c in shown:
        for n in (c.source, c.target):
            if n not in names and "downsample" not in n:
                names.append(n)
    names.sort(key=lambda n: (int(n.split(".")[0][5:]), int(n.split(".")[1]), n.split(".")[2]))
    pos = {n: (float(i), 0.0) for i, n in enumerate(names)}
    for c in shown:
        for n in (c.source, c.target):
            if "downsample" in n:
                conv1 = n.replace("downsample.0", "conv1")
                pos[n] = (pos[conv1][0] + 1.0, -1.15)
    fig, axes = plots.panels(1, panel_height=3.0)
    ax = axes[0]
    for n, (x, y) in pos.items():
        block, _, layer = n.partition(".")[2].partition(".")
        label = f"{n.split('.')[0].replace('layer', '')}.{block}\n{_layer_word(n)}"
        ax.add_patch(FancyBboxPatch((x - 0.32, y - 0.22), 0.64, 0.44, boxstyle="round,pad=0.02",
                                    fc="white", ec="black", lw=0.8))
        ax.text(x, y, label, ha="center", va="center", fontsize=_FS)
    below = {"branching", "long_skip"}
    seen: set[str] = set()
    for c in shown:
        (x0, y0), (x1, y1) = pos[c.source], pos[c.target]
        down = c.kind in below
        y0, y1 = (y0 - 0.22, y1 - 0.22) if down else (y0 + 0.22, y1 + 0.22)
        if "downsample" in c.target:
            y1 = pos[c.target][1] + 0.22
        span = abs(x1 - x0)
        rad = (0.35 if down else -0.35) * (1 if x1 >= x0 else -1) * min(1.0, 0.5 + 0.15 * span)
        color = f"C{KINDS_ORDER.index(c.kind)}"
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), connectionstyle=f"arc3,rad={rad}", arrowstyle="-|>",
                                     mutation_scale=9, lw=1.4, color=color))
        if c.kind not in seen:
            seen.add(c.kind)
            ax.plot([], [], color=color, lw=1.4,
                    label=f"{KIND_TITLE[c.kind]}: {_SIDE[c.source_side]} of {_layer_word(c.source)} vs "
                          f"input space of {_layer_word(c.target)}")
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_ylim(-1.9, 0.95)
    ax.set_aspect("auto")
    ax.axis("off")
    ax.legend(fontsize=_FS, loc="lower right", frameon=False, ncol=1, bbox_to_anchor=(1.0, -0.02))
    return fig


#: Colour order of the connection types (the order of :data:`repgeom.models.resnet_connections.KINDS`).
KINDS_ORDER = rc.KINDS
