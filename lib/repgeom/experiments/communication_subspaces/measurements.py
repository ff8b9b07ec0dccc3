"""The chapter's measurements around the alignment analysis of :mod:`.alignment`.

Convolution as a matrix product on a real layer (Appendix Fig. 3), the number
of pairs per connection type, the subspace sizes the rule chose, and the
blocks with too few positions for the activation analysis. The alignment
along training and in a second architecture are in :mod:`.training_study`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

from repgeom.measures import subspace as ss
from repgeom.models import resnet_connections as rc
from repgeom.models.resnet_connections import Connection

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
    "activation_positions",
    "split_by_positions",
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
