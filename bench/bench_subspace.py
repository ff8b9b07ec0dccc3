"""principal_angles vs a loop over scipy.linalg.subspace_angles.

Problems: every weight-to-weight connection of a ResNet-50 (62 pairs, the
leading half of each layer's singular vectors, as in the chapter), and the
per-image activation subspaces of one layer (a batch of images against one
weight input space). Ours groups equal shapes into one batched call; the peer
is what a researcher would write: one scipy call per pair.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
import torch
from harness import Row, compare  # bench/run.py puts bench/ on the path

from repgeom.measures import subspace as ss
from repgeom.models import resnet_connections as rc


def _weight_pairs(device: torch.device) -> list[tuple[torch.Tensor, torch.Tensor]]:
    import torchvision

    torch.manual_seed(0)
    model = torchvision.models.resnet50().eval()
    mods = dict(model.named_modules())
    pairs = []
    for c in rc.resnet_connections(model, "weight"):
        u_src, _, v_src = ss.singular_spaces(ss.conv_weight_matrix(mods[c.source]), "gram")
        _, _, v_tgt = ss.singular_spaces(ss.conv_channel_matrix(mods[c.target]), "gram")
        src = u_src if c.source_side == "out" else v_src
        k = max(1, min(src.shape[1], v_tgt.shape[1]) // 2)
        pairs.append((src[:, :k].contiguous().to(device), v_tgt[:, :k].contiguous().to(device)))
    return pairs


def _grouped(pairs: list[tuple[torch.Tensor, torch.Tensor]]):
    groups: dict[tuple, list] = {}
    for a, b in pairs:
        groups.setdefault((tuple(a.shape), tuple(b.shape)), []).append((a, b))
    return [(torch.stack([a for a, _ in g]), torch.stack([b for _, b in g])) for g in groups.values()]


def run(profile: str, device: torch.device) -> list[Row]:
    """Rows: ResNet-50 weight pairs; per-image activation subspaces of one layer."""
    reps = 3 if profile == "quick" else 5
    rows = []

    pairs = _weight_pairs(device)
    grouped = _grouped(pairs)
    np_pairs = [(a.cpu().numpy(), b.cpu().numpy()) for a, b in pairs]
    rows.append(compare(
        "principal_angles", f"ResNet-50 weight pairs ({len(pairs)} pairs, n<=2048, k<=512)",
        lambda: [ss.principal_angles(a, b) for a, b in grouped],
        "scipy.linalg.subspace_angles (loop)",
        lambda: [scipy.linalg.subspace_angles(a, b) for a, b in np_pairs],
        device=device, reps=reps,
    ))

    n_img = 30 if profile == "quick" else 100
    g = torch.Generator().manual_seed(1)
    acts = torch.randn(n_img, 576, 64, generator=g, dtype=torch.float64)
    ua = torch.linalg.svd(acts, full_matrices=False)[0][..., :32].contiguous().to(device)
    v = torch.linalg.qr(torch.randn(576, 32, generator=g, dtype=torch.float64))[0].to(device)
    np_ua, np_v = ua.cpu().numpy(), v.cpu().numpy()
    rows.append(compare(
        "principal_angles", f"{n_img} images x (576, 32) vs (576, 32)",
        lambda: ss.principal_angles(ua, v),
        "scipy.linalg.subspace_angles (loop)",
        lambda: [scipy.linalg.subspace_angles(np_ua[i], np_v) for i in range(n_img)],
        device=device, reps=reps,
    ))
    return rows


def _random_bases(count: int, ambient: int, k: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.linalg.qr(torch.randn(count, ambient, k, generator=g, dtype=torch.float64))[0]


def scaling(profile: str, device: torch.device) -> list[Row]:
    """Time against the number of subspace pairs (k = 32) and the subspace dimension (30 pairs), n = 576."""
    rows = []
    sweeps = [("subspace pairs", n, 32) for n in (10, 30, 100, 300)] + [("subspace dimension k", 30, k) for k in (8, 32, 128)]
    for name, count, k in sweeps:
        a, b = _random_bases(count, 576, k, 2), _random_bases(count, 576, k, 3)
        a_np, b_np = a.numpy(), b.numpy()
        ad, bd = a.to(device), b.to(device)
        rows.append(compare(
            "principal_angles", f"{count} pairs of (576, {k})", lambda: ss.principal_angles(ad, bd),
            "scipy.linalg.subspace_angles (loop)",
            lambda: [scipy.linalg.subspace_angles(a_np[i], b_np[i]) for i in range(count)],
            device=device, reps=3, scale=(name, count if name == "subspace pairs" else k)))
    return rows
