"""Bad input and extreme scales in the similarity and SRM kernels (issue 20, item 5's probe list).

Every probe either gives a ``ValueError`` naming the argument or the value an
independent reference gives.
"""
import numpy as np
import pytest
import torch

from repgeom.measures.similarity import (
    compare_rsms,
    cross_rsm,
    inter_rsm,
    kernel_alignment,
    linear_cka,
    pairwise_linear_cka,
    rsm,
    rsm_consistency,
    within_rsm,
)
from repgeom.measures.srm import SRM, procrustes, procrustes_distance, random_orthogonal, zscore_examples


def _x(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _numpy_linear_cka(x, y):
    x, y = x - x.mean(0), y - y.mean(0)
    return np.linalg.norm(x.T @ y) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))


# --- SRM ---------------------------------------------------------------------------------------------------


def test_srm_more_units_than_examples_is_fitted_when_k_fits():
    x = _x(3, 6, 20)  # 3 networks, 6 examples, 20 units: n > m, BrainIAK's usual voxels > time points
    model = SRM(k=4, n_iter=5, seed=0).fit(x)
    assert model.w_.shape == (3, 20, 4) and bool(torch.isfinite(model.rho2_).all())
    wtw = model.w_.mT @ model.w_
    assert torch.allclose(wtw, torch.eye(4, dtype=x.dtype).expand_as(wtw), atol=1e-10)


@pytest.mark.parametrize("k", [None, 7])
def test_srm_more_shared_dimensions_than_examples_is_refused(k):
    with pytest.raises(ValueError, match="examples m=6"):
        SRM(k=k, n_iter=2).fit(_x(3, 6, 20))


def test_srm_w0_with_nan_or_beyond_float32_is_refused():
    x = _x(2, 10, 5)
    w0 = SRM(k=3).init_w(x)
    w0[1, 2, 0] = float("nan")
    with pytest.raises(ValueError, match="w0"):
        SRM(k=3).fit(x, w0=w0)
    big = SRM(k=3).init_w(x) * 1e300
    with pytest.raises(ValueError, match="w0"):
        SRM(k=3).fit(x.float(), w0=big)  # finite in float64, Inf once cast to x's float32


def test_srm_reconstruct_checks_s():
    x = _x(2, 10, 5)
    model = SRM(k=3, n_iter=3).fit(x)
    with pytest.raises(ValueError, match="s must have shape"):
        model.reconstruct(torch.zeros(4, 2, dtype=x.dtype))
    with pytest.raises(ValueError, match="s"):
        model.reconstruct(torch.full((4, 3), float("nan"), dtype=x.dtype))
    with pytest.raises(ValueError, match="leading dimensions"):
        model.reconstruct(torch.zeros(2, 4, 3, dtype=x.dtype))
    out = model.reconstruct(torch.zeros(4, 3, dtype=torch.float32))  # cast to the fit's dtype
    assert out.shape == (2, 4, 5) and out.dtype == x.dtype


@pytest.mark.parametrize("bad, match", [
    (torch.full((4, 3), float("nan")), "a"),
    (torch.ones(4, 3, dtype=torch.long), "a"),
    (torch.zeros(0, 3), "a"),
    (torch.zeros(4, 0), "a"),
    (torch.zeros(3), "a"),
    (torch.zeros(2, 3), "n >= k"),
])
def test_procrustes_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        procrustes(bad)


def test_procrustes_is_the_nearest_orthonormal_matrix():
    a = _x(6, 3)
    u, _, vh = np.linalg.svd(a.numpy(), full_matrices=False)
    np.testing.assert_allclose(procrustes(a).numpy(), u @ vh, atol=1e-12)


@pytest.mark.parametrize("shape", [(3,), (3, 4), (2, 3, 4), (3, 0), (3.0, 2), (True, 1)])
def test_random_orthogonal_shapes(shape):
    with pytest.raises(ValueError, match="shape"):
        random_orthogonal(*shape)


def test_random_orthogonal_dtype():
    with pytest.raises(ValueError, match="dtype"):
        random_orthogonal(4, 2, dtype=torch.int64)


def test_zscore_and_procrustes_distance_at_extreme_scales():
    x, y = _x(12, 5), _x(12, 4, seed=1)
    ref_z, ref_d = zscore_examples(x), procrustes_distance(x, y)
    torch.testing.assert_close(zscore_examples(x * 1e160), ref_z, rtol=1e-12, atol=1e-12)  # sd would overflow
    small = zscore_examples(x * 1e-160)  # sd <= eps: only centred (documented), not blown up
    torch.testing.assert_close(small, (x - x.mean(-1, keepdim=True)) * 1e-160, rtol=1e-10, atol=0.0)
    for scale in (1e-160, 1e160):
        torch.testing.assert_close(procrustes_distance(x * scale, y), ref_d, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="eps"):
        zscore_examples(x, eps=-1.0)
    with pytest.raises(ValueError, match="x"):
        zscore_examples(torch.zeros(0, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="y"):
        procrustes_distance(x, torch.zeros(12, 0, dtype=torch.float64))


# --- RSMs ------------------------------------------------------------------------------------------------


def test_rsm_of_no_examples_is_refused():
    with pytest.raises(ValueError, match="x"):
        rsm(torch.zeros(0, 6))


def test_within_rsm_of_no_networks_is_refused():
    with pytest.raises(ValueError, match="at least 1 network"):
        within_rsm(torch.zeros(0, 5, 6))
    one = _x(1, 5, 6)
    np.testing.assert_allclose(within_rsm(one).numpy(), np.corrcoef(one[0].numpy()), atol=1e-12)


def test_compare_rsms_names_its_arguments():
    a, b = rsm(_x(5, 8)), rsm(_x(5, 8, seed=1))
    with pytest.raises(ValueError, match="^a must be square"):
        compare_rsms(a[:, :4], b)
    with pytest.raises(ValueError, match="^b must be square"):
        compare_rsms(a, b[:2, :2])
    with pytest.raises(ValueError, match="method"):
        compare_rsms(a, b, method="kendall")
    with pytest.raises(ValueError, match="a and b must have broadcastable"):
        compare_rsms(torch.stack([a, a]), torch.stack([b, b, b]))


def test_flags_must_be_booleans():
    x = _x(3, 5, 6)
    with pytest.raises(ValueError, match="center"):
        rsm(x[0], center="yes")
    with pytest.raises(ValueError, match="symmetric"):
        inter_rsm(x, symmetric=1)
    with pytest.raises(ValueError, match="center"):
        rsm_consistency(x, center=None)


def test_rsm_consistency_needs_three_examples():
    with pytest.raises(ValueError, match="at least 3 examples"):
        rsm_consistency(_x(3, 2, 6))


def test_rsm_functions_at_extreme_scales():
    x = _x(3, 6, 7)
    for scale in (1e-160, 1e160):
        torch.testing.assert_close(rsm(x * scale), rsm(x), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(cross_rsm(x * scale, x), cross_rsm(x, x), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(rsm_consistency(x * scale), rsm_consistency(x), rtol=1e-12, atol=1e-12)
        m = rsm(x[0])
        torch.testing.assert_close(compare_rsms(m * scale, m + 0.1), compare_rsms(m, m + 0.1), rtol=1e-12, atol=1e-12)


# --- CKA -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e-160, 1e-100, 1.0, 1e100, 1e160, 1e300])
def test_linear_cka_is_scale_invariant_at_every_finite_scale(scale):
    x, y = _x(20, 6), _x(20, 4, seed=1)
    ref = _numpy_linear_cka(x.numpy(), y.numpy())
    assert float(linear_cka(x * scale, y)) == pytest.approx(ref, rel=1e-12)
    assert float(kernel_alignment((x @ x.T) * scale, y @ y.T)) == pytest.approx(ref, rel=1e-10)
    stack = torch.stack([x[:, :4] * scale, y])
    assert float(pairwise_linear_cka(stack)[0]) == pytest.approx(_numpy_linear_cka(x[:, :4].numpy(), y.numpy()),
                                                                  rel=1e-12)


def test_cka_empty_and_mismatched_batches():
    with pytest.raises(ValueError, match="x"):
        linear_cka(torch.zeros(5, 0, dtype=torch.float64), _x(5, 3))
    with pytest.raises(ValueError, match="x and y must have broadcastable"):
        linear_cka(_x(2, 5, 3), _x(3, 5, 3))
    with pytest.raises(ValueError, match="x"):
        pairwise_linear_cka(torch.zeros(2, 5, 0, dtype=torch.float64))
