"""SRM against an independent numpy implementation, closed forms and bad inputs."""
import numpy as np
import pytest
import scipy.linalg
import torch

from repgeom.measures.srm import SRM, procrustes, procrustes_distance, random_orthogonal, variance_explained
from repgeom.measures.srm_numpy import deterministic_srm, probabilistic_srm


def _data(n_nets=4, m=30, n=6, noise=0.3, seed=0):
    g = torch.Generator().manual_seed(seed)
    s = torch.randn(m, n, generator=g, dtype=torch.float64)
    q = random_orthogonal(n_nets, n, n, generator=g)
    return s.unsqueeze(0) @ q.transpose(-1, -2) + 2.0 + noise * torch.randn(n_nets, m, n, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("k", [None, 3])
def test_probabilistic_matches_numpy(k):
    x = _data()
    model = SRM(k=k, n_iter=10, method="probabilistic", seed=1)
    w0 = model.init_w(x)
    model.fit(x, w0=w0)
    ws, s, rho2 = probabilistic_srm(list(x.numpy()), list(w0.numpy()), 10)
    np.testing.assert_allclose(model.w_.numpy(), np.stack(ws), atol=1e-9)
    np.testing.assert_allclose(model.s_.numpy(), s, atol=1e-9)
    np.testing.assert_allclose(model.rho2_.numpy(), rho2, atol=1e-9)


def test_deterministic_matches_numpy_and_decreases_objective():
    x = _data(seed=2)
    model = SRM(n_iter=8, method="deterministic", seed=3)
    w0 = model.init_w(x)
    model.fit(x, w0=w0)
    ws, s = deterministic_srm(list(x.numpy()), list(w0.numpy()), 8)
    np.testing.assert_allclose(model.w_.numpy(), np.stack(ws), atol=1e-9)
    np.testing.assert_allclose(model.s_.numpy(), s, atol=1e-9)
    xc = x - x.mean(dim=-2, keepdim=True)
    losses = []
    for it in (1, 2, 4, 8):
        m = SRM(n_iter=it, method="deterministic", seed=3).fit(x)
        losses.append(((xc - m.s_ @ m.w_.transpose(-1, -2)) ** 2).sum().item())
    assert all(b <= a + 1e-9 for a, b in zip(losses, losses[1:]))


@pytest.mark.parametrize("method", ["probabilistic", "deterministic"])
def test_orthonormal_and_batched_equals_separate(method):
    x = torch.stack([_data(seed=4), _data(seed=5)])   # (layers=2, N, m, n)
    model = SRM(k=4, method=method, seed=0).fit(x)
    eye = torch.eye(4, dtype=torch.float64)
    torch.testing.assert_close(model.w_.transpose(-1, -2) @ model.w_, eye.expand(2, 4, 4, 4))
    for b in range(2):
        single = SRM(k=4, method=method, seed=0).fit(x[b], w0=model.init_w(x)[b])
        torch.testing.assert_close(single.w_, model.w_[b])


def test_recovers_exact_rotations_and_transform_subtracts_mean():
    x = _data(noise=0.0, seed=6)                       # x_i = s Q_iᵀ + 2
    model = SRM(n_iter=30, method="deterministic").fit(x[:, :20])
    shared = model.transform(x[:, 20:])
    # all networks land on the same shared responses: perfect alignment
    torch.testing.assert_close(shared, shared[:1].expand_as(shared), atol=1e-8, rtol=0)
    assert variance_explained(model, x[:, 20:]).min().item() > 1 - 1e-10
    # the offset 2.0 is removed (BrainIAK's transform would keep it)
    assert shared.mean().abs().item() < 0.5


def test_variance_explained_closed_form():
    x = _data(seed=7)
    model = SRM(method="probabilistic").fit(x[:, :20])
    test = x[:, 20:]
    ve = variance_explained(model, test)
    s_bar = np.mean([(t - mu) @ w for t, mu, w in zip(test.numpy(), model.mu_.numpy(), model.w_.numpy())], axis=0)
    ref = [1 - np.mean((s_bar @ w.T + mu - t) ** 2) / np.var(t)
           for t, mu, w in zip(test.numpy(), model.mu_.numpy(), model.w_.numpy())]
    np.testing.assert_allclose(ve.numpy(), ref, atol=1e-12)
    # independent noise-only networks are poorly explained
    noise = torch.randn(4, 40, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    m2 = SRM(method="probabilistic").fit(noise[:, :30])
    assert variance_explained(m2, noise[:, 30:]).mean().item() < ve.mean().item()


def test_fit_is_reproducible():
    x = _data(seed=8)
    a, b = SRM(seed=5).fit(x), SRM(seed=5).fit(x)
    assert torch.equal(a.w_, b.w_)


def test_procrustes_closed_form():
    g = torch.Generator().manual_seed(0)
    q = random_orthogonal(5, 5, generator=g)
    p = torch.diag(torch.tensor([3.0, 2, 1.5, 1, 0.5], dtype=torch.float64))
    torch.testing.assert_close(procrustes(q @ p), q)  # polar factor of Q·(positive diagonal)
    x = torch.randn(30, 5, generator=g, dtype=torch.float64)
    assert procrustes_distance(x, x @ q + 1.0).item() == pytest.approx(0.0, abs=1e-6)
    y = torch.randn(30, 7, generator=g, dtype=torch.float64)
    xc, yc = x - x.mean(0), y - y.mean(0)
    nuc = np.linalg.svd(xc.numpy().T @ yc.numpy(), compute_uv=False).sum()
    ref = np.arccos(nuc / (np.linalg.norm(xc.numpy()) * np.linalg.norm(yc.numpy())))
    assert procrustes_distance(x, y).item() == pytest.approx(ref, abs=1e-12)


def test_bad_inputs():
    x = _data()
    with pytest.raises(ValueError, match="k=7 is larger"):
        SRM(k=7).fit(x)
    with pytest.raises(ValueError, match="NaN"):
        SRM().fit(torch.where(x > 3, float("nan"), x))
    with pytest.raises(ValueError, match="method"):
        SRM(method="pca")
    with pytest.raises(ValueError, match="n_iter"):
        SRM(n_iter=0)
    with pytest.raises(ValueError, match="shape"):
        SRM().fit(torch.zeros(5, 4))
    model = SRM().fit(x)
    with pytest.raises(ValueError, match="shape"):
        model.transform(torch.zeros(3, 10, 6, dtype=torch.float64))  # wrong number of networks
    with pytest.raises(ValueError, match="not fitted"):
        SRM().transform(x)
    with pytest.raises(ValueError, match="same number of examples"):
        procrustes_distance(x[0], x[1, :10])


def test_zscore_examples_matches_sklearn_scaler():
    from sklearn.preprocessing import StandardScaler
    x = _data(seed=9)[0]
    ref = StandardScaler().fit_transform(x.numpy().T).T
    from repgeom.measures.srm import zscore_examples
    np.testing.assert_allclose(zscore_examples(x).numpy(), ref, atol=1e-12)
    with pytest.raises(ValueError, match="NaN"):
        zscore_examples(torch.tensor([[1.0, float("inf")]]))


# --- BrainIAK's trace term (trace="raw") -------------------------------------------------------------

def _brainiak_srm(data: list[np.ndarray], w0: list[np.ndarray], n_iter: int):
    """A direct transcription of BrainIAK's ``SRM._srm`` (brainiak.funcalign.srm), single process.

    ``data[i]`` is (voxels, samples) as in BrainIAK; returns ``(w, shared_response, rho2)``. Note
    ``trace_xtx`` is computed on the raw data, before the unit means are removed.
    """
    subjects, samples = len(data), data[0].shape[1]
    features = w0[0].shape[1]
    w = [v.copy() for v in w0]
    voxels = [d.shape[0] for d in data]
    x, mu, rho2, trace_xtx = [], [], np.zeros(subjects), np.zeros(subjects)
    for subject in range(subjects):
        mu.append(np.mean(data[subject], 1))
        rho2[subject] = 1
        trace_xtx[subject] = np.sum(data[subject] ** 2)
        x.append(data[subject] - mu[subject][:, np.newaxis])
    sigma_s = np.identity(features)
    shared_response = np.zeros((features, samples))
    for _ in range(n_iter):
        rho0 = (1 / rho2).sum()
        chol = scipy.linalg.cho_factor(sigma_s, check_finite=False)
        inv_sigma_s = scipy.linalg.cho_solve(chol, np.identity(features), check_finite=False)
        sigma_s_rhos = inv_sigma_s + np.identity(features) * rho0
        chol = scipy.linalg.cho_factor(sigma_s_rhos, check_finite=False)
        inv_sigma_s_rhos = scipy.linalg.cho_solve(chol, np.identity(features), check_finite=False)
        wt_invpsi_x = np.zeros((features, samples))
        for subject in range(subjects):
            wt_invpsi_x += (w[subject].T.dot(x[subject])) / rho2[subject]
        shared_response = sigma_s.dot(np.identity(features) - rho0 * inv_sigma_s_rhos).dot(wt_invpsi_x)
        sigma_s = inv_sigma_s_rhos + shared_response.dot(shared_response.T) / samples
        trace_sigma_s = samples * np.trace(sigma_s)
        for subject in range(subjects):
            a_subject = x[subject].dot(shared_response.T)
            perturbation = np.zeros(a_subject.shape)
            np.fill_diagonal(perturbation, 0.001)
            u_subject, _, v_subject = np.linalg.svd(a_subject + perturbation, full_matrices=False)
            w[subject] = u_subject.dot(v_subject)
            rho2[subject] = trace_xtx[subject]
            rho2[subject] += -2 * np.sum(w[subject] * a_subject).sum()
            rho2[subject] += trace_sigma_s
            rho2[subject] /= samples * voxels[subject]
    return w, shared_response, rho2


@pytest.mark.parametrize("k", [None, 3])
def test_raw_trace_matches_brainiak_transcription_with_nonzero_means(k):
    x = _data(seed=11)                                   # unit means about 2, far from zero
    assert x.mean(dim=-2).abs().min().item() > 1.0
    model = SRM(k=k, n_iter=10, method="probabilistic", seed=2, trace="raw")
    w0 = model.init_w(x)
    model.fit(x, w0=w0)
    ws, s, rho2 = _brainiak_srm([xi.T.copy() for xi in x.numpy()], list(w0.numpy()), 10)
    np.testing.assert_allclose(model.w_.numpy(), np.stack(ws), atol=1e-9)
    np.testing.assert_allclose(model.s_.numpy(), s.T, atol=1e-9)
    np.testing.assert_allclose(model.rho2_.numpy(), rho2, atol=1e-9)


def test_centred_trace_is_the_textbook_em_and_differs_from_raw_only_with_unit_means():
    x = _data(seed=12)
    w0 = SRM(seed=4).init_w(x)
    raw = SRM(n_iter=10, seed=4, trace="raw").fit(x, w0=w0)
    cen = SRM(n_iter=10, seed=4, trace="centred").fit(x, w0=w0)
    ws, s, rho2 = probabilistic_srm(list(x.numpy()), list(w0.numpy()), 10)    # the centred EM
    np.testing.assert_allclose(cen.w_.numpy(), np.stack(ws), atol=1e-9)
    np.testing.assert_allclose(cen.rho2_.numpy(), rho2, atol=1e-9)
    # with unit means of about 2 the raw trace inflates the noise variances a lot
    assert (raw.rho2_ / cen.rho2_).min().item() > 2.0
    # on centred data the two are the same computation
    xc = x - x.mean(dim=-2, keepdim=True)
    a = SRM(n_iter=10, seed=4, trace="raw").fit(xc, w0=w0)
    b = SRM(n_iter=10, seed=4, trace="centred").fit(xc, w0=w0)
    torch.testing.assert_close(a.w_, b.w_, atol=1e-12, rtol=0)
    torch.testing.assert_close(a.rho2_, b.rho2_, atol=1e-12, rtol=0)
    _, _, rho2_bk = _brainiak_srm([xi.T.copy() for xi in xc.numpy()], list(w0.numpy()), 10)
    np.testing.assert_allclose(a.rho2_.numpy(), rho2_bk, atol=1e-9)


def test_trace_and_w0_bad_input():
    with pytest.raises(ValueError, match="trace"):
        SRM(trace="demeaned")
    x = _data()
    w0 = SRM().init_w(x)
    w0[0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="w0"):
        SRM().fit(x, w0=w0)
    with pytest.raises(ValueError, match="w0"):
        SRM().fit(x, w0=w0.numpy())
