"""Tests of repgeom.measures.subspace against scipy, closed forms and invariances."""
import math

import numpy as np
import pytest
import scipy.linalg
import torch
import torchvision
from torch import nn

from repgeom.measures import subspace as ss


def _scipy_angles(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    return np.sort(scipy.linalg.subspace_angles(a.numpy(), b.numpy()))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(30, 5, 7), (12, 12, 3), (50, 20, 20)])
def test_random_matches_scipy(dtype, shape):
    n, p, q = shape
    g = torch.Generator().manual_seed(n + p + q)
    a = torch.randn(n, p, generator=g, dtype=dtype)
    b = torch.randn(n, q, generator=g, dtype=dtype)
    ours = ss.principal_angles(a, b)
    assert ours.dtype == torch.float64 and ours.shape == (min(p, q),)
    assert torch.all(ours[1:] >= ours[:-1])  # ascending
    ref = _scipy_angles(a.double(), b.double())
    np.testing.assert_allclose(ours.numpy(), ref, atol=1e-10)
    if dtype == torch.float32:  # scipy in float32 itself: agreement within its precision
        np.testing.assert_allclose(ours.numpy(), _scipy_angles(a, b), atol=2e-3)


def test_nearly_parallel_is_accurate():
    # closed form: span(e1) vs span(cos t e1 + sin t e2) has angle t exactly
    for t in (1e-12, 1e-9, 1e-6, 0.3):
        a = torch.zeros(5, 1, dtype=torch.float64)
        a[0, 0] = 1
        b = torch.zeros(5, 1, dtype=torch.float64)
        b[0, 0], b[1, 0] = math.cos(t), math.sin(t)
        ang = ss.principal_angles(a, b)
        assert ang.shape == (1,)
        assert abs(float(ang[0]) - t) <= 1e-6 * t + 1e-15
    g = torch.Generator().manual_seed(1)
    a = torch.randn(40, 6, generator=g, dtype=torch.float64)
    b = a + 1e-9 * torch.randn(40, 6, generator=g, dtype=torch.float64)
    ours = ss.principal_angles(a, b).numpy()
    ref = _scipy_angles(a, b)
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-16)
    assert ours.max() < 1e-7 and ours.min() > 0  # a cosine-only method would return zeros here


def test_orthogonal_and_identical():
    eye = torch.eye(8, dtype=torch.float64)
    ang = ss.principal_angles(eye[:, :3], eye[:, 3:6])
    np.testing.assert_allclose(ang.numpy(), np.full(3, np.pi / 2), atol=1e-14)
    ang = ss.principal_angles(eye[:, :4], eye[:, :4] @ torch.randn(4, 4, generator=torch.Generator().manual_seed(0),
                                                                     dtype=torch.float64))
    np.testing.assert_allclose(ang.numpy(), np.zeros(4), atol=1e-7)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_rank_deficient_matches_scipy(dtype):
    g = torch.Generator().manual_seed(3)
    a = torch.randn(20, 6, generator=g, dtype=dtype)
    a[:, 5] = a[:, 0]  # rank 5
    a[:, 4] = 0  # rank 4
    b = torch.randn(20, 7, generator=g, dtype=dtype)
    ours = ss.principal_angles(a, b)
    assert ours.shape == (4,)
    np.testing.assert_allclose(ours.numpy(), _scipy_angles(a.double(), b.double()), atol=1e-8)


def test_batched_broadcast_matches_loop():
    g = torch.Generator().manual_seed(4)
    a = torch.randn(2, 1, 15, 4, generator=g, dtype=torch.float64)
    b = torch.randn(3, 15, 6, generator=g, dtype=torch.float64)
    out = ss.principal_angles(a, b)
    assert out.shape == (2, 3, 4)
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(out[i, j].numpy(), _scipy_angles(a[i, 0], b[j]), atol=1e-10)


def test_invariances():
    g = torch.Generator().manual_seed(5)
    a = torch.randn(25, 5, generator=g, dtype=torch.float64)
    b = torch.randn(25, 8, generator=g, dtype=torch.float64)
    base = ss.principal_angles(a, b)
    q, _ = torch.linalg.qr(torch.randn(25, 25, generator=g, dtype=torch.float64))
    np.testing.assert_allclose(ss.principal_angles(q @ a, q @ b).numpy(), base.numpy(), atol=1e-10)  # rotation
    mix = torch.randn(5, 5, generator=g, dtype=torch.float64)
    np.testing.assert_allclose(ss.principal_angles(a @ mix, b).numpy(), base.numpy(), atol=1e-8)  # basis change
    np.testing.assert_allclose(ss.principal_angles(b, a).numpy(), base.numpy(), atol=1e-10)  # symmetry
    qa, _ = torch.linalg.qr(a)
    qb, _ = torch.linalg.qr(b)
    np.testing.assert_allclose(ss.principal_angles(qa, qb, orthonormal=True).numpy(), base.numpy(), atol=1e-10)


def test_bad_inputs():
    a = torch.randn(10, 3)
    with pytest.raises(ValueError, match="same number of rows"):
        ss.principal_angles(a, torch.randn(9, 3))
    with pytest.raises(ValueError, match="NaN"):
        ss.principal_angles(a, torch.full((10, 2), float("nan")))
    with pytest.raises(ValueError, match="rank 0"):
        ss.principal_angles(a, torch.zeros(10, 2))
    with pytest.raises(ValueError, match="floating"):
        ss.principal_angles(a, torch.ones(10, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="at least 2"):
        ss.principal_angles(torch.randn(10), a)
    with pytest.raises(ValueError, match="broadcast"):
        ss.principal_angles(torch.randn(2, 10, 3), torch.randn(3, 10, 3))
    with pytest.raises(ValueError, match="different ranks"):
        b = torch.randn(2, 10, 3)
        b[1, :, 2] = 0
        ss.principal_angles(b, a)


def _resnet_convs():
    torch.manual_seed(0)
    model = torchvision.models.resnet50(num_classes=10).eval()
    return {name: m for name, m in model.named_modules() if isinstance(m, nn.Conv2d)}


@pytest.mark.parametrize("name", ["conv1", "layer1.0.conv2", "layer2.0.conv2", "layer2.0.downsample.0",
                                  "layer3.1.conv1"])
def test_conv_as_matrix_product_on_resnet_layers(name):
    conv = _resnet_convs()[name]
    g = torch.Generator().manual_seed(6)
    x = torch.randn(2, conv.in_channels, 17, 19, generator=g)
    ref = conv(x)
    w = ss.conv_weight_matrix(conv)
    cols = ss.unfold_input(x, conv)
    assert w.shape == (conv.out_channels, conv.in_channels * conv.kernel_size[0] * conv.kernel_size[1])
    out = (w @ cols).reshape(ref.shape)
    torch.testing.assert_close(out, ref, atol=1e-4, rtol=1e-4)
    single = ss.unfold_input(x[0], conv)
    torch.testing.assert_close(single, cols[0])


def test_conv_with_bias_and_dilation():
    torch.manual_seed(1)
    conv = nn.Conv2d(3, 5, (3, 2), stride=(2, 1), padding=(1, 2), dilation=(2, 1), bias=True)
    x = torch.randn(1, 3, 11, 9)
    out = ss.conv_weight_matrix(conv) @ ss.unfold_input(x, conv) + conv.bias.detach()[:, None]
    torch.testing.assert_close(out.reshape(conv(x).shape), conv(x), atol=1e-5, rtol=1e-5)


def test_channel_matrix_right_space():
    torch.manual_seed(2)
    conv1 = nn.Conv2d(6, 4, 1, bias=False)
    np.testing.assert_array_equal(ss.conv_channel_matrix(conv1).numpy(), ss.conv_weight_matrix(conv1).numpy())
    conv3 = nn.Conv2d(6, 4, 3, bias=False)
    m = ss.conv_channel_matrix(conv3)
    assert m.shape == (36, 6)
    # every row is one output channel's weights at one kernel position
    np.testing.assert_array_equal(m[1].numpy(), conv3.weight.detach()[0, :, 0, 1].numpy())


def test_conv_bad_inputs():
    with pytest.raises(ValueError, match="groups"):
        ss.conv_weight_matrix(nn.Conv2d(4, 4, 3, groups=2))
    with pytest.raises(ValueError, match="Conv2d"):
        ss.conv_weight_matrix(nn.Linear(3, 3))
    with pytest.raises(ValueError, match="padding"):
        ss.unfold_input(torch.randn(1, 3, 5, 5), nn.Conv2d(3, 3, 3, padding="same"))
    with pytest.raises(ValueError, match="channels"):
        ss.unfold_input(torch.randn(1, 4, 5, 5), nn.Conv2d(3, 3, 3))
    with pytest.raises(ValueError, match="Inf"):
        ss.unfold_input(torch.full((1, 3, 5, 5), float("inf")), nn.Conv2d(3, 3, 3))


def test_singular_spaces_and_explained_variance():
    g = torch.Generator().manual_seed(7)
    m = torch.randn(3, 8, 5, generator=g, dtype=torch.float64)
    u, s, v = ss.singular_spaces(m)
    assert u.shape == (3, 8, 5) and s.shape == (3, 5) and v.shape == (3, 5, 5)
    torch.testing.assert_close(u @ torch.diag_embed(s) @ v.transpose(-1, -2), m)
    ref = np.linalg.svd(m[0].numpy(), compute_uv=False)
    np.testing.assert_allclose(ss.explained_variance(s, 2)[0].item(), (ref[:2] ** 2).sum() / (ref ** 2).sum())
    np.testing.assert_allclose(ss.explained_variance(s, 5).numpy(), np.ones(3))
    with pytest.raises(ValueError, match="k must"):
        ss.explained_variance(s, 6)
    with pytest.raises(ValueError, match="all zeros"):
        ss.explained_variance(torch.zeros(3), 1)


def test_choose_subspace_size_first_all_above_matches_downward_scan():
    # R^10: two 8-dim subspaces share >= 6 dimensions, so small sizes are needed
    for seed in range(5):
        g = torch.Generator().manual_seed(seed)
        qs = [torch.linalg.qr(torch.randn(10, 8, generator=g, dtype=torch.float64))[0] for _ in range(4)]
        pairs = [(qs[0], qs[1]), (qs[2], qs[3])]
        choice = ss.choose_subspace_size(pairs, min_angle_deg=0.1, min_fraction=0.5, rule="first-all-above")
        scan = None
        for k in range(8, 3, -1):  # every size from the full one down to half
            angs = [np.sort(scipy.linalg.subspace_angles(u[:, :k].numpy(), v[:, :k].numpy())) for u, v in pairs]
            if all(a.min() > np.radians(0.1) for a in angs):
                scan = k
                break
        assert choice.full == 8
        if scan is None:
            assert choice.k == 4 and not choice.clean
        else:
            assert choice.k == scan and choice.clean
    # identical subspaces: no size is clean; every angle is dropped
    q = torch.linalg.qr(torch.randn(10, 6, dtype=torch.float64))[0]
    choice = ss.choose_subspace_size([(q, q)], rule="first-all-above")
    assert choice.k == 3 and not choice.clean
    assert ss.kept_angles(q, q, choice.k).numel() == 0


def _released_brute_force(pairs_np, thr_deg=0.1):
    """The released notebooks' size search, transcribed directly (numpy grids, scipy angles).

    Returns (size, kept angles in degrees per pair).
    """
    m = min(min(u.shape[1], v.shape[1]) for u, v in pairs_np)
    pairs_np = [(u[:, :m], v[:, :m]) for u, v in pairs_np]
    step = 50 if m > 200 else 30 if m > 100 else 20
    for cols in np.arange(m, np.ceil(m / 2), -step).astype(int):
        angs = [np.degrees(scipy.linalg.subspace_angles(u[:, :cols], v[:, :cols])) for u, v in pairs_np]
        if all(np.all(a > thr_deg) for a in angs):
            return int(cols), angs
    best, best_angs, max_count = None, None, 0
    for cols in np.arange(m, max(1, m // 2), -max(1, m // 20)).astype(int):
        angs = [np.degrees(scipy.linalg.subspace_angles(u[:, :cols], v[:, :cols])) for u, v in pairs_np]
        count = sum(int(np.sum(a > thr_deg)) for a in angs)
        if count > max_count:
            max_count, best, best_angs = count, int(cols), [a[a > thr_deg] for a in angs]
    return best, best_angs


def _basis(g, n, p, shared=None):
    """Orthonormal (n, p) basis; ``shared`` (n, s) columns first when given (exact common directions)."""
    a = torch.randn(n, p, generator=g, dtype=torch.float64)
    if shared is not None:
        a[:, :shared.shape[1]] = shared
    return torch.linalg.qr(a)[0]


def test_choose_subspace_size_released_matches_brute_force():
    branches = set()
    for seed in range(12):
        g = torch.Generator().manual_seed(seed)
        m = int(torch.randint(8, 70, (1,), generator=g))
        n = int(torch.randint(m + 2, 2 * m + 12, (1,), generator=g))
        # some pairs share exact directions (angles of 0), as a layer and the next can
        s = int(torch.randint(0, 4, (1,), generator=g))
        shared = torch.randn(n, s, generator=g, dtype=torch.float64) if s else None
        pairs = [(_basis(g, n, m + int(torch.randint(0, 3, (1,), generator=g)), shared), _basis(g, n, m, shared))
                 for _ in range(2)]
        choice = ss.choose_subspace_size(pairs, min_angle_deg=0.1, min_fraction=0.5, rule="released")
        k_ref, angs_ref = _released_brute_force([(u.numpy(), v.numpy()) for u, v in pairs])
        primary, _ = ss.released_size_grids(choice.full)
        branches.add("primary" if k_ref in primary and choice.clean else "secondary")
        if k_ref is None:  # no angle above the threshold at any size: the full size, unclean
            assert choice.k == choice.full and not choice.clean
            continue
        assert choice.k == k_ref, (seed, m, n, s)
        for (u, v), ref in zip(pairs, angs_ref):
            ours = torch.rad2deg(ss.kept_angles(u, v, choice.k)).numpy()
            np.testing.assert_allclose(np.sort(ours), np.sort(ref), atol=1e-8)
        assert choice.clean == all(np.all(a > 0.1) and a.size == choice.k for a in angs_ref)
    assert branches == {"primary", "secondary"}  # both grids were exercised


def test_choose_subspace_size_released_batched_and_edge_cases():
    g = torch.Generator().manual_seed(3)
    # a batch of 3 "images": each batch element counts as a pair
    u = torch.linalg.qr(torch.randn(3, 40, 30, generator=g, dtype=torch.float64))[0]
    v = torch.linalg.qr(torch.randn(40, 30, generator=g, dtype=torch.float64))[0]
    choice = ss.choose_subspace_size([(u, v)], rule="released")
    k_ref, _ = _released_brute_force([(u[i].numpy(), v.numpy()) for i in range(3)])
    assert choice.k == k_ref
    # identical subspaces: nothing above the threshold anywhere, the full size, every angle dropped
    q = torch.linalg.qr(torch.randn(10, 6, generator=g, dtype=torch.float64))[0]
    choice = ss.choose_subspace_size([(q, q)])
    assert (choice.k, choice.full, choice.clean) == (6, 6, False)
    assert ss.kept_angles(q, q, choice.k).numel() == 0
    # one-dimensional spaces: both grids are empty, the single size is kept
    e = torch.eye(3, dtype=torch.float64)
    assert ss.choose_subspace_size([(e[:, :1], e[:, 1:2])]) == ss.SubspaceSize(1, 1, True)
    # the grids themselves, as the released notebooks write them
    assert ss.released_size_grids(64) == ([64, 44], list(range(64, 32, -3)))
    assert ss.released_size_grids(128)[0] == [128, 98, 68] and ss.released_size_grids(128)[1][-1] == 68
    assert ss.released_size_grids(512)[0] == [512, 462, 412, 362, 312, 262]
    assert ss.released_size_grids(7) == ([7], [7, 6, 5, 4])
    for bad in ({"rule": "bisection"}, {"min_fraction": 0}, {"min_angle_deg": -1.0}, {"min_angle_deg": float("nan")}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            ss.choose_subspace_size([(q, q)], **bad)
    with pytest.raises(ValueError, match="pairs"):
        ss.choose_subspace_size([])
    with pytest.raises(ValueError, match="ambient"):
        ss.choose_subspace_size([(q, e)])
    with pytest.raises(ValueError, match="full"):
        ss.released_size_grids(0)


def test_random_subspace_baseline():
    # k = 1 in R^2: the angle is uniform on [0, pi/2] (closed form mean pi/4)
    ang = ss.random_subspace_angles(2, 1, draws=4000, seed=0)
    assert ang.shape == (4000, 1)
    assert abs(float(ang.mean()) - math.pi / 4) < 0.03
    # k = 1 in R^n: cos^2 ~ Beta(1/2, (n-1)/2); compare the mean of cos^2 = 1/n
    ang = ss.random_subspace_angles(20, 1, draws=4000, seed=1)
    assert abs(float(torch.cos(ang).square().mean()) - 1 / 20) < 0.006
    a = ss.random_subspace_angles(30, 5, draws=3, seed=2)
    torch.testing.assert_close(a, ss.random_subspace_angles(30, 5, draws=3, seed=2))  # reproducible
    with pytest.raises(ValueError, match="k must be <= n"):
        ss.random_subspace_angles(3, 4)


@pytest.mark.parametrize("shape", [(16, 90), (90, 16), (3, 12, 12)])
def test_singular_spaces_gram_matches_numpy(shape):
    g = torch.Generator().manual_seed(8)
    m = torch.randn(*shape, generator=g)
    u, s, v = ss.singular_spaces(m, method="gram")
    assert u.dtype == torch.float64
    ref_u, ref_s, ref_vt = np.linalg.svd(m.double().numpy(), full_matrices=False)
    np.testing.assert_allclose(s.numpy(), ref_s, rtol=1e-10)
    torch.testing.assert_close(u @ torch.diag_embed(s) @ v.transpose(-1, -2), m.double())
    k = shape[-1] // 2 if shape[-1] < shape[-2] else shape[-2] // 2
    # same leading subspaces as LAPACK (projectors agree; vectors may differ in sign)
    for ours, ref in ((u.numpy()[..., :k], ref_u[..., :k]), (v.numpy()[..., :k], np.swapaxes(ref_vt, -1, -2)[..., :k])):
        np.testing.assert_allclose(ours @ np.swapaxes(ours, -1, -2), ref @ np.swapaxes(ref, -1, -2), atol=1e-8)
    # rank deficient: falls back to the SVD, still a valid factorisation
    d = m.double().clone()
    d[..., 0, :] = 0
    u, s, v = ss.singular_spaces(d, method="gram")
    torch.testing.assert_close(u @ torch.diag_embed(s) @ v.transpose(-1, -2), d)
    with pytest.raises(ValueError, match="method"):
        ss.singular_spaces(m, method="qr")
