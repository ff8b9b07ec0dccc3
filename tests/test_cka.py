"""Kernel alignment and linear CKA against plain numpy formulas and invariances."""
import numpy as np
import pytest
import torch

from repgeom.measures.similarity import centre_kernel, kernel_alignment, linear_cka


def _np_alignment(k1: np.ndarray, k2: np.ndarray) -> float:
    n = k1.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    a, b = h @ k1 @ h, h @ k2 @ h
    return float(np.trace(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_alignment_matches_numpy():
    rng = np.random.default_rng(0)
    for _ in range(5):
        x, y = rng.normal(size=(12, 4)), rng.normal(size=(12, 9))
        k1, k2 = x @ x.T, np.tanh(y) @ np.tanh(y).T
        ours = kernel_alignment(torch.tensor(k1), torch.tensor(k2)).item()
        assert ours == pytest.approx(_np_alignment(k1, k2), rel=1e-10)


def test_kernel_and_feature_forms_agree_batched():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(4, 3, 20, 6, generator=g, dtype=torch.float64)
    y = torch.randn(4, 3, 20, 11, generator=g, dtype=torch.float64)
    ka = kernel_alignment(x @ x.mT, y @ y.mT)
    ck = linear_cka(x, y)
    assert ka.shape == ck.shape == (4, 3)
    torch.testing.assert_close(ka, ck, rtol=1e-10, atol=1e-12)
    # batched equals one at a time
    torch.testing.assert_close(ck[2, 1], linear_cka(x[2, 1], y[2, 1]))


def test_invariances_and_bounds():
    g = torch.Generator().manual_seed(2)
    x = torch.randn(15, 5, generator=g, dtype=torch.float64)
    y = torch.randn(15, 8, generator=g, dtype=torch.float64)
    q, _ = torch.linalg.qr(torch.randn(8, 8, generator=g, dtype=torch.float64))
    base = linear_cka(x, y)
    # orthogonal transform, isotropic scaling and translation leave CKA unchanged
    torch.testing.assert_close(linear_cka(x, 3.0 * y @ q + 7.0), base)
    assert linear_cka(x, x).item() == pytest.approx(1.0)
    assert 0.0 <= base.item() <= 1.0
    # symmetric in its arguments
    torch.testing.assert_close(linear_cka(y, x), base)


def test_target_kernel_closed_form():
    # four clusters, labels (1,1,-1,-1): kernel of labels vs kernel of one-hot
    # identity: C(I, yyᵀ) = ‖H y‖² / (‖H‖_F ‖H yyᵀ H‖_F) = 4 / (sqrt(3) * 4)
    y = torch.tensor([[1.0], [1.0], [-1.0], [-1.0]], dtype=torch.float64)
    c = kernel_alignment(torch.eye(4, dtype=torch.float64), y @ y.T)
    assert c.item() == pytest.approx(1 / np.sqrt(3))


def test_centre_kernel_rows_sum_to_zero():
    k = torch.randn(2, 7, 7, dtype=torch.float64)
    c = centre_kernel(k)
    assert torch.allclose(c.sum(-1), torch.zeros(2, 7, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(c.sum(-2), torch.zeros(2, 7, dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize(
    "k1,k2,word",
    [
        (torch.randn(3, 4), torch.randn(3, 3), "square"),
        (torch.randn(3, 3), torch.randn(4, 4), "same conditions"),
        (torch.full((3, 3), float("nan")), torch.randn(3, 3), "NaN"),
        (torch.ones(3, 3), torch.randn(3, 3), "constant"),
        (torch.ones(3, 3, dtype=torch.int64), torch.randn(3, 3), "floating"),
        (torch.randn(3), torch.randn(3, 3), "dimensions"),
    ],
)
def test_alignment_rejects_bad_input(k1, k2, word):
    with pytest.raises(ValueError, match=word):
        kernel_alignment(k1, k2)


def test_cka_rejects_bad_input():
    with pytest.raises(ValueError, match="same number of samples"):
        linear_cka(torch.randn(5, 2), torch.randn(6, 2))
    with pytest.raises(ValueError, match="Inf"):
        linear_cka(torch.tensor([[1.0], [float("inf")]]), torch.randn(2, 1))
    with pytest.raises(ValueError, match="constant"):
        linear_cka(torch.ones(5, 2), torch.randn(5, 2))


@pytest.mark.parametrize("samples,units", [(12, 7), (60, 4)])   # Gram route; feature-product route
def test_pairwise_cka_equals_pair_by_pair_and_is_invariant(samples, units):
    from repgeom.measures.similarity import pairwise_linear_cka
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 5, samples, units, generator=g, dtype=torch.float64)   # batch of 2 sweeps, 5 networks
    got = pairwise_linear_cka(x)
    expected = torch.stack([linear_cka(x[:, i], x[:, j]) for i in range(5) for j in range(i)], -1)
    assert got.shape == (2, 10)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    q = torch.linalg.qr(torch.randn(units, units, generator=g, dtype=torch.float64))[0]
    moved = x.clone()
    moved[:, 2] = 3.0 * x[:, 2] @ q + 1.5          # rotation, scaling and offset of one network
    torch.testing.assert_close(pairwise_linear_cka(moved), got, rtol=1e-10, atol=1e-12)


def test_pairwise_cka_rejects_bad_input():
    from repgeom.measures.similarity import pairwise_linear_cka
    with pytest.raises(ValueError, match="n_networks"):
        pairwise_linear_cka(torch.randn(1, 4, 3))
    with pytest.raises(ValueError, match="constant"):
        pairwise_linear_cka(torch.ones(3, 4, 2))
    with pytest.raises(ValueError, match="NaN"):
        pairwise_linear_cka(torch.full((3, 4, 2), float("nan")))
