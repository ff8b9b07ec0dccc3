"""The released-analysis estimators against scikit-learn, a numpy/scipy transcription, exhaustive maxima and closed forms."""
import itertools

import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment
from sklearn.svm import LinearSVC

from repgeom.measures.abstraction import ccgp, parallelism_score
from repgeom.measures.abstraction_released import (
    assignment_pairing,
    assignment_parallelism,
    fit_linear_svm,
    matched_ccgp,
    svm_decoding,
)
from repgeom.measures.decoding import balanced_dichotomies


# ---------------------------------------------------------------- reference transcription (numpy / scipy / sklearn)
def _ref_pairing(means: np.ndarray, row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stable sort of the +1 then -1 conditions, squared distances from the Gram matrix, scipy's assignment."""
    order = np.argsort(-(row > 0).astype(int), kind="stable")
    y = row[order] > 0
    k = means[order] @ means[order].T
    dist = np.abs(np.diag(k)[:, None] + np.diag(k)[None, :] - 2 * k)
    i, j = linear_sum_assignment(dist[y][:, ~y])
    pos, neg = order[y], order[~y]
    return pos[i], neg[j]


def _ref_parallelism(means: np.ndarray, row: np.ndarray) -> float:
    """The released distance-sum form: Σ over non-partner pairs of -s_a s_b D_ab / (ℓ_a ℓ_b), / (2 m (m-1))."""
    pos, neg = _ref_pairing(means, row)
    n, m = len(row), len(row) // 2
    partner = np.empty(n, dtype=int)
    partner[pos], partner[neg] = neg, pos
    k = means @ means.T
    dist = np.abs(np.diag(k)[:, None] + np.diag(k)[None, :] - 2 * k)
    length = np.sqrt(dist[np.arange(n), partner])
    total = 0.0
    for a in range(n):
        for b in range(n):
            if b != partner[a]:
                total += -row[a] * row[b] * dist[a, b] / max(length[a] * length[b], 1e-6)
    return total / (2 * m * (m - 1))


def _ref_ccgp(z: np.ndarray, row: np.ndarray) -> float:
    """One LinearSVC per matched pair, tested on every other condition."""
    pos, neg = _ref_pairing(z.mean(1), row)
    accs = []
    for p, q in zip(pos, neg):
        rest = [c for c in range(len(row)) if c not in (p, q)]
        clf = LinearSVC(C=1.0, tol=1e-12, max_iter=200_000).fit(
            np.concatenate([z[p], z[q]]), np.r_[np.full(len(z[p]), row[p]), np.full(len(z[q]), row[q])])
        accs.append(clf.score(np.concatenate([z[c] for c in rest]), np.repeat(row[rest], z.shape[1])))
    return float(np.mean(accs))


def _clustered(n_cond: int, seed: int, n_samp: int = 12, units: int = 6, spread: float = 1.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_cond, n_samp, units)) + spread * rng.normal(size=(n_cond, 1, units))


# ---------------------------------------------------------------- the SVM
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")  # liblinear stalls near 1e-12
@pytest.mark.parametrize("n,d", [(60, 5), (10, 40)])
def test_fit_linear_svm_matches_sklearn(n, d):
    rng = np.random.default_rng(n)
    xs = rng.normal(size=(3, n, d))
    ys = np.sign(xs[..., 0] + 0.7 * rng.normal(size=(3, n)))
    w, b = fit_linear_svm(torch.tensor(xs), torch.tensor(ys), C=0.5)
    for i in range(3):
        sk = LinearSVC(C=0.5, tol=1e-12, max_iter=200_000).fit(xs[i], ys[i])
        np.testing.assert_allclose(w[i].numpy(), sk.coef_[0], atol=1e-6)
        assert b[i].item() == pytest.approx(sk.intercept_[0], abs=1e-6)


def test_svm_decoding_matches_sklearn_folds():
    z = _clustered(4, 3, n_samp=10)
    dich = balanced_dichotomies(4)
    ours = svm_decoding(torch.tensor(z), dich).numpy()
    for j, row in enumerate(dich.numpy()):
        folds = []
        for f in range(2):
            tr = np.arange(10) % 2 != f
            clf = LinearSVC(C=1.0, tol=1e-12, max_iter=200_000).fit(z[:, tr].reshape(-1, 6), np.repeat(row, tr.sum()))
            folds.append(clf.score(z[:, ~tr].reshape(-1, 6), np.repeat(row, (~tr).sum())))
        assert ours[j] == pytest.approx(np.mean(folds))


# ---------------------------------------------------------------- against the transcription
@pytest.mark.parametrize("n_cond", [4, 6, 8])
def test_assignment_estimators_match_transcription(n_cond):
    z = _clustered(n_cond, n_cond)
    dich = balanced_dichotomies(n_cond)[:6]
    zt = torch.tensor(z)
    ps = assignment_parallelism(zt.mean(1), dich).numpy()
    cg = matched_ccgp(zt, dich).numpy()
    for j, row in enumerate(dich.numpy()):
        assert ps[j] == pytest.approx(_ref_parallelism(z.mean(1), row), abs=1e-12)
        assert cg[j] == pytest.approx(_ref_ccgp(z, row))


@pytest.mark.parametrize("n_cond", [4, 6, 8])
def test_assignment_reaches_exhaustive_maximum_of_summed_dot_products(n_cond):
    """The distance-sum assignment maximises Σ_{i<j} v_i·v_j exactly; its cosine score is at most the exhaustive maximum."""
    rng = np.random.default_rng(10 + n_cond)
    means = rng.normal(size=(n_cond, 5))
    dich = balanced_dichotomies(n_cond)[:5]
    partner = assignment_pairing(torch.tensor(means), dich).numpy()
    ps_assign = assignment_parallelism(torch.tensor(means), dich).numpy()
    ps_max = parallelism_score(torch.tensor(means), dich, max_pairings=10_000).numpy()  # all m! pairings
    for j, row in enumerate(dich.numpy()):
        pos, neg = np.flatnonzero(row > 0), np.flatnonzero(row < 0)

        def dots(pairing):
            v = means[pos] - means[list(pairing)]
            g = v @ v.T
            return (g.sum() - np.trace(g)) / 2

        best = max(dots(p) for p in itertools.permutations(neg))
        assert dots(partner[j]) == pytest.approx(best, rel=1e-12)
        assert ps_assign[j] <= ps_max[j] + 1e-12


def _square_or_cube(n_factors: int, noise: float, seed: int = 0, lengths=None):
    g = torch.Generator().manual_seed(seed)
    codes = torch.tensor(list(itertools.product([1.0, -1.0], repeat=n_factors)))
    axes = torch.linalg.qr(torch.randn(20, n_factors, generator=g, dtype=torch.float64))[0].T
    axes = axes * torch.tensor(lengths or [3.0] * n_factors, dtype=torch.float64).unsqueeze(1)
    means = codes.to(torch.float64) @ axes
    z = means.unsqueeze(1) + noise * torch.randn(len(codes), 16, 20, generator=g, dtype=torch.float64)
    return z, means, codes


def test_factorised_geometries_closed_forms():
    # a factorised cube with unequal factor lengths: every factor has parallelism 1, the assignment finds it
    _, means, codes = _square_or_cube(3, 0.0, lengths=[3.0, 2.0, 1.0])
    torch.testing.assert_close(assignment_parallelism(means, codes.T), torch.ones(3, dtype=torch.float64))
    # the noisy square: matched-pair CCGP ≈ 1 for both factors, where train-on-(m-1)-test-on-the-rest also scores
    # the unmatched diagonal pairs and falls below it
    z, _, codes = _square_or_cube(2, 1.2, seed=1)
    matched = matched_ccgp(z, codes.T)
    assert bool((matched > 0.97).all())
    assert bool((ccgp(z, codes.T) < matched - 0.05).all())
    # the XOR of the square: antiparallel coding vectors under every pairing
    xor = (codes[:, 0] * codes[:, 1]).unsqueeze(0)
    assert assignment_parallelism(z.mean(1), xor).item() < -0.9


def test_exact_ties_pair_in_index_order():
    # all +1 conditions at one point, all -1 conditions at another: every pairing ties, the first is kept
    means = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 0.0], [0.0, 2.0], [1.0, 0.0], [0.0, 2.0]])
    row = torch.tensor([[1.0, -1.0, 1.0, -1.0, 1.0, -1.0]])
    assert assignment_pairing(means, row)[0].tolist() == [1, 3, 5]
    assert _ref_pairing(means.numpy(), row[0].numpy())[1].tolist() == [1, 3, 5]


def test_invariant_to_condition_order_and_rotation_and_batched():
    z = torch.tensor(_clustered(8, 21))
    dich = balanced_dichotomies(8)[:6]
    perm = torch.tensor([3, 0, 6, 1, 7, 2, 5, 4])
    q = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(2), dtype=torch.float64))[0]
    ps, cg = assignment_parallelism(z.mean(1), dich), matched_ccgp(z, dich)
    torch.testing.assert_close(assignment_parallelism(z[perm].mean(1), dich[:, perm]), ps)
    torch.testing.assert_close(matched_ccgp(z[perm], dich[:, perm]), cg)
    torch.testing.assert_close(assignment_parallelism((z @ q).mean(1), dich), ps)
    torch.testing.assert_close(matched_ccgp(z @ q, dich), cg)
    other = torch.tensor(_clustered(8, 22))
    torch.testing.assert_close(matched_ccgp(torch.stack([other, z]), dich)[1], cg)
    torch.testing.assert_close(assignment_parallelism(torch.stack([other, z]).mean(2), dich)[1], ps)


@pytest.mark.parametrize(
    "call,word",
    [
        (lambda: fit_linear_svm(torch.randn(5, 2), torch.ones(4)), "y must have shape"),
        (lambda: fit_linear_svm(torch.randn(5, 2), torch.full((5,), 2.0)), "labels"),
        (lambda: fit_linear_svm(torch.randn(5, 2), torch.ones(5), C=0.0), "C must"),
        (lambda: fit_linear_svm(torch.full((5, 2), float("inf")), torch.ones(5)), "x"),
        (lambda: assignment_pairing(torch.randn(2, 3), torch.tensor([[1.0, -1.0]])), "at least 4"),
        (lambda: assignment_parallelism(torch.randn(4, 3), torch.tensor([[1.0, 1.0, 1.0, -1.0]])), "balanced"),
        (lambda: matched_ccgp(torch.randn(4, 3), balanced_dichotomies(4)), "z"),
        (lambda: matched_ccgp(torch.randn(4, 5, 3), balanced_dichotomies(4), max_contexts=0), "max_contexts"),
        (lambda: matched_ccgp(torch.full((4, 5, 3), float("nan")), balanced_dichotomies(4)), "NaN"),
        (lambda: svm_decoding(torch.randn(4, 5, 3), balanced_dichotomies(4), n_folds=6), "n_folds"),
    ],
)
def test_bad_inputs(call, word):
    with pytest.raises(ValueError, match=word):
        call()
