"""Batched CCGP (one Newton solve for all classifiers) vs scikit-learn's per-classifier loop."""
from __future__ import annotations

import itertools

import numpy as np
import torch
from harness import Row, compare  # bench/run.py puts bench/ on the path
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from repgeom.measures.abstraction import ccgp
from repgeom.measures.abstraction_released import assignment_pairing, matched_ccgp
from repgeom.measures.decoding import balanced_dichotomies


def _sklearn_ccgp(z: np.ndarray, dich: np.ndarray) -> np.ndarray:
    """Same splits and objective as :func:`repgeom.measures.abstraction.ccgp`, one LogisticRegression at a time."""
    out = np.zeros((z.shape[0], dich.shape[0]))
    for net in range(z.shape[0]):
        for j, row in enumerate(dich):
            pos, neg = np.flatnonzero(row > 0), np.flatnonzero(row < 0)
            accs = []
            for a, b in itertools.product(pos, neg):  # hold out one condition per side
                tr = [c for c in range(len(row)) if c not in (a, b)]
                x = z[net, tr].reshape(-1, z.shape[-1])
                y = np.repeat(row[tr], z.shape[2])
                clf = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
                accs.append(clf.score(z[net, [a, b]].reshape(-1, z.shape[-1]), np.repeat(row[[a, b]], z.shape[2])))
            out[net, j] = np.mean(accs)
    return out


def _sklearn_matched_ccgp(z: np.ndarray, dich: np.ndarray, partner: np.ndarray) -> np.ndarray:
    """The matched-pair CCGP of :func:`~repgeom.measures.abstraction_released.matched_ccgp`, one LinearSVC
    (its default squared hinge, C = 1) per context, on the same pairing."""
    out = np.zeros((z.shape[0], dich.shape[0]))
    for net in range(z.shape[0]):
        for j, row in enumerate(dich):
            accs = []
            for a, b in zip(np.flatnonzero(row > 0), partner[net, j]):  # one context per +1 condition
                x = z[net, [a, b]].reshape(-1, z.shape[-1])
                clf = LinearSVC(C=1.0, max_iter=100000).fit(x, np.repeat(row[[a, b]], z.shape[2]))
                rest = [c for c in range(len(row)) if c not in (a, b)]
                accs.append(clf.score(z[net, rest].reshape(-1, z.shape[-1]), np.repeat(row[rest], z.shape[2])))
            out[net, j] = np.mean(accs)
    return out


def run(profile: str, device: torch.device) -> list[Row]:
    """Rows comparing batched CCGP with the sklearn loop on networks x dichotomies of 8 conditions."""
    n_nets = 4 if profile == "quick" else 40
    g = torch.Generator().manual_seed(0)
    z = torch.randn(n_nets, 8, 10, 32, generator=g) + 2 * torch.randn(n_nets, 8, 1, 32, generator=g)
    dich = balanced_dichotomies(8)  # 35 dichotomies x 16 splits
    zd = z.to(device)
    size = f"{n_nets} nets x {dich.shape[0]} dichotomies x 16 splits (8 conditions, 10 samples, 32 units)"
    ours = lambda: ccgp(zd, dich)  # noqa: E731
    peer = lambda: _sklearn_ccgp(z.numpy(), dich.numpy())  # noqa: E731
    partner = assignment_pairing(z.mean(-2), dich).numpy()
    released = lambda: matched_ccgp(zd, dich)  # noqa: E731
    released_peer = lambda: _sklearn_matched_ccgp(z.numpy(), dich.numpy(), partner)  # noqa: E731
    return [compare("abstraction.ccgp", size, ours, "sklearn LogisticRegression loop", peer,
                    device=device, reps=3, warmup=1),
            compare("abstraction_released.matched_ccgp", f"{n_nets} nets x {dich.shape[0]} dichotomies x 4 contexts "
                    "(8 conditions, 10 samples, 32 units)", released, "sklearn LinearSVC loop", released_peer,
                    device=device, reps=3, warmup=1)]


def scaling(profile: str, device: torch.device) -> list[Row]:
    """Time against the number of conditions (4, 6, 8: 3, 10, 35 balanced dichotomies), 2 networks."""
    rows = []
    for conditions in (4, 6, 8):
        g = torch.Generator().manual_seed(0)
        z = torch.randn(2, conditions, 10, 32, generator=g) + 2 * torch.randn(2, conditions, 1, 32, generator=g)
        dich = balanced_dichotomies(conditions)
        zd = z.to(device)
        rows.append(compare("abstraction.ccgp", f"2 nets x {dich.shape[0]} dichotomies ({conditions} conditions)",
                            lambda: ccgp(zd, dich), "sklearn LogisticRegression loop",
                            lambda: _sklearn_ccgp(z.numpy(), dich.numpy()), device=device, reps=3,
                            scale=("conditions", conditions)))
    return rows
