"""Batched simulation of many gated deep linear networks vs a loop over single networks.

The peer is what a researcher would otherwise write: the same gradient descent
run network by network (``repgeom.models.gdln.train`` with a batch of one), so the
ratio measures what batching the repetitions and conditions buys. Both give
identical numbers for the same seeds (``tests/test_gdln.py``).
"""
from __future__ import annotations

import torch
from harness import Row, compare  # bench/run.py puts bench/ on the path

from repgeom.models import gdln
from repgeom.models.gdln import theory as th


def _routing_problem(M: int, reps: int, device: torch.device):
    spec = gdln.routing(M, 64).to(device, torch.float32)
    mask = gdln.trained_routes(M, 4, device=device).reshape(-1).float()
    w = gdln.init_random(spec, list(range(reps)), 0.2)
    return spec, mask, w


def _train_row(M: int, reps: int, epochs: int, device: torch.device, scale: tuple[str, float] | None = None) -> Row:
    """Batched training of ``reps`` routing networks against a loop over them, one at a time."""
    spec, mask, w = _routing_problem(M, reps, device)
    singles = [[t[r:r + 1] for t in w] for r in range(reps)]
    return compare("gdln.train (batched)", f"{reps} routing nets M={M}, {epochs} epochs",
                   lambda: gdln.train(spec, w, 0.02, epochs, mask=mask), "loop over single networks",
                   lambda: [gdln.train(spec, s, 0.02, epochs, mask=mask) for s in singles],
                   device=device, reps=3, warmup=1, peer_device=str(device), scale=scale)


def run(profile: str, device: torch.device) -> list[Row]:
    """Time batched vs looped training of routing networks (and the reduced theory vs scipy)."""
    reps, epochs = (10, 50) if profile == "quick" else (100, 500)
    rows = [_train_row(M, reps, epochs, device) for M in (7, 10)]

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
    return [_train_row(7, reps, 50, device, scale=("networks", reps)) for reps in (1, 4, 16, 64)]
