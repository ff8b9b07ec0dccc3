"""RSMs and their comparison against numpy / scipy references."""
import numpy as np
import pytest
import torch
from scipy import stats

from repgeom.measures.similarity import (
    compare_rsms,
    cross_rsm,
    inter_rsm,
    lower_triangle,
    rsm,
    rsm_consistency,
    within_rsm,
)
from repgeom.measures.srm import SRM, random_orthogonal


def _acts(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_rsm_matches_numpy_corrcoef():
    x = _acts(3, 12, 7)
    out = rsm(x)
    for b in range(3):
        np.testing.assert_allclose(out[b].numpy(), np.corrcoef(x[b].numpy()), atol=1e-12)


def test_cross_rsm_matches_numpy_block():
    x, y = _acts(9, 5, seed=1), _acts(9, 5, seed=2)
    ref = np.corrcoef(x.numpy(), y.numpy())[:9, 9:]
    np.testing.assert_allclose(cross_rsm(x, y).numpy(), ref, atol=1e-12)


def test_within_and_inter_match_loop_reference():
    x = _acts(2, 4, 10, 6, seed=3)  # (layers, networks, examples, units)
    w, i_sym, i_raw = within_rsm(x), inter_rsm(x, symmetric=True), inter_rsm(x)
    for l in range(2):
        xs = x[l].numpy()
        ref_w = np.mean([np.corrcoef(a) for a in xs], axis=0)
        loo = []
        for k in range(4):
            others = xs[np.arange(4) != k].mean(axis=0)
            loo.append(np.corrcoef(xs[k], others)[:10, 10:])
        ref_i = np.mean(loo, axis=0)
        np.testing.assert_allclose(w[l].numpy(), ref_w, atol=1e-12)
        np.testing.assert_allclose(i_raw[l].numpy(), ref_i, atol=1e-12)
        np.testing.assert_allclose(i_sym[l].numpy(), (ref_i + ref_i.T) / 2, atol=1e-12)


def test_compare_rsms_matches_scipy():
    a, b = rsm(_acts(15, 8, seed=4)), rsm(_acts(15, 8, seed=5))
    ia, ib = np.tril_indices(15, k=-1)
    va, vb = a.numpy()[ia, ib], b.numpy()[ia, ib]
    assert compare_rsms(a, b).item() == pytest.approx(stats.pearsonr(va, vb)[0], abs=1e-12)
    assert compare_rsms(a, b, "spearman").item() == pytest.approx(stats.spearmanr(va, vb)[0], abs=1e-12)


def test_spearman_handles_ties_like_scipy():
    a = torch.tensor([[1.0, 0, 0, 0], [2, 1, 0, 0], [2, 3, 1, 0], [1, 2, 2, 1]], dtype=torch.float64)
    b = torch.tensor([[1.0, 0, 0, 0], [5, 1, 0, 0], [1, 1, 1, 0], [4, 4, 2, 1]], dtype=torch.float64)
    va, vb = lower_triangle(a).numpy(), lower_triangle(b).numpy()
    assert compare_rsms(a, b, "spearman").item() == pytest.approx(stats.spearmanr(va, vb)[0], abs=1e-12)


def test_rsm_consistency_pairs():
    x = _acts(5, 11, 6, seed=6)
    out = rsm_consistency(x)
    assert out.shape == (10,)
    r = [np.corrcoef(a) for a in x.numpy()]
    ia, ib = np.tril_indices(11, k=-1)
    ref = sorted(np.corrcoef(r[i][ia, ib], r[j][ia, ib])[0, 1] for i in range(5) for j in range(i))
    np.testing.assert_allclose(sorted(out.numpy()), ref, atol=1e-12)


@pytest.mark.parametrize("examples,units", [(11, 6), (60, 3)])   # both routes of gram_inner_products
@pytest.mark.parametrize("method", ["pearson", "spearman"])
@pytest.mark.parametrize("center", [True, False])
def test_rsm_consistency_equals_pairwise_compare_rsms(examples, units, method, center):
    x = torch.randn(2, 4, examples, units, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    x[1] += 0.5 * x[0]                                   # correlated networks in the second sweep
    r = rsm(x, center)
    expected = torch.stack([compare_rsms(r[:, a], r[:, b], method) for a in range(4) for b in range(a)], -1)
    torch.testing.assert_close(rsm_consistency(x, method, center), expected, rtol=1e-10, atol=1e-12)


def test_rsm_invariant_to_unit_permutation_and_scale():
    x = _acts(20, 9, seed=7)
    perm = torch.randperm(9, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(rsm(3.0 * x[:, perm] + 1.0), rsm(x))


def _copies(kind, n_nets=6, n_units=8, m=40, seed=11, fix_mean=False):
    gen = torch.Generator().manual_seed(seed)
    h = torch.randn(m, n_units, generator=gen, dtype=torch.float64)
    if kind == "orthogonal":
        q = random_orthogonal(n_nets, n_units, n_units, generator=gen)
        if fix_mean:  # rotate only inside the complement of the all-ones direction
            basis = torch.linalg.qr(torch.cat([torch.ones(n_units, 1, dtype=torch.float64),
                                                torch.randn(n_units, n_units - 1, generator=gen,
                                                            dtype=torch.float64)], dim=1))[0]
            inner = random_orthogonal(n_nets, n_units - 1, n_units - 1, generator=gen)
            block = torch.eye(n_units, dtype=torch.float64).repeat(n_nets, 1, 1)
            block[:, 1:, 1:] = inner
            q = basis @ block @ basis.T
    else:
        q = torch.stack([torch.eye(n_units, dtype=torch.float64)[torch.randperm(n_units, generator=gen)]
                         for _ in range(n_nets)])
    return h.unsqueeze(0) @ q.transpose(-1, -2)      # (N, m, n): rows are Q_i h_t


@pytest.mark.parametrize("kind", ["orthogonal", "permutation"])
def test_proposition_1_shared_space_irsm_equals_wrsm(kind):
    """Prop. 1 (paper's AᵀA form, cosine): copies Q_i h share one RSM and SRM aligns them exactly."""
    x = _copies(kind)
    wrsm = within_rsm(x, center=False)
    for xi in x:  # identical within-network RSMs
        torch.testing.assert_close(rsm(xi, center=False), wrsm, atol=1e-10, rtol=0)
    native = inter_rsm(x, center=False)
    model = SRM(n_iter=30, method="deterministic").fit(x - x.mean(dim=-2, keepdim=True))
    shared = model.transform(x - x.mean(dim=-2, keepdim=True)) + (x.mean(dim=-2, keepdim=True) @ model.w_)
    torch.testing.assert_close(inter_rsm(shared, center=False), wrsm, atol=1e-8, rtol=0)
    assert compare_rsms(native, wrsm).item() < 0.99


def test_proposition_1_pearson_with_mean_preserving_rotations():
    x = _copies("orthogonal", fix_mean=True)
    wrsm = within_rsm(x)
    for xi in x:
        torch.testing.assert_close(rsm(xi), wrsm, atol=1e-10, rtol=0)
    model = SRM(n_iter=30, method="deterministic").fit(x)
    shared = model.transform(x)
    # all networks land on one shared response: iRSM there equals each network's RSM of it
    torch.testing.assert_close(inter_rsm(shared), within_rsm(shared), atol=1e-8, rtol=0)
    torch.testing.assert_close(shared, shared[:1].expand_as(shared), atol=1e-8, rtol=0)
    assert compare_rsms(inter_rsm(x), wrsm).item() < 0.99


@pytest.mark.parametrize("bad, match", [
    (torch.zeros(4), "at least 2 dimensions"),
    (torch.ones(4, 3, dtype=torch.long), "floating-point"),
    (torch.tensor([[1.0, float("nan")], [0.0, 1.0]]), "NaN"),
    (torch.ones(3, 1), "at least 2 units"),
    (torch.ones(3, 4), "constant activity"),
])
def test_rsm_bad_input(bad, match):
    with pytest.raises(ValueError, match=match):
        rsm(bad)


def test_bad_inputs_of_group_functions():
    with pytest.raises(ValueError, match="at least 2 networks"):
        inter_rsm(_acts(1, 5, 4))
    with pytest.raises(ValueError, match="same"):
        cross_rsm(_acts(5, 4), _acts(6, 4))
    with pytest.raises(ValueError, match="method"):
        compare_rsms(rsm(_acts(5, 4)), rsm(_acts(5, 4)), method="kendall")
    with pytest.raises(ValueError, match="square"):
        lower_triangle(_acts(4, 5))
