"""Appendices A and B: a two-output task and other readouts on the four random clusters."""
from __future__ import annotations

import torch

from repgeom.data import tasks

from .params import Params
from .sweep import Context, SweepResult, cluster_run, paired_activations

__all__ = ["two_output_task", "readout_runs"]


def two_output_task(P: Params) -> tasks.ClusterTask:
    """Four unit-normal clusters (seed 31) with two targets, the four sign patterns (Appendix A).

    Parameters
    ----------
    P : Params
        Uses ``dim`` and ``nets``.

    Returns
    -------
    ClusterTask with centres (2 * nets, 4, dim) and targets (2 * nets, 4, 2).
    """
    two_task = tasks.random_clusters(P.dim, n_tasks=2 * P.nets, seed=31)
    return tasks.ClusterTask(two_task.centres, torch.tensor([[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]])
                             .expand(2 * P.nets, -1, -1).clone())


def readout_runs(ctx: Context, task: tasks.ClusterTask, binary: SweepResult) -> dict[str, SweepResult]:
    """The Fig. 1 sweep again with fixed random and with trained random readouts (Appendix B).

    Parameters
    ----------
    ctx : Context
    task : ClusterTask
        Fig. 1's tasks (the same seed, 100, as its sweep).
    binary : SweepResult
        Fig. 1's sweep, with the fixed ±1 readout.

    Returns
    -------
    dict
        Readout label -> SweepResult: ``"binary (fixed ±1)"``, ``"random, fixed"``, ``"random, trained"``.
    """
    P = ctx.params
    acts2 = paired_activations(P.nets)
    runs = {"binary (fixed ±1)": binary}
    for kind, label in (("random_fixed", "random, fixed"), ("trainable", "random, trained")):
        runs[label] = cluster_run(ctx, task, acts2, P.steps, P.per_cluster, P.lr, P.snapshots, P.width,
                                  readout=kind, seed=100)
    return runs
