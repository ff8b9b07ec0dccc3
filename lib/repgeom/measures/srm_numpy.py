"""The shared response model in plain numpy, one network at a time.

An implementation of the same updates as :class:`repgeom.measures.srm.SRM`, written
independently in the paper's (units, samples) layout with scipy/numpy: the
reference the tests compare the batched torch SRM with, and the peer
``bench/bench_srm.py`` times it against. Not used by the chapters.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

__all__ = ["probabilistic_srm", "deterministic_srm"]


def probabilistic_srm(xs: list[np.ndarray], w0: list[np.ndarray], n_iter: int, pert: float = 1e-3):
    """Chen et al. (2015) EM (BrainIAK's updates); ``xs[i]`` (samples, units). Returns ``(ws, s.T, rho2)``."""
    xs = [x.T.copy() for x in xs]                       # (n, m)
    mus = [x.mean(axis=1, keepdims=True) for x in xs]
    xs = [x - mu for x, mu in zip(xs, mus)]
    ws = [w.copy() for w in w0]
    n, m = xs[0].shape
    k = ws[0].shape[1]
    rho2 = np.ones(len(xs))
    sigma_s = np.eye(k)
    trace_xtx = [np.sum(x ** 2) for x in xs]
    for _ in range(n_iter):
        rho0 = np.sum(1 / rho2)
        inv_sigma_s = scipy.linalg.cho_solve(scipy.linalg.cho_factor(sigma_s), np.eye(k))
        inv_sigma_s_rhos = scipy.linalg.cho_solve(scipy.linalg.cho_factor(inv_sigma_s + rho0 * np.eye(k)), np.eye(k))
        wt_invpsi_x = sum(w.T @ x / r for w, x, r in zip(ws, xs, rho2))
        s = sigma_s @ (np.eye(k) - rho0 * inv_sigma_s_rhos) @ wt_invpsi_x
        sigma_s = inv_sigma_s_rhos + s @ s.T / m
        trace_sigma_s = m * np.trace(sigma_s)
        for i, x in enumerate(xs):
            a = x @ s.T
            p = np.zeros_like(a)
            np.fill_diagonal(p, pert)
            u, _, vt = np.linalg.svd(a + p, full_matrices=False)
            ws[i] = u @ vt
            rho2[i] = (trace_xtx[i] - 2 * np.sum(ws[i] * a) + trace_sigma_s) / (m * n)
    return ws, s.T, rho2


def deterministic_srm(xs: list[np.ndarray], w0: list[np.ndarray], n_iter: int):
    """Alternating Procrustes / mean solution; ``xs[i]`` (samples, units). Returns ``(ws, s)``."""
    xs = [x - x.mean(axis=0, keepdims=True) for x in xs]   # (m, n)
    ws = [w.copy() for w in w0]
    s = np.mean([x @ w for x, w in zip(xs, ws)], axis=0)
    for _ in range(n_iter):
        for i, x in enumerate(xs):
            u, _, vt = np.linalg.svd(x.T @ s, full_matrices=False)
            ws[i] = u @ vt
        s = np.mean([x @ w for x, w in zip(xs, ws)], axis=0)
    return ws, s
