"""Batched MLPs: equal to one-at-a-time training, activations in closed form, bad inputs."""
import shutil

import pytest
import torch
from torch import nn

from repgeom.models.batched_mlp import BatchedMLP, activation, bce_loss, train_batched


def test_activations_closed_form():
    x = torch.linspace(-3, 3, 13)
    torch.testing.assert_close(activation("relu_cap:1.5")(x), x.clamp(0, 1.5))
    torch.testing.assert_close(activation("relu_shift:-0.5")(x), torch.relu(x - 0.5))
    torch.testing.assert_close(activation("tanh")(x), torch.tanh(x))
    for bad in ("sigmoid", "relu_cap:0", "relu_cap:abc", 3):
        with pytest.raises(ValueError, match="activation|cap"):
            activation(bad)


def _reference_step(w1: torch.Tensor, ro: torch.Tensor, x, y, act, lr):
    """One SGD step of a plain single-network model written with nn.functional."""
    w = w1.clone().requires_grad_(True)
    logits = act(x @ w) @ ro / ro.shape[0] ** 0.5
    loss = nn.functional.binary_cross_entropy_with_logits(logits, (y > 0).float())
    loss.backward()
    return (w - lr * w.grad).detach(), loss.item()


@pytest.mark.parametrize("optimizer, acts", [
    ("sgd", ["tanh", "relu", "relu_cap:1", "relu_shift:0.3"]),
    ("adam", ["tanh", "relu", "relu_cap:1", "relu_shift:0.3"]),
    ("sgd", ["relu", "tanh", "relu", "tanh"]),          # interleaved: each model keeps its own activation
])
def test_batched_equals_one_at_a_time(optimizer, acts):
    big = BatchedMLP(4, 6, [8], activations=acts, seed=5)
    g = torch.Generator().manual_seed(0)
    xs = torch.randn(3, 4, 10, 6, generator=g)
    ys = torch.sign(torch.randn(3, 4, 10, 1, generator=g))
    train_batched(big, lambda s: (xs[s], ys[s]), 3, 0.1, optimizer=optimizer)
    for i, a in enumerate(acts):
        solo = BatchedMLP(1, 6, [8], activations=a, seed=5 + i)
        torch.testing.assert_close(solo.readout[0], big.readout[i])
        train_batched(solo, lambda s: (xs[s][i:i + 1], ys[s][i:i + 1]), 3, 0.1, optimizer=optimizer)
        torch.testing.assert_close(solo.weights[0][0], big.weights[0][i], atol=1e-6, rtol=1e-5)


def test_sgd_step_matches_reference():
    m = BatchedMLP(1, 5, [6], activations="tanh", seed=2)
    w0 = m.weights[0][0].detach().clone()
    x = torch.randn(1, 7, 5)
    y = torch.sign(torch.randn(1, 7, 1))
    losses = train_batched(m, lambda s: (x, y), 1, 0.2)
    w_ref, loss_ref = _reference_step(w0, m.readout[0], x[0], y[0], torch.tanh, 0.2)
    torch.testing.assert_close(m.weights[0][0], w_ref)
    assert losses[0, 0].item() == pytest.approx(loss_ref, rel=1e-6)


def test_readouts_and_init():
    m = BatchedMLP(3, 400, [100, 50], n_out=2, readout="binary", seed=0)
    assert torch.all(m.readout.abs() == 1) and torch.all(m.readout.sum(1) == 0)
    assert not m.readout.requires_grad
    assert m.weights[0].std().item() == pytest.approx(400 ** -0.5, rel=0.05)
    assert m.weights[1].std().item() == pytest.approx(100 ** -0.5, rel=0.05)
    t = BatchedMLP(2, 4, [6], readout="trainable")
    assert any(p is t.readout for p in t.parameters())
    x = torch.randn(3, 9, 400)
    h = m.hidden(x)
    assert [a.shape for a in h] == [(3, 9, 100), (3, 9, 50)] and m(x).shape == (3, 9, 2)


def test_training_learns_and_is_reproducible():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 40, 10, generator=g)
    y = torch.sign(x[..., :1])

    def run():
        m = BatchedMLP(2, 10, [16], activations=["tanh", "relu"], seed=3)
        return train_batched(m, lambda s: (x, y), 200, 0.5), m
    l1, m1 = run()
    l2, m2 = run()
    torch.testing.assert_close(l1, l2)
    assert torch.all(l1[-1] < 0.5 * l1[0])
    snaps = []
    m = BatchedMLP(2, 10, [16], seed=3)
    train_batched(m, lambda s: (x, y), 4, 0.1, snapshot_at=[0, 2, 4], on_snapshot=lambda s, _: snaps.append(s))
    assert snaps == [0, 2, 4]


@pytest.mark.parametrize(
    "call,word",
    [
        (lambda: BatchedMLP(0, 3, [4]), "n_models"),
        (lambda: BatchedMLP(2, 3, []), "widths"),
        (lambda: BatchedMLP(2, 3, [4], activations=["tanh"]), "activations"),
        (lambda: BatchedMLP(2, 3, [4], readout="free"), "readout"),
        (lambda: BatchedMLP(2, 3, [4])(torch.randn(2, 5, 4)), "x must have shape"),
        (lambda: train_batched(BatchedMLP(1, 2, [2]), lambda s: None, 1, -0.1), "lr"),
        (lambda: train_batched(BatchedMLP(1, 2, [2]), lambda s: None, 1, 0.1, optimizer="rmsprop"), "optimizer"),
        (lambda: train_batched(BatchedMLP(1, 2, [2]), lambda s: None, 1, 0.1, snapshot_at=[5]), "snapshot_at"),
        (lambda: bce_loss(torch.zeros(1, 2, 1), torch.zeros(1, 3, 1)), "same shape"),
    ],
)
def test_bad_inputs(call, word):
    with pytest.raises(ValueError, match=word):
        call()


def test_expected_gradient_field_linear_and_relu_closed_form():
    from repgeom.models.batched_mlp import expected_gradient_field
    x = torch.eye(4, 6) * 2.0
    y = torch.tensor([1.0, 1.0, -1.0, -1.0])
    inter = (x[0] + x[1] - x[2] - x[3]) / 4.0
    intra = (x[0] - x[1]) / (2 * 2.0 ** 0.5)
    axes = torch.stack([inter, intra])
    grid = torch.tensor([[0.3, 0.0], [1.0, 2.0]])
    # linear: Σ y_i x_i projected, independent of w: only the inter-class axis moves
    lin = expected_gradient_field(x, y, "linear", axes, grid)
    torch.testing.assert_close(lin, torch.tensor([[4.0, 0.0], [4.0, 0.0]], dtype=torch.float64))
    # relu at w = inter + 2 intra: active for x1 (w·x1 = 1+2√2·... > 0) and x2? w·x2 = 1 - 2√2 < 0
    relu = expected_gradient_field(x, y, "relu", axes, grid[1:])
    w = grid[1] @ axes
    active = (x @ w > 0).double()
    ref = ((active * y.double()) @ x.double()) @ axes.double().T
    torch.testing.assert_close(relu[0], ref)
    with pytest.raises(ValueError, match="axes"):
        expected_gradient_field(x, y, "relu", axes[:, :3], grid)


def test_diverging_training_is_reported_with_its_step():
    m = BatchedMLP(2, 5, [6], activations="relu", seed=2)
    x = torch.randn(2, 7, 5) * 1e20
    y = torch.sign(torch.randn(2, 7, 1))
    with pytest.raises(FloatingPointError, match="non-finite at step .*learning rate"):
        train_batched(m, lambda s: (x, y), 5, 1e30)


@pytest.mark.skipif(shutil.which("g++") is None and shutil.which("c++") is None,
                    reason="torch.compile needs a C++ compiler on the CPU")
def test_compiled_training_follows_the_eager_one():
    acts = ["tanh", "relu", "relu_cap:1", "tanh"]
    g = torch.Generator().manual_seed(0)
    xs = torch.randn(5, 4, 10, 6, generator=g)
    ys = torch.sign(torch.randn(5, 4, 10, 1, generator=g))
    eager, compiled = (BatchedMLP(4, 6, [8, 8], activations=acts, seed=5) for _ in range(2))
    lost = train_batched(eager, lambda s: (xs[s % 2], ys[s % 2]), 6, 0.05, optimizer="adam")
    lost_c = train_batched(compiled, lambda s: (xs[s % 2], ys[s % 2]), 6, 0.05, optimizer="adam", compile=True)
    torch.testing.assert_close(lost_c, lost, atol=1e-5, rtol=1e-5)
    for w, w_c in zip(eager.weights, compiled.weights):
        torch.testing.assert_close(w_c, w, atol=1e-5, rtol=1e-5)
    assert lost[-2:].sum() < lost[:2].sum()   # it trained, so the comparison is not of two initial states
