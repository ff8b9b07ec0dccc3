"""The chapter's figures (paper Figs. 3-7), drawn from the experiment results to the book's figure standard.

Each ``plot_*`` returns the figure (rows of at most three panels at the book's
width, :mod:`repgeom.book.plots`); the chapter publishes it with its caption.
Trained routes are blue (C0), untrained routes orange (C1) throughout.
"""
from __future__ import annotations

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.ticker import NullFormatter, NullLocator

from repgeom.book import plots as bp
from repgeom.book.figure_standard import PICTURE
from repgeom.models import gdln
from repgeom.models.gdln import theory as th

from .custom import CustomResult
from .images import ImageRoutingResult, RotationResult
from .init_scale import InitScaleResult
from .params import Params, b0
from .race import RaceResult, SweepResult
from .routing import RoutingGeometry, RoutingMeasures, RoutingRuns, RoutingTheory
from .xor import XorResult

__all__ = [
    "plot_custom",
    "plot_images",
    "plot_init_scale",
    "plot_race",
    "plot_rotations",
    "plot_routing",
    "plot_xor",
    "route_grid",
    "show_grid",
]

TRAINED, UNTRAINED = "C0", "C1"
#: Colour limits of the route-output images (the targets lie in 0..7).
OUT_LIM = (0.0, 7.0)


def route_grid(out: torch.Tensor, M: int) -> np.ndarray:
    """Outputs of all routes as one image.

    Parameters
    ----------
    out : torch.Tensor
        Shape (M * M, n_items, n_features): route ``i * M + j``'s output per item.
    M : int

    Returns
    -------
    numpy.ndarray
        Shape (M * n_features, M * n_items): block (i, j) is route i -> j's output (features x items).
    """
    o = out.cpu().numpy()  # (M*M, n, f)
    n, f = o.shape[1], o.shape[2]
    grid = np.zeros((M * f, M * n))
    for i in range(M):
        for j in range(M):
            grid[i * f:(i + 1) * f, j * n:(j + 1) * n] = o[i * M + j].T
    return grid


def _domain_ticks(ax: plt.Axes, M: int, rows: int, cols: int) -> None:
    """Ticks at the centre of each domain's block, labelled 1..M (every other one when M > 8)."""
    step = 1 if M <= 8 else 2
    idx = np.arange(0, M, step)
    ax.set_xticks(idx * cols + (cols - 1) / 2, [str(i + 1) for i in idx])
    ax.set_yticks(idx * rows + (rows - 1) / 2, [str(i + 1) for i in idx])
    ax.tick_params(length=0)
    ax.grid(False)


def show_grid(ax: plt.Axes, spec: gdln.GDLN, out: torch.Tensor, M: int, trained_mask: torch.Tensor, title: str):
    """Draw :func:`route_grid` on ``ax`` with frames around the trained routes (bool (M, M)); returns the image."""
    f, n = spec.y.shape[1], spec.y.shape[0]
    image = bp.heatmap(ax, route_grid(out, M), cmap="viridis", vmin=OUT_LIM[0], vmax=OUT_LIM[1])
    for i in range(M):
        for j in range(M):
            if trained_mask[i, j]:
                ax.add_patch(plt.Rectangle((j * n - 0.5, i * f - 0.5), n, f, fill=False, ec="white", lw=2.4))
                ax.add_patch(plt.Rectangle((j * n - 0.5, i * f - 0.5), n, f, fill=False, ec="#d62728", lw=1.2))
    _domain_ticks(ax, M, f, n)
    ax.set(xlabel="output domain", ylabel="input domain", title=title)
    return image


def _similarity(ax: plt.Axes, rsm: np.ndarray, M: int, title: str):
    image = bp.heatmap(ax, rsm, cmap="RdBu_r", vmin=-1, vmax=1)
    n = rsm.shape[0] // M
    _domain_ticks(ax, M, n, n)
    ax.set(xlabel="input domain (items)", ylabel="input domain (items)", title=title)
    return image


def plot_xor(xor: XorResult, P: Params) -> matplotlib.figure.Figure:
    """Fig. 3: (a) XOR and the ReLU networks' input weights, (b) the GDLN, (c) loss against the theory."""
    fig, axes = bp.panels(3, panel_height=2.6)
    ax = axes[0]
    xs = xor.x.cpu().numpy()
    ax.scatter(xs[:, 0], xs[:, 1], c=["C3" if v > 0 else "C0" for v in xor.y[:, 0].tolist()], s=120, zorder=3)
    w1 = xor.relu.w1.cpu()
    norms = (w1.norm(dim=2) * xor.relu.w2.squeeze(1).abs().cpu())
    for r in range(P.xor_reps):
        keep = norms[r] > 0.05 * norms[r].max()
        v = w1[r][keep] / w1[r][keep].norm(dim=1, keepdim=True).max()
        ax.quiver(np.zeros(len(v)), np.zeros(len(v)), v[:, 0], v[:, 1], color="C4", alpha=0.25,
                  angles="xy", scale_units="xy", scale=1, width=0.008)
    ax.set(xlim=(-1.4, 1.4), ylim=(-1.4, 1.4), aspect="equal", xticks=[-1, 0, 1], yticks=[-1, 0, 1],
           xlabel="input 1", ylabel="input 2", title="(a) input weights")
    ax = axes[1]
    ax.axis("off")
    ax.set_title("(b) GDLN: a path per point")
    for p in range(4):
        yy = 0.86 - 0.24 * p
        ax.annotate("", xy=(0.3, yy), xytext=(0.02, 0.5), arrowprops=dict(arrowstyle="->", color=f"C{p}"))
        ax.annotate("", xy=(0.98, 0.5), xytext=(0.7, yy), arrowprops=dict(arrowstyle="->", color=f"C{p}"))
        ax.text(0.5, yy, f"on for ({int(xs[p, 0])}, {int(xs[p, 1])})", ha="center", va="center", fontsize=8,
                bbox=dict(fc="white", ec=f"C{p}"))
    ax.text(0.0, 0.5, "x", ha="right", va="center")
    ax.text(1.0, 0.5, "y", ha="left", va="center")
    ax = axes[2]
    for r in range(P.xor_reps):
        ax.plot(xor.relu.loss[r].cpu(), color="C3", alpha=0.35, lw=1, label="ReLU networks" if r == 0 else None)
    ax.plot(xor.theory.loss.cpu(), color="C0", lw=2, ls="--", label="GDLN theory")
    ax.set(xlabel="epoch", ylabel="loss", title="(c) loss")
    ax.legend(fontsize=8)
    return fig


def plot_routing(runs: RoutingRuns, theory: RoutingTheory, geom: RoutingGeometry, P: Params) -> matplotlib.figure.Figure:
    """Fig. 4d-h: trained routes, loss against theory, singular values, hidden similarity, outputs of all routes."""
    sim, snap_at, spec = runs.sim, runs.snap_at, runs.spec
    sv_h, sv_e, sv_d = geom.sv_h, geom.sv_e, geom.sv_d
    ep = np.arange(P.epochs + 1)
    fig, axes = bp.panels(5, panel_height=2.7)
    ax = axes[0]
    tm = runs.trained.cpu().numpy().astype(float)
    table = bp.heatmap(ax, tm, cmap="Blues", vmin=0, vmax=1.6, aspect="equal")
    table.set_gid(PICTURE)  # a table of which routes train (ticked), not a colour scale
    for i in range(P.M):
        for j in range(P.M):
            ax.text(j, i, "✓" if tm[i, j] else "", ha="center", va="center", color="white", fontsize=9)
    ax.set_xticks(range(P.M), [str(j + 1) for j in range(P.M)])
    ax.set_yticks(range(P.M), [str(i + 1) for i in range(P.M)])
    ax.grid(False)
    ax.set(xlabel="output domain", ylabel="input domain", title="(d) trained routes")
    ax = axes[1]
    for r in range(P.reps):
        ax.plot(ep, sim.loss[r].cpu(), color="C3", alpha=0.35, lw=1, label="random init" if r == 0 else None)
    ax.plot(ep, sim.loss[-1].cpu(), color="C2", lw=3, label="decoupled init")
    ax.plot(ep, theory.theory.loss.cpu(), color="C0", ls="--", lw=1.5, label=f"theory, b0 = {b0(P):g}")
    ax.plot(ep, theory.flow.loss.cpu(), color="k", ls=":", lw=1.2, label="gradient flow")
    ax.plot(ep, theory.at_sigma0.loss.cpu(), color="grey", ls="-.", lw=1, label=f"theory, b0 = {P.sigma0:g}")
    ax.set(yscale="log", ylim=(1e-4, None), xlabel="epoch", ylabel="training loss", title="(e) loss")
    ax.legend(fontsize=8, loc="lower left")
    ax = axes[2]
    for k in range(4):
        ax.plot(snap_at, sv_h[:, :, k].mean(1), color="C0", label="hidden" if k == 0 else None)
        ax.plot(snap_at, sv_e[:, :, k].mean(1), color="C1", label="encoders" if k == 0 else None)
        ax.plot(snap_at, sv_d[:, :, k].mean(1), color="C2", ls="--", label="decoders" if k == 0 else None)
        ax.plot(ep, theory.theory.b[:, P.M, k].cpu(), color="k", ls=":", lw=1, label="theory" if k == 0 else None)
        ax.plot(ep, theory.theory.b[:, 0, k].cpu(), color="k", ls=":", lw=1)
    ax.set(xlabel="epoch", ylabel="singular value", title="(f) singular values")
    ax.legend(fontsize=8)
    im = _similarity(axes[3], geom.sim_rsm[0].numpy(), P.M, "(g) hidden-1 similarity")
    fig.colorbar(im, ax=axes[3], label="cosine similarity", shrink=0.9)
    im = show_grid(axes[4], spec, gdln.outputs(spec, sim.weights)[0], P.M, runs.trained.cpu(), "(h) outputs")
    fig.colorbar(im, ax=axes[4], label="output value", shrink=0.9)
    return fig


def _errors_vs(ax: plt.Axes, x, tr: np.ndarray, un: np.ndarray, zero: float | None = None) -> None:
    """Trained / untrained route errors (rows: values of x, columns: repetitions) as mean ± s.d."""
    tr, un = np.atleast_2d(tr), np.atleast_2d(un)
    sd = lambda a: a.std(1, ddof=1) if a.shape[1] > 1 else None  # noqa: E731
    ax.errorbar(x, tr.mean(1), yerr=sd(tr), marker="o", color=TRAINED, label="trained routes", capsize=2)
    has = ~np.isnan(un).all(1)
    ax.errorbar(np.asarray(x)[has], un[has].mean(1), yerr=sd(un[has]), marker="o", color=UNTRAINED,
                label="untrained routes", capsize=2)
    if zero is not None:
        ax.axhline(zero, color="grey", lw=0.8, ls="--", label="predicting zero")


def plot_race(race: RaceResult, measures: RoutingMeasures, sweep: SweepResult, P: Params) -> matplotlib.figure.Figure:
    """Fig. 5: (b) the race between gating schemes (theory), (c) errors against the trained fraction."""
    S4 = measures.S
    fig, axes = bp.panels(2, panel_height=2.8)
    ax = axes[0]
    for c, (p, a) in enumerate(sorted(race.race.items())):
        for k in range(a.shape[1]):
            ax.plot(a[:, k] / S4[k].item(), color=f"C{c}", alpha=1.0 - 0.2 * k, label=f"P = {p}" if k == 0 else None)
    ax.set(xlabel="epoch", ylabel="mode strength / target", title=f"(b) race, M = {P.race_M} (theory)")
    ax.legend(fontsize=8)
    ax = axes[1]
    _errors_vs(ax, sweep.frac, sweep.err_tr, sweep.err_un, sweep.zero_err)
    ax.set(yscale="log", xlabel="fraction K/M of output domains trained", ylabel="error per route, ‖Y − Ŷ‖²/2",
           title=f"(c) M = {P.sweep_M}")
    ax.legend(fontsize=8)
    return fig


def plot_init_scale(runs: RoutingRuns, init: InitScaleResult, P: Params) -> matplotlib.figure.Figure:
    """Fig. 6: loss with theory, errors, seed spread at the smallest scale, hidden similarity and outputs."""
    spec, sim6, trained = runs.spec, runs.sim6, runs.trained
    S = len(P.init_scales)
    pick = [0, S // 2, S - 1]
    fig, axes = bp.panels(9, panel_height=2.35)
    ax = axes[0]
    colours = plt.cm.viridis(np.linspace(0, 0.9, S))
    for s in range(S):
        ax.plot(init.sim_mean[s], color=colours[s], label=f"σ0 = {P.init_scales[s]}" if s in pick else None)
        ax.plot(init.theory.loss[:, s].cpu(), color=colours[s], ls=":", lw=1)
    ax.set(yscale="log", xlabel="epoch", ylabel="training loss", title="(a) loss (dotted: theory)")
    ax.legend(fontsize=8, loc="lower left", handlelength=1.2, borderpad=0.3)  # the corner the curves leave empty
    ax = axes[1]
    floor = 1e-8
    ax.plot(P.init_scales, np.maximum(init.tr, floor), "o-", color=TRAINED, label="trained")
    ax.plot(P.init_scales, np.maximum(init.un, floor), "o-", color=UNTRAINED, label="untrained")
    ax.axhline(init.zero_err, color="grey", lw=0.8, ls="--", label="predicting zero")
    ax.set(yscale="log", xlabel="init scale σ0", ylabel="error per route", title="(b) error vs σ0")
    ax.legend(fontsize=8)
    ax = axes[2]
    n = len(init.spread_tr)
    jitter = np.linspace(-0.12, 0.12, n)
    ax.scatter(np.zeros(n) + jitter, init.spread_tr, color=TRAINED, s=18)
    ax.scatter(np.ones(n) + jitter, init.spread_un, color=UNTRAINED, s=18)
    ax.set(yscale="log", xlim=(-0.5, 1.5), ylabel="error per route",
           title=f"(b′) {n} seeds, σ0 = {P.init_scales[0]}")
    ax.set_xticks([0, 1], ["trained", "untrained"], fontsize=8)
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("routes")
    sims = []
    for c, s in enumerate(pick):
        sims.append(_similarity(axes[3 + c], init.rsm[s, 0].numpy(), P.M, f"(c) σ0 = {P.init_scales[s]}"))
        w_s = [w[s * P.init_reps:s * P.init_reps + 1] for w in sim6.weights]
        out = show_grid(axes[6 + c], spec, gdln.outputs(spec, w_s)[0], P.M, trained.cpu(), f"(d) σ0 = {P.init_scales[s]}")
    for ax in axes[4:6] + axes[7:9]:
        ax.set_ylabel("")
    bp.shared_colorbar(fig, sims[0], axes[3:6], "cosine similarity")
    bp.shared_colorbar(fig, out, axes[6:9], "output value")
    return fig


def plot_custom(custom: CustomResult) -> matplotlib.figure.Figure:
    """Theory against simulations of a user-defined GDLN, and the race of its shared and private path."""
    fig, axes = bp.panels(2, panel_height=2.8)
    ax = axes[0]
    ax.plot(custom.theory.loss.cpu(), color="C0", lw=2, label="theory")
    ax.plot(custom.sims.loss[0].cpu(), color="C2", ls="--", label="decoupled simulation")
    for r in range(3):
        ax.plot(custom.sims.loss[1 + r].cpu(), color="C3", alpha=0.4, label="random init" if r == 0 else None)
    ax.set(yscale="log", xlabel="epoch", ylabel="training loss", title="shared + private pathways")
    ax.legend(fontsize=8)
    ax = axes[1]
    a_t = th.strengths(custom.sys, custom.theory.b).cpu()
    ax.plot(a_t[:, 0, 0], color="C0", label="shared path")
    ax.plot(a_t[:, custom.n_shared, 0], color="C1", label="private path")
    ax.set(xlabel="epoch", ylabel="path strength, mode 1", title="route 1 → 1: who wins (theory)")
    ax.legend(fontsize=8)
    return fig


def plot_images(img: ImageRoutingResult, n_classes: int, P: Params) -> matplotlib.figure.Figure:
    """Fig. 7c-d: held-out error on trained and untrained routes against K/M and against the init scale."""
    nK, img_frac, img_tr, img_un, idx = img.n_K, img.frac, img.tr, img.un, img.init_idx
    fig, axes = bp.panels(2, panel_height=2.8)
    ax = axes[0]
    ax.plot(img_frac[:nK], img_tr[:nK], "o-", color=TRAINED, label="trained (test images)")
    ax.plot(img_frac[:nK], img_un[:nK], "o-", color=UNTRAINED, label="untrained (test images)")
    ax.plot(img_frac[:nK], img.trn[:nK], "x:", color=TRAINED, label="trained (training images)")
    ax.axhline(1 - 1 / n_classes, color="grey", lw=0.8, ls="--", label="chance")
    ax.set(xlabel="fraction K/M of routes trained", ylabel="classification error", title=f"(c) M = {P.img_M}",
           ylim=(0, 1))
    ax.legend(fontsize=8)
    ax = axes[1]
    ax.plot(img.init_scales, img_tr[idx], "o-", color=TRAINED, label="trained")
    ax.plot(img.init_scales, img_un[idx], "o-", color=UNTRAINED, label="untrained")
    ax.axhline(1 - 1 / n_classes, color="grey", lw=0.8, ls="--", label="chance")
    ax.set_xscale("log")
    ax.set_xticks(img.init_scales, [f"{s:g}" for s in img.init_scales])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set(xlabel="init scale σ0", ylabel="classification error", ylim=(0, 1),
           title=f"(d) K/M = {P.img_sweep_K / P.img_M:.2f}")
    ax.legend(fontsize=8)
    return fig


def plot_rotations(rot: RotationResult, P: Params) -> matplotlib.figure.Figure:
    """Fig. 7b: held-out error on trained and untrained routes against K/M for rotated domains."""
    fig, axes = bp.panels(1, width=4.2, panel_height=2.9)
    ax = axes[0]
    ax.plot(rot.frac, rot.tr, "o-", color=TRAINED, label="trained routes")
    ax.plot(rot.frac, rot.un, "o-", color=UNTRAINED, label="untrained routes")
    ax.axhline(0.9, color="grey", lw=0.8, ls="--", label="chance")
    ax.set(xlabel="fraction K/M of routes trained", ylabel="classification error\n(held-out images)", ylim=(0, 1),
           title=f"(b) rotated domains, M = {P.rot_M}")
    ax.legend(fontsize=8)
    return fig
