"""Ensemble training: vmap equals one-at-a-time training for the same seeds."""
import pytest
import torch
from torch import nn

from repgeom.models.convnets import ConvNet, KeyedDropout, ResNet18, set_dropout_keys
from repgeom.models.ensemble import train_ensemble


def _data(n=24, side=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, side, side, generator=g), torch.randint(0, 4, (n,), generator=g)


def _shift_flip(xb, gen):
    flip = torch.rand(xb.shape[0], generator=gen) < 0.5
    xb = torch.where(flip[:, None, None, None], xb.flip(-1), xb)
    dx = int(torch.randint(-2, 3, (1,), generator=gen))
    return torch.roll(xb, dx, dims=-1)


@pytest.mark.parametrize("arch", ["convnet", "resnet"])
def test_vmap_matches_loop(arch):
    # float64, so that RMSprop/Adam's normalisation of near-zero gradients does
    # not amplify float32 rounding differences between the batched kernels
    x, y = _data()
    x = x.double()
    if arch == "convnet":
        make, opt = (lambda: ConvNet(4, image_size=16).double()), (lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9))
        aug = None
    else:
        make, opt = (lambda: ResNet18(4, width=2).double()), (lambda p: torch.optim.Adam(p, lr=1e-3))
        aug = _shift_flip
    kw = dict(epochs=2, batch_size=8, make_optimizer=opt, augment=aug, device="cpu", snapshot_epochs=(0, 1, 2))
    a = train_ensemble(make, [3, 4, 5], x, y, strategy="loop", **kw)
    b = train_ensemble(make, [3, 4, 5], x, y, strategy="vmap", **kw)
    assert a.strategy == "loop" and b.strategy == "vmap"
    torch.testing.assert_close(a.losses, b.losses, atol=1e-10, rtol=1e-10)
    for ma, mb in zip(a.models, b.models):
        for (k, va), vb in zip(ma.state_dict().items(), mb.state_dict().values()):
            torch.testing.assert_close(va, vb, atol=1e-9, rtol=1e-9, msg=k)
    for e in (0, 1, 2):
        torch.testing.assert_close(a.snapshots[e][1], b.snapshots[e][1], atol=1e-9, rtol=1e-9)
    # networks differ from each other, and training changed them
    w = [m.state_dict() for m in a.models]
    first = next(iter(w[0]))
    assert not torch.allclose(w[0][first], w[1][first])
    assert not torch.allclose(a.snapshots[0][0][first], w[0][first])


def test_reproducible_and_cache(tmp_path):
    x, y = _data(seed=1)
    kw = dict(epochs=1, batch_size=8, make_optimizer=lambda p: torch.optim.SGD(p, lr=0.1),
              device="cpu", strategy="loop", cache=tmp_path / "ens.pt")
    make = lambda: ConvNet(4, image_size=16)  # noqa: E731
    a = train_ensemble(make, [0, 1], x, y, **kw)
    b = train_ensemble(make, [0, 1], x, y, **kw)
    assert b.strategy == "cache"
    kw.pop("cache")
    c = train_ensemble(make, [0, 1], x, y, **kw)
    for ma, mb, mc in zip(a.models, b.models, c.models):
        for va, vb, vc in zip(ma.state_dict().values(), mb.state_dict().values(), mc.state_dict().values()):
            assert torch.equal(va, vb) and torch.equal(va, vc)


@pytest.mark.parametrize("strategy", ["loop", "vmap"])
def test_step_snapshots_are_the_weights_after_that_many_steps(strategy, tmp_path):
    # 24 images in batches of 8: 3 steps per epoch, so step 3 is the end of epoch 1 and step 6 of epoch 2
    x, y = _data()
    make = lambda: ResNet18(4, width=2)  # noqa: E731 - batch norm: buffers are kept too
    kw = dict(epochs=2, batch_size=8, make_optimizer=lambda p: torch.optim.SGD(p, lr=0.05), device="cpu",
              strategy=strategy)
    plain = train_ensemble(make, [5, 6], x, y, snapshot_epochs=(1, 2), **kw)
    stepped = train_ensemble(make, [5, 6], x, y, snapshot_epochs=(1, 2), snapshot_steps=(0, 1, 3, 4, 6),
                             cache=tmp_path / "ens.pt", **kw)
    assert sorted(stepped.step_snapshots) == [0, 1, 3, 4, 6]
    for i in range(2):
        for step, epoch in ((3, 1), (6, 2)):
            assert all(torch.equal(stepped.step_snapshots[step][i][k], v) for k, v in plain.snapshots[epoch][i].items())
        assert not all(torch.equal(stepped.step_snapshots[1][i][k], v) for k, v in plain.snapshots[1][i].items())
        assert not all(torch.equal(stepped.step_snapshots[0][i][k], v)
                       for k, v in stepped.step_snapshots[1][i].items())
        # taking snapshots changes no result
        for a, b in zip(stepped.models[i].state_dict().values(), plain.models[i].state_dict().values()):
            assert torch.equal(a, b)
    again = train_ensemble(make, [5, 6], x, y, snapshot_epochs=(1, 2), snapshot_steps=(0, 1, 3, 4, 6),
                           cache=tmp_path / "ens.pt", **kw)
    assert again.strategy == "cache" and torch.equal(next(iter(again.step_snapshots[4][1].values())),
                                                     next(iter(stepped.step_snapshots[4][1].values())))
    for bad in ((7,), (-1,), (1.5,)):
        with pytest.raises(ValueError, match="snapshot_steps"):
            train_ensemble(make, [5], x, y, snapshot_steps=bad, **kw)


def test_keyed_dropout_rate_and_keys():
    d = KeyedDropout(0.3)
    d.train()
    out = d(torch.ones(200_000))
    assert abs((out == 0).float().mean().item() - 0.3) < 0.01
    assert torch.allclose(out[out != 0], torch.tensor(1 / 0.7))
    m1 = set_dropout_keys(nn.Sequential(KeyedDropout(0.5)), 1).train()
    m2 = set_dropout_keys(nn.Sequential(KeyedDropout(0.5)), 2).train()
    assert not torch.equal(m1(torch.ones(1000)), m2(torch.ones(1000)))
    d.eval()
    assert torch.equal(d(torch.ones(5)), torch.ones(5))
    with pytest.raises(ValueError, match="p must"):
        KeyedDropout(1.0)


def test_bad_inputs():
    x, y = _data()
    kw = dict(epochs=1, batch_size=8, make_optimizer=lambda p: torch.optim.SGD(p, lr=0.1), device="cpu")
    make = lambda: ConvNet(4, image_size=16)  # noqa: E731
    with pytest.raises(ValueError, match="distinct"):
        train_ensemble(make, [1, 1], x, y, **kw)
    with pytest.raises(ValueError, match="same positive number"):
        train_ensemble(make, [1], x, y[:5], **kw)
    with pytest.raises(ValueError, match="strategy"):
        train_ensemble(make, [1], x, y, strategy="threads", **kw)
    with pytest.raises(ValueError, match="snapshot_epochs"):
        train_ensemble(make, [1], x, y, snapshot_epochs=(5,), **kw)
    with pytest.raises(ValueError, match="shape"):
        ConvNet(4, image_size=16)(torch.zeros(2, 1, 16, 16))


def test_collect_activations_and_xor():
    from repgeom.models.convnets import XorNet, collect_activations, xor_clouds
    x, _ = _data(n=10)
    nets = [ConvNet(4, image_size=16), ConvNet(4, image_size=16)]
    acts = collect_activations(nets, x, ("pool1", "dense"), max_units=50, batch_size=4)
    assert acts["pool1"].shape == (2, 10, 50) and acts["dense"].shape == (2, 10, 50)
    full = collect_activations(nets[:1], x, ("dense",))["dense"][0]
    torch.testing.assert_close(full, nets[0].features(x)["dense"])
    with pytest.raises(ValueError, match="not among"):
        collect_activations(nets, x, ("fc9",))
    xs, ys = xor_clouds(50, generator=torch.Generator().manual_seed(0))
    assert xs.shape == (200, 2) and ys.sum().item() == 100
    assert torch.equal((xs[:, 0] * xs[:, 1] < 0).float()[:50], ys[:50])  # first cloud sits at (1, 1)
    assert XorNet(50).features(xs).shape == (200, 50)


def test_shift_flip_is_a_crop_of_the_padded_image():
    from repgeom.models.convnets import shift_flip
    x = torch.arange(2 * 1 * 5 * 5, dtype=torch.float32).view(2, 1, 5, 5)
    out = shift_flip(x, torch.Generator().manual_seed(3), pad=2)
    g = torch.Generator().manual_seed(3)
    flip = torch.rand(2, generator=g) < 0.5
    dy, dx = torch.randint(0, 5, (2,), generator=g), torch.randint(0, 5, (2,), generator=g)
    for i in range(2):
        img = x[i].flip(-1) if flip[i] else x[i]
        ref = torch.nn.functional.pad(img, (2, 2, 2, 2))[:, dy[i]:dy[i] + 5, dx[i]:dx[i] + 5]
        assert torch.equal(out[i], ref)
    assert torch.equal(shift_flip(x, torch.Generator().manual_seed(0), pad=0)[:, :, :, ::1].sum(), x.sum())
