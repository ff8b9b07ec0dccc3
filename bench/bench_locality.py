"""repgeom.measures.spatial and repgeom.models.locality_prior kernels against what a researcher would otherwise write:
spatial variance per image with numpy's weighted covariance (the README's
analysis style), the prior with scipy's ``cdist``, and the wiring cost with numpy.

Both sides compute the same numbers: the prior as a float64 matrix
(``grid_prior(..., dtype=torch.float64)``; the layer's default float32 copy
is cheaper still), the wiring cost from the same float32 weights with float64
products and sums (numpy promotes ``abs(W32) * d64`` to float64). Each pair is
checked to agree before it is timed."""
from __future__ import annotations

import numpy as np
import torch
from harness import Row, compare  # bench/run.py puts bench/ on the path
from scipy.spatial.distance import cdist

from repgeom.measures.spatial import grid_distances, spatial_variance, wiring_cost
from repgeom.models.locality_prior import grid_prior


def numpy_spatial_variance(a: np.ndarray, side: int) -> np.ndarray:
    """Per-image trace of np.cov with analytic weights (unbiased): a loop over images."""
    coords = np.array([(r, c) for r in range(side) for c in range(side)], dtype=float)
    return np.array([np.trace(np.cov(coords.T, aweights=row, ddof=1)) for row in a])


def scipy_prior(side: int) -> np.ndarray:
    coords = np.array([(r, c) for r in range(side) for c in range(side)], dtype=float)
    return 1.0 / (1.0 + cdist(coords, coords))


def numpy_wiring_cost(w: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``sum |W| d`` per layer; float32 ``w`` times float64 ``d`` is summed in float64."""
    return (np.abs(w) * d).sum((-2, -1))


def _spatial_variance_row(n: int, side: int, device: torch.device, scale: tuple[str, float] | None = None) -> Row:
    a = torch.rand(n, side * side, generator=torch.Generator().manual_seed(0))
    a_np, a_dev = a.double().numpy(), a.to(device)
    return compare("locality.spatial_variance", f"{n} maps on {side}x{side}", lambda: spatial_variance(a_dev, side),
                   "numpy np.cov per image", lambda: numpy_spatial_variance(a_np, side), device=device, reps=3,
                   scale=scale)


def run(profile: str, device: torch.device) -> list[Row]:
    cases = [(1000, 7), (1000, 64)] if profile == "quick" else [(1000, 7), (1000, 64), (50000, 7)]
    rows = [_spatial_variance_row(n, side, device) for n, side in cases]
    for side in (7, 64):
        np.testing.assert_allclose(grid_prior(side, dtype=torch.float64).numpy(), scipy_prior(side), rtol=1e-12)
        rows.append(compare("locality.grid_prior", f"{side}x{side} grid ({side**4} entries), f64",
                            lambda: grid_prior(side, dtype=torch.float64, device=device), "scipy cdist",
                            lambda: scipy_prior(side), device=device, reps=3 if side > 7 else 50))
    side = 64
    w = torch.randn(4, side * side, side * side, generator=torch.Generator().manual_seed(1))
    d = grid_distances(side)
    w_np, d_np = w.numpy(), d.numpy()
    w_dev, d_dev = w.to(device), d.to(device)
    np.testing.assert_allclose(wiring_cost(w, d).numpy(), numpy_wiring_cost(w_np, d_np), rtol=1e-12)
    rows.append(compare("locality.wiring_cost", "4 layers of 4096x4096",
                        lambda: wiring_cost(w_dev, d_dev), "numpy (abs(W) * d).sum",
                        lambda: numpy_wiring_cost(w_np, d_np), device=device, reps=3))
    return rows


def scaling(profile: str, device: torch.device) -> list[Row]:
    """Spatial variance against the number of maps (7 x 7 grid)."""
    return [_spatial_variance_row(n, 7, device, scale=("maps", n)) for n in (100, 1000, 10000)]
