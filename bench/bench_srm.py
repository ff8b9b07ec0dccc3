"""repgeom.measures.srm.SRM (probabilistic EM, all networks at once) against a plain numpy
implementation of the same updates, and against BrainIAK's SRM when it is installed."""
from __future__ import annotations

import torch
from harness import Row, compare  # bench/run.py puts bench/ on the path

from repgeom.measures.srm import SRM
from repgeom.measures.srm_numpy import probabilistic_srm


def _problem(n_nets: int, m: int, n: int, device: torch.device):
    """Seeded activations (n_nets, m, n) and SRM's initial bases, on ``device`` and as numpy lists."""
    x = torch.randn(n_nets, m, n, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    w0 = SRM(n_iter=10, seed=0).init_w(x)
    return x.to(device), w0.to(device), list(x.numpy()), list(w0.numpy())


def run(profile: str, device: torch.device) -> list[Row]:
    sizes = [(10, 800, 200)] if profile == "quick" else [(10, 800, 200), (10, 8000, 1000)]
    rows = []
    for n_nets, m, n in sizes:
        xd, w0d, xs, w0s = _problem(n_nets, m, n, device)
        size = f"{n_nets} nets x {m} examples x {n} units, k={n}, 10 iters"
        rows.append(compare("srm.SRM", size, lambda: SRM(n_iter=10).fit(xd, w0=w0d), "numpy (same EM)",
                            lambda: probabilistic_srm(xs, w0s, 10), device=device, reps=3))
        try:
            from brainiak.funcalign.srm import SRM as BSRM
        except ImportError:
            continue
        data = [a.T.copy() for a in xs]
        rows.append(compare("srm.SRM", size, lambda: SRM(n_iter=10).fit(xd, w0=w0d), "brainiak SRM",
                            lambda: BSRM(n_iter=10, features=n).fit(data), device=device, reps=3))
    return rows


def scaling(profile: str, device: torch.device) -> list[Row]:
    """Time against the number of networks (200 units) and of units (10 networks); 800 examples, k = units."""
    rows = []
    for name, n_nets, n in [("networks", c, 200) for c in (2, 5, 10, 20)] + [("units", 10, u) for u in (50, 100, 400)]:
        xd, w0d, xs, w0s = _problem(n_nets, 800, n, device)
        rows.append(compare("srm.SRM", f"{n_nets} nets x 800 x {n}, 10 iters", lambda: SRM(n_iter=10).fit(xd, w0=w0d),
                            "numpy (same EM)", lambda: probabilistic_srm(xs, w0s, 10), device=device, reps=3,
                            scale=(name, n_nets if name == "networks" else n)))
    return rows
