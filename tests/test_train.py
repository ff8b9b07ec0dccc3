import pytest
import torch
from torch import nn

from repgeom import runtime
from repgeom import training as train


def _setup(seed=0):
    runtime.seed_everything(seed)
    model = nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(64, 5, generator=g), torch.randint(0, 3, (64,), generator=g)
    batches = lambda epoch: train.epoch_batches(x, y, 16, seed=seed, epoch=epoch)  # noqa: E731
    return model, opt, batches, x, y


def test_fit_learns():
    model, opt, batches, x, y = _setup()
    before = train.accuracy(model, x, y)
    hist = train.fit(model, batches, nn.functional.cross_entropy, opt, 30,
                     evaluate=lambda m: {"acc": train.accuracy(m, x, y)})
    assert hist.column("loss")[-1] < hist.column("loss")[0]
    assert hist.column("acc")[-1] > before


def test_interrupted_and_resumed_run_equals_uninterrupted(tmp_path):
    model_a, opt_a, batches, *_ = _setup()
    train.fit(model_a, batches, nn.functional.cross_entropy, opt_a, 6)

    ckpt = tmp_path / "run.pt"
    model_b, opt_b, batches, *_ = _setup()
    train.fit(model_b, batches, nn.functional.cross_entropy, opt_b, 3, checkpoint=ckpt)
    torch.manual_seed(999)  # the interruption scrambles the global RNG; resume must restore it
    model_c, opt_c, batches, *_ = _setup(seed=0)
    hist = train.fit(model_c, batches, nn.functional.cross_entropy, opt_c, 6, checkpoint=ckpt)
    assert hist.resumed_from == 3 and len(hist.records) == 6
    for pa, pc in zip(model_a.parameters(), model_c.parameters()):
        assert torch.equal(pa, pc)
    # A finished checkpoint means nothing left to train.
    again = train.fit(model_c, batches, nn.functional.cross_entropy, opt_c, 6, checkpoint=ckpt)
    assert again.resumed_from == 6


def test_epoch_batches_are_a_permutation_fixed_by_seed_and_epoch():
    x, y = torch.arange(10).float(), torch.arange(10)
    a = torch.cat([b for b, _ in train.epoch_batches(x, y, 3, seed=1, epoch=2)])
    b = torch.cat([b for b, _ in train.epoch_batches(x, y, 3, seed=1, epoch=2)])
    c = torch.cat([b for b, _ in train.epoch_batches(x, y, 3, seed=1, epoch=3)])
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert sorted(a.tolist()) == list(range(10))
    with pytest.raises(ValueError, match="same number of samples"):
        next(train.epoch_batches(x, y[:5], 3, seed=0, epoch=0))


def test_diverging_loss_is_reported():
    model, _, batches, *_ = _setup()
    opt = torch.optim.SGD(model.parameters(), lr=1e6)
    with pytest.raises(FloatingPointError, match="learning rate"):
        train.fit(model, batches, lambda out, y: (out ** 2).sum() * 1e30, opt, 5)


def _small_cnn(seed=0):
    runtime.seed_everything(seed)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(48, 3, 12, 12, generator=g), torch.randint(0, 4, (48,), generator=g)
    return model, torch.optim.SGD(model.parameters(), lr=0.05), (lambda e: train.epoch_batches(x, y, 16, seed=0, epoch=e))


def test_channels_last_trains_to_the_same_weights():
    ref, opt, batches = _small_cnn()
    train.fit(ref, batches, nn.functional.cross_entropy, opt, 3)
    cl, opt, batches = _small_cnn()
    train.fit(cl, batches, nn.functional.cross_entropy, opt, 3, channels_last=True)
    assert cl[0].weight.is_contiguous(memory_format=torch.channels_last)
    for a, b in zip(ref.parameters(), cl.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_bfloat16_autocast_runs_the_forward_in_bfloat16_and_keeps_float32_weights():
    seen = []

    def loss_fn(logits, y):
        seen.append(logits.dtype)
        return nn.functional.cross_entropy(logits, y)

    ref, opt, batches = _small_cnn()
    ref_hist = train.fit(ref, batches, nn.functional.cross_entropy, opt, 20)
    model, opt, batches = _small_cnn()
    hist = train.fit(model, batches, loss_fn, opt, 20, autocast=torch.bfloat16)
    assert set(seen) == {torch.bfloat16}
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert hist.column("loss")[-1] < hist.column("loss")[0]
    # bfloat16 keeps 8 bits of mantissa: close to the float32 run, but not equal to it
    first, ref_first = hist.column("loss")[0], ref_hist.column("loss")[0]
    assert first != ref_first and abs(first - ref_first) < 0.05 * ref_first


def test_rejects_float16_autocast():
    model, opt, batches = _small_cnn()
    with pytest.raises(ValueError, match="float16 would need loss scaling"):
        train.fit(model, batches, nn.functional.cross_entropy, opt, 1, autocast=torch.float16)
