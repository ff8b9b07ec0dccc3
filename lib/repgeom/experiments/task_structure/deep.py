"""Deep networks on the P = 32, k = 5 task (paper Fig. 5), and this book's addition on them.

The addition measures the deep networks with the other chapters' tools: the
principal angles between the output space of one weight matrix and the input
space of the next (communication subspaces), and the held-out variance a
shared response model fitted across seeds explains, per layer.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from repgeom.data import tasks
from repgeom.measures.srm import SRM, variance_explained, zscore_examples
from repgeom.measures.subspace import principal_angles, random_subspace_angles, singular_spaces
from repgeom.models.batched_mlp import BatchedMLP

from .params import Params
from .sweep import Context, cluster_run

__all__ = ["DeepResult", "deep_tasks", "run_deep", "deep_members", "communication_angles", "random_angle",
           "srm_across_seeds"]


@dataclass(frozen=True)
class DeepResult:
    """Per-layer alignments and the trained networks of every depth.

    Attributes
    ----------
    metrics : dict
        (depth, "target_alignment" | "input_alignment") -> array of shape
        (depth, tasks, 2 activations, nets).
    models : dict
        depth -> the trained BatchedMLP, members ordered (task, activation, net).
    """

    metrics: dict[tuple[int, str], np.ndarray]
    models: dict[int, BatchedMLP]


def deep_tasks(P: Params) -> dict[str, tasks.ClusterTask]:
    """The "easy" (maximal-rank input kernel) and "hard" (rank-5, Appendix F) tasks, P = 32, k = 5, c = 0.

    Parameters
    ----------
    P : Params
        Uses ``aligned_dim``.

    Returns
    -------
    dict
        ``"easy"``, ``"hard"`` -> ClusterTask with centres (1, 32, aligned_dim), targets (1, 32, 5).
    """
    return {
        "easy": tasks.aligned_task(32, 5, 0.0, P.aligned_dim, rank=None, seed=501),
        "hard": tasks.aligned_task(32, 5, 0.0, P.aligned_dim, rank=5, seed=501),
    }


def run_deep(ctx: Context, task_set: dict[str, tasks.ClusterTask]) -> DeepResult:
    """Train ``nets`` tanh and ReLU networks per task at every depth with Adam (seed ``600 + depth``).

    Parameters
    ----------
    ctx : Context
        Uses ``depths``, ``deep_width``, ``deep_steps``, ``deep_lr``, ``nets``.
    task_set : dict
        Task name -> ClusterTask with 5 targets (:func:`deep_tasks`).

    Returns
    -------
    DeepResult
    """
    P = ctx.params
    deep, deep_models = {}, {}
    for depth in P.depths:
        order = [(t, act) for t in task_set for act in ("tanh", "relu") for _ in range(P.nets)]
        task = tasks.concat([task_set[t] for t, _ in order])
        res = cluster_run(ctx, task, [a for _, a in order], P.deep_steps, P.aligned_per_cluster, P.deep_lr,
                          (P.deep_steps,), P.deep_width, n_out=5, seed=600 + depth, optimizer="adam",
                          widths=[P.deep_width] * depth, n_test=P.aligned_test, light=True)
        deep_models[depth] = res.model
        for key in ("target_alignment", "input_alignment"):
            layers = np.stack([m[key].cpu().numpy() for m in res.metrics[P.deep_steps]])  # (depth, members)
            deep[depth, key] = layers.reshape(depth, len(task_set), 2, P.nets)
    return DeepResult(deep, deep_models)


def deep_members(task_names: list[str], nets: int) -> dict[tuple[str, str], list[int]]:
    """Indices of the networks of every (task, activation) group in a deep model.

    Parameters
    ----------
    task_names : list of str
        In the model's order.
    nets : int
        Networks per group.

    Returns
    -------
    dict
        (task, activation) -> member indices (members ordered task, activation, net).
    """
    return {(t, act): [(ti * 2 + ai) * nets + j for j in range(nets)]
            for ti, t in enumerate(task_names) for ai, act in enumerate(("tanh", "relu"))}


def communication_angles(model: BatchedMLP, k: int) -> np.ndarray:
    """Mean principal angle between the output space of ``W_l`` and the input space of ``W_{l+1}``.

    The output space of ``W_l`` is its row space (``h_{l+1} = f(h_l W_l)``),
    the input space of ``W_{l+1}`` its column space; top-``k`` singular vectors each.

    Parameters
    ----------
    model : BatchedMLP
        At least two hidden layers.
    k : int
        Subspace dimension.

    Returns
    -------
    np.ndarray, shape (layers - 1, n_models), degrees
    """
    gb_angles = []
    with torch.no_grad():
        for layer in range(len(model.weights) - 1):
            out_space = singular_spaces(model.weights[layer].double())[2][..., :k]
            in_space = singular_spaces(model.weights[layer + 1].double())[0][..., :k]
            gb_angles.append(torch.rad2deg(principal_angles(out_space, in_space)).mean(-1).cpu().numpy())
    return np.stack(gb_angles)


def random_angle(width: int, k: int) -> float:
    """Mean principal angle between two random ``k``-dimensional subspaces of R^width (256 draws, seed 3).

    Parameters
    ----------
    width, k : int
        Ambient and subspace dimension.

    Returns
    -------
    float, degrees
    """
    return float(torch.rad2deg(random_subspace_angles(width, k, draws=256, seed=3)).mean())


def srm_across_seeds(model: BatchedMLP, task_set: dict[str, tasks.ClusterTask],
                     members: dict[tuple[str, str], list[int]],
                     device: torch.device | str) -> dict[tuple[str, str], list[float]]:
    """Held-out variance explained by an SRM fitted across the seeds of each (task, activation), per layer.

    The same test inputs (8 per cluster, σ = 1, seed 777) go through every
    network; activity is z-scored per example; the SRM (10 iterations, seed 0)
    is fitted on 75 % of the inputs (seeded split, 778) and scored on the rest.

    Parameters
    ----------
    model : BatchedMLP
    task_set : dict
        Task name -> ClusterTask.
    members : dict
        (task, activation) -> network indices (:func:`deep_members`).
    device : torch.device or str

    Returns
    -------
    dict
        (task, activation) -> mean variance explained of each hidden layer, in [0, 1] (held out, can be lower).
    """
    gb_ve = {}
    with torch.no_grad():
        for t, task_t in task_set.items():
            x_t, _, _ = tasks.sample(task_t, 8, 1.0, torch.Generator().manual_seed(777))
            x_all = x_t.to(device).expand(model.n_models, -1, -1).contiguous()
            order = torch.randperm(x_all.shape[1], generator=torch.Generator().manual_seed(778))
            fit_i, test_i = order[: 3 * len(order) // 4], order[3 * len(order) // 4:]
            hidden = model.hidden(x_all)
            for act in ("tanh", "relu"):
                idx = members[t, act]
                gb_ve[t, act] = [
                    float(variance_explained(SRM(n_iter=10, seed=0).fit(z[:, fit_i]), z[:, test_i]).mean())
                    for z in (zscore_examples(h[idx].double()) for h in hidden)
                ]
    return gb_ve
