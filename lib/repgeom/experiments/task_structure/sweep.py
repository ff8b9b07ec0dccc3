"""One batched training sweep of the one-hidden-layer networks, measured at snapshots.

Every figure of the paper is a sweep over activations x seeds x task
parameters; :func:`cluster_run` trains all its networks as one
:class:`~repgeom.models.batched_mlp.BatchedMLP` and measures the geometry of
their hidden layers (kernel alignment, decoding, PS, CCGP) on test samples at
the requested steps, with the estimators the parameters name (by default the
authors' released ones: matched-pair CCGP, linear-assignment parallelism,
linear-SVM decoding).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from repgeom.data import tasks
from repgeom.measures.abstraction import geometry_metrics
from repgeom.measures.decoding import balanced_dichotomies
from repgeom.models.batched_mlp import BatchedMLP, train_batched

from .params import Params

__all__ = ["ACTS", "COLORS", "NAMES", "ESTIMATORS", "Context", "SweepResult", "paired_activations", "cluster_run", "by_act",
           "act_means"]

#: The two activations the paper compares, in the order of every sweep.
ACTS = ("tanh", "relu")
#: Plot colour of each activation (tanh blue, ReLU red).
COLORS = {"tanh": "C0", "relu": "C3"}
#: Reader-facing name of each measure returned by :func:`geometry_metrics`.
NAMES = {"decode_trained": "trained-dichotomy decoding", "decode_untrained": "untrained-dichotomy decoding",
         "target_alignment": "target alignment $C(K_Z,K_Y)$", "input_alignment": "input alignment $C(K_Z,K_X)$",
         "ps": "parallelism score", "ccgp": "CCGP"}
#: Reader-facing name of each estimator (:func:`geometry_metrics`'s ``estimator`` / ``decoder``).
ESTIMATORS = {"released": "the authors' released estimators (CCGP from one matched pair of conditions per side, "
                          "parallelism of the linear-assignment pairing)",
              "subsets": "Bernardi et al.'s estimators (CCGP trained on all but one condition per side, "
                         "parallelism maximised over the tried pairings)",
              "svm": "linear SVM (squared hinge, C = 1)", "logistic": "L2 logistic regression (C = 1)"}


def _ignore_seeds(*seeds: int) -> None:
    return None


@dataclass(frozen=True)
class Context:
    """What every sweep of the chapter shares.

    Attributes
    ----------
    params : Params
        Test samples and caps of the measures are read from it.
    device : torch.device or str
        Where the networks train.
    add_seeds : callable
        Called with the seeds each sweep uses (a chapter passes ``run.add_seeds``).
    """

    params: Params
    device: torch.device | str = "cpu"
    add_seeds: Callable[..., None] = _ignore_seeds


@dataclass(frozen=True)
class SweepResult:
    """The measured geometry of one batched sweep.

    Attributes
    ----------
    metrics : dict
        Step -> one dict per hidden layer of :func:`geometry_metrics` output,
        each value a float64 tensor of shape (n_models,).
    weights : dict
        Step -> input weights, shape (n_models, dim, width), on the CPU (only
        with ``keep_weights``).
    model : BatchedMLP
        The trained networks.
    """

    metrics: dict[int, list[dict[str, torch.Tensor]]]
    model: BatchedMLP
    weights: dict[int, torch.Tensor] = field(default_factory=dict)


def paired_activations(nets: int) -> list[str]:
    """The paired layout of every two-activation sweep.

    Parameters
    ----------
    nets : int
        Networks per activation.

    Returns
    -------
    list of str, length 2 nets: ``nets`` times ``"tanh"``, then ``nets`` times ``"relu"``.
    """
    return ["tanh"] * nets + ["relu"] * nets


def cluster_run(ctx: Context, task: tasks.ClusterTask, activations: Sequence[str], steps: int, per_cluster: int,
                lr: float, snapshots: Sequence[int], width: int, n_out: int = 1, readout: str = "binary",
                sigma_train: float | torch.Tensor = 1.0, seed: int = 0, keep_weights: bool = False,
                optimizer: str = "sgd", widths: Sequence[int] | None = None, n_test: int | None = None,
                light: bool = False, compare: bool = False) -> SweepResult:
    """Train one batched sweep on fresh noisy samples; measure every hidden layer at ``snapshots``.

    Parameters
    ----------
    ctx : Context
    task : ClusterTask
        Centres (n_models, P, dim), targets (n_models, P, n_out): one task per network.
    activations : sequence of str
        One activation name per network.
    steps, per_cluster : int
        Training steps, and samples per cluster drawn at each step.
    lr : float
    snapshots : sequence of int
        Steps (0 = before training) at which the geometry is measured.
    width : int
        Hidden units (one hidden layer unless ``widths`` is given).
    n_out : int
        Outputs (targets per cluster).
    readout : {"binary", "random_fixed", "trainable"}
    sigma_train : float or torch.Tensor, shape (n_models,)
        Training noise standard deviation per input dimension.
    seed : int
        Test samples use ``seed + 1``, training samples ``seed + 2``, the
        networks ``1000 seed + 17``.
    keep_weights : bool
        Keep the input weights at every snapshot.
    optimizer : {"sgd", "adam"}
    widths : sequence of int, optional
        Hidden widths of a deep network.
    n_test : int, optional
        Test samples per cluster (default ``ctx.params.test_per_cluster``), noise variance
        ``ctx.params.test_noise_var``.
    light : bool
        Skip decoding and average PS / CCGP over ``ctx.params.max_dichotomies`` targets.
    compare : bool
        Also measure the other PS / CCGP estimator and decoder than ``ctx.params.estimator`` /
        ``ctx.params.decoder`` (:func:`geometry_metrics`'s ``compare``).

    Returns
    -------
    SweepResult
    """
    P, dev = ctx.params, ctx.device
    b, p, d = task.centres.shape
    n_test = n_test or P.test_per_cluster
    untrained4 = balanced_dichotomies(4)[1:]
    task = tasks.ClusterTask(task.centres.to(dev), task.targets.to(dev))
    x_te, _, _ = tasks.sample(task, n_test, math.sqrt(P.test_noise_var), torch.Generator().manual_seed(seed + 1))
    model = BatchedMLP(b, d, widths or [width], n_out=n_out, activations=activations, readout=readout,
                       seed=1000 * seed + 17, device=dev)
    ctx.add_seeds(seed, seed + 1, seed + 2)
    g = torch.Generator().manual_seed(seed + 2)
    sig = torch.as_tensor(sigma_train, dtype=torch.float32)
    metrics: dict[int, list[dict[str, torch.Tensor]]] = {}
    weights: dict[int, torch.Tensor] = {}

    def snap(step: int, m: BatchedMLP) -> None:
        if keep_weights:
            weights[step] = m.weights[0].detach().cpu().clone()
        zs = [h.reshape(b, p, n_test, -1) for h in m.hidden(x_te)]
        metrics[step] = [
            geometry_metrics(z, task.centres, task.targets,
                             untrained=untrained4 if p == 4 and n_out == 1 else None,
                             max_splits=P.max_splits, max_pairings=P.max_pairings, seed=seed,
                             decode=not light, max_dichotomies=P.max_dichotomies if light else None,
                             estimator=P.estimator, decoder=P.decoder, compare=compare)
            for z in zs
        ]

    train_batched(model, lambda s: tasks.sample(task, per_cluster, sig, g)[:2], steps, lr, optimizer=optimizer,
                  snapshot_at=snapshots, on_snapshot=snap, desc="sweep")
    return SweepResult(metrics, model, weights)


def by_act(metrics: dict[str, torch.Tensor], key: str, n: int) -> dict[str, np.ndarray]:
    """Split one measure of a paired sweep by activation.

    Parameters
    ----------
    metrics : dict
        One layer's :func:`geometry_metrics` output, values of shape (n_models,).
    key : str
        The measure.
    n : int
        Networks per activation (tanh first, then ReLU).

    Returns
    -------
    dict
        ``"tanh"`` and ``"relu"`` -> array of shape (n,).
    """
    v = metrics[key].cpu().numpy()
    return {"tanh": v[:n], "relu": v[n:2 * n]}


def act_means(metrics: dict[str, torch.Tensor], key: str, n: int) -> dict[str, float]:
    """Mean of one measure per activation of a paired sweep.

    Parameters
    ----------
    metrics, key, n
        As for :func:`by_act`.

    Returns
    -------
    dict
        ``"tanh"`` and ``"relu"`` -> mean over their ``n`` networks.
    """
    return {a: float(v.mean()) for a, v in by_act(metrics, key, n).items()}
