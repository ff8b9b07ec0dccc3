"""Tests of the locality-prior paper's networks (LeNet-LP, AlexNet-LP) and the ImageNet job."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from repgeom import training as train
from repgeom.models.locality_imagenet import train_imagenet
from repgeom.models.locality_nets import AlexNetLP, LeNetLP, collect_activations, prune_sweep
from repgeom.models.locality_prior import LocalityPriorLinear, effective_weight, grid_prior, prune_linear_


def test_lenet_shapes_and_arms():
    torch.manual_seed(0)
    x = torch.rand(4, 1, 28, 28)
    for arm in ("control", "locality"):
        net = LeNetLP(arm).eval()
        logits, acts = net.forward_with_activations(x)
        assert logits.shape == (4, 10)
        assert acts["lp_input"].shape == acts["lp_output"].shape == (4, 49)
        assert (acts["lp_input"] >= 0).all() and (acts["lp_output"] >= 0).all()
        assert isinstance(net.bn, nn.BatchNorm1d)
    assert isinstance(LeNetLP("locality").lp, LocalityPriorLinear)
    assert type(LeNetLP("control").lp) is nn.Linear
    # the control and locality arms have the same trainable parameters
    n = [sum(p.numel() for p in LeNetLP(a).parameters()) for a in ("control", "locality")]
    assert n[0] == n[1]


def test_lenet_same_seed_same_init_apart_from_prior():
    torch.manual_seed(3)
    a = LeNetLP("control")
    torch.manual_seed(3)
    b = LeNetLP("locality", cost="quadratic", normalize=True)
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters()):
        assert na == nb and torch.equal(pa, pb)
    torch.testing.assert_close(b.lp.prior, grid_prior(7, "quadratic", normalize=True))


def test_lenet_bad_inputs():
    with pytest.raises(ValueError, match="arm"):
        LeNetLP("treatment")
    with pytest.raises(ValueError, match=r"x must have shape"):
        LeNetLP()(torch.rand(2, 3, 28, 28))
    with pytest.raises(ValueError, match="side"):
        LeNetLP(side=0)


def test_collect_activations_matches_eval_forward():
    torch.manual_seed(0)
    net = LeNetLP("locality")
    x = torch.rand(7, 1, 28, 28)
    out = collect_activations(net, x, batch_size=3)
    net.eval()
    with torch.no_grad():
        logits, acts = net.forward_with_activations(x)
    torch.testing.assert_close(out["logits"], logits)
    torch.testing.assert_close(out["lp_output"], acts["lp_output"])
    # the model's mode is restored afterwards
    net.train()
    collect_activations(net, x)
    assert net.training
    net.eval()
    collect_activations(net, x)
    assert not net.training


@pytest.mark.parametrize("make, shape", [
    (lambda arm: LeNetLP(arm), (300, 1, 28, 28)),
    (lambda arm: AlexNetLP(arm, side=4, width=0.125, num_classes=5), (40, 3, 63, 63)),
])
@pytest.mark.parametrize("arm", ["control", "locality"])
def test_prune_sweep_equals_pruning_a_copy_of_the_whole_network(make, shape, arm):
    torch.manual_seed(0)
    net = make(arm).train()
    with torch.no_grad():   # running statistics that matter, and a read-out that tells the LP units apart
        net.bn.running_mean.uniform_(0.0, 0.5)
        net.bn.running_var.uniform_(0.5, 2.0)
        net.bn.weight.uniform_(1.0, 3.0)
        net.out.weight.normal_(0.0, 3.0)
    x = torch.randn(*shape) * torch.rand(shape[0], 1, 1, 1) * 10   # images of varied contrast: varied LP inputs
    with torch.no_grad():
        y = net.eval()(x).argmax(1)   # labels the unpruned network gets right, so pruning costs accuracy
    net.train()
    lp_before = net.lp.weight.detach().clone()
    sparsities = (0.0, 0.5, 0.9, 1.0)
    got = prune_sweep(net, collect_activations(net, x, batch_size=128)["lp_input"], y, sparsities)
    for result, s in zip(got, sparsities):
        ref = copy.deepcopy(net)
        prune_linear_(ref.lp, s)
        assert result.sparsity == s
        assert result.accuracy == train.accuracy(ref, x, y)
        torch.testing.assert_close(result.weight, effective_weight(ref.lp).detach(), rtol=0, atol=0)
    assert got[0].accuracy == 1.0 and got[-1].accuracy < 1.0
    assert torch.equal(net.lp.weight, lp_before) and net.training   # the model itself is left as it was


def test_prune_sweep_bad_inputs():
    net, lp_in = LeNetLP(), torch.rand(3, 49)
    with pytest.raises(ValueError, match="LeNetLP or AlexNetLP"):
        prune_sweep(nn.Linear(2, 2), lp_in, torch.zeros(3, dtype=torch.long), [0.5])
    with pytest.raises(ValueError, match=r"lp_inputs must have shape \(n, 49\)"):
        prune_sweep(net, torch.rand(3, 1, 28, 28), torch.zeros(3, dtype=torch.long), [0.5])
    with pytest.raises(ValueError, match="3 labels"):
        prune_sweep(net, lp_in, torch.zeros(4, dtype=torch.long), [0.5])
    with pytest.raises(ValueError, match="sparsity"):
        prune_sweep(net, lp_in, torch.zeros(3, dtype=torch.long), [1.5])


def test_alexnet_full_size_matches_torchvision_parameter_count():
    import torchvision

    ref = torchvision.models.alexnet(weights=None)
    ours = AlexNetLP("locality", side=64, width=1.0)
    n_ref = sum(p.numel() for p in ref.parameters())
    n_ours = sum(p.numel() for p in ours.parameters())
    assert n_ours == n_ref + 2 * 4096          # + the BatchNorm's weight and bias
    assert ours.lp.prior.shape == (4096, 4096)
    # conv stack has torchvision's shapes
    shapes = [m.weight.shape for m in ours.features if isinstance(m, nn.Conv2d)]
    assert shapes == [m.weight.shape for m in ref.features if isinstance(m, nn.Conv2d)]


def test_alexnet_reduced_forward_and_one_step():
    torch.manual_seed(0)
    net = AlexNetLP("locality", side=4, width=0.125, num_classes=5)
    x, y = torch.rand(6, 3, 64, 64), torch.randint(0, 5, (6,))
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    before = net.lp.weight.detach().clone()
    loss = nn.functional.cross_entropy(net(x), y)
    loss.backward()
    opt.step()
    assert torch.isfinite(loss)
    assert not torch.equal(before, net.lp.weight)
    _, acts = net.eval().forward_with_activations(x)
    assert acts["lp_output"].shape == (6, 16)
    with pytest.raises(ValueError, match="at least 63"):
        net(torch.rand(1, 3, 32, 32))


def test_imagenet_job_runs_one_step_on_a_tiny_image_folder(tmp_path, monkeypatch):
    from PIL import Image

    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for cls in ("a", "b"):
            folder = tmp_path / "data" / split / cls
            folder.mkdir(parents=True)
            for i in range(4):
                Image.fromarray(rng.integers(0, 255, (72, 72, 3), dtype=np.uint8)).save(folder / f"{i}.png")
    for var in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MASTER_PORT", str(29600 + int(rng.integers(0, 300))))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    out = train_imagenet([
        "--data", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "--side", "3", "--width", "0.0625",
        "--epochs", "1", "--batch-size", "4", "--image-size", "64", "--workers", "0", "--max-steps", "1",
        "--n-activations", "5",
    ])
    acts = torch.load(out / "activations.pt", weights_only=False)
    assert acts["lp_input"].shape == (5, 9) and acts["lp_output"].shape == (5, 9)
    assert acts["labels"].shape == (5,)
    state = torch.load(out / "checkpoint.pt", weights_only=False)
    assert state["epoch"] == 1 and "lp.prior" in state["model"]
