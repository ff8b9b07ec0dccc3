"""The book's additions to the analysis: weight-to-weight alignment along the in-chapter training, how far
training turned each layer's input space, and the same analysis in a second architecture (ResNet-18)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from repgeom import training
from repgeom.measures import subspace as ss
from repgeom.models import resnet_connections as rc
from repgeom.models.resnet_connections import Connection

from . import alignment as align
from .networks import StandIn, TrainedResNet, load_snapshot, train_resnet, untrained_resnets
from .parameters import Params, interval_size, steps_per_epoch

__all__ = ["training_curve", "curve_drop", "Movement", "weight_movement", "movement_curve", "ResNet18Alignment",
           "resnet18_alignment"]


def training_curve(snapshots: Sequence[Path], w_res: Sequence[align.PairResult], w_conns: Sequence[Connection],
                   ends_measured: str | None, p: Params, num_classes: int, device: torch.device,
                   seed: int = 0) -> pd.DataFrame:
    """Mean weight-to-weight angle per connection type at every snapshot, and its excess over random subspaces.

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
        Uses ``min_angle_deg``, ``baseline_angles`` and the steps per interval.
    num_classes : int
    device : torch.device
    seed : int
        Seed of the random-subspace baseline.

    Returns
    -------
    pandas.DataFrame
        One row per (snapshot, kind): ``epoch, step, kind, mean_deg, baseline_deg,
        excess_deg`` (degrees; angles pooled over blocks; the baseline is the
        random-subspace mean angle at the same sizes, weighted by size;
        ``excess_deg = mean_deg - baseline_deg``, negative = more aligned than chance).
    """
    sizes = {r.connection: r.size for r in w_res}
    cache: dict = {}
    base = {}
    for kind in rc.KINDS:
        rs = [r for r in w_res if r.connection.kind == kind]
        ks = [r.size.k for r in rs]
        base[kind] = (sum(k * align._baseline_deg(r.ambient, k, p.baseline_angles, seed, "cpu", cache,
                                              p.min_angle_deg)
                          for k, r in zip(ks, rs)) / sum(ks)) if rs else float("nan")
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
            mean = float(torch.rad2deg(angles.mean()))
            curve.append({"epoch": epoch, "step": epoch * steps_per_epoch(p), "kind": kind,
                          "mean_deg": mean, "baseline_deg": base[kind], "excess_deg": mean - base[kind]})
    return pd.DataFrame(curve)


@dataclass(frozen=True)
class Movement:
    """How far training turned the input spaces of a network's convs.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per conv: ``conv, dim, k, angle_deg, random_deg`` (mean principal
        angle between the leading ``k = dim // 2`` right singular vectors before
        and after training, and the same for two random subspaces of that size).
    mean_deg : float
        Mean of ``angle_deg`` over the convs.
    random_deg : float
        Mean of ``random_deg`` (what a complete re-draw of every input space would give).
    """

    table: pd.DataFrame
    mean_deg: float
    random_deg: float


def weight_movement(spaces: align.WeightSpaces, start: str, end: str, names: Sequence[str],
                    baseline_angles: int = 256, seed: int = 0, baseline_cache: dict | None = None) -> Movement:
    """Mean principal angle between each conv's initial and final input space (its leading half).

    Parameters
    ----------
    spaces : WeightSpaces
        Holding both networks.
    start, end : str
        Labels of the network before and after training.
    names : sequence of str
        Conv module names to compare.
    baseline_angles : int
        Random angles per size for the random reference.
    seed : int
    baseline_cache : dict, optional
        Random references already sampled, keyed by size (shared between calls with one seed).

    Returns
    -------
    Movement
    """
    cache: dict = {} if baseline_cache is None else baseline_cache
    rows = []
    for name in names:
        v0, _ = spaces.get(start, name, "in")
        v1, _ = spaces.get(end, name, "in")
        dim = v0.shape[0]
        k = max(1, min(v0.shape[1], v1.shape[1]) // 2)
        ang = ss.principal_angles(v0[:, :k], v1[:, :k], orthonormal=True)
        rows.append({"conv": name, "dim": dim, "k": k, "angle_deg": float(torch.rad2deg(ang.mean())),
                     "random_deg": align._baseline_deg(dim, k, baseline_angles, seed, "cpu", cache, None)})
    t = pd.DataFrame(rows)
    return Movement(t, float(t.angle_deg.mean()), float(t.random_deg.mean()))


def movement_curve(snapshots: Sequence[Path], names: Sequence[str], p: Params, num_classes: int,
                   device: torch.device, seed: int = 0) -> pd.DataFrame:
    """How far the convs' input spaces have turned from the first snapshot, at every snapshot.

    Parameters
    ----------
    snapshots : sequence of Path
        From :func:`.networks.train_resnet` (``epochs + 1`` ResNet-50 state_dicts; the first is the start).
    names : sequence of str
        Conv module names (as for :func:`weight_movement`).
    p : Params
        Uses ``baseline_angles`` and the steps per interval.
    num_classes : int
    device : torch.device
    seed : int
        Seed of the random-subspace reference.

    Returns
    -------
    pandas.DataFrame
        One row per snapshot: ``epoch, step, movement_deg, random_deg`` (:class:`Movement`'s means;
        the first snapshot's movement is 0 by definition).
    """
    if len(snapshots) < 2:
        raise ValueError(f"snapshots needs the start and at least one later snapshot, got {len(snapshots)}")
    spaces = align.WeightSpaces({"start": load_snapshot("resnet50", snapshots[0], num_classes, device)})
    cache: dict = {}
    rows = []
    for epoch, path in enumerate(snapshots[1:], start=1):
        spaces.add("snapshot", load_snapshot("resnet50", path, num_classes, device))
        moved = weight_movement(spaces, "start", "snapshot", names, p.baseline_angles, seed, baseline_cache=cache)
        spaces.drop("snapshot")
        rows.append({"epoch": epoch, "step": epoch * steps_per_epoch(p), "movement_deg": moved.mean_deg,
                     "random_deg": moved.random_deg})
    rows.insert(0, {"epoch": 0, "step": 0, "movement_deg": 0.0, "random_deg": rows[0]["random_deg"]})
    return pd.DataFrame(rows)


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
    # one interval's worth of images per ResNet-18 interval (an extension, kept cheap at the quick profile)
    r18 = train_resnet("resnet18", p.resnet18_epochs, p.untrained_seeds[0], stand_in, p, device,
                       interval=interval_size(p))
    r18_acc = training.accuracy(r18.net, stand_in.x_eval, stand_in.y_eval)
    r18_untrained = untrained_resnets("resnet18", p.untrained_seeds, stand_in.num_classes, device)
    r18_conns = rc.resnet_connections(r18.net, "weight")
    r18_res = align.weight_alignment({"trained": r18.net, **r18_untrained}, r18_conns,
                                     min_angle_deg=p.min_angle_deg, min_fraction=p.min_fraction)
    r18_tab = align.alignment_table(r18_res, "trained", list(r18_untrained), baseline_angles=p.baseline_angles,
                                    seed=seed, min_angle_deg=p.min_angle_deg)
    r18_blocks = [n.replace("layer", "") for n, _, _ in rc.resnet_blocks(r18.net)]
    r18_gap = float((r18_tab.untrained_deg - r18_tab.trained_deg).mean())
    return ResNet18Alignment(r18, r18_acc, r18_tab, r18_blocks, r18_gap)
