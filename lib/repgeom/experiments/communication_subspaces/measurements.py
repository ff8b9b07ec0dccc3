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
from .parameters import Params, interval_size, steps_per_epoch

__all__ = [
    "connection_counts",
    "MatmulCheck",
    "conv_as_matmul",
    "SIZE_COLUMNS",
    "size_summary",
    "PAIR_COLUMNS",
    "pairs_in_words",
    "counts_in_words",
    "KeptShare",
    "kept_share",
    "training_curve",
    "curve_drop",
    "Movement",
    "weight_movement",
    "activation_positions",
    "split_by_positions",
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


#: Column names of :func:`size_summary`, in words.
SIZE_COLUMNS = {"pairs": "pairs", "frac": "share of the dimensions kept",
                "ev_source": "variance kept, first layer", "ev_target": "variance kept, second layer",
                "clean": "share of pairs with every angle above the threshold"}


def size_summary(w_pairs: pd.DataFrame, a_pairs: pd.DataFrame) -> pd.DataFrame:
    """The subspace sizes the rule chose and the variance they keep, per analysis and connection type.

    Parameters
    ----------
    w_pairs, a_pairs : pandas.DataFrame
        :func:`.alignment.pair_table` of the weight and the activation analysis.

    Returns
    -------
    pandas.DataFrame
        One row per (analysis, connection type), both named in words in the
        columns ``analysis`` and ``connection``; then the columns of
        :data:`SIZE_COLUMNS` (shares in [0, 1]).
    """
    from .figures import KIND_TITLE

    frames = []
    for name, pt in (("weight to weight", w_pairs), ("activation to weight", a_pairs)):
        g = pt.assign(frac=pt.k / pt.full, clean=pt.clean.astype(float)).groupby("kind", sort=False).agg(
            pairs=("k", "size"), frac=("frac", "mean"), ev_source=("ev_source", "mean"),
            ev_target=("ev_target", "mean"), clean=("clean", "mean"))
        g = g.reindex([k for k in rc.KINDS if k in g.index])
        g.insert(0, "connection", [KIND_TITLE[k] for k in g.index])
        g.insert(0, "analysis", name)
        frames.append(g.reset_index(drop=True))
    return pd.concat(frames, ignore_index=True).rename(columns=SIZE_COLUMNS)


#: Column names of :func:`pairs_in_words`.
PAIR_COLUMNS = {"kind": "connection", "block": "block", "source": "first layer [side]",
                "target": "second layer [side]", "ambient": "space dimension", "full": "largest size",
                "k": "size kept", "clean": "every angle above the threshold", "ev_source": "variance kept, first",
                "ev_target": "variance kept, second", "mean_deg": "mean angle (deg)"}


def pairs_in_words(pt: pd.DataFrame) -> pd.DataFrame:
    """A :func:`.alignment.pair_table` for a reader: column names and connection types in words, yes/no flags.

    Parameters
    ----------
    pt : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        The same rows, columns renamed by :data:`PAIR_COLUMNS`.
    """
    from .figures import KIND_TITLE

    out = pt.assign(kind=pt.kind.map(KIND_TITLE), clean=pt.clean.map({True: "yes", False: "no"}))
    return out.rename(columns=PAIR_COLUMNS)


def counts_in_words(counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`connection_counts` with the connection types in words as a first column."""
    from .figures import KIND_TITLE

    return counts.rename(index=KIND_TITLE).rename_axis("connection").reset_index()


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
                    baseline_angles: int = 256, seed: int = 0) -> Movement:
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

    Returns
    -------
    Movement
    """
    cache: dict = {}
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


def activation_positions(net: nn.Module, image: torch.Tensor, connections: Sequence[Connection]) -> dict:
    """Spatial positions (columns of the unfolded input) each activation connection sees per image.

    Parameters
    ----------
    net : nn.Module
    image : torch.Tensor, shape (1, C, H, W) or (N, C, H, W)
        Only the first image is used (every image has the same size).
    connections : sequence of Connection
        Activation connections.

    Returns
    -------
    dict
        Connection -> number of positions.
    """
    names = list(dict.fromkeys(c.source for c in connections))
    acts = rc.capture_inputs(net, image[:1], names)
    mods = dict(net.named_modules())
    return {c: int(ss.unfold_input(acts[c.source][0], mods[c.target]).shape[-1]) for c in connections}


def split_by_positions(connections: Sequence[Connection], positions: dict,
                       min_positions: int) -> tuple[list[Connection], pd.DataFrame]:
    """Keep the activation connections that see at least ``min_positions`` positions; list the others.

    Parameters
    ----------
    connections : sequence of Connection
    positions : dict
        From :func:`activation_positions`.
    min_positions : int

    Returns
    -------
    kept : list of Connection
    excluded : pandas.DataFrame
        One row per excluded block: ``block`` and ``positions per image`` (a
        "/"-joined list when its pairs differ), in network order.
    """
    kept = [c for c in connections if positions[c] >= min_positions]
    out: dict[str, list[int]] = {}
    for c in connections:
        if positions[c] < min_positions:
            out.setdefault(c.block, [])
            if positions[c] not in out[c.block]:
                out[c.block].append(positions[c])
    excluded = pd.DataFrame({"block": list(out),
                             "positions per image": ["/".join(str(v) for v in sorted(vs)) for vs in out.values()]})
    return kept, excluded


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
