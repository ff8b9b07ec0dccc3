"""Random tasks with a prescribed input-target kernel alignment (paper Figs. 4B and 6).

For every number of clusters ``P`` the sweep holds, per (k targets, alignment
c, activation), ``nets`` networks on the maximal-dimensional input kernel (the
paper's solid lines) and ``n_dots`` networks on random lower-rank kernels (its
dots); at ``P = 32`` also the capped and shifted ReLUs of Fig. 6. An *entry*
is ``(k, c, rank, activation, net)``, with ``rank=None`` for the
maximal-dimensional kernel and negative ``net`` for the dots.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import torch

from repgeom.data import tasks
from repgeom.measures.dimension import participation_ratio

from .params import Params
from .sweep import Context, cluster_run

__all__ = ["Entry", "AlignedResults", "fig6_k", "perturbed_activations", "aligned_entries", "aligned_sweep",
           "run_aligned", "activation_curves", "check_activations", "run_paper_check", "input_dimension",
           "dimension_table"]

#: One network of the sweep: (k targets, alignment c, input-kernel rank or None, activation, network index).
Entry = tuple[int, float, "int | None", str, int]


@dataclass(frozen=True)
class AlignedResults:
    """Final measures of every network of the random-task sweeps.

    Attributes
    ----------
    entries : dict
        P -> list of :data:`Entry`, in sweep order.
    results : dict
        P -> one dict of final measures (floats) per entry.
    cs : tuple of float
        The alignments swept.
    """

    entries: dict[int, list[Entry]]
    results: dict[int, list[dict[str, float]]]
    cs: tuple

    def collect(self, p: int, k: int, act: str, key: str, solid: bool = True) -> np.ndarray:
        """One measure of the (P, k, activation) networks.

        Parameters
        ----------
        p, k : int
        act : str
        key : str
            The measure.
        solid : bool
            Maximal-dimensional input kernels (``True``) or the random lower-rank dots.

        Returns
        -------
        np.ndarray, shape (len(cs), networks per c)
        """
        entries, res = self.entries[p], self.results[p]
        return np.array([[r[key] for e, r in zip(entries, res) if e[0] == k and e[1] == c and e[3] == act
                          and ((e[2] is None) == solid)] for c in self.cs], dtype=float)


def fig6_k(P: Params) -> int:
    """The number of targets of Fig. 6's P = 32 tasks.

    Parameters
    ----------
    P : Params

    Returns
    -------
    int
        The largest k <= 5 swept with P = 32 in ``P.ks``.
    """
    return max(k for pp, k in P.ks if pp == 32 and k <= 5)


def perturbed_activations(P: Params) -> list[str]:
    """The capped and shifted ReLUs of Fig. 6.

    Parameters
    ----------
    P : Params
        Uses ``caps`` and ``shifts``.

    Returns
    -------
    list of str
        ``relu_cap:a`` for every cap, then ``relu_shift:b`` for every shift.
    """
    return [f"relu_cap:{a:g}" for a in P.caps] + [f"relu_shift:{b:g}" for b in P.shifts]


def aligned_entries(P: Params, p: int) -> list[Entry]:
    """Every network of the P-cluster sweep, in sweep order.

    Parameters
    ----------
    P : Params
    p : int
        Number of clusters.

    Returns
    -------
    list of Entry
        The dots' ranks are drawn in [1, P - 1 - k) from a generator seeded by (k, c).
    """
    entries = []
    for (pp, k) in P.ks:
        if pp != p:
            continue
        for c in P.cs:
            for act in ("tanh", "relu"):
                entries += [(k, c, None, act, n) for n in range(P.nets)]
                ranks = np.random.default_rng(k * 100 + int(c * 100)).integers(1, max(2, p - 1 - k), P.n_dots)
                entries += [(k, c, int(r), act, -1 - d) for d, r in enumerate(ranks)]
    if p == 32:
        k6 = fig6_k(P)
        entries += [(k6, c, None, act, n) for c in P.cs for act in perturbed_activations(P) for n in range(P.nets)]
    return entries


def _accuracy(res, task: tasks.ClusterTask, seed: int, n: int = 8) -> np.ndarray:
    """Each network's accuracy (all targets) on fresh samples with the training noise σ² = 1, shape (n_models,)."""
    x, y, _ = tasks.sample(task, n, 1.0, torch.Generator().manual_seed(seed + 7))
    with torch.no_grad():
        out = res.model(x.to(next(res.model.parameters()).device)).cpu()
    return ((out > 0) == (y > 0)).float().mean((1, 2)).numpy()


def aligned_sweep(ctx: Context, p: int, entries: list[Entry], steps: int, seed: int) -> list[dict[str, float]]:
    """Train the networks of ``entries``, one batched run per k; return the final measures per entry.

    Parameters
    ----------
    ctx : Context
    p : int
        Number of clusters.
    entries : list of Entry
    steps : int
    seed : int
        The task of (k, c, rank) uses ``seed + 10 k``, the run of k ``seed + k``.

    Returns
    -------
    list of dict
        Measure -> float, one per entry (PS and CCGP averaged over ``max_dichotomies`` targets), plus
        ``"accuracy"``: the network's accuracy on fresh noisy samples (σ² = 1) over all its targets.
    """
    P = ctx.params
    # same targets and input kernel for every network of one (k, c, rank): paired tanh/ReLU comparison
    tk = [tasks.aligned_task(p, k, c, P.aligned_dim, rank=r, seed=seed + 10 * k) for (k, c, r, _, _) in entries]
    # the number of outputs differs across k, so each k is its own batched run
    results = [None] * len(entries)
    for k in sorted({e[0] for e in entries}):
        idx = [i for i, e in enumerate(entries) if e[0] == k]
        task = tasks.concat([tk[i] for i in idx])
        res = cluster_run(ctx, task, [entries[i][3] for i in idx], steps, P.aligned_per_cluster, P.lr, (steps,),
                          P.aligned_width, n_out=k, seed=seed + k, n_test=P.aligned_test, light=True)
        met = res.metrics[steps][0]
        acc = _accuracy(res, task, seed + k)
        for j, i in enumerate(idx):
            results[i] = {key: float(v[j]) for key, v in met.items()}
            results[i]["accuracy"] = float(acc[j])
    return results


def _sweep_seed(p: int) -> int:
    """Seed of the P-cluster sweep of :func:`run_aligned`."""
    return 300 + p


def run_aligned(ctx: Context) -> AlignedResults:
    """All random-task sweeps of the chapter, one per number of clusters P (seed ``300 + P``).

    Parameters
    ----------
    ctx : Context
        Uses ``ks``, ``cs``, ``nets``, ``n_dots``, ``caps``, ``shifts`` and the ``aligned_*`` sizes.

    Returns
    -------
    AlignedResults
    """
    P = ctx.params
    entries, results = {}, {}
    for p in sorted({p for p, _ in P.ks}):
        entries[p] = aligned_entries(P, p)
        results[p] = aligned_sweep(ctx, p, entries[p], P.aligned_steps, seed=_sweep_seed(p))
    return AlignedResults(entries, results, P.cs)


def check_activations(P: Params) -> list[str]:
    """The activations of the paper-scale check of Fig. 6: tanh, ReLU, the first cap and every shift."""
    return ["tanh", "relu", f"relu_cap:{P.caps[0]:g}"] + [f"relu_shift:{b:g}" for b in P.shifts]


def run_paper_check(ctx: Context, seed: int = 332) -> AlignedResults | None:
    """Fig. 6's P = 32 task at the paper's input dimension, width and samples per step (seed ``seed``).

    At the quick profile the random-task sweep runs small networks; this check
    trains ``check_nets`` networks per activation of :func:`check_activations` and
    alignment of ``check_cs`` at ``check_dim`` inputs, ``check_width`` hidden units
    and ``check_per_cluster`` samples per cluster for ``check_steps`` steps.

    Parameters
    ----------
    ctx : Context
        Uses the ``check_*`` fields; ``check_dim = 0`` (the full profile, whose sweep is at
        the paper's scale already) means no check.
    seed : int

    Returns
    -------
    AlignedResults or None
        Holding P = 32 only, alignments ``check_cs``; ``None`` when there is no check.
    """
    P = ctx.params
    if not P.check_dim:
        return None
    big = replace(P, aligned_dim=P.check_dim, aligned_width=P.check_width, aligned_per_cluster=P.check_per_cluster)
    k6 = fig6_k(P)
    entries = [(k6, c, None, act, n) for c in P.check_cs for act in check_activations(P) for n in range(P.check_nets)]
    results = aligned_sweep(Context(big, ctx.device, ctx.add_seeds), 32, entries, P.check_steps, seed)
    return AlignedResults({32: entries}, {32: results}, tuple(P.check_cs))


def activation_curves(aligned: AlignedResults, P: Params) -> dict[str, np.ndarray]:
    """Mean target alignment against c for tanh, ReLU and the perturbed ReLUs at P = 32 (Fig. 6).

    Parameters
    ----------
    aligned : AlignedResults
        Must hold P = 32 and ``fig6_k(P)`` targets (the main sweep or :func:`run_paper_check`).
    P : Params

    Returns
    -------
    dict
        Activation name -> array of shape (len(aligned.cs),), for every activation the sweep holds.
    """
    k6 = fig6_k(P)
    present = {e[3] for e in aligned.entries[32] if e[0] == k6 and e[2] is None}
    curves6 = {}
    for act in ["tanh", "relu"] + perturbed_activations(P):
        if act in present:
            curves6[act] = aligned.collect(32, k6, act, "target_alignment").mean(1)
    return curves6


def input_dimension(task: tasks.ClusterTask) -> torch.Tensor:
    """Linear dimension of each task's input geometry: the participation ratio of its centred centre kernel.

    ``(sum λ)² / sum λ²`` of the eigenvalues of ``H X Xᵀ H`` (Appendix C), with ``X`` the centres.

    Parameters
    ----------
    task : ClusterTask
        Centres (n_tasks, P, dim).

    Returns
    -------
    torch.Tensor, shape (n_tasks,), float64, in [1, P - 1].
    """
    x = task.centres.double().cpu()
    x = x - x.mean(1, keepdim=True)
    return participation_ratio(x @ x.transpose(1, 2))


def dimension_table(aligned: AlignedResults, P: Params) -> pd.DataFrame:
    """Input dimension (participation ratio) of the random tasks of :func:`run_aligned`, per (P, k) and c.

    Each cell reads ``"maximal / lower-rank"``: the maximal-dimensional input kernel (the solid lines)
    and the mean over the random lower-rank kernels (the dots) of that (P, k, c).

    Parameters
    ----------
    aligned : AlignedResults
        From :func:`run_aligned` (its tasks are rebuilt from the entries and the sweep seeds).
    P : Params
        Uses ``ks`` and ``aligned_dim``.

    Returns
    -------
    pandas.DataFrame
        Index "P = .., k = ..", one column per alignment c.
    """
    rows = {}
    for p, k in P.ks:
        seed = _sweep_seed(p) + 10 * k
        cells = {}
        for c in aligned.cs:
            ranks = sorted({e[2] for e in aligned.entries[p] if e[0] == k and e[1] == c and e[2] is not None})
            solid = float(input_dimension(tasks.aligned_task(p, k, c, P.aligned_dim, seed=seed))[0])
            dots = [float(input_dimension(tasks.aligned_task(p, k, c, P.aligned_dim, rank=r, seed=seed))[0])
                    for r in ranks]
            cells[f"c = {c:g}"] = f"{solid:.1f} / {np.mean(dots):.1f}" if dots else f"{solid:.1f}"
        rows[f"P = {p}, k = {k}"] = cells
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("task")
