"""Connections between layers of torchvision ResNets, and their subspace alignment.

Section 2.3 (and Appendix Fig. 4) of the communication-subspace paper names
five connection types in a Bottleneck ResNet. :func:`resnet_connections` lists
them as named pairs of layers; :func:`weight_alignment` and
:func:`activation_alignment` measure the principal angles of every pair with
the kernels of :mod:`repgeom.measures.subspace`.

A connection compares two subspaces of the same space:

* weight-to-weight: the output space (left singular vectors, side ``"out"``)
  or input space (right singular vectors of the channel matrix, side
  ``"in"``) of a source conv, against the input space of a target conv;
* activation-to-weight: the left singular vectors of the input activation of
  a source conv (side ``"act"``), unfolded with the *target* conv's kernel,
  against the target's input space (right singular vectors of
  :func:`repgeom.measures.subspace.conv_weight_matrix`), one SVD per image.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import torch
from torch import nn

from repgeom.measures import subspace as ss
from repgeom.models.resnet_connections import KINDS, Connection, _modules, capture_inputs

__all__ = [
    "PairResult",
    "WeightSpaces",
    "weight_alignment",
    "activation_alignment",
    "alignment_table",
    "pair_table",
]


@dataclass
class PairResult:
    """Principal angles of one connection in several networks.

    Attributes
    ----------
    connection : Connection
    size : repgeom.measures.subspace.SubspaceSize
        The size kept (chosen jointly over the networks).
    angles : dict
        Network label -> kept angles (radians, float64, 1-D; pooled over images
        for activations).
    ev_source, ev_target : dict
        Network label -> explained variance of the kept source and target
        subspaces (mean over images for activations).
    ambient : int
        Dimension of the space both subspaces live in.
    """

    connection: Connection
    size: ss.SubspaceSize
    ambient: int
    angles: dict[str, torch.Tensor] = field(default_factory=dict)
    ev_source: dict[str, float] = field(default_factory=dict)
    ev_target: dict[str, float] = field(default_factory=dict)

    def mean_deg(self, label: str) -> float:
        """Mean kept angle of one network, in degrees (NaN when all were dropped)."""
        a = self.angles[label]
        return float(torch.rad2deg(a.mean())) if a.numel() else float("nan")


def _decompose(conv: nn.Conv2d, which: str, method: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(u, s, v) of a conv's flattened (``"flat"``) or channel (``"channel"``) matrix."""
    if which == "channel" and conv.kernel_size != (1, 1):
        return ss.singular_spaces(ss.conv_channel_matrix(conv), method)
    return ss.singular_spaces(ss.conv_weight_matrix(conv), method)


class WeightSpaces:
    """Singular subspaces of every conv of several networks, each computed once.

    Pass one instance to :func:`weight_alignment` and :func:`activation_alignment`
    so the two analyses share the decompositions.

    Parameters
    ----------
    models : dict
        Label -> network.
    method : {"gram", "svd"}
        See :func:`repgeom.measures.subspace.singular_spaces`.
    """

    def __init__(self, models: dict[str, nn.Module], method: str = "gram") -> None:
        _check_models(models)
        if method not in ("gram", "svd"):
            raise ValueError(f"method must be 'gram' or 'svd', got {method!r}")
        self.mods = {label: _modules(m) for label, m in models.items()}
        self.method = method
        self.store: dict[tuple[str, str, str], tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    @classmethod
    def reuse(cls, spaces: "WeightSpaces | None", models: dict[str, nn.Module], method: str) -> "WeightSpaces":
        """``spaces`` when given (it must cover every network of ``models``), else new ones for ``models``."""
        if spaces is None:
            return cls(models, method)
        missing = [lab for lab in models if lab not in spaces.mods]
        if missing:
            raise ValueError(f"spaces does not cover networks {missing}")
        return spaces

    def add(self, label: str, model: nn.Module) -> None:
        """Hold one more network under ``label`` (its decompositions computed when first asked for)."""
        if label in self.mods:
            raise ValueError(f"label {label!r} is already held; drop it first")
        _check_models({label: model})
        self.mods[label] = _modules(model)

    def drop(self, label: str) -> None:
        """Forget a network and its decompositions (e.g. a training snapshot once measured)."""
        if label not in self.mods:
            raise ValueError(f"label {label!r} is not held; held: {sorted(self.mods)}")
        del self.mods[label]
        self.store = {key: val for key, val in self.store.items() if key[0] != label}

    def get(self, label: str, name: str, side: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(basis, singular values): side "out" (u), "in" (channel v) or "in_flat" (flattened v)."""
        if label not in self.mods:
            raise ValueError(f"network {label!r} is not held; held: {sorted(self.mods)}")
        if name not in self.mods[label]:
            raise ValueError(f"connection names {name!r}, which is not in network {label!r}")
        conv = self.mods[label][name]
        which = "channel" if side == "in" and conv.kernel_size != (1, 1) else "flat"
        key = (label, name, which)
        if key not in self.store:
            self.store[key] = _decompose(conv, which, self.method)
        u, s, v = self.store[key]
        return (u, s) if side == "out" else (v, s)


def _choose(pairs, sizes, conn, min_angle_deg, min_fraction, rule):
    if sizes is not None and conn in sizes:
        return sizes[conn]
    return ss.choose_subspace_size(pairs, min_angle_deg, min_fraction, rule=rule)


def _check_models(models: dict[str, nn.Module]) -> None:
    if not isinstance(models, dict) or not models:
        raise ValueError(f"models must be a non-empty dict label -> model, got {type(models).__name__}")


def weight_alignment(
    models: dict[str, nn.Module],
    connections: Sequence[Connection],
    *,
    min_angle_deg: float = 0.1,
    min_fraction: float = 0.5,
    sizes: dict[Connection, ss.SubspaceSize] | None = None,
    method: str = "gram",
    spaces: "WeightSpaces | None" = None,
    rule: str = "released",
) -> list[PairResult]:
    """Weight-to-weight principal angles of every connection in every network.

    Parameters
    ----------
    models : dict
        Label -> network (same architecture), e.g. ``{"trained": ..., "untrained": ...}``.
    connections : sequence of Connection
        From :func:`resnet_connections` with ``analysis="weight"``.
    min_angle_deg, min_fraction : float
        The subspace size rule (:func:`repgeom.measures.subspace.choose_subspace_size`),
        applied jointly to all networks; angles at or below the threshold are dropped.
    sizes : dict, optional
        Fixed sizes per connection (e.g. to follow training checkpoints at the
        sizes chosen for the final network).
    method : {"gram", "svd"}
        How the weight matrices are decomposed (:func:`repgeom.measures.subspace.singular_spaces`;
        ``"gram"`` works in float64). Angles are always computed in float64.
    spaces : WeightSpaces, optional
        Decompositions to reuse (must cover every network of ``models``).
    rule : {"released", "first-all-above"}
        The size rule (:func:`repgeom.measures.subspace.choose_subspace_size`);
        ``"released"`` is the authors' grid search.

    Returns
    -------
    list of PairResult
    """
    _check_models(models)
    cache = WeightSpaces.reuse(spaces, models, method)
    space = cache.get

    results = []
    for conn in connections:
        if conn.source_side not in ("out", "in"):
            raise ValueError(f"{conn.label} is not a weight connection (source_side={conn.source_side!r})")
        per = {lab: (space(lab, conn.source, conn.source_side), space(lab, conn.target, "in")) for lab in models}
        pairs = [(src[0], tgt[0]) for src, tgt in per.values()]
        if pairs[0][0].shape[0] != pairs[0][1].shape[0]:
            raise ValueError(f"{conn.label}: spaces of dimension {pairs[0][0].shape[0]} and {pairs[0][1].shape[0]}")
        size = _choose(pairs, sizes, conn, min_angle_deg, min_fraction, rule)
        res = PairResult(conn, size, pairs[0][0].shape[0])
        for lab, ((u, su), (v, sv)) in per.items():
            res.angles[lab] = ss.kept_angles(u, v, size.k, min_angle_deg)
            res.ev_source[lab] = float(ss.explained_variance(su, size.k))
            res.ev_target[lab] = float(ss.explained_variance(sv, size.k))
        results.append(res)
    return results


def activation_alignment(
    models: dict[str, nn.Module],
    images: torch.Tensor,
    connections: Sequence[Connection],
    *,
    min_angle_deg: float = 0.1,
    min_fraction: float = 0.5,
    batch_size: int = 100,
    dtype: torch.dtype = torch.float32,
    spaces: "WeightSpaces | None" = None,
    rule: str = "released",
) -> list[PairResult]:
    """Activation-to-weight principal angles, per image, pooled over images.

    For every connection and network: the input activation of the source conv
    (for each image), unfolded with the target conv's kernel, stride and
    padding into a (d, positions) matrix; its left singular vectors (one
    batched SVD over all images) against the target's input space. The same
    images go through every network.

    Parameters
    ----------
    models : dict
        Label -> network.
    images : torch.Tensor, shape (N, C, H, W)
    connections : sequence of Connection
        From :func:`resnet_connections` with ``analysis="activation"``.
    min_angle_deg, min_fraction : float
        Subspace size rule, applied jointly over networks and images.
    batch_size : int
        Images per forward pass.
    dtype : torch.dtype
        Precision of the per-image activation SVDs (weights are decomposed with
        the float64 Gram method; angles are computed in float64).
    spaces : WeightSpaces, optional
        Weight decompositions to reuse (must cover every network of ``models``).
    rule : {"released", "first-all-above"}
        The size rule, applied jointly over networks and images (every image
        counts as a pair; the released notebooks searched each image alone).

    Returns
    -------
    list of PairResult
    """
    _check_models(models)
    for conn in connections:
        if conn.source_side != "act":
            raise ValueError(f"{conn.label} is not an activation connection (source_side={conn.source_side!r})")
    names = list(dict.fromkeys(c.source for c in connections))
    acts = {lab: capture_inputs(m, images, names, batch_size) for lab, m in models.items()}
    mods = {lab: _modules(m) for lab, m in models.items()}
    cache = WeightSpaces.reuse(spaces, models, "gram")
    results = []
    for conn in connections:
        per = {}
        for lab in models:
            conv = mods[lab][conn.target]
            cols = ss.unfold_input(acts[lab][conn.source], conv).to(dtype)  # (N, d, positions)
            ua, sa, _ = ss.singular_spaces(cols)
            per[lab] = ((ua, sa), cache.get(lab, conn.target, "in_flat"))
        pairs = [(ua, v) for (ua, _), (v, _) in per.values()]
        size = ss.choose_subspace_size(pairs, min_angle_deg, min_fraction, rule=rule)
        res = PairResult(conn, size, pairs[0][1].shape[0])
        for lab, ((ua, sa), (v, sv)) in per.items():
            res.angles[lab] = ss.kept_angles(ua, v, size.k, min_angle_deg)
            # images whose activation is all zero have no variance to explain
            ok = sa.square().sum(-1) > 0
            res.ev_source[lab] = float(ss.explained_variance(sa[ok], size.k).mean()) if bool(ok.any()) else float("nan")
            res.ev_target[lab] = float(ss.explained_variance(sv, size.k))
        results.append(res)
    return results


def _baseline_deg(ambient: int, k: int, angles: int, seed: int, device, cache: dict,
                  min_angle_deg: float | None) -> float:
    """Mean random angle (degrees) at size ``k`` in R^ambient.

    Angles at or below ``min_angle_deg`` are dropped as the networks' are
    (random k-dim subspaces share ``2k - ambient`` dimensions when ``2k >
    ambient``); ``None`` keeps every angle.
    """
    key = (ambient, k)
    if key not in cache:
        draws = math.ceil(angles / k)
        a = torch.rad2deg(ss.random_subspace_angles(ambient, k, draws, seed=seed, device=device))
        kept = a if min_angle_deg is None else a[a > min_angle_deg]
        cache[key] = float(kept.mean()) if kept.numel() else math.nan
    return cache[key]


def alignment_table(
    results: Sequence[PairResult],
    trained: str,
    untrained: Sequence[str],
    *,
    baseline_angles: int = 512,
    seed: int = 0,
    min_angle_deg: float = 0.1,
) -> "pd.DataFrame":
    """Per connection type and block: mean angles, Mann-Whitney p-value, random baseline.

    Angles of all pairs of one type drawn at one block are pooled (e.g. the
    two branches of a branching connection). The untrained networks' angles
    are pooled over seeds for the test; their spread is the range of the
    per-seed means.

    Parameters
    ----------
    results : sequence of PairResult
    trained : str
        Label of the trained network.
    untrained : sequence of str
        Labels of the untrained networks.
    baseline_angles : int
        At least this many random angles per (ambient, k) for the baseline
        (the mean principal angle of two uniformly random k-dim subspaces).
    seed : int
        Seed of the random subspaces.
    min_angle_deg : float
        The random angles at or below it are dropped before averaging, as the
        networks' angles were (:func:`repgeom.measures.subspace.kept_angles`):
        the baseline is the same analysis applied to random subspaces.

    Returns
    -------
    pandas.DataFrame
        One row per (kind, block): ``kind, block, block_index, stage, pairs,
        k, full, trained_deg, untrained_deg, untrained_lo_deg,
        untrained_hi_deg, baseline_deg, pvalue, n_trained, n_untrained``.
        Angles in degrees; ``pvalue`` is two-sided (trained vs untrained).
    """
    import pandas as pd

    from repgeom import stats

    if not untrained:
        raise ValueError("untrained must name at least one network")
    if isinstance(baseline_angles, bool) or not isinstance(baseline_angles, int) or baseline_angles < 1:
        raise ValueError(f"baseline_angles must be a positive integer, got {baseline_angles!r}")
    groups: dict[tuple[str, str], list[PairResult]] = {}
    for r in results:
        for lab in (trained, *untrained):
            if lab not in r.angles:
                raise ValueError(f"network {lab!r} is not in the results (have {sorted(r.angles)})")
        groups.setdefault((r.connection.kind, r.connection.block), []).append(r)
    cache: dict = {}
    rows = []
    for (kind, block), rs in groups.items():
        tr = torch.cat([r.angles[trained] for r in rs])
        per_seed = [torch.cat([r.angles[u] for r in rs]) for u in untrained]
        un = torch.cat(per_seed)
        seed_means = [float(torch.rad2deg(a.mean())) for a in per_seed if a.numel()]
        weights = [r.size.k for r in rs]
        base = sum(w * _baseline_deg(r.ambient, r.size.k, baseline_angles, seed, tr.device, cache, min_angle_deg)
                   for w, r in zip(weights, rs)) / sum(weights)
        p = stats.mann_whitney(tr.cpu().numpy(), un.cpu().numpy()).pvalue if tr.numel() and un.numel() else math.nan
        rows.append({
            "kind": kind, "block": block, "block_index": rs[0].connection.block_index,
            "stage": rs[0].connection.stage, "pairs": len(rs),
            "k": "/".join(str(r.size.k) for r in rs), "full": "/".join(str(r.size.full) for r in rs),
            "trained_deg": float(torch.rad2deg(tr.mean())) if tr.numel() else math.nan,
            "untrained_deg": float(torch.rad2deg(un.mean())) if un.numel() else math.nan,
            "untrained_lo_deg": min(seed_means) if seed_means else math.nan,
            "untrained_hi_deg": max(seed_means) if seed_means else math.nan,
            "baseline_deg": base, "pvalue": p, "n_trained": tr.numel(), "n_untrained": un.numel(),
        })
    order = {k: i for i, k in enumerate(KINDS)}
    df = pd.DataFrame(rows)
    return df.sort_values(["kind", "block_index"], key=lambda s: s.map(order) if s.name == "kind" else s,
                          ignore_index=True)


def pair_table(results: Sequence[PairResult], network: str) -> "pd.DataFrame":
    """Per connection: the chosen subspace size and explained variances in one network.

    Returns
    -------
    pandas.DataFrame
        ``kind, block, source, target, ambient, full, k, clean, ev_source,
        ev_target, mean_deg``.
    """
    import pandas as pd

    rows = []
    for r in results:
        if network not in r.angles:
            raise ValueError(f"network {network!r} is not in the results (have {sorted(r.angles)})")
        c = r.connection
        rows.append({"kind": c.kind, "block": c.block, "source": f"{c.source} [{c.source_side}]",
                     "target": f"{c.target} [in]", "ambient": r.ambient, "full": r.size.full, "k": r.size.k,
                     "clean": r.size.clean, "ev_source": r.ev_source[network], "ev_target": r.ev_target[network],
                     "mean_deg": r.mean_deg(network)})
    return pd.DataFrame(rows)
