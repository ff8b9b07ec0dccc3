"""Batched simulation of many gated deep linear networks vs a loop over single networks.

The peer is what a researcher would otherwise write: the same gradient descent
run network by network (``repgeom.gdln.train`` with a batch of one), so the
ratio measures what batching the repetitions and conditions buys. Both give
identical numbers for the same seeds (``tests/test_gdln.py``).
"""
from __future__ import annotations

import torch

from repgeom import gdln
from repgeom import gdln_theory as th

try:
    from bench.harness import Row, compare
except ImportError:  # run as a script from bench/
    from harness import Row, compare  # type: ignore[no-redef]


def _routing_problem(M: int, reps: int, device: torch.device):
    spec = gdln.routing(M, 64)
    spec = gdln.GDLN(spec.widths, spec.edges, spec.paths.to(device), spec.gates.to(device, torch.float32),
                     spec.x.to(device, torch.float32), spec.y.to(device, torch.float32), spec.scale).validate()
    mask = gdln.trained_routes(M, 4, device=device).reshape(-1).float()
    w = gdln.init_random(spec, list(range(reps)), 0.2)
    return spec, mask, w


def run(profile: str, device: torch.device) -> list[Row]:
    """Time batched vs looped training of routing networks (and the reduced theory vs scipy)."""
    reps, epochs = (10, 50) if profile == "quick" else (100, 500)
    rows = []
    for M in (7, 10):
        spec, mask, w = _routing_problem(M, reps, device)
        singles = [[t[r:r + 1] for t in w] for r in range(reps)]

        def batched():
            return gdln.train(spec, w, 0.02, epochs, mask=mask)

        def looped():
            return [gdln.train(spec, s, 0.02, epochs, mask=mask) for s in singles]

        rows.append(compare("gdln.train (batched)", f"{reps} routing nets M={M}, {epochs} epochs", batched,
                            "loop over single networks", looped, device=device, reps=3, warmup=1,
                            peer_device=str(device)))

    # Reduced dynamics: torch RK4 batched over init scales vs scipy solve_ivp one system at a time.
    import numpy as np
    from scipy.integrate import solve_ivp

    sys = th.reduce(gdln.routing(7, 8))
    mask = gdln.trained_routes(7, 4).reshape(-1).double()
    scales = torch.linspace(0.1, 1.0, 8, dtype=torch.float64)
    b0 = scales[:, None, None].expand(-1, sys.n_edges, sys.n_modes).contiguous()
    T = 200 if profile == "quick" else 700

    def ours():
        return th.integrate(sys, b0.to(device), 0.02, T, mask=mask.to(device), substeps=1)

    def peer():
        out = []
        for s in scales:
            z0 = torch.full((sys.n_edges, sys.n_modes), float(s), dtype=torch.float64)
            f = lambda _t, z: th.rate(sys, torch.from_numpy(z).reshape(z0.shape), 0.02, mask).reshape(-1).numpy()  # noqa: E731
            out.append(solve_ivp(f, (0, T), z0.reshape(-1).numpy(), t_eval=np.arange(T + 1), rtol=1e-6))
        return out

    rows.append(compare("gdln_theory.integrate (batched RK4)", f"8 init scales, M=7, {T} epochs", ours,
                        "scipy solve_ivp per system", peer, device=device, reps=3, warmup=1))
    return rows


def scaling(profile: str, device: torch.device) -> list[Row]:
    """Time against the number of networks trained together (routing M = 7, 50 epochs)."""
    rows = []
    for reps in (1, 4, 16, 64):
        spec, mask, w = _routing_problem(7, reps, device)
        singles = [[t[r:r + 1] for t in w] for r in range(reps)]
        rows.append(compare(
            "gdln.train (batched)", f"{reps} routing nets M=7, 50 epochs",
            lambda: gdln.train(spec, w, 0.02, 50, mask=mask), "loop over single networks",
            lambda: [gdln.train(spec, s, 0.02, 50, mask=mask) for s in singles],
            device=device, reps=3, warmup=1, peer_device=str(device), scale=("networks", reps)))
    return rows


if __name__ == "__main__":
    import sys as _sys

    prof = _sys.argv[1] if len(_sys.argv) > 1 else "quick"
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    for row in run(prof, dev):
        print(f"{row.kernel:40s} {row.size:40s} ours {row.ours_s:.3f}s  {row.peer}: {row.peer_s:.3f}s  ratio {row.ratio:.2f}")
