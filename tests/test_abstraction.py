"""Abstraction metrics against scikit-learn, closed forms and constructed geometries."""
import itertools
import math

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from repgeom.measures.abstraction import ccgp, geometry_metrics, parallelism_score
from repgeom.measures.decoding import balanced_dichotomies, dichotomy_decoding, fit_logistic


def test_balanced_dichotomies_count_and_balance():
    for n in (2, 4, 6, 8):
        d = balanced_dichotomies(n)
        assert d.shape == (math.comb(n, n // 2) // 2, n)
        assert torch.all(d.sum(1) == 0) and torch.all(d[:, 0] == 1)
        assert len({tuple(r.tolist()) for r in d}) == d.shape[0]
    sub = balanced_dichotomies(32, max_count=50, seed=3)
    assert sub.shape == (50, 32) and len({tuple(r.tolist()) for r in sub}) == 50
    torch.testing.assert_close(sub, balanced_dichotomies(32, max_count=50, seed=3))


@pytest.mark.parametrize("n,d", [(60, 5), (12, 40)])
def test_fit_logistic_matches_sklearn(n, d):
    rng = np.random.default_rng(n)
    xs = rng.normal(size=(3, n, d))
    ys = np.sign(xs[..., 0] + 0.7 * rng.normal(size=(3, n)))
    w, b = fit_logistic(torch.tensor(xs), torch.tensor(ys), C=0.5)
    for i in range(3):
        sk = LogisticRegression(C=0.5, tol=1e-12, max_iter=10_000).fit(xs[i], ys[i])
        np.testing.assert_allclose(w[i].numpy(), sk.coef_[0], atol=1e-6)
        assert b[i].item() == pytest.approx(sk.intercept_[0], abs=1e-6)


def test_ccgp_and_decoding_match_sklearn_on_same_splits():
    rng = np.random.default_rng(7)
    z = rng.normal(size=(4, 10, 6)) + 1.5 * rng.normal(size=(4, 1, 6))
    dich = balanced_dichotomies(4)
    ours = ccgp(torch.tensor(z), dich).numpy()
    ours_dec = dichotomy_decoding(torch.tensor(z), dich, n_folds=2).numpy()
    for j, row in enumerate(dich.numpy()):
        pos, neg = np.flatnonzero(row > 0), np.flatnonzero(row < 0)
        accs = []
        for a, b in itertools.product(pos, neg):
            te = [c for c in range(4) if c not in (a, b)]
            x_tr = np.concatenate([z[a], z[b]])
            y_tr = np.r_[np.ones(10), -np.ones(10)]
            clf = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(x_tr, y_tr)
            x_te = np.concatenate([z[c] for c in te])
            y_te = np.concatenate([np.full(10, row[c]) for c in te])
            accs.append(clf.score(x_te, y_te))
        assert ours[j] == pytest.approx(np.mean(accs))
        folds = []
        for f in range(2):
            tr = np.arange(10) % 2 != f
            clf = LogisticRegression(C=1.0, tol=1e-12, max_iter=10_000).fit(
                z[:, tr].reshape(-1, 6), np.repeat(row, tr.sum()))
            folds.append(clf.score(z[:, ~tr].reshape(-1, 6), np.repeat(row, (~tr).sum())))
        assert ours_dec[j] == pytest.approx(np.mean(folds))


def _factorised(noise: float, seed: int = 0) -> torch.Tensor:
    """Eight conditions from three binary factors on orthogonal axes (a disentangled code)."""
    g = torch.Generator().manual_seed(seed)
    codes = torch.tensor(list(itertools.product([1.0, -1.0], repeat=3)))  # (8, 3)
    axes = torch.linalg.qr(torch.randn(20, 3, generator=g))[0].T * 4
    means = codes @ axes
    return means.unsqueeze(1) + noise * torch.randn(8, 12, 20, generator=g), codes


def test_disentangled_code_has_perfect_ps_and_ccgp():
    z, codes = _factorised(0.3)
    factor = codes[:, :1].T  # first factor as a dichotomy
    assert parallelism_score(z.mean(1), factor).item() > 0.95
    assert ccgp(z, factor).item() == pytest.approx(1.0)
    exact = parallelism_score(codes @ torch.eye(3, 20), factor)
    assert exact.item() == pytest.approx(1.0)


def test_xor_dichotomy_has_low_ccgp_and_ps():
    z, codes = _factorised(0.3)
    xor = (codes[:, 0] * codes[:, 1]).unsqueeze(0)
    assert ccgp(z, xor, train_per_side=1).item() < 0.6
    assert parallelism_score(z.mean(1), xor).item() < 0.5


def test_parallelism_closed_form_square():
    # four corners of a square, dichotomy {0,1} vs {2,3}: best pairing gives parallel vectors
    m = torch.tensor([[1.0, 1.0], [-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]])
    assert parallelism_score(m, torch.tensor([[1.0, 1.0, -1.0, -1.0]])).item() == pytest.approx(1.0)
    # XOR (opposite corners): every pairing gives antiparallel coding vectors
    assert parallelism_score(m, torch.tensor([[1.0, -1.0, -1.0, 1.0]])).item() == pytest.approx(-1.0)


def test_metrics_invariant_to_rotation_and_batched():
    z, codes = _factorised(1.0, seed=2)
    q = torch.linalg.qr(torch.randn(20, 20, generator=torch.Generator().manual_seed(5)))[0]
    dich = balanced_dichotomies(8)[:5]
    a = ccgp(z, dich)
    torch.testing.assert_close(ccgp(z @ q, dich), a, atol=1e-9, rtol=0)
    torch.testing.assert_close(parallelism_score((z @ q).mean(1), dich), parallelism_score(z.mean(1), dich))
    stacked = torch.stack([z, z @ q])
    torch.testing.assert_close(dichotomy_decoding(stacked, dich)[1], dichotomy_decoding(z @ q, dich))


def test_geometry_metrics_on_target_geometry():
    # a representation that is exactly the targets has target alignment 1
    y = torch.tensor([[1.0], [1.0], [-1.0], [-1.0]])
    centres = torch.randn(4, 10, generator=torch.Generator().manual_seed(0))
    z = (y * torch.tensor([[3.0, 0.0]])).unsqueeze(1) + 0.1 * torch.randn(4, 6, 2)
    out = geometry_metrics(z, centres, y, untrained=balanced_dichotomies(4)[1:])
    assert out["target_alignment"].item() > 0.99
    assert out["ccgp"].item() == 1.0 and out["decode_trained"].item() == 1.0
    assert out["decode_untrained"].item() < 0.75


def test_geometry_metrics_released_estimators_are_the_direct_calls():
    from repgeom.measures.abstraction_released import assignment_parallelism, matched_ccgp, svm_decoding

    z, codes = _factorised(1.5, seed=4)
    z = torch.stack([z, z.flip(-1)])
    targets = codes[:, :2]
    out = geometry_metrics(z, torch.randn(8, 5), targets, estimator="released", decoder="svm", compare=True)
    torch.testing.assert_close(out["ps"], assignment_parallelism(z.mean(2), targets.T).mean(-1))
    torch.testing.assert_close(out["ccgp"], matched_ccgp(z, targets.T).mean(-1))
    torch.testing.assert_close(out["decode_trained"], svm_decoding(z, targets.T).mean(-1))
    old = geometry_metrics(z, torch.randn(8, 5), targets)
    for key in ("ps", "ccgp", "decode_trained"):
        other = {"ps": "ps_subsets", "ccgp": "ccgp_subsets", "decode_trained": "decode_trained_logistic"}[key]
        torch.testing.assert_close(out[other], old[key])
    with pytest.raises(ValueError, match="decoder"):
        geometry_metrics(z, torch.randn(8, 5), targets, decoder="tree")


@pytest.mark.parametrize(
    "call,word",
    [
        (lambda: ccgp(torch.randn(4, 5, 3), torch.tensor([[1.0, 1.0, 1.0, -1.0]])), "balanced"),
        (lambda: ccgp(torch.randn(4, 5, 3), torch.tensor([[1.0, 2.0, -1.0, -1.0]])), r"\+1 and -1"),
        (lambda: ccgp(torch.randn(4, 5, 3), torch.tensor([[1.0, -1.0]])), "label 2 conditions"),
        (lambda: ccgp(torch.randn(4, 5, 3), balanced_dichotomies(4), train_per_side=2), "train_per_side"),
        (lambda: ccgp(torch.full((4, 5, 3), float("nan")), balanced_dichotomies(4)), "NaN"),
        (lambda: dichotomy_decoding(torch.randn(4, 5, 3), balanced_dichotomies(4), n_folds=6), "n_folds"),
        (lambda: parallelism_score(torch.randn(2, 3), torch.tensor([[1.0, -1.0]])), "at least 4"),
        (lambda: fit_logistic(torch.randn(5, 2), torch.ones(4)), "y must have shape"),
        (lambda: fit_logistic(torch.randn(5, 2), torch.full((5,), 3.0)), "labels"),
        (lambda: fit_logistic(torch.randn(5, 2), torch.ones(5), C=-1.0), "C must"),
        (lambda: balanced_dichotomies(5), "even"),
        (lambda: balanced_dichotomies(4, max_count=0), "max_count"),
    ],
)
def test_bad_inputs(call, word):
    with pytest.raises(ValueError, match=word):
        call()
