"""Training many small networks at once against training them one after another.

Peers: the standard PyTorch loop a researcher writes for an ensemble, one
network after another, each with its own ``torch.optim`` optimiser and a for
loop over shuffled mini-batches (index slices of tensors already in memory,
which is faster than a ``DataLoader``), on the same device as ours. Both sides
see the same data and take the same number of optimiser steps.

* ``ensemble.train_ensemble``: the shared-geometry chapter's ConvNets (10
  networks, RMSprop, batch 32). ``"auto"`` trains them one at a time on a CPU
  and as one ``vmap``-ed program on a GPU; the other strategy is timed too.
  Ours uses keyed dropout (masks that make both strategies agree), the peer
  ``nn.Dropout``. Quick: 1 epoch of 256 random 16 x 16 images (the quick
  chapter runs 2 epochs of 300); full: 1 epoch of 50,000 32 x 32 images, a
  fiftieth of the chapter's run (the time per epoch does not change).
* ``batched_mlp.train_batched``: the task-structure chapter's one-hidden-layer
  MLPs on four random clusters (half tanh, half ReLU, plain SGD), every model
  in one ``bmm``. The peer trains one ``nn.Linear`` network per model from the
  same initial weights on the same batches; both are checked to end with the
  same weights. Quick: 10 models, 30-d inputs, width 32, 300 steps of 40
  samples; full: 40 models, 100-d, width 120, 4000 steps of 200 samples.
* ``train_batched(..., compile=True)`` against the same eager ``train_batched``:
  what ``torch.compile`` gains on the task-structure chapter's deep MLPs (three
  hidden layers, Adam). Quick: 20 models, 3 x 32 units, 300 steps; full: 40
  models, 3 x 120 units, 1000 steps of 200 samples. The agreement check, which
  compiles, is not timed.
* ``train.fit(..., autocast=torch.bfloat16, channels_last=True)`` against the
  same ``train.fit`` in float32 (how the chapters train), on the
  communication-subspaces chapter's ResNet-18 recipe (Adam, 1e-3; full: 64 px
  images in batches of 256, quick: 32 px in batches of 32), on CUDA only:
  mixed precision is a GPU tensor-core feature and not what one runs on a CPU.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
import torchvision
from harness import Row, compare  # bench/run.py puts bench/ on the path
from torch import nn

from repgeom import training as train
from repgeom.book.benchmarks import EAGER_PEER, FLOAT32_PEER
from repgeom.data import tasks
from repgeom.models.batched_mlp import BatchedMLP, activation, train_batched
from repgeom.models.convnets import ConvNet, KeyedDropout
from repgeom.models.ensemble import choose_strategy, train_ensemble

Batch = tuple[torch.Tensor, torch.Tensor]


def _plain_dropout(model: nn.Module) -> nn.Module:
    """Swap every keyed dropout for ``nn.Dropout`` of the same rate."""
    for name, child in model.named_children():
        if isinstance(child, KeyedDropout):
            setattr(model, name, nn.Dropout(child.p))
        else:
            _plain_dropout(child)
    return model


def torch_loop_ensemble(make_model: Callable[[], nn.Module], seeds: Sequence[int], x: torch.Tensor,
                        y: torch.Tensor, epochs: int, batch_size: int,
                        make_optimizer: Callable[[object], torch.optim.Optimizer],
                        device: torch.device) -> list[nn.Module]:
    """One network per seed, trained one after another with cross-entropy."""
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        model = _plain_dropout(make_model()).to(device).train()
        opt = make_optimizer(model.parameters())
        for epoch in range(epochs):
            order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed * 1000 + epoch))
            for idx in order.split(batch_size):
                opt.zero_grad(set_to_none=True)
                F.cross_entropy(model(x[idx].to(device)), y[idx].to(device)).backward()
                opt.step()
        models.append(model.eval())
    return models


def _convnet_rows(n_images: int, image_size: int, epochs: int, device: torch.device, reps: int) -> list[Row]:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n_images, 3, image_size, image_size, generator=g)
    y = torch.randint(0, 10, (n_images,), generator=g)
    seeds = list(range(10))
    recipe = dict(epochs=epochs, batch_size=32,
                  make_optimizer=lambda p: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-7))

    def make() -> nn.Module:
        return ConvNet(10, image_size=image_size)

    def peer() -> list[nn.Module]:
        return torch_loop_ensemble(make, seeds, x, y, device=device, **recipe)

    def ours(strategy: str) -> Callable[[], object]:
        return lambda: train_ensemble(make, seeds, x, y, **recipe, strategy=strategy, device=device)

    size = f"10 ConvNets, {epochs} ep x {n_images} imgs {image_size}px"
    auto = choose_strategy(device)
    return [compare(f"train_ensemble ({strategy})", size, ours(strategy), "torch loop, one net at a time",
                    peer, device=device, reps=reps, warmup=1, peer_device=str(device))
            for strategy in (auto, "vmap" if auto == "loop" else "loop")]


class _PlainMLP(nn.Module):
    """One bias-free MLP ``f(x W1) R / sqrt(width)`` with a frozen readout, in plain ``nn`` modules."""

    def __init__(self, w1: torch.Tensor, readout: torch.Tensor, act: str) -> None:
        super().__init__()
        self.hidden = nn.Linear(w1.shape[0], w1.shape[1], bias=False, device=w1.device)
        with torch.no_grad():
            self.hidden.weight.copy_(w1.T)
        self.register_buffer("readout", readout / math.sqrt(w1.shape[1]))
        self.act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.hidden(x)) @ self.readout


def torch_loop_mlps(init: BatchedMLP, batches: Sequence[Batch], steps: int, lr: float) -> list[_PlainMLP]:
    """Each model of ``init`` trained alone with ``torch.optim.SGD`` on its slice of every batch."""
    nets = []
    for i, act in enumerate(init.act_names):
        net = _PlainMLP(init.weights[0][i].detach(), init.readout[i], act)
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        for step in range(steps):
            x, y = batches[step % len(batches)]
            opt.zero_grad(set_to_none=True)
            F.binary_cross_entropy_with_logits(net(x[i]), (y[i] > 0).to(x.dtype)).backward()
            opt.step()
        nets.append(net)
    return nets


def _mlp_problem(n_models: int, dim: int, per_cluster: int, device: torch.device) -> tuple[list[Batch], list[str]]:
    """20 seeded batches of the four-cluster task, one task per model, and half tanh, half ReLU models."""
    task = tasks.random_clusters(dim, n_tasks=n_models, seed=11)
    g = torch.Generator().manual_seed(0)
    batches = [tuple(t.to(device) for t in tasks.sample(task, per_cluster, 1.0, g)[:2]) for _ in range(20)]
    return batches, ["tanh"] * (n_models // 2) + ["relu"] * (n_models - n_models // 2)


def _mlp_row(n_models: int, dim: int, width: int, steps: int, per_cluster: int, device: torch.device,
             reps: int) -> Row:
    batches, acts = _mlp_problem(n_models, dim, per_cluster, device)
    lr = 0.1

    def ours() -> BatchedMLP:
        model = BatchedMLP(n_models, dim, [width], activations=acts, seed=17, device=device)
        train_batched(model, lambda s: batches[s % len(batches)], steps, lr, desc="bench")
        return model

    init = BatchedMLP(n_models, dim, [width], activations=acts, seed=17, device=device)
    trained, nets = ours().weights[0].detach(), torch_loop_mlps(init, batches, steps, lr)
    torch.testing.assert_close(trained, torch.stack([n.hidden.weight.detach().T for n in nets]),
                               rtol=1e-4, atol=1e-5)
    size = f"{n_models} MLPs {dim}-{width}, {steps} steps x {4 * per_cluster}"
    return compare("train_batched (MLPs)", size, ours, "torch loop, SGD per model",
                   lambda: torch_loop_mlps(init, batches, steps, lr), device=device, reps=reps, warmup=0,
                   peer_device=str(device))


def compile_row(n_models: int, dim: int, widths: list[int], steps: int, per_cluster: int, device: torch.device,
                reps: int) -> Row:
    """``train_batched(..., compile=True)`` against the same eager training (Adam, as the deep sweep of
    the task-structure chapter). The agreement check compiles; the timed calls reuse the compiled code."""
    batches, acts = _mlp_problem(n_models, dim, per_cluster, device)

    def fit(compiled: bool) -> Callable[[], object]:
        def go() -> torch.Tensor:
            model = BatchedMLP(n_models, dim, widths, activations=acts, seed=17, device=device)
            return train_batched(model, lambda s: batches[s % len(batches)], steps, 1e-3, optimizer="adam",
                                 desc="bench", compile=compiled)
        return go

    torch.testing.assert_close(fit(True)(), fit(False)(), rtol=1e-4, atol=1e-5)   # also compiles: the warm-up
    size = f"{n_models} MLPs {dim}-{'-'.join(map(str, widths))}, {steps} Adam steps x {4 * per_cluster}"
    return compare("train_batched (torch.compile)", size, fit(True), EAGER_PEER, fit(False),
                   device=device, reps=reps, warmup=0, peer_device=str(device))


def mixed_precision_row(n_images: int, image_size: int, batch_size: int, device: torch.device, reps: int) -> Row:
    """One epoch of ResNet-18 training, bfloat16 autocast + channels-last against float32."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n_images, 3, image_size, image_size, generator=g)
    y = torch.randint(0, 10, (n_images,), generator=g)

    def fit(**fast) -> Callable[[], object]:
        def go() -> nn.Module:
            torch.manual_seed(0)
            net = torchvision.models.resnet18(num_classes=10).to(device)
            opt = torch.optim.Adam(net.parameters(), lr=1e-3)
            train.fit(net, lambda e: train.epoch_batches(x, y, batch_size, seed=0, epoch=e, device=device),
                      F.cross_entropy, opt, 1, desc="bench", **fast)
            return net
        return go

    size = f"ResNet-18, 1 ep x {n_images} imgs {image_size}px, batch {batch_size}"
    return compare("train.fit (bf16 + channels-last)", size, fit(autocast=torch.bfloat16, channels_last=True),
                   FLOAT32_PEER, fit(), device=device, reps=reps, warmup=1, peer_device=str(device))


def run(profile: str, device: torch.device) -> list[Row]:
    if profile == "quick":
        rows = _convnet_rows(256, 16, 1, device, reps=2) + [_mlp_row(10, 30, 32, 300, 10, device, reps=3),
                                                             compile_row(20, 30, [32] * 3, 300, 10, device, reps=3)]
        amp = (512, 32, 32)
    else:
        rows = _convnet_rows(50_000, 32, 1, device, reps=1) + [_mlp_row(40, 100, 120, 4000, 50, device, reps=2),
                                                                compile_row(40, 100, [120] * 3, 1000, 50, device,
                                                                            reps=2)]
        amp = (10_240, 64, 256)
    if device.type == "cuda":
        rows.append(mixed_precision_row(*amp, device, reps=3))
    return rows
