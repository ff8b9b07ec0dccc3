"""repgeom.measures.similarity.gram against numpy's product, on both of its paths."""
import numpy as np
import pytest
import torch

from repgeom.measures.similarity import gram, rsm
from repgeom.measures.similarity import gram_matrix as gram_module

BANDED = (gram_module.MIN_ROWS + 37, gram_module.MIN_INNER + 5)   # odd sizes: bands of unequal height


@pytest.mark.parametrize("shape", [(7, 5), (3, 40, 300), BANDED, (2, *BANDED)])
def test_equals_numpy_product(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    ours = gram(torch.from_numpy(x))
    assert ours.shape == (*shape[:-1], shape[-2]) and ours.dtype == torch.float64
    np.testing.assert_allclose(ours.numpy(), x @ np.swapaxes(x, -1, -2), rtol=1e-12, atol=1e-10)


def test_banded_path_symmetric_and_float32():
    x = torch.randn(*BANDED, generator=torch.Generator().manual_seed(1))
    g = gram(x)
    assert g.dtype == torch.float32
    off = g - torch.block_diag(*[g[lo:hi, lo:hi] for lo, hi in _bands(len(g))])
    assert torch.equal(off, off.T)                       # mirrored, not recomputed
    torch.testing.assert_close(g, x @ x.T, rtol=1e-4, atol=1e-3)


def _bands(m):
    edges = [round(b * m / gram_module.BANDS) for b in range(gram_module.BANDS + 1)]
    return list(zip(edges, edges[1:]))


def test_rsm_uses_it_and_keeps_its_values():
    x = torch.randn(BANDED[0], 300, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    np.testing.assert_allclose(rsm(x).numpy(), np.corrcoef(x.numpy()), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("bad, match", [
    (torch.ones(4), "at least 2 dimensions"),
    (torch.ones(3, 3, dtype=torch.int64), "floating-point"),
    (torch.tensor([[1.0, float("nan")], [0.0, 1.0]]), "NaN or Inf"),
])
def test_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        gram(bad)
