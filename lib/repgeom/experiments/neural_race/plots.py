"""The chapter's figures (paper Figs. 3-7), drawn from the experiment results.

Each ``plot_*`` returns the figure; the chapter saves it with its caption.
"""
from __future__ import annotations

import matplotlib.figure
import matplotlib.pyplot as plt
import numpy as np
import torch

from repgeom.models import gdln
from repgeom.models.gdln import theory as th

from .custom import CustomResult
from .images import ImageRoutingResult, RotationResult
from .init_scale import InitScaleResult
from .params import Params
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


def show_grid(ax: plt.Axes, spec: gdln.GDLN, out: torch.Tensor, M: int, trained_mask: torch.Tensor, title: str) -> None:
    """Draw :func:`route_grid` on ``ax`` with white frames around the trained routes (bool (M, M))."""
    f, n = spec.y.shape[1], spec.y.shape[0]
    ax.imshow(route_grid(out, M), cmap="viridis", vmin=0, vmax=7, aspect="auto")
    for i in range(M):
        for j in range(M):
            if trained_mask[i, j]:
                ax.add_patch(plt.Rectangle((j * n - 0.5, i * f - 0.5), n, f, fill=False, ec="w", lw=1.2))
    ax.set(xticks=[], yticks=[], xlabel="output domain", ylabel="input domain", title=title)


def plot_xor(xor: XorResult, P: Params) -> matplotlib.figure.Figure:
    """Fig. 3: (a) XOR and the ReLU networks' input weights, (b) the GDLN, (c) loss against the theory."""
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    ax = axes[0]
    xs = xor.x.cpu().numpy()
    ax.scatter(xs[:, 0], xs[:, 1], c=["tab:red" if v > 0 else "tab:blue" for v in xor.y[:, 0].tolist()], s=160, zorder=3)
    w1 = xor.relu.w1.cpu()
    norms = (w1.norm(dim=2) * xor.relu.w2.squeeze(1).abs().cpu())
    for r in range(P.xor_reps):
        keep = norms[r] > 0.05 * norms[r].max()
        v = w1[r][keep] / w1[r][keep].norm(dim=1, keepdim=True).max()
        ax.quiver(np.zeros(len(v)), np.zeros(len(v)), v[:, 0], v[:, 1], color="m", alpha=0.25,
                  angles="xy", scale_units="xy", scale=1, width=0.006)
    ax.set(xlim=(-1.4, 1.4), ylim=(-1.4, 1.4), aspect="equal", title="(a) XOR and ReLU input weights")
    ax = axes[1]
    ax.axis("off")
    ax.set_title("(b) GDLN: one path per point")
    for p in range(4):
        yy = 0.85 - 0.23 * p
        ax.annotate("", xy=(0.45, yy), xytext=(0.05, 0.5), arrowprops=dict(arrowstyle="->", color=f"C{p}"))
        ax.annotate("", xy=(0.95, 0.5), xytext=(0.55, yy), arrowprops=dict(arrowstyle="->", color=f"C{p}"))
        ax.text(0.5, yy, f"h{p}: on for x={tuple(int(v) for v in xs[p])}", ha="center", va="center", fontsize=8,
                bbox=dict(fc="white", ec=f"C{p}"))
    ax.text(0.0, 0.5, "x", ha="right", va="center")
    ax.text(1.0, 0.5, "y", ha="left", va="center")
    ax = axes[2]
    for r in range(P.xor_reps):
        ax.plot(xor.relu.loss[r].cpu(), color="tab:red", alpha=0.35, lw=1, label="ReLU simulations" if r == 0 else None)
    ax.plot(xor.theory.loss.cpu(), color="tab:blue", lw=2, ls="--", label="GDLN theory")
    ax.set(xlabel="epoch", ylabel="loss", title="(c) loss")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_routing(runs: RoutingRuns, theory: RoutingTheory, geom: RoutingGeometry, P: Params) -> matplotlib.figure.Figure:
    """Fig. 4e-h: loss against theory, singular values, hidden similarity and the outputs of all routes."""
    sim, snap_at, spec = runs.sim, runs.snap_at, runs.spec
    sv_h, sv_e, sv_d = geom.sv_h, geom.sv_e, geom.sv_d
    ep = np.arange(P.epochs + 1)
    fig, axes = plt.subplots(1, 4, figsize=(16, 3.8))
    ax = axes[0]
    for r in range(P.reps):
        ax.plot(ep, sim.loss[r].cpu(), color="tab:red", alpha=0.35, lw=1, label="random init" if r == 0 else None)
    ax.plot(ep, sim.loss[-1].cpu(), color="tab:green", lw=3, label="decoupled init")
    ax.plot(ep, theory.theory.loss.cpu(), color="tab:blue", ls="--", lw=1.5, label="theory (reduced GD)")
    ax.plot(ep, theory.flow.loss.cpu(), color="k", ls=":", lw=1.2, label="theory (gradient flow)")
    ax.set(yscale="log", ylim=(1e-4, None), xlabel="epoch", ylabel="loss", title="(e) training loss")
    ax.legend(fontsize=7)
    ax = axes[1]
    for k in range(4):
        ax.plot(snap_at, sv_h[:, :, k].mean(1), color="tab:blue", label="hidden" if k == 0 else None)
        ax.plot(snap_at, sv_e[:, :, k].mean(1), color="tab:orange", label="encoders" if k == 0 else None)
        ax.plot(snap_at, sv_d[:, :, k].mean(1), color="tab:green", ls="--", label="decoders" if k == 0 else None)
        ax.plot(ep, theory.theory.b[:, P.M, k].cpu(), color="k", ls=":", lw=1, label="theory" if k == 0 else None)
        ax.plot(ep, theory.theory.b[:, 0, k].cpu(), color="k", ls=":", lw=1)
    ax.set(xlabel="epoch", ylabel="singular value", title="(f) singular values")
    ax.legend(fontsize=7)
    ax = axes[2]
    im = ax.imshow(geom.sim_rsm[0], cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set(xticks=np.arange(0, P.M * 4, 4), yticks=np.arange(0, P.M * 4, 4), title="(g) hidden-1 similarity")
    ax.set_xlabel("input domain x item")
    fig.colorbar(im, ax=ax, fraction=0.046)
    show_grid(axes[3], spec, gdln.outputs(spec, sim.weights)[0], P.M, runs.trained.cpu(), "(h) outputs of all routes")
    fig.tight_layout()
    return fig


def plot_race(race: RaceResult, measures: RoutingMeasures, sweep: SweepResult, P: Params) -> matplotlib.figure.Figure:
    """Fig. 5: (b) the race between gating schemes (theory), (c) errors against the trained fraction."""
    S4, frac, err_tr, err_un = measures.S, sweep.frac, sweep.err_tr, sweep.err_un
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    ax = axes[0]
    for c, (p, a) in enumerate(sorted(race.race.items())):
        for k in range(a.shape[1]):
            ax.plot(a[:, k] / S4[k].item(), color=f"C{c}", alpha=1.0 - 0.2 * k, label=f"P = {p}" if k == 0 else None)
    ax.set(xlabel="epoch", ylabel="mode strength / target", title=f"(b) race, M = {P.race_M} (theory)")
    ax.legend()
    ax = axes[1]
    ax.errorbar(frac, err_tr.mean(1), yerr=err_tr.std(1), marker="o", color="tab:blue", label="trained routes")
    has_un = ~np.isnan(err_un).all(1)
    ax.errorbar(frac[has_un], err_un[has_un].mean(1), yerr=err_un[has_un].std(1), marker="o", color="tab:red",
                label="untrained routes")
    ax.set(xlabel="fraction K/M of output domains trained", ylabel="relative error", title=f"(c) M = {P.sweep_M}")
    ax.legend()
    fig.tight_layout()
    return fig


def plot_init_scale(runs: RoutingRuns, init: InitScaleResult, P: Params) -> matplotlib.figure.Figure:
    """Fig. 6: loss, errors, hidden similarity and outputs per init scale, and the theory's gap."""
    spec, sim6, trained = runs.spec, runs.sim6, runs.trained
    pick = [0, len(P.init_scales) // 2, len(P.init_scales) - 1]
    fig = plt.figure(figsize=(15, 6.5))
    gs = fig.add_gridspec(2, 5)
    ax = fig.add_subplot(gs[0, 0])
    for s in range(len(P.init_scales)):
        ax.plot(sim6.loss.reshape(len(P.init_scales), P.init_reps, -1)[s].mean(0).cpu(), color=plt.cm.viridis(s / 5),
                label=f"σ0 = {P.init_scales[s]}")
    ax.set(yscale="log", xlabel="epoch", ylabel="loss", title="(a) loss")
    ax.legend(fontsize=7)
    ax = fig.add_subplot(gs[1, 0])
    ax.plot(P.init_scales, init.tr, "o-", color="tab:blue", label="trained")
    ax.plot(P.init_scales, init.un, "o-", color="tab:red", label="untrained")
    ax.set(xlabel="σ0", ylabel="relative error", title="(b) error vs init scale")
    ax.legend()
    for c, s in enumerate(pick):
        ax = fig.add_subplot(gs[0, 1 + c])
        ax.imshow(init.rsm[s, 0], cmap="RdBu_r", vmin=-1, vmax=1)
        ax.set(xticks=[], yticks=[], title=f"(c) similarity, σ0 = {P.init_scales[s]}")
        ax = fig.add_subplot(gs[1, 1 + c])
        w_s = [w[s * P.init_reps:s * P.init_reps + 1] for w in sim6.weights]
        show_grid(ax, spec, gdln.outputs(spec, w_s)[0], P.M, trained.cpu(), f"(d) outputs, σ0 = {P.init_scales[s]}")
    ax = fig.add_subplot(gs[:, 4])
    ax.plot(P.init_scales, init.th_gap, "o-", color="k")
    ax.set(xlabel="σ0", ylabel="max |loss_sim - loss_theory| / loss(0)", title="theory vs simulation")
    fig.tight_layout()
    return fig


def plot_custom(custom: CustomResult) -> matplotlib.figure.Figure:
    """Theory against simulations of a user-defined GDLN, and the race of its shared and private path."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    ax = axes[0]
    ax.plot(custom.theory.loss.cpu(), color="tab:blue", lw=2, label="theory")
    ax.plot(custom.sims.loss[0].cpu(), color="tab:green", ls="--", label="decoupled simulation")
    for r in range(3):
        ax.plot(custom.sims.loss[1 + r].cpu(), color="tab:red", alpha=0.4, label="random init" if r == 0 else None)
    ax.set(yscale="log", xlabel="epoch", ylabel="loss", title="shared + private pathways")
    ax.legend(fontsize=8)
    ax = axes[1]
    a_t = th.strengths(custom.sys, custom.theory.b).cpu()
    ax.plot(a_t[:, 0, 0], color="tab:blue", label="shared path (route 0→0), mode 1")
    ax.plot(a_t[:, custom.n_shared, 0], color="tab:orange", label="private path (route 0→0), mode 1")
    ax.set(xlabel="epoch", ylabel="path strength a_p", title="who wins the race (theory)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_images(img: ImageRoutingResult, n_classes: int, P: Params) -> matplotlib.figure.Figure:
    """Fig. 7c-d: held-out error on trained and untrained routes against K/M and against the init scale."""
    nK, img_frac, img_tr, img_un, idx = img.n_K, img.frac, img.tr, img.un, img.init_idx
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    ax = axes[0]
    ax.plot(img_frac[:nK], img_tr[:nK], "o-", color="tab:blue", label="trained routes (test images)")
    ax.plot(img_frac[:nK], img_un[:nK], "o-", color="tab:orange", label="untrained routes (test images)")
    ax.plot(img_frac[:nK], img.trn[:nK], "x:", color="tab:blue", label="trained routes (training images)")
    ax.axhline(1 - 1 / n_classes, color="grey", lw=0.8, ls="--", label="chance")
    ax.set(xlabel="fraction K/M of routes trained", ylabel="classification error", title=f"(c) M = {P.img_M}")
    ax.legend(fontsize=7)
    ax = axes[1]
    ax.plot(img.init_scales, img_tr[idx], "o-", color="tab:blue", label="trained")
    ax.plot(img.init_scales, img_un[idx], "o-", color="tab:orange", label="untrained")
    ax.set(xscale="log", xlabel="init scale σ0", ylabel="classification error",
           title=f"(d) K/M = {P.img_sweep_K / P.img_M:.2f}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_rotations(rot: RotationResult, P: Params) -> matplotlib.figure.Figure:
    """Fig. 7b: held-out error on trained and untrained routes against K/M for rotated domains."""
    fig, ax = plt.subplots(figsize=(5.2, 3.6))
    ax.plot(rot.frac, rot.tr, "o-", color="tab:blue", label="trained routes")
    ax.plot(rot.frac, rot.un, "o-", color="tab:orange", label="untrained routes")
    ax.axhline(0.9, color="grey", lw=0.8, ls="--", label="chance")
    ax.set(xlabel="fraction K/M of routes trained", ylabel="classification error (held-out images)",
           title=f"(b) rotated domains, M = {P.rot_M}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
