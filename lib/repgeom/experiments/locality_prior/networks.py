"""Training and measuring the LeNet pairs: a control and a locality network per seed.

The two networks of a pair share their seed (initial weights, batches and
dropout masks), so they differ only by the prior ``P``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from repgeom import stats, training
from repgeom.book.claims import Check
from repgeom.data import ImageData
from repgeom.measures.spatial import spatial_variance
from repgeom.models.locality_nets import LeNetLP, collect_activations, train_lenet
from repgeom.models.locality_prior import Cost

from .inputs import InputNormalisation
from .parameters import Params

__all__ = ["LeNetSetup", "Measured", "Comparison", "Pairs", "train_network", "measure", "trained", "compare",
           "train_pairs", "AccuracySummary", "accuracy_summary", "floor_name"]

ARMS = ("control", "locality")


@dataclass(frozen=True, eq=False)
class LeNetSetup:
    """What every LeNet of the chapter is trained and measured with.

    Attributes
    ----------
    params : Params
    x_train : torch.Tensor, shape (n_train, 1, 28, 28)
    y_train : torch.Tensor, shape (n_train,)
    num_classes : int
    x_test : torch.Tensor, shape (max(n_test, n_maps), 1, 28, 28)
        Test images; the first ``n_maps`` are the ones whose maps are analysed.
    y_test : torch.Tensor, shape (max(n_test, n_maps),)
    data_name : str
        The dataset actually used (names the checkpoints).
    checkpoints : Path
        Folder of the training checkpoints.
    device : torch.device
    inputs : str
        How the images were normalised (``"raw"`` or :attr:`InputNormalisation.tag`; names the checkpoints).
    """

    params: Params
    x_train: torch.Tensor
    y_train: torch.Tensor
    num_classes: int
    x_test: torch.Tensor
    y_test: torch.Tensor
    data_name: str
    checkpoints: Path
    device: torch.device
    inputs: str = "raw"

    @classmethod
    def from_data(cls, p: Params, train: ImageData, test: ImageData, *, data_name: str, checkpoints: Path,
                  device: torch.device, normalisation: InputNormalisation | None = None) -> LeNetSetup:
        """The setup from the training and test loads.

        Parameters
        ----------
        p : Params
        train, test : ImageData
            Images (n, 1, 28, 28); of the test load the first ``max(n_test, n_maps)`` are kept.
        data_name : str
            The dataset actually used (``"mnist"`` or its stand-in).
        checkpoints : Path
        device : torch.device
        normalisation : InputNormalisation, optional
            The normalisation both loads went through (:meth:`InputNormalisation.apply`); ``None`` for
            images in [0, 1].

        Returns
        -------
        LeNetSetup
        """
        if normalisation is not None:
            for name, d in (("train", train), ("test", test)):
                if normalisation.describe() not in d.provenance.transform:
                    raise ValueError(f"{name} was not normalised by {normalisation.describe()!r} "
                                     f"(its transform: {d.provenance.transform!r})")
        n = max(p.n_test, p.n_maps)
        return cls(p, train.x, train.y, train.num_classes, test.x[:n], test.y[:n], data_name, checkpoints, device,
                   "raw" if normalisation is None else normalisation.tag)

    @property
    def y_maps(self) -> torch.Tensor:
        """Labels of the ``n_maps`` test images whose activation maps are analysed, shape (n_maps,)."""
        return self.y_test[:self.params.n_maps]


@dataclass(frozen=True, eq=False)
class Measured:
    """One trained network measured on the test images.

    Attributes
    ----------
    model : LeNetLP
    acc : float
        Test accuracy in [0, 1].
    loss : float
        Test cross-entropy (nats).
    lp_input, lp_output : torch.Tensor, shape (n_maps, side**2)
        LP layer activations of the map images.
    lp_input_test : torch.Tensor, shape (n_test_images, side**2)
        LP inputs of all test images (for pruning without running the convolutions again).
    var_input, var_output : torch.Tensor, shape (n_maps,)
        Per-image spatial variance (grid spacings squared; NaN for an all-zero map).
    """

    model: LeNetLP
    acc: float
    loss: float
    lp_input: torch.Tensor
    lp_output: torch.Tensor
    lp_input_test: torch.Tensor
    var_input: torch.Tensor
    var_output: torch.Tensor


@dataclass(frozen=True)
class Comparison:
    """Paired comparison of per-image spatial variance, locality vs control (same images).

    Attributes
    ----------
    loc, ctrl : float
        Mean variance of each network over the compared images.
    diff, se : float
        Mean paired difference (locality - control) and its standard error.
    t, p : float
        Paired t statistic and two-sided p-value.
    n : int
        Images compared.
    dropped : int
        Images left out because a map was all zero in either network.
    """

    loc: float
    ctrl: float
    diff: float
    se: float
    t: float
    p: float
    n: int
    dropped: int


Pairs = dict[int, dict[str, Measured]]
"""``pairs[seed][arm]``: the measured control and locality network of each seed."""


def train_network(setup: LeNetSetup, arm: str, seed: int, cost: Cost = "linear", normalize: bool = False,
                  wd: float | None = None, optimizer: str | None = None) -> LeNetLP:
    """Train (or reload from the checkpoint) one network of a pair.

    Parameters
    ----------
    setup : LeNetSetup
    arm : {"control", "locality"}
    seed : int
    cost : {"linear", "sqrt", "quadratic", "root-distance", "squared-distance"}
        Cost function of the locality arm's prior (:func:`repgeom.models.locality_prior.grid_prior`).
    normalize : bool
        Row-normalised prior.
    wd : float, optional
        Weight decay; default ``setup.params.weight_decay``.
    optimizer : {"sgd", "rmsprop"}, optional
        Default ``setup.params.optimizer``; same lr and momentum either way.

    Returns
    -------
    LeNetLP
        Trained, in eval mode, on ``setup.device``.
    """
    p = setup.params
    wd = p.weight_decay if wd is None else wd
    opt = p.optimizer if optimizer is None else optimizer
    tag = (f"{arm}-{cost}{'-norm' if normalize else ''}-wd{wd:g}-{opt}-lr{p.lr:g}-m{p.momentum:g}-s{seed}"
           f"-n{p.n_train}-e{p.epochs}-b{p.batch_size}-{setup.data_name}-{setup.inputs}")
    return train_lenet(arm, seed, setup.x_train, setup.y_train, epochs=p.epochs, batch_size=p.batch_size,
                       optimizer=opt, lr=p.lr, momentum=p.momentum, weight_decay=wd, cost=cost,
                       normalize=normalize, num_classes=setup.num_classes, device=setup.device,
                       checkpoint=setup.checkpoints / f"{tag}.pt")


def measure(model: LeNetLP, x_test: torch.Tensor, y_test: torch.Tensor, n_maps: int, side: int) -> Measured:
    """Accuracy and loss on the test images; LP activations and their variance on the first ``n_maps``.

    Parameters
    ----------
    model : LeNetLP
    x_test : torch.Tensor, shape (n, 1, 28, 28)
    y_test : torch.Tensor, shape (n,)
    n_maps : int
        The first ``n_maps`` test images are the map images.
    side : int
        LP grid side.

    Returns
    -------
    Measured
    """
    out = collect_activations(model, x_test)          # x_maps is the first n_maps of x_test
    maps = {k: v[:n_maps] for k, v in out.items()}
    return Measured(
        model=model,
        acc=float((out["logits"].argmax(1) == y_test).float().mean()),
        loss=float(F.cross_entropy(out["logits"], y_test)),
        lp_input=maps["lp_input"], lp_output=maps["lp_output"],
        lp_input_test=out["lp_input"],
        var_input=spatial_variance(maps["lp_input"], side, on_empty="nan"),
        var_output=spatial_variance(maps["lp_output"], side, on_empty="nan"),
    )


def trained(setup: LeNetSetup, arm: str, seed: int, **prior: Any) -> Measured:
    """:func:`train_network` then :func:`measure` on the setup's test images.

    Parameters
    ----------
    setup : LeNetSetup
    arm : {"control", "locality"}
    seed : int
    **prior
        ``cost``, ``normalize``, ``wd`` and ``optimizer`` of :func:`train_network`.

    Returns
    -------
    Measured
    """
    model = train_network(setup, arm, seed, **prior)
    return measure(model, setup.x_test, setup.y_test, setup.params.n_maps, setup.params.side)


def compare(loc: Measured, ctrl: Measured, layer: str, mask: torch.Tensor | None = None) -> Comparison:
    """Paired comparison of per-image variance (same images through both networks).

    Parameters
    ----------
    loc, ctrl : Measured
        The locality and the control network.
    layer : {"input", "output"}
        The LP layer's input or output.
    mask : torch.Tensor of bool, shape (n_maps,), optional
        Images to keep.

    Returns
    -------
    Comparison
        All NaN (with ``n`` < 3) when fewer than 3 images have a defined variance in both.
    """
    a, b = getattr(loc, f"var_{layer}"), getattr(ctrl, f"var_{layer}")
    ok = torch.isfinite(a) & torch.isfinite(b)
    if mask is not None:
        ok &= mask
    if int(ok.sum()) < 3:  # a dead layer (all-zero maps on every image): no comparison possible
        nan = float("nan")
        return Comparison(loc=nan, ctrl=nan, diff=nan, se=nan, t=nan, p=nan, n=int(ok.sum()),
                          dropped=int((~(torch.isfinite(a) & torch.isfinite(b))).sum()))
    res = stats.paired_t(a[ok].numpy(), b[ok].numpy())
    diff = (a[ok] - b[ok]).numpy()
    return Comparison(loc=float(a[ok].mean()), ctrl=float(b[ok].mean()), diff=float(diff.mean()),
                      se=float(diff.std(ddof=1) / np.sqrt(diff.size)), t=res.statistic, p=res.pvalue,
                      n=int(ok.sum()), dropped=int((~(torch.isfinite(a) & torch.isfinite(b))).sum()))


def train_pairs(setup: LeNetSetup, seeds: Sequence[int]) -> Pairs:
    """Train and measure a control and a locality network for every seed (control first).

    Parameters
    ----------
    setup : LeNetSetup
    seeds : sequence of int

    Returns
    -------
    Pairs
        ``pairs[seed]["control" | "locality"]``.
    """
    pairs = {}
    for seed in training.progress(seeds, desc="seed pairs"):
        pairs[seed] = {arm: trained(setup, arm, seed) for arm in ARMS}
    return pairs


@dataclass(frozen=True, eq=False)
class AccuracySummary:
    """Test accuracy of the pairs.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per (seed, arm): ``accuracy (%)``, ``loss``.
    table : pandas.DataFrame
        Mean and sd per arm, with the README's MNIST pair below.
    control, locality : numpy.ndarray, shape (n_pairs,)
        Accuracies (%) per seed, in seed order.
    gap : float
        Mean of locality - control (percentage points).
    """

    frame: pd.DataFrame
    table: pd.DataFrame
    control: np.ndarray
    locality: np.ndarray
    gap: float

    @property
    def lowest(self) -> float:
        """The lowest test accuracy (%) of any network of the pairs."""
        return float(min(self.control.min(), self.locality.min()))

    def floor_check(self, floor: float) -> Check:
        """The precondition "every LeNet of the pairs at or above ``floor`` % test accuracy".

        Parameters
        ----------
        floor : float
            In percent (:func:`~.parameters.accuracy_floor`).

        Returns
        -------
        repgeom.book.claims.Check
        """
        return Check(floor_name(floor), self.lowest >= floor,
                     f"control {self.control.min():.1f} to {self.control.max():.1f} %, locality "
                     f"{self.locality.min():.1f} to {self.locality.max():.1f} %")


def floor_name(floor: float) -> str:
    """The name of the accuracy-floor precondition.

    Parameters
    ----------
    floor : float
        In percent.

    Returns
    -------
    str
    """
    return f"every LeNet at or above {floor:.0f} % test accuracy"


def accuracy_summary(pairs: Pairs) -> AccuracySummary:
    """Accuracy and loss of both arms over the seed pairs, next to the README's numbers.

    Parameters
    ----------
    pairs : Pairs

    Returns
    -------
    AccuracySummary
    """
    acc_rows = []
    for seed, pr in pairs.items():
        for arm in ARMS:
            acc_rows.append({"seed": seed, "arm": arm, "accuracy (%)": 100 * pr[arm].acc, "loss": pr[arm].loss})
    acc_df = pd.DataFrame(acc_rows)
    acc_summary = acc_df.groupby("arm")[["accuracy (%)", "loss"]].agg(["mean", "std"]).round(3)
    acc_summary.loc["README (MNIST, 1 pair)"] = [98.1, np.nan, 0.101, np.nan]
    acc_summary = acc_summary.rename(index={"README (MNIST, 1 pair)": "README control (MNIST)"})
    acc_summary.loc["README locality (MNIST)"] = [97.9, np.nan, 0.122, np.nan]
    acc_ctrl = acc_df[acc_df.arm == "control"]["accuracy (%)"].to_numpy()
    acc_loc = acc_df[acc_df.arm == "locality"]["accuracy (%)"].to_numpy()
    acc_gap = float(np.mean(acc_loc - acc_ctrl))
    return AccuracySummary(acc_df, acc_summary, acc_ctrl, acc_loc, acc_gap)
