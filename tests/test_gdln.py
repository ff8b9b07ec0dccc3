"""Tests of repgeom.models.gdln (simulation) and repgeom.models.gdln.theory (the reduction)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.integrate import solve_ivp

from repgeom.models import gdln
from repgeom.models.gdln import theory as th
from repgeom.models.gdln.initialisation import _semi_orthogonal

D = torch.float64


def naive_path_maps(spec, weights):
    """Reference: multiply each path's matrices one path at a time."""
    R = weights[0].shape[0]
    out = torch.empty(R, spec.n_paths, spec.x.shape[0], spec.widths[-1], dtype=weights[0].dtype)
    for r in range(R):
        for p in range(spec.n_paths):
            m = torch.eye(spec.widths[0], dtype=weights[0].dtype)
            for l in range(spec.n_layers):
                m = weights[l][r, int(spec.paths[p, l])] @ m
            out[r, p] = spec.x.to(m.dtype) @ m.T
    return out


# ----------------------------------------------------------------- data and specs


def test_hierarchical_items_singular_values_match_numpy():
    y = gdln.hierarchical_items()
    assert y.shape == (4, 7)
    spec = gdln.routing(3)
    U, S, V = gdln.modes(spec)
    ref = np.linalg.svd(y.numpy().T @ np.eye(4), compute_uv=False)
    np.testing.assert_allclose(S.numpy(), ref[ref > 1e-9], rtol=1e-12)
    np.testing.assert_allclose((U * S) @ V.T, y.T @ spec.x, atol=1e-12)


def test_trained_routes_has_k_per_row_and_column():
    t = gdln.trained_routes(7, 4)
    assert t.sum(1).eq(4).all() and t.sum(0).eq(4).all()
    assert set(torch.nonzero(t[0]).flatten().tolist()) == {6, 0, 1, 2}
    with pytest.raises(ValueError, match="K"):
        gdln.trained_routes(3, 4)
    with pytest.raises(ValueError, match="M"):
        gdln.trained_routes(0, 1)


def test_build_shares_edges_and_makes_tasks():
    x = torch.eye(2, dtype=D)
    y = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]], dtype=D)
    table = [("a", "h", "o1"), ("a", "h", "o2"), ("b", "h", "o1"), ("a", "g", "o1")]
    spec = gdln.build(table, (2, 5, 3), x, y)
    assert [len(e) for e in spec.edges] == [3, 3]  # a->h, b->h, a->g ; h->o1, h->o2, g->o1
    assert spec.n_tasks == 3  # (a,o1), (a,o2), (b,o1)
    t_a_o1 = spec.task_names.index(("a", "o1"))
    assert spec.gates[t_a_o1, :, 0].tolist() == [1.0, 0.0, 0.0, 1.0]  # two parallel paths both on
    assert spec.scale == pytest.approx(1 / 6)


@pytest.mark.parametrize("make", [
    lambda: gdln.routing(4, hidden=6),
    lambda: gdln.routing(4, hidden=6, group=2),
    lambda: gdln.build([("a", "h", "o1"), ("a", "g", "o1"), ("b", "h", "o2")], (4, 5, 7),
                       torch.eye(4, dtype=D), gdln.hierarchical_items()),
    lambda: gdln.xor_gdln(8),
])
def test_path_maps_equal_explicit_products(make):
    spec = make()
    w = gdln.init_random(spec, [3, 4], 0.7, kind="gaussian")
    torch.testing.assert_close(gdln.path_maps(spec, w), naive_path_maps(spec, w), rtol=1e-12, atol=1e-12)
    # outputs: gate-weighted sums of path maps
    ref = torch.einsum("tpn,rpno->rtno", spec.gates, naive_path_maps(spec, w))
    torch.testing.assert_close(gdln.outputs(spec, w), ref, rtol=1e-12, atol=1e-12)


def test_orthogonal_init_has_all_singular_values_sigma0():
    spec = gdln.routing(3, hidden=10)
    w = gdln.init_random(spec, [0, 1], [0.2, 0.5])
    for layer in w:
        sv = torch.linalg.svdvals(layer)
        torch.testing.assert_close(sv[0], torch.full_like(sv[0], 0.2))
        torch.testing.assert_close(sv[1], torch.full_like(sv[1], 0.5))


# ----------------------------------------------------------------- simulation


def test_batched_training_equals_one_at_a_time():
    spec = gdln.routing(4, hidden=8)
    seeds, lrs = [11, 12, 13], torch.tensor([0.01, 0.02, 0.03], dtype=D)
    mask = torch.stack([gdln.trained_routes(4, k).reshape(-1) for k in (1, 2, 4)]).to(D)
    w = gdln.init_random(spec, seeds, 0.3)
    batched = gdln.train(spec, w, lrs, 30, mask=mask)
    for r, seed in enumerate(seeds):
        single = gdln.train(spec, gdln.init_random(spec, [seed], 0.3), float(lrs[r]), 30, mask=mask[r:r + 1])
        torch.testing.assert_close(batched.loss[r:r + 1], single.loss, rtol=1e-12, atol=1e-12)
        for a, b in zip(batched.weights, single.weights):
            torch.testing.assert_close(a[r:r + 1], b, rtol=1e-12, atol=1e-12)


def test_training_is_reproducible_and_matches_autograd_step():
    spec = gdln.routing(3, hidden=6)
    w = gdln.init_random(spec, [5], 0.5)
    a = gdln.train(spec, w, 0.05, 3)
    b = gdln.train(spec, w, 0.05, 3)
    assert torch.equal(a.loss, b.loss)
    # One step by hand with an independent loss: mean squared error over 4 x 7 per task.
    ws = [t.clone().requires_grad_(True) for t in w]
    preds = naive_path_maps(spec, ws)
    loss = ((preds - spec.y) ** 2).mean(dim=(-1, -2)).sum()
    grads = torch.autograd.grad(loss, ws)
    one = gdln.train(spec, w, 0.05, 1)
    for t, g, new in zip(w, grads, one.weights):
        torch.testing.assert_close(new, t - 0.05 * g, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------- reduction


@pytest.mark.parametrize("group", [1, 2, 4])
def test_reduced_gradient_equals_autograd(group):
    sys = th.reduce(gdln.routing(4, hidden=6, group=group))
    gen = torch.Generator().manual_seed(0)
    b = torch.rand(3, sys.n_edges, sys.n_modes, generator=gen, dtype=D)
    mask = (torch.rand(3, sys.n_tasks, generator=gen) > 0.4).to(D)
    bb = b.clone().requires_grad_(True)
    ref = torch.autograd.grad(th.loss(sys, bb, mask).sum(), bb)[0]
    torch.testing.assert_close(th.gradient(sys, b, mask), ref, rtol=1e-11, atol=1e-12)


def test_reduced_loss_equals_decoupled_network_loss():
    spec = gdln.build([("a", "h", "k", "o1"), ("a", "g", "k", "o1"), ("b", "h", "k", "o2")],
                      (4, 6, 5, 7), torch.eye(4, dtype=D), gdln.hierarchical_items())
    sys = th.reduce(spec)
    w = gdln.init_decoupled(spec, [0], 0.8)
    b = torch.full((sys.n_edges, sys.n_modes), 0.8, dtype=D)
    torch.testing.assert_close(gdln.task_errors(spec, w)[0], th.task_errors(sys, b), rtol=1e-12, atol=1e-10)


def test_decoupled_simulation_equals_reduced_gradient_descent():
    spec = gdln.routing(5, hidden=8)
    mask = gdln.trained_routes(5, 3).reshape(-1).to(D)
    sys = th.reduce(spec)
    sim = gdln.train(spec, gdln.init_decoupled(spec, [1], 0.2), 0.03, 200, mask=mask)
    b0 = torch.full((sys.n_edges, sys.n_modes), 0.2, dtype=D)
    red = th.integrate(sys, b0, 0.03, 200, mask=mask, method="euler", substeps=1)
    torch.testing.assert_close(sim.loss[0], red.loss, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(sim.task_error[0], red.task_error, rtol=1e-9, atol=1e-9)
    # and each edge's singular values are the theory's mode strengths
    sv = th.edge_singular_values(spec, sim.weights)[0]
    torch.testing.assert_close(sv, red.b[-1].sort(dim=-1, descending=True).values, rtol=1e-8, atol=1e-9)


def test_decoupled_weights_stay_decoupled():
    spec = gdln.routing(4, hidden=9)
    mask = gdln.trained_routes(4, 2).reshape(-1).to(D)
    U, S, V = gdln.modes(spec)
    basis = gdln.init_decoupled(spec, [7], 1.0)  # R_t R_s^T for each edge
    r1 = basis[0][0, 0] @ V  # hidden-1 basis
    r2 = basis[1][0, 0] @ r1  # hidden-2 basis
    out = gdln.train(spec, gdln.init_decoupled(spec, [7], 0.1), 0.05, 150, mask=mask).weights
    assert out[0][0].abs().max() > 0.5  # it did learn
    for e in range(4):
        for m in (r1.T @ out[0][0, e] @ V, r2.T @ out[1][0, 0] @ r1, U.T @ out[2][0, e] @ r2):
            off = m - torch.diag(torch.diagonal(m))
            assert off.abs().max() < 1e-10 * max(1.0, m.abs().max())
        # nothing leaks outside the mode subspaces
        full = r1 @ (r1.T @ out[0][0, e] @ V) @ V.T
        torch.testing.assert_close(full, out[0][0, e], rtol=0, atol=1e-10)


def test_rk4_matches_scipy_solve_ivp():
    sys = th.reduce(gdln.routing(3, hidden=6))
    mask = gdln.trained_routes(3, 2).reshape(-1).to(D)
    b0 = torch.full((sys.n_edges, sys.n_modes), 0.3, dtype=D)
    run = th.integrate(sys, b0, 0.02, 60, mask=mask, substeps=4)

    def f(_t, z):
        return th.rate(sys, torch.from_numpy(z).reshape(b0.shape), 0.02, mask).reshape(-1).numpy()

    sol = solve_ivp(f, (0, 60), b0.reshape(-1).numpy(), t_eval=np.arange(61), rtol=1e-10, atol=1e-12, method="DOP853")
    np.testing.assert_allclose(run.b.reshape(61, -1).numpy(), sol.y.T, rtol=1e-6, atol=1e-8)


def test_single_two_layer_path_follows_logistic_closed_form():
    s, w, c, lr, a0 = 2.5, 1.7, 0.3, 0.05, 1e-4
    sys = th.Reduced(paths=torch.tensor([[0, 1]]), n_edges=2, gates=torch.ones(1, 1, dtype=D),
                     s=torch.tensor([[s]], dtype=D), w=torch.tensor([[w]], dtype=D), scale=c).validate()
    b0 = torch.full((2, 1), math.sqrt(a0), dtype=D)
    run = th.integrate(sys, b0, lr, 400, substeps=8)
    a = th.strengths(sys, run.b)[:, 0, 0]
    ref = th.logistic_two_layer(torch.arange(401, dtype=D), s, w, c, lr, a0)
    torch.testing.assert_close(a, ref, rtol=1e-7, atol=1e-9)
    assert a[0] < 0.01 * s and a[-1] > 0.99 * s  # the sigmoid actually happened


def test_xor_reduced_matches_decoupled_xor_gdln():
    spec = gdln.xor_gdln(8)
    sys = th.xor_reduced(spec)
    b1, b2 = 0.4, 0.9
    r = torch.zeros(2, dtype=D)
    r[0] = 1.0
    w1 = torch.stack([b1 * r[:, None] @ (spec.x[p] / spec.x[p].norm())[None, :] for p in range(4)])
    w2 = torch.stack([torch.sign(spec.y[p, 0]) * b2 * r[None, :] for p in range(4)])
    hidden = spec.widths[1]
    W1 = torch.zeros(1, 4, hidden, 2, dtype=D)
    W2 = torch.zeros(1, 4, 1, hidden, dtype=D)
    W1[0, :, :2] = w1
    W2[0, :, :, :2] = w2
    b = torch.tensor([[b1]] * 4 + [[b2]] * 4, dtype=D)
    total = gdln.task_errors(spec, [W1, W2])[0, 0]
    torch.testing.assert_close(total, th.loss(sys, b), rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------- ReLU XOR


def test_relu_training_matches_autograd_and_finds_cell_types():
    x, y = gdln.xor_items()
    run = gdln.train_relu(x, y, [0, 1], hidden=16, sigma0=0.1, lr=0.05, epochs=1)
    w1 = 0.1 * torch.randn(16, 2, generator=torch.Generator().manual_seed(0), dtype=D).requires_grad_(True)
    w2 = 0.1 * torch.randn(1, 16, generator=torch.Generator().manual_seed(7_919_000), dtype=D).requires_grad_(True)
    loss = 0.5 * ((w2 @ torch.relu(w1 @ x.T)).squeeze(0) - y[:, 0]).pow(2).mean()
    g1, g2 = torch.autograd.grad(loss, [w1, w2])
    torch.testing.assert_close(run.w1[0], w1 - 0.05 * g1, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(run.w2[0], w2 - 0.05 * g2, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(run.loss[0, 0], loss.detach())
    # hand-made units: one per point, one active on two points, one silent
    W1 = torch.tensor([[[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, 0.0], [1e-6, 1e-6]]], dtype=D)
    W2 = torch.ones(1, 1, 6, dtype=D)
    assert gdln.cell_types(W1, W2, x).tolist() == [[0, 1, 2, 3, -2, -1]]


# ----------------------------------------------------------------- bad inputs


def test_bad_inputs_raise_value_errors():
    spec = gdln.routing(3, hidden=5)
    w = gdln.init_random(spec, [0], 0.2)
    with pytest.raises(ValueError, match="lr"):
        gdln.train(spec, w, -0.1, 2)
    with pytest.raises(ValueError, match="weights\\[0\\]"):
        gdln.train(spec, [w[0][:, :1], w[1], w[2]], 0.1, 2)
    bad = [t.clone() for t in w]
    bad[1][0, 0, 0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        gdln.train(spec, bad, 0.1, 2)
    with pytest.raises(ValueError, match="mask"):
        gdln.train(spec, w, 0.1, 2, mask=torch.ones(5))
    with pytest.raises(ValueError, match="epochs"):
        gdln.train(spec, w, 0.1, -1)
    with pytest.raises(ValueError, match="sigma0"):
        gdln.init_random(spec, [0], 0.0)
    with pytest.raises(ValueError, match="seeds"):
        gdln.init_random(spec, [], 0.2)
    with pytest.raises(ValueError, match="kind"):
        gdln.init_random(spec, [0], 0.2, kind="uniform")
    with pytest.raises(ValueError, match="group"):
        gdln.routing(6, group=4)
    with pytest.raises(ValueError, match="hidden"):
        gdln.xor_gdln(10)
    with pytest.raises(ValueError, match="item"):
        th.reduce(gdln.xor_gdln(8))
    with pytest.raises(ValueError, match="item"):
        gdln.init_decoupled(gdln.xor_gdln(8), [0], 0.1)
    y = gdln.hierarchical_items()
    with pytest.raises(ValueError, match="orthonormal"):
        th.reduce(gdln.build([("a", "h", "o")], (4, 5, 7), 2 * torch.eye(4, dtype=D), y))
    with pytest.raises(ValueError, match="NaN"):
        gdln.build([("a", "h", "o")], (4, 5, 7), torch.eye(4, dtype=D), y * float("nan"))
    with pytest.raises(ValueError, match="path"):
        gdln.build([("a", "o")], (4, 5, 7), torch.eye(4, dtype=D), y)
    sys = th.reduce(spec)
    with pytest.raises(ValueError, match="b must"):
        th.integrate(sys, torch.ones(3, 3, dtype=D), 0.1, 2)
    with pytest.raises(ValueError, match="method"):
        th.integrate(sys, torch.ones(sys.n_edges, sys.n_modes, dtype=D), 0.1, 2, method="heun")
    with pytest.raises(ValueError, match="lr"):
        th.integrate(sys, torch.ones(sys.n_edges, sys.n_modes, dtype=D), 0.0, 2)
    with pytest.raises(ValueError, match="a0"):
        th.logistic_two_layer(torch.arange(3.0), 1.0, 1.0, 1.0, 0.1, -1.0)
    x, yx = gdln.xor_items()
    with pytest.raises(ValueError, match="x must"):
        gdln.train_relu(x[:, :1].T, yx, [0], 4, 0.1, 0.1, 1)


def test_combined_systems_evolve_like_separate_ones():
    a = th.reduce(gdln.routing(3, hidden=6, group=1))
    b = th.reduce(gdln.routing(3, hidden=6))
    both = th.combine([a, b])
    ba = torch.full((a.n_edges, a.n_modes), 0.3, dtype=D)
    bb = torch.full((b.n_edges, b.n_modes), 0.3, dtype=D)
    run = th.integrate(both, torch.cat([ba, bb]), 0.02, 50, method="euler", substeps=1)
    ra = th.integrate(a, ba, 0.02, 50, method="euler", substeps=1)
    rb = th.integrate(b, bb, 0.02, 50, method="euler", substeps=1)
    torch.testing.assert_close(run.b[:, :a.n_edges], ra.b, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(run.b[:, a.n_edges:], rb.b, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(run.loss, ra.loss + rb.loss, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="systems"):
        th.combine([])


def test_readouts_on_decoupled_weights():
    spec = gdln.routing(3, hidden=6)
    w = gdln.init_decoupled(spec, [0], 0.5)
    torch.testing.assert_close(gdln.mode_strengths(spec, w), torch.full((1, 9, 4), 0.125, dtype=D))
    sim = gdln.first_layer_similarity(spec, w)[0]
    # decoupled encoders are identical maps: item n in every domain has the same representation
    torch.testing.assert_close(sim[0, 4], torch.tensor(1.0, dtype=D))
    torch.testing.assert_close(sim[:4, :4], torch.eye(4, dtype=D), atol=1e-12, rtol=0)


# ----------------------------------------------------------------- image routing (Fig. 7)


def _toy_images():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(40, 12, generator=gen, dtype=D)
    y = torch.randint(0, 3, (40,), generator=gen)
    return x[:30], y[:30], x[30:], y[30:]


def test_image_routing_batched_equals_single_and_learns():
    from repgeom.models.gdln import image_routing as routing
    xtr, ytr, xte, yte = _toy_images()
    dom = routing.make_domains(3, 12, 3, seed=1)
    trained = torch.stack([gdln.trained_routes(3, k) for k in (1, 3)])
    s0, lr = torch.tensor([0.5, 0.5], dtype=D), torch.tensor([0.3, 0.3], dtype=D)
    both = routing.train_image_routing(xtr, ytr, xte, yte, dom, trained, s0, lr, hidden=6, epochs=40, seed=5, n_classes=3)
    assert both.loss[:, -1].lt(both.loss[:, 0]).all()
    # condition 1 alone (its seed is seed + 1)
    one = routing.train_image_routing(xtr, ytr, xte, yte, dom, trained[1:], s0[1:], lr[1:], hidden=6, epochs=40,
                                      seed=6, n_classes=3)
    torch.testing.assert_close(both.loss[1:], one.loss, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(both.test_error[1:], one.test_error)


@pytest.mark.parametrize("chunk", [1, 7, 29])
def test_image_routing_in_chunks_equals_full_batch(chunk):
    from repgeom.models.gdln import image_routing as routing
    xtr, ytr, xte, yte = _toy_images()
    dom = routing.make_domains(3, 12, 3, seed=1)
    trained = torch.stack([gdln.trained_routes(3, k) for k in (1, 2)])
    s0, lr = torch.tensor([0.5, 1.0], dtype=D), torch.tensor([0.3, 0.2], dtype=D)
    args = (xtr, ytr, xte, yte, dom, trained, s0, lr)
    full = routing.train_image_routing(*args, hidden=6, epochs=30, seed=5, n_classes=3, chunk=30)
    part = routing.train_image_routing(*args, hidden=6, epochs=30, seed=5, n_classes=3, chunk=chunk)
    torch.testing.assert_close(part.loss, full.loss, rtol=1e-12, atol=1e-13)  # float64: the sum order only
    assert torch.equal(part.train_error, full.train_error) and torch.equal(part.test_error, full.test_error)
    with pytest.raises(ValueError, match="chunk"):
        routing.train_image_routing(*args, hidden=6, epochs=1, seed=5, n_classes=3, chunk=0)


def test_image_chunk_keeps_the_logits_under_the_budget():
    from repgeom.models.gdln import image_routing as routing
    # the paper's M = 100 with 10 conditions, 10 classes, 1,000 images, float32: 4 GB of logits unchunked
    c = routing.image_chunk(10, 100, 10, 1000)
    assert c * 10 * 100 * 100 * 10 * 4 <= routing.CHUNK_BUDGET_BYTES < (c + 1) * 10 * 100 * 100 * 10 * 4
    assert routing.image_chunk(2, 3, 3, 40) == 40  # small problems: one chunk, the plain full-batch step


@pytest.mark.parametrize("kind", ["pixels", "rotations"])
def test_image_routing_loss_matches_independent_formula(kind):
    """Initial loss against the formula: sum over trained routes of CE(D_j H E_i T_i x) / K_i."""
    from repgeom.models.gdln import image_routing as routing
    xtr, ytr, xte, yte = _toy_images()
    if kind == "pixels":
        dom = routing.make_domains(2, 12, 3, seed=2)
        views = [xtr[:, dom.pixels[i]] for i in range(2)]
    else:
        dom = routing.make_rotation_domains(2, 12, 3, seed=5)
        views = [xtr @ dom.rotations[i].T for i in range(2)]
    trained = gdln.trained_routes(2, 1)[None]
    res = routing.train_image_routing(xtr, ytr, xte, yte, dom, trained, torch.tensor([0.7], dtype=D),
                                      torch.tensor([0.1], dtype=D), hidden=5, epochs=0, seed=9, n_classes=3)
    gen = torch.Generator().manual_seed(9)
    enc = [0.7 * _semi_orthogonal(5, 12, gen, D, "cpu") for _ in range(2)]
    hid = 0.7 * _semi_orthogonal(5, 5, gen, D, "cpu")
    dec = [0.7 * _semi_orthogonal(3, 5, gen, D, "cpu") for _ in range(2)]
    total = sum(torch.nn.functional.cross_entropy(views[i] @ enc[i].T @ hid.T @ dec[j].T, dom.labels[j][ytr])
                / trained[0, i].sum() for i in range(2) for j in range(2) if trained[0, i, j])
    torch.testing.assert_close(res.loss[0, 0], total)


def test_image_routing_rejects_bad_inputs():
    from repgeom.models.gdln import image_routing as routing
    xtr, ytr, xte, yte = _toy_images()
    dom = routing.make_domains(2, 12, 3, seed=2)
    ok = dict(sigma0=torch.tensor([0.5], dtype=D), lr=torch.tensor([0.1], dtype=D), hidden=4, epochs=1, seed=0, n_classes=3)
    trained = gdln.trained_routes(2, 1)[None]
    with pytest.raises(ValueError, match="trained"):
        routing.train_image_routing(xtr, ytr, xte, yte, dom, torch.zeros(1, 2, 2, dtype=torch.bool), **ok)
    with pytest.raises(ValueError, match="y must"):
        routing.train_image_routing(xtr, ytr + 5, xte, yte, dom, trained, **ok)
    bad = xtr.clone()
    bad[0, 0] = float("inf")
    with pytest.raises(ValueError, match="NaN or Inf"):
        routing.train_image_routing(bad, ytr, xte, yte, dom, trained, **ok)
    with pytest.raises(ValueError, match="lr"):
        routing.train_image_routing(xtr, ytr, xte, yte, dom, trained, **{**ok, "lr": torch.tensor([-1.0], dtype=D)})
    with pytest.raises(ValueError, match="M"):
        routing.make_domains(0, 12, 3, 0)


def test_rotation_domains_are_seeded_orthogonal_rotations():
    from repgeom.models.gdln import image_routing as routing
    dom = routing.make_rotation_domains(3, 8, 4, seed=4)
    assert dom.pixels is None and dom.rotations.shape == (3, 8, 8) and dom.count == 3 and dom.dim == 8
    eye = torch.eye(8, dtype=D).expand(3, 8, 8)
    torch.testing.assert_close(dom.rotations @ dom.rotations.transpose(1, 2), eye, atol=1e-12, rtol=0)
    assert not torch.allclose(dom.rotations[0], dom.rotations[1])
    again = routing.make_rotation_domains(3, 8, 4, seed=4)
    assert torch.equal(dom.rotations, again.rotations) and torch.equal(dom.labels, again.labels)
    assert sorted(dom.labels[0].tolist()) == [0, 1, 2, 3]


def test_permutation_matrices_as_rotations_equal_pixel_permutations():
    """A permutation is a rotation: both input-domain kinds must train identically."""
    from repgeom.models.gdln import image_routing as routing
    xtr, ytr, xte, yte = _toy_images()
    perm = routing.make_domains(3, 12, 3, seed=1)
    as_rot = routing.Domains(None, perm.labels, torch.eye(12, dtype=D)[perm.pixels])
    torch.testing.assert_close(as_rot.views(xtr), perm.views(xtr), rtol=0, atol=1e-15)
    trained = gdln.trained_routes(3, 2)[None]
    kw = dict(sigma0=torch.tensor([0.5], dtype=D), lr=torch.tensor([0.3], dtype=D), hidden=6, epochs=15, seed=2,
              n_classes=3)
    a = routing.train_image_routing(xtr, ytr, xte, yte, perm, trained, **kw)
    b = routing.train_image_routing(xtr, ytr, xte, yte, as_rot, trained, **kw)
    torch.testing.assert_close(a.loss, b.loss, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(a.test_error, b.test_error)


def test_domains_need_exactly_one_input_transformation():
    from repgeom.models.gdln import image_routing as routing
    labels = torch.stack([torch.arange(3)] * 2)
    with pytest.raises(ValueError, match="exactly one"):
        routing.Domains(None, labels)
    with pytest.raises(ValueError, match="exactly one"):
        routing.Domains(torch.zeros(2, 4, dtype=torch.long), labels, torch.eye(4).expand(2, 4, 4))
    with pytest.raises(ValueError, match="rotations must be"):
        routing.Domains(None, labels, torch.eye(4).expand(3, 4, 4))
    with pytest.raises(ValueError, match="dim"):
        routing.make_rotation_domains(2, 0, 3, seed=0)


def test_diverging_training_is_reported_with_its_epoch():
    spec = gdln.routing(3, hidden=6)
    with pytest.raises(FloatingPointError, match="non-finite at epoch .*learning rate"):
        gdln.train(spec, gdln.init_random(spec, [5], 0.5), 1e3, 20)


def test_to_moves_tensors_and_keeps_the_structure():
    spec = gdln.routing(3, hidden=6)
    moved = spec.to("cpu", torch.float32)
    assert moved.gates.dtype == moved.x.dtype == moved.y.dtype == torch.float32
    assert moved.paths.dtype == torch.long and torch.equal(moved.paths, spec.paths)
    assert moved.widths == spec.widths and moved.edges == spec.edges and moved.task_names == spec.task_names
    torch.testing.assert_close(moved.y.double(), spec.y.double())
    assert spec.x.dtype == D, "the original is left as it was"


def test_route_error_means_against_masked_means():
    from repgeom.models.gdln import image_routing as routing
    errors = torch.rand(3, 4, 4, generator=torch.Generator().manual_seed(0))
    trained = torch.stack([gdln.trained_routes(4, k) for k in (1, 2, 4)])
    on, off = routing.route_error_means(errors, trained)
    for c in range(3):
        assert on[c].item() == pytest.approx(errors[c][trained[c]].double().mean().item(), abs=1e-12)
    assert off[0].item() == pytest.approx(errors[0][~trained[0]].double().mean().item(), abs=1e-12)
    assert torch.isnan(off[2]), "no untrained route: NaN"
    with pytest.raises(ValueError, match="bool"):
        routing.route_error_means(errors, trained.float())
