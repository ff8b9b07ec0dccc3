"""The participation ratio against numpy's eigenvalues, closed forms and invariances."""
import numpy as np
import pytest
import torch

from repgeom.measures.dimension import participation_ratio


def _kernel(n, rank, seed=0, batch=()):
    x = torch.randn(*batch, n, rank, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return x @ x.mT


def test_matches_numpy_eigenvalues():
    k = _kernel(7, 5, batch=(3,))
    lam = np.linalg.eigvalsh(k.numpy())
    ref = lam.sum(-1) ** 2 / (lam ** 2).sum(-1)
    np.testing.assert_allclose(participation_ratio(k).numpy(), ref, rtol=1e-12)


def test_closed_forms():
    assert float(participation_ratio(torch.eye(5))) == pytest.approx(5.0)
    v = torch.arange(1.0, 5.0, dtype=torch.float64)
    assert float(participation_ratio(torch.outer(v, v))) == pytest.approx(1.0)
    # eigenvalues 3 and 1: (4)^2 / (9 + 1)
    assert float(participation_ratio(torch.diag(torch.tensor([3.0, 1.0, 0.0])))) == pytest.approx(1.6)


def test_invariances_and_bounds():
    k = _kernel(6, 4, seed=1)
    q = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(2), dtype=torch.float64))[0]
    pr = float(participation_ratio(k))
    assert 1.0 <= pr <= 4.0  # at most the rank
    assert float(participation_ratio(q @ k @ q.T)) == pytest.approx(pr, rel=1e-10)
    for scale in (1e-200, 1e-3, 1e250):
        assert float(participation_ratio(k * scale)) == pytest.approx(pr, rel=1e-12)


@pytest.mark.parametrize("bad, match", [
    (torch.zeros(3, 4), "square"),
    (torch.zeros(3, 3), "all-zero"),
    (torch.zeros(0, 0), "k"),
    (torch.tensor([[1.0, 2.0], [0.0, 1.0]]), "symmetric"),
    (torch.diag(torch.tensor([1.0, -1.0])), "positive semi-definite"),
    (torch.tensor([[1.0, float("nan")], [float("nan"), 1.0]]), "k"),
    (torch.eye(3, dtype=torch.long), "k"),
    (torch.ones(3), "k"),
])
def test_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        participation_ratio(bad)
    with pytest.raises(ValueError, match="psd_tol"):
        participation_ratio(torch.eye(2), psd_tol=-1.0)
