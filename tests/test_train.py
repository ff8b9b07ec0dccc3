import pytest
import torch
from torch import nn

from repgeom import runtime, train


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
