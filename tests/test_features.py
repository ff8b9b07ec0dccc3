"""Penultimate-layer CNN features (the neural-race chapter's CIFAR variant)."""
import pytest
import torch
import torchvision

from repgeom.models.features import IMAGENET_MEAN, IMAGENET_STD, penultimate_features


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return torchvision.models.resnet18().eval()


def test_features_equal_the_network_without_its_classifier(net):
    images = torch.rand(5, 3, 40, 40, generator=torch.Generator().manual_seed(1))
    feats = penultimate_features(net, images, size=64, batch_size=2)
    assert feats.shape == (5, 512) and feats.dtype == torch.float32
    # independent route: torchvision's own forward with the classifier replaced by the identity
    ref_net = torchvision.models.resnet18().eval()
    ref_net.load_state_dict(net.state_dict())
    ref_net.fc = torch.nn.Identity()
    x = torch.nn.functional.interpolate(images, size=(64, 64), mode="bilinear", align_corners=False)
    x = (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        torch.testing.assert_close(feats, ref_net(x), rtol=1e-4, atol=1e-5)
    assert hasattr(net, "fc") and isinstance(net.fc, torch.nn.Linear), "the model passed in is left unchanged"


def test_batch_size_does_not_change_features(net):
    images = torch.rand(6, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    a = penultimate_features(net, images, size=32, batch_size=6)
    b = penultimate_features(net, images, size=32, batch_size=4)
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("images,kwargs,match", [
    (torch.rand(2, 1, 32, 32), {}, "3 channels"),
    (torch.rand(3, 32, 32), {}, "at least 4"),
    (torch.rand(2, 3, 32, 32) * 255, {}, r"\[0, 1\]"),
    (torch.full((2, 3, 32, 32), float("nan")), {}, "NaN"),
    (torch.rand(2, 3, 32, 32), {"size": 8}, "size"),
    (torch.rand(2, 3, 32, 32), {"batch_size": 0}, "batch_size"),
])
def test_bad_input(net, images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        penultimate_features(net, images, **kwargs)


def test_rejects_a_model_without_a_classifier():
    with pytest.raises(ValueError, match="ResNet"):
        penultimate_features(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)), torch.rand(1, 3, 32, 32))
