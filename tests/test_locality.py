"""Tests of repgeom.measures.spatial and repgeom.models.locality_prior against scipy/numpy references, closed forms and invariances."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.distance import cdist
from torch import nn

from repgeom.measures import spatial
from repgeom.models import locality_prior


def _np_grid(rows: int, cols: int) -> np.ndarray:
    return np.array([(r, c) for r in range(rows) for c in range(cols)], dtype=float)


# ---------------------------------------------------------------- prior


@pytest.mark.parametrize("side", [1, 2, 7])
@pytest.mark.parametrize("cost,fn", [
    # the released layer: prior = 1 / weight_fn(1 + d)
    ("linear", lambda d: 1.0 / (1.0 + d)),
    ("sqrt", lambda d: 1.0 / np.sqrt(1.0 + d)),
    ("quadratic", lambda d: 1.0 / (1.0 + d) ** 2),
    # the two other forms, under their own names
    ("root-distance", lambda d: 1.0 / (1.0 + np.sqrt(d))),
    ("squared-distance", lambda d: 1.0 / (1.0 + d ** 2)),
])
def test_grid_prior_matches_cdist(side, cost, fn):
    d = cdist(_np_grid(side, side), _np_grid(side, side))
    expected = fn(d)
    got = locality_prior.grid_prior(side, cost, dtype=torch.float64).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(1, 5), (3, 7), (6, 2)])
@pytest.mark.parametrize("normalize", [False, True])
def test_rectangular_grid_prior_and_distances_match_cdist(shape, normalize):
    """The offset-table construction (same input and output grid) on grids with rows != cols."""
    d = cdist(_np_grid(*shape), _np_grid(*shape))
    np.testing.assert_allclose(spatial.grid_distances(shape).numpy(), d, rtol=1e-12, atol=1e-12)
    expected = 1.0 / np.sqrt(1.0 + d)
    if normalize:
        expected = expected * (expected.shape[1] / expected.sum(1, keepdims=True))
    got = locality_prior.grid_prior(shape, "sqrt", normalize, dtype=torch.float64).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_grid_prior_one_dimensional_example():
    # README Figure 2: 7 neurons on a line, P_ij = 1 / (1 + |i - j|)
    i = np.arange(7)
    expected = 1.0 / (1.0 + np.abs(i[:, None] - i[None, :]))
    np.testing.assert_allclose(locality_prior.grid_prior((1, 7), dtype=torch.float64).numpy(), expected, rtol=1e-12)


def test_grid_prior_normalized_rows_sum_to_k_and_keep_ratios():
    raw = locality_prior.grid_prior(7, dtype=torch.float64)
    norm = locality_prior.grid_prior(7, normalize=True, dtype=torch.float64)
    np.testing.assert_allclose(norm.sum(1).numpy(), np.full(49, 49.0), rtol=1e-12)
    ratio = (norm / raw).numpy()
    # each row is rescaled by one factor
    np.testing.assert_allclose(ratio, np.repeat(ratio[:, :1], 49, axis=1), rtol=1e-12)
    # a corner neuron (far from most) is scaled up more than the centre one
    assert ratio[0, 0] > ratio[24, 0]


def test_rectangular_grids_share_one_sheet():
    # out grid 2x2 stretched over a 4x4 input grid: centres at 0.5 and 2.5
    d = spatial.grid_distances(4, 2).numpy()
    out = np.array([(r, c) for r in (0.5, 2.5) for c in (0.5, 2.5)])
    np.testing.assert_allclose(d, cdist(out, _np_grid(4, 4)), rtol=1e-12)
    assert locality_prior.grid_prior((2, 3), out_side=(4, 6)).shape == (24, 6)


def test_grid_prior_bad_inputs():
    with pytest.raises(ValueError, match="cost"):
        locality_prior.grid_prior(3, cost="cubic")
    with pytest.raises(ValueError, match="side|grid"):
        locality_prior.grid_prior(0)
    with pytest.raises(ValueError, match="grid"):
        locality_prior.grid_prior((2, 3, 4))
    with pytest.raises(ValueError, match="square"):
        spatial.square_side(50, "in_features")
    with pytest.raises(ValueError, match="distances"):
        locality_prior.prior_from_distances(torch.tensor([[-1.0, 0.0], [0.0, 0.0]]))


# ---------------------------------------------------------------- layer


def test_layer_forward_and_gradients_equal_plain_linear_with_masked_weight():
    torch.manual_seed(0)
    lp = locality_prior.LocalityPriorLinear(16, 9, in_grid=4, out_grid=3, dtype=torch.float64)
    plain = nn.Linear(16, 9, dtype=torch.float64)
    with torch.no_grad():
        plain.weight.copy_(lp.weight * lp.prior)
        plain.bias.copy_(lp.bias)
    x = torch.randn(5, 16, dtype=torch.float64)
    y_lp, y_plain = lp(x), plain(x)
    torch.testing.assert_close(y_lp, y_plain)
    g = torch.randn_like(y_lp)
    y_lp.backward(g)
    y_plain.backward(g)
    # d/dW of (W * P) x is P * (d/dW_eff)
    torch.testing.assert_close(lp.weight.grad, plain.weight.grad * lp.prior)
    torch.testing.assert_close(lp.bias.grad, plain.bias.grad)
    # closed form of the gradient of sum(g * y) w.r.t. W_eff: g^T x
    torch.testing.assert_close(plain.weight.grad, g.T @ x)


def test_layer_prior_is_a_buffer_not_a_parameter():
    lp = locality_prior.LocalityPriorLinear(49, 49)
    assert "prior" in dict(lp.named_buffers())
    assert "prior" not in dict(lp.named_parameters())
    assert "prior" in lp.state_dict()
    torch.testing.assert_close(lp.prior, locality_prior.grid_prior(7))


def test_layer_rejects_non_square_sizes():
    with pytest.raises(ValueError, match="in_features=50"):
        locality_prior.LocalityPriorLinear(50, 49)
    with pytest.raises(ValueError, match="out_grid"):
        locality_prior.LocalityPriorLinear(49, 49, out_grid=(2, 3))
    # a rectangular grid that fits is fine
    assert locality_prior.LocalityPriorLinear(50, 49, in_grid=(5, 10)).prior.shape == (49, 50)


# ---------------------------------------------------------------- spatial variance


def test_spatial_variance_uniform_map_closed_form():
    for side in (3, 7, 10):
        k = side * side
        # per-axis population variance of 0..side-1 is (side^2 - 1)/12; two axes; times k/(k-1)
        expected = 2 * (side**2 - 1) / 12 * k / (k - 1)
        got = spatial.spatial_variance(torch.ones(k), side)
        assert got.dtype == torch.float64
        assert float(got) == pytest.approx(expected, rel=1e-12)


def test_spatial_variance_point_mass_is_zero():
    a = torch.zeros(3, 49)
    a[0, 0] = 1.0
    a[1, 24] = 5.0
    a[2, 48] = 1e-3
    np.testing.assert_array_equal(spatial.spatial_variance(a, 7).numpy(), np.zeros(3))


def test_spatial_variance_matches_numpy_weighted_cov_and_is_scale_invariant():
    rng = np.random.default_rng(1)
    a = rng.random((4, 3, 25))      # (images, layers, K) batch
    coords = _np_grid(5, 5)
    expected = np.empty((4, 3))
    for i in range(4):
        for j in range(3):
            # numpy's unbiased covariance with analytic (reliability) weights
            cov = np.cov(coords.T, aweights=a[i, j], ddof=1)
            expected[i, j] = np.trace(cov)
    got = spatial.spatial_variance(torch.tensor(a), 5).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10)
    scaled = spatial.spatial_variance(torch.tensor(a * 37.5, dtype=torch.float32), 5).numpy()
    np.testing.assert_allclose(scaled, expected, rtol=1e-5)


def test_spatial_variance_two_points_closed_form():
    # equal mass on two neurons at distance 6: p = 1/2, spread 9, 1 - sum p^2 = 1/2
    a = torch.zeros(49)
    a[0], a[6] = 2.0, 2.0
    assert float(spatial.spatial_variance(a, 7)) == pytest.approx(18.0)


def test_spatial_variance_bad_inputs():
    with pytest.raises(ValueError, match="non-negative"):
        spatial.spatial_variance(torch.tensor([1.0, -0.1, 0.0, 0.0]), 2)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 49\)"):
        spatial.spatial_variance(torch.ones(5, 50), 7)
    with pytest.raises(ValueError, match="NaN"):
        spatial.spatial_variance(torch.tensor([1.0, float("nan"), 0.0, 0.0]), 2)
    with pytest.raises(ValueError, match="all-zero"):
        spatial.spatial_variance(torch.zeros(2, 4), 2)
    got = spatial.spatial_variance(torch.tensor([[0.0, 0, 0, 0], [1, 1, 1, 1]]), 2, on_empty="nan")
    assert torch.isnan(got[0]) and torch.isfinite(got[1])


def test_class_mean_maps_matches_numpy():
    rng = np.random.default_rng(2)
    a = rng.random((30, 9))
    y = np.arange(30) % 3
    got = spatial.class_mean_maps(torch.tensor(a), torch.tensor(y), 3).numpy()
    np.testing.assert_allclose(got, np.stack([a[y == c].mean(0) for c in range(3)]), rtol=1e-12)
    with pytest.raises(ValueError, match="no samples"):
        spatial.class_mean_maps(torch.tensor(a), torch.tensor(y), 4)
    with pytest.raises(ValueError, match="labels"):
        spatial.class_mean_maps(torch.tensor(a), torch.tensor(y[:5]), 3)


# ---------------------------------------------------------------- wiring cost and pruning


def test_wiring_cost_matches_numpy_and_batches():
    rng = np.random.default_rng(3)
    w = rng.normal(size=(2, 9, 9))
    d = cdist(_np_grid(3, 3), _np_grid(3, 3))
    got = spatial.wiring_cost(torch.tensor(w), torch.tensor(d)).numpy()
    np.testing.assert_allclose(got, (np.abs(w) * d).sum((1, 2)), rtol=1e-12)
    mean_len = spatial.wiring_cost(torch.tensor(w), torch.tensor(d), per_unit_weight=True).numpy()
    np.testing.assert_allclose(mean_len, (np.abs(w) * d).sum((1, 2)) / np.abs(w).sum((1, 2)), rtol=1e-12)
    # the per-unit-weight cost ignores the scale of the weights
    np.testing.assert_allclose(
        spatial.wiring_cost(torch.tensor(w * 9.0), torch.tensor(d), per_unit_weight=True).numpy(), mean_len, rtol=1e-12)
    # a purely diagonal (self-connection) layer costs nothing
    assert float(spatial.wiring_cost(torch.eye(9), torch.tensor(d))) == 0.0


def test_wiring_cost_bad_inputs():
    d = spatial.grid_distances(3)
    with pytest.raises(ValueError, match="weight"):
        spatial.wiring_cost(torch.ones(4, 9), d)
    with pytest.raises(ValueError, match="NaN"):
        spatial.wiring_cost(torch.full((9, 9), float("inf")), d)


def test_prune_mask_keeps_the_largest_magnitudes():
    rng = np.random.default_rng(4)
    w = torch.tensor(rng.normal(size=(3, 6, 8)))
    for s in (0.0, 0.25, 0.5, 0.9, 1.0):
        mask = locality_prior.prune_mask(w, s)
        for b in range(3):
            kept = w[b].abs()[mask[b]]
            dropped = w[b].abs()[~mask[b]]
            assert (~mask[b]).sum() == round(s * 48)
            if len(kept) and len(dropped):
                assert kept.min() >= dropped.max()
    with pytest.raises(ValueError, match="sparsity"):
        locality_prior.prune_mask(w, 1.5)


def test_prune_linear_ranks_by_effective_weight():
    torch.manual_seed(0)
    lp = locality_prior.LocalityPriorLinear(9, 9)
    with torch.no_grad():
        lp.weight.fill_(1.0)          # |W * P| = P: long connections are the smallest
    mask = locality_prior.prune_linear_(lp, 0.5)
    d = spatial.grid_distances(3).float()
    assert d[mask].max() <= d[~mask].min()
    assert torch.equal(lp.weight == 0, ~mask)
    plain = nn.Linear(9, 9)
    with pytest.raises(ValueError, match="nn.Linear"):
        locality_prior.prune_linear_(nn.Conv1d(1, 1, 1), 0.5)
    locality_prior.prune_linear_(plain, 1.0)
    assert (plain.weight == 0).all()
