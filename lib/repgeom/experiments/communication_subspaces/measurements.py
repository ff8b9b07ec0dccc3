"""The chapter's measurements around the alignment analysis of :mod:`.alignment`.

Convolution as a matrix product on a real layer (Appendix Fig. 3), the number
of pairs per connection type, the subspace sizes the rule chose, the
weight-to-weight alignment along the in-chapter training, and the same
analysis in a second architecture (ResNet-18).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from repgeom import training
from repgeom.measures import subspace as ss
from repgeom.models import resnet_connections as rc
from repgeom.models.resnet_connections import Connection

from . import alignment as align
from .networks import (
    StandIn,
    TrainedResNet,
    load_snapshot,
    train_resnet,
    untrained_resnets,
)
from .parameters import Params, steps_per_epoch

__all__ = [
    "connection_counts",
    "MatmulCheck",
    "conv_as_matmul",
    "size_summary",
    "KeptShare",
    "kept_share",
    "training_curve",
    "curve_drop",
    "ResNet18Alignment",
    "resnet18_alignment",
]


def connection_counts(w_conns: Sequence[Connection], a_conns: Sequence[Connection]) -> pd.DataFrame:
    """Pairs per connection type in the two analyses.

    Parameters
    ----------
    w_conns, a_conns : sequence of Connection
        Weight-to-weight and activation-to-weight connections.

    Returns
    -------
    pandas.DataFrame
        Index :data:`repgeom.models.resnet_connections.KINDS`; columns
        ``weight-to-weight pairs`` and ``activation-to-weight pairs`` (int, 0 where absent).
    """
    return pd.DataFrame({
        "weight-to-weight pairs": pd.Series([c.kind for c in w_conns]).value_counts(),
        "activation-to-weight pairs": pd.Series([c.kind for c in a_conns]).value_counts(),
    }).reindex(rc.KINDS).fillna(0).astype(int)


@dataclass(frozen=True)
class MatmulCheck:
    """A convolution against connection matrix x unfolded input, on one image.

    Attributes
    ----------
    conv_output : torch.Tensor, shape (c_out, h_out, w_out)
        The convolution's output.
    matmul_output : torch.Tensor, shape (c_out, h_out, w_out)
        ``W @ X`` reshaped to it.
    input_shape : tuple of int
        (c_in, h, w) of the input activation.
    weight_shape : tuple of int
        (c_out, c_in k_h k_w) of the connection matrix ``W``.
    unfolded_shape : tuple of int
        (c_in k_h k_w, positions) of the unfolded input ``X``.
    max_abs_err : float
        Largest absolute difference.
    rel_err : float
        ``max_abs_err`` over the largest absolute output.
    """

    conv_output: torch.Tensor
    matmul_output: torch.Tensor
    input_shape: tuple[int, ...]
    weight_shape: tuple[int, ...]
    unfolded_shape: tuple[int, ...]
    max_abs_err: float
    rel_err: float


def conv_as_matmul(net: nn.Module, images: torch.Tensor, conv_name: str) -> MatmulCheck:
    """Compute one conv of ``net`` both ways on the input activation of the first image (paper Sec. 2.1).

    Parameters
    ----------
    net : nn.Module
    images : torch.Tensor, shape (N, C, H, W)
        Only the first image is used.
    conv_name : str
        Module name of a ``Conv2d`` of ``net``, e.g. ``"layer1.0.conv2"``.

    Returns
    -------
    MatmulCheck
    """
    conv = dict(net.named_modules())[conv_name]
    act = rc.capture_inputs(net, images[:1], [conv_name])[conv_name]
    with torch.no_grad():
        ref = conv(act)[0]
    Wm = ss.conv_weight_matrix(conv)
    Xm = ss.unfold_input(act[0], conv)
    mm = (Wm @ Xm).reshape(ref.shape)
    err = float((mm - ref).abs().max())
    rel = err / float(ref.abs().max())
    return MatmulCheck(ref, mm, tuple(act.shape[1:]), tuple(Wm.shape), tuple(Xm.shape), err, rel)


def size_summary(w_pairs: pd.DataFrame, a_pairs: pd.DataFrame) -> pd.DataFrame:
    """The subspace sizes the rule chose and the variance they keep, per analysis and connection type.

    Parameters
    ----------
    w_pairs, a_pairs : pandas.DataFrame
        :func:`.alignment.pair_table` of the weight and the activation analysis.

    Returns
    -------
    pandas.DataFrame
        Index (analysis, kind); columns ``pairs, mean_k_over_full,
        mean_ev_source, mean_ev_target, share_clean``.
    """
    return pd.concat({
        name: pt.assign(frac=pt.k / pt.full).groupby("kind").agg(
            pairs=("k", "size"), mean_k_over_full=("frac", "mean"), mean_ev_source=("ev_source", "mean"),
            mean_ev_target=("ev_target", "mean"), share_clean=("clean", "mean"))
        for name, pt in (("weight", w_pairs), ("activation", a_pairs))
    })


@dataclass(frozen=True)
class KeptShare:
    """What the kept weight subspaces hold, on average over the pairs.

    Attributes
    ----------
    dims : float
        Mean ``k / full`` (share of the dimensions), in [0, 1].
    variance : float
        Mean explained variance (share of the squared singular values) over
        sources and targets, in [0, 1].
    """

    dims: float
    variance: float


def kept_share(w_pairs: pd.DataFrame) -> KeptShare:
    """Average share of dimensions and variance the kept weight subspaces hold.

    Parameters
    ----------
    w_pairs : pandas.DataFrame
        :func:`.alignment.pair_table` of the weight analysis.

    Returns
    -------
    KeptShare
    """
    w_ev = float(pd.concat([w_pairs.ev_source, w_pairs.ev_target]).mean())
    w_frac = float((w_pairs.k / w_pairs.full).mean())
    return KeptShare(w_frac, w_ev)


def training_curve(snapshots: Sequence[Path], w_res: Sequence[align.PairResult], w_conns: Sequence[Connection],
                   ends_measured: str | None, p: Params, num_classes: int, device: torch.device) -> pd.DataFrame:
    """Mean weight-to-weight angle per connection type at every snapshot of the in-chapter training.

    Every snapshot is measured at the subspace sizes ``w_res`` chose. When the
    in-chapter network is the trained network of ``w_res``, its end points are
    already there: the last snapshot is ``"trained"`` and the first is the
    untrained network ``ends_measured`` (built with the training's seed).

    Parameters
    ----------
    snapshots : sequence of Path
        From :func:`.networks.train_resnet` (``epochs + 1`` ResNet-50 state_dicts).
    w_res : sequence of PairResult
        The weight-to-weight analysis of the trained and untrained networks.
    w_conns : sequence of Connection
    ends_measured : str or None
        Label in ``w_res`` of the untrained network the training started from,
        or None when the trained network of ``w_res`` is not the in-chapter one
        (every snapshot is then measured).
    p : Params
        Uses ``min_angle_deg`` and the steps per epoch.
    num_classes : int
    device : torch.device

    Returns
    -------
    pandas.DataFrame
        One row per (snapshot, kind): ``epoch, step, kind, mean_deg`` (degrees, angles pooled over blocks).
    """
    sizes = {r.connection: r.size for r in w_res}
    curve = []
    for epoch, path in enumerate(snapshots):
        if ends_measured is not None and epoch == len(snapshots) - 1:
            res_e, lab = w_res, "trained"
        elif ends_measured is not None and epoch == 0:
            res_e, lab = w_res, ends_measured
        else:
            res_e = align.weight_alignment({"net": load_snapshot("resnet50", path, num_classes, device)}, w_conns,
                                           sizes=sizes, min_angle_deg=p.min_angle_deg)
            lab = "net"
        for kind in rc.KINDS:
            angles = torch.cat([r.angles[lab] for r in res_e if r.connection.kind == kind])
            curve.append({"epoch": epoch, "step": epoch * steps_per_epoch(p), "kind": kind,
                          "mean_deg": float(torch.rad2deg(angles.mean()))})
    return pd.DataFrame(curve)


def curve_drop(curve: pd.DataFrame, kind: str, last_epoch: int) -> float:
    """How far the mean angle of one connection type fell from epoch 0 to ``last_epoch`` (degrees).

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`training_curve`.
    kind : str
    last_epoch : int

    Returns
    -------
    float
        ``mean_deg`` at epoch 0 minus ``mean_deg`` at ``last_epoch``.
    """
    first = curve[curve.epoch == 0].set_index("kind").mean_deg
    last = curve[curve.epoch == last_epoch].set_index("kind").mean_deg
    return float(first[kind] - last[kind])


@dataclass(frozen=True)
class ResNet18Alignment:
    """The weight-to-weight analysis of a ResNet-18 trained in the chapter.

    Attributes
    ----------
    trained : TrainedResNet
    accuracy : float
        Held-out accuracy, in [0, 1].
    table : pandas.DataFrame
        :func:`.alignment.alignment_table` (trained vs the untrained seeds).
    blocks : list of str
        Short block names (``"1.0"`` ... ``"4.1"``).
    gap_deg : float
        Mean over rows of untrained minus trained angle (degrees).
    """

    trained: TrainedResNet
    accuracy: float
    table: pd.DataFrame
    blocks: list[str]
    gap_deg: float


def resnet18_alignment(stand_in: StandIn, p: Params, device: torch.device, seed: int) -> ResNet18Alignment:
    """Train a ResNet-18 on the stand-in and compare its weight-to-weight alignment with untrained ones.

    Parameters
    ----------
    stand_in : StandIn
    p : Params
        Uses ``resnet18_epochs``, ``untrained_seeds`` (the first also seeds the
        training), the subspace size rule and ``baseline_angles``.
    device : torch.device
    seed : int
        Seed of the random-subspace baseline.

    Returns
    -------
    ResNet18Alignment
    """
    r18 = train_resnet("resnet18", p.resnet18_epochs, p.untrained_seeds[0], stand_in, p, device)
    r18_acc = training.accuracy(r18.net, stand_in.x_eval, stand_in.y_eval)
    r18_untrained = untrained_resnets("resnet18", p.untrained_seeds, stand_in.num_classes, device)
    r18_conns = rc.resnet_connections(r18.net, "weight")
    r18_res = align.weight_alignment({"trained": r18.net, **r18_untrained}, r18_conns,
                                     min_angle_deg=p.min_angle_deg, min_fraction=p.min_fraction)
    r18_tab = align.alignment_table(r18_res, "trained", list(r18_untrained), baseline_angles=p.baseline_angles,
                                    seed=seed)
    r18_blocks = [n.replace("layer", "") for n, _, _ in rc.resnet_blocks(r18.net)]
    r18_gap = float((r18_tab.untrained_deg - r18_tab.trained_deg).mean())
    return ResNet18Alignment(r18, r18_acc, r18_tab, r18_blocks, r18_gap)
