"""repgeom.measures.similarity against plain numpy implementations of the same formulas.

The sizes are the chapters' own. Shared geometry (Lu et al.) compares 10
networks' layer activations on the evaluation images, z-scored in float64:
80 images x 100 units at the quick profile, 2000 x 1000 at the full one; it
computes the within- and inter-network RSMs, the consistency of the
networks' RSMs and linear CKA between every pair of networks. Task structure
(Alleman et al.) computes the kernel alignment of every model's 4 x 4
condition-mean kernel with the target kernel (10 models quick, 40 full).

Each peer is the textbook numpy expression (``np.corrcoef`` for the RSM
consistency; Kornblith et al.'s feature-space formula for CKA, called once per
pair as its reference code is), checked to agree with ours to 1e-6 before it
is timed. Where rsatoolbox (the RSA toolbox of the field, in the ``[bench]``
extra) is installed, the RSMs and their consistency are also timed against it,
as a researcher would call it: one ``Dataset`` per network, ``calc_rdm(...,
method="correlation")`` (its RDM is ``1 - RSM``), then ``compare(rdms, rdms,
method="corr")``.
"""
from __future__ import annotations

import numpy as np
import torch
from harness import Row, compare  # bench/run.py puts bench/ on the path

from repgeom.measures.similarity import inter_rsm, kernel_alignment, pairwise_linear_cka, rsm, rsm_consistency


def _unit_rows(x: np.ndarray) -> np.ndarray:
    z = x - x.mean(-1, keepdims=True)
    return z / np.linalg.norm(z, axis=-1, keepdims=True)


def numpy_rsm(x: np.ndarray) -> np.ndarray:
    """Pearson correlation between examples, (..., m, n) -> (..., m, m)."""
    z = _unit_rows(x)
    return z @ np.swapaxes(z, -1, -2)


def numpy_inter_rsm(x: np.ndarray) -> np.ndarray:
    """Leave-one-out inter-network RSM of (nets, m, n): each net against the mean of the others."""
    others = (x.sum(0) - x) / (x.shape[0] - 1)
    return (_unit_rows(x) @ np.swapaxes(_unit_rows(others), -1, -2)).mean(0)


def numpy_rsm_consistency(x: np.ndarray) -> np.ndarray:
    """Pearson correlation of every pair of networks' RSM lower triangles (pairs i > j, row order)."""
    n_nets, m = x.shape[:2]
    rows, cols = np.tril_indices(m, -1)
    tri = numpy_rsm(x)[:, rows, cols]
    return np.corrcoef(tri)[np.tril_indices(n_nets, -1)]


def numpy_linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Linear CKA of (m, p) and (m, q) features, Kornblith et al. (2019), feature-space form."""
    x = x - x.mean(0)
    y = y - y.mean(0)
    return np.linalg.norm(x.T @ y) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


def numpy_kernel_alignment(k1: np.ndarray, k2: np.ndarray) -> float:
    """Centred kernel alignment of two (P, P) kernels, Cortes et al. (2012)."""
    h = np.eye(len(k1)) - 1.0 / len(k1)
    a, b = h @ k1 @ h, h @ k2 @ h
    return (a * b).sum() / (np.linalg.norm(a) * np.linalg.norm(b))


def _pairwise_cka(x: np.ndarray) -> np.ndarray:
    return np.array([numpy_linear_cka(x[i], x[j]) for i in range(len(x)) for j in range(i)])


def _agree(ours: torch.Tensor, peer: np.ndarray) -> None:
    np.testing.assert_allclose(ours.cpu().numpy(), peer, rtol=1e-6, atol=1e-6)


def _rsatoolbox_rdms(x: np.ndarray):
    """rsatoolbox's correlation-distance RDMs of (nets, m, n) activations, one Dataset per network."""
    from rsatoolbox.data import Dataset
    from rsatoolbox.rdm import calc_rdm

    return calc_rdm([Dataset(measurements=net) for net in x], method="correlation")


def _rsatoolbox_consistency(x: np.ndarray) -> np.ndarray:
    """Pearson correlation of every pair of networks' RDMs, rsatoolbox's ``compare(..., "corr")``."""
    from rsatoolbox.rdm import compare as compare_rdms

    rdms = _rsatoolbox_rdms(x)
    return compare_rdms(rdms, rdms, method="corr")


def _has_rsatoolbox() -> bool:
    try:
        import rsatoolbox  # noqa: F401
    except ImportError:
        return False
    return True


def _rsa_cases(n_nets: int, m: int, n: int, device: torch.device) -> list[tuple]:
    """(kernel, ours, peer name, peer, peer's result as ours) on seeded activations (n_nets, m, n)."""
    x = torch.randn(n_nets, m, n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    xn, xd = x.numpy(), x.to(device)
    same = lambda out: out  # noqa: E731
    cases = [
        ("similarity.rsm", lambda: rsm(xd), "numpy z @ z.T (batched)", lambda: numpy_rsm(xn), same),
        ("similarity.inter_rsm", lambda: inter_rsm(xd), "numpy leave-one-out", lambda: numpy_inter_rsm(xn), same),
        ("similarity.rsm_consistency", lambda: rsm_consistency(xd), "numpy np.corrcoef of RSMs",
         lambda: numpy_rsm_consistency(xn), same),
        ("similarity.pairwise_linear_cka", lambda: pairwise_linear_cka(xd), "numpy CKA, loop over pairs",
         lambda: _pairwise_cka(xn), same),
    ]
    if _has_rsatoolbox():
        pairs = np.tril_indices(n_nets, -1)
        cases += [
            ("similarity.rsm", lambda: rsm(xd), "rsatoolbox calc_rdm", lambda: _rsatoolbox_rdms(xn),
             lambda rdms: 1 - rdms.get_matrices()),
            ("similarity.rsm_consistency", lambda: rsm_consistency(xd), "rsatoolbox calc_rdm + compare",
             lambda: _rsatoolbox_consistency(xn), lambda corr: corr[pairs]),
        ]
    return cases


def _rsa_rows(n_nets: int, m: int, n: int, device: torch.device, reps: int) -> list[Row]:
    size = f"{n_nets} nets x {m} images x {n} units"
    rows = []
    for kernel, ours, peer_name, peer, peer_as_ours in _rsa_cases(n_nets, m, n, device):
        _agree(ours(), peer_as_ours(peer()))   # also the warm-up of both
        label = f"{n_nets * (n_nets - 1) // 2} pairs of {m} x {n}" if kernel.endswith("cka") else size
        # rsatoolbox takes about 30 s per call at the full size on 2 cores: time it once there
        slow = peer_name.startswith("rsatoolbox") and m > 1000
        rows.append(compare(kernel, label, ours, peer_name, peer, device=device, reps=1 if slow else reps,
                            warmup=0 if slow else 1))
    return rows


def _alignment_row(n_models: int, p: int, dim: int, device: torch.device) -> Row:
    g = torch.Generator().manual_seed(1)
    means = torch.randn(n_models, p, dim, generator=g, dtype=torch.float64)
    targets = torch.tensor([1.0, 1.0, -1.0, -1.0], dtype=torch.float64).repeat(p // 4)[:, None]
    kz, ky = means @ means.mT, (targets @ targets.T).expand(n_models, p, p)
    kzn, kyn = kz.numpy(), ky.numpy()
    kzd, kyd = kz.to(device), ky.to(device)

    def peer() -> np.ndarray:
        return np.array([numpy_kernel_alignment(a, b) for a, b in zip(kzn, kyn)])

    _agree(kernel_alignment(kzd, kyd), peer())
    return compare("similarity.kernel_alignment", f"{n_models} models, {p}x{p} kernels",
                   lambda: kernel_alignment(kzd, kyd), "numpy H K H, loop over models", peer,
                   device=device, reps=20)


def run(profile: str, device: torch.device) -> list[Row]:
    rows = _rsa_rows(10, 80, 100, device, reps=20)   # about a millisecond each: many repetitions
    rows.append(_alignment_row(10, 4, 32, device))
    if profile != "quick":
        rows += _rsa_rows(10, 2000, 1000, device, reps=2)
        rows.append(_alignment_row(40, 4, 120, device))
    return rows


def scaling(profile: str, device: torch.device) -> list[Row]:
    """RSM consistency and pairwise CKA of 10 networks x 100 units against the number of examples."""
    swept = ("similarity.rsm_consistency", "similarity.pairwise_linear_cka")
    return [compare(kernel, f"10 nets x {m} examples x 100 units", ours, peer_name, peer, device=device, reps=3,
                    scale=("examples", m))
            for m in (80, 320, 1280)
            for kernel, ours, peer_name, peer, _ in _rsa_cases(10, m, 100, device)
            if kernel in swept and peer_name.startswith("numpy")]
