"""Image features from the penultimate layer of an ImageNet CNN.

The neural-race chapter's CIFAR variant of Fig. 7 routes "features of a
pretrained CNN" through rotated input domains; this module computes them:
images are resized, normalised with the ImageNet channel statistics and
passed through every layer of a torchvision ResNet except its classifier.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from repgeom.checks import check_tensor

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _body(model: nn.Module) -> nn.Module:
    """Every child of a torchvision ResNet up to its global average pool (the classifier ``fc`` dropped)."""
    names = [name for name, _ in model.named_children()]
    if "fc" not in names or "avgpool" not in names:
        raise ValueError(f"model must be a torchvision-style ResNet with avgpool and fc children, got {names}")
    return nn.Sequential(*(m for name, m in model.named_children() if name != "fc"))


@torch.no_grad()
def penultimate_features(
    model: nn.Module,
    images: torch.Tensor,
    *,
    size: int = 224,
    batch_size: int = 128,
) -> torch.Tensor:
    """Global-average-pooled features of ``images`` under an ImageNet ResNet.

    Parameters
    ----------
    model : torch.nn.Module
        A torchvision ResNet (e.g. ``resnet50`` with ImageNet weights); used in
        eval mode on the device of its parameters and left in that mode.
    images : torch.Tensor
        Shape (N, 3, H, W), values in [0, 1] (as :func:`repgeom.data.load`
        returns them without ``normalize``).
    size : int
        Side the images are resized to (bilinear) before the network.
    batch_size : int
        Images per forward pass (the result does not depend on it beyond
        floating-point reassociation).

    Returns
    -------
    torch.Tensor
        Shape (N, F), float32, on the model's device (F = 2048 for ResNet-50,
        512 for ResNet-18).

    Examples
    --------
    >>> import torchvision
    >>> net = torchvision.models.resnet18()
    >>> penultimate_features(net, torch.rand(2, 3, 32, 32), size=64).shape
    torch.Size([2, 512])
    """
    check_tensor(images, "images", 4)
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"images must have 3 channels (N, 3, H, W), got shape {tuple(images.shape)}")
    if float(images.min()) < 0 or float(images.max()) > 1:
        raise ValueError(f"images must hold values in [0, 1], got range [{float(images.min()):.3g}, {float(images.max()):.3g}]")
    for name, value, low in (("size", size, 32), ("batch_size", batch_size, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    body = _body(model).eval()
    device = next(model.parameters()).device
    mean = torch.tensor(IMAGENET_MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=device).view(1, 3, 1, 1)
    out = []
    for start in range(0, images.shape[0], batch_size):
        xb = images[start:start + batch_size].to(device=device, dtype=torch.float32)
        if xb.shape[-2:] != (size, size):
            xb = F.interpolate(xb, size=(size, size), mode="bilinear", align_corners=False)
        out.append(body((xb - mean) / std).flatten(1))
    return torch.cat(out)
