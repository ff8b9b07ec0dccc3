"""repgeom.srm.SRM (probabilistic EM, all networks at once) against a plain numpy
implementation of the same updates, and against BrainIAK's SRM when it is installed."""
from __future__ import annotations

import numpy as np
import scipy.linalg
import torch

from bench.harness import Row, compare
from repgeom.srm import SRM


def numpy_srm(xs: list[np.ndarray], w0: list[np.ndarray], n_iter: int) -> list[np.ndarray]:
    """The EM of Chen et al. (2015), one network at a time, (units, samples) layout."""
    xs = [x.T - x.T.mean(axis=1, keepdims=True) for x in xs]
    ws = [w.copy() for w in w0]
    n, m = xs[0].shape
    k = ws[0].shape[1]
    rho2 = np.ones(len(xs))
    sigma_s = np.eye(k)
    trace_xtx = [np.sum(x ** 2) for x in xs]
    for _ in range(n_iter):
        rho0 = np.sum(1 / rho2)
        inv_sigma_s = scipy.linalg.cho_solve(scipy.linalg.cho_factor(sigma_s), np.eye(k))
        inv_rhos = scipy.linalg.cho_solve(scipy.linalg.cho_factor(inv_sigma_s + rho0 * np.eye(k)), np.eye(k))
        wt_x = sum(w.T @ x / r for w, x, r in zip(ws, xs, rho2))
        s = sigma_s @ (np.eye(k) - rho0 * inv_rhos) @ wt_x
        sigma_s = inv_rhos + s @ s.T / m
        tr = m * np.trace(sigma_s)
        for i, x in enumerate(xs):
            a = x @ s.T
            perturbed = a.copy()
            perturbed[np.arange(k), np.arange(k)] += 1e-3
            u, _, vt = np.linalg.svd(perturbed, full_matrices=False)
            ws[i] = u @ vt
            rho2[i] = (trace_xtx[i] - 2 * np.sum(ws[i] * a) + tr) / (m * n)
    return ws


def run(profile: str, device: torch.device) -> list[Row]:
    sizes = [(10, 800, 200)] if profile == "quick" else [(10, 800, 200), (10, 8000, 1000)]
    rows = []
    for n_nets, m, n in sizes:
        g = torch.Generator().manual_seed(0)
        x = torch.randn(n_nets, m, n, generator=g, dtype=torch.float64)
        model = SRM(n_iter=10, seed=0)
        w0 = model.init_w(x)
        xs, w0s = list(x.numpy()), list(w0.numpy())
        xd, w0d = x.to(device), w0.to(device)
        size = f"{n_nets} nets x {m} examples x {n} units, k={n}, 10 iters"
        rows.append(compare("srm.SRM", size, lambda: SRM(n_iter=10).fit(xd, w0=w0d), "numpy (same EM)",
                            lambda: numpy_srm(xs, w0s, 10), device=device, reps=3))
        try:
            from brainiak.funcalign.srm import SRM as BSRM
        except ImportError:
            continue
        data = [a.T.copy() for a in xs]
        rows.append(compare("srm.SRM", size, lambda: SRM(n_iter=10).fit(xd, w0=w0d), "brainiak SRM",
                            lambda: BSRM(n_iter=10, features=n).fit(data), device=device, reps=3))
    return rows


if __name__ == "__main__":
    for row in run("quick", torch.device("cpu")):
        print(row.as_dict())
