"""The convolutional networks of the task-structure chapter (its Fig. 4C).

Two architectures, each with tanh or ReLU units: a small two-layer ConvNet
and torchvision's ResNet-18 with every ReLU module replaced; and the read-out
of a network's last hidden representation (the input of its final linear
layer), whose geometry the chapter measures.
"""
from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from repgeom.checks import check_tensor

ACTIVATIONS = ("tanh", "relu")


class Activation(nn.Module):
    """tanh or ReLU as a module, so it can replace ``nn.ReLU`` inside a torchvision model."""

    def __init__(self, name: str) -> None:
        super().__init__()
        if name not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {name!r}")
        self.name = name
        self.f = torch.tanh if name == "tanh" else torch.relu

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.f(x)

    def extra_repr(self) -> str:
        return self.name


def task_cnn(arch: Literal["small", "resnet18"], activation: str, side: int, n_classes: int = 5) -> nn.Module:
    """A small ConvNet or a ResNet-18 with ``activation`` units, for (N, 3, side, side) images.

    ``small``: conv 5x5 (16) - act - maxpool 2 - conv 5x5 (32) - act - maxpool 2
    - linear 128 - act - linear ``n_classes``. ``resnet18``: torchvision's,
    every ``nn.ReLU`` replaced by :class:`Activation`.
    """
    if arch not in ("small", "resnet18"):
        raise ValueError(f"arch must be 'small' or 'resnet18', got {arch!r}")
    if isinstance(side, bool) or not isinstance(side, int) or side < 4 or side % 4:
        raise ValueError(f"side must be a positive multiple of 4, got {side!r}")
    if arch == "small":
        return nn.Sequential(
            nn.Conv2d(3, 16, 5, padding=2), Activation(activation), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2), Activation(activation), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(32 * (side // 4) ** 2, 128), Activation(activation), nn.Linear(128, n_classes))
    import torchvision

    Activation(activation)  # validates the name before building
    net = torchvision.models.resnet18(num_classes=n_classes)
    for module in list(net.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.ReLU):
                setattr(module, name, Activation(activation))
    return net


@torch.no_grad()
def last_hidden(net: nn.Module, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The input of ``net``'s last ``nn.Linear`` for every image, shape (N, features), on the CPU.

    Runs on the device of ``net``'s parameters, ``batch_size`` images at a time.
    """
    check_tensor(x, "x", 2)
    linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"net has no nn.Linear layer to read the last hidden representation from: {type(net).__name__}")
    device = next(net.parameters()).device
    feats: list[torch.Tensor] = []
    hook = linears[-1].register_forward_hook(lambda _m, inputs, _o: feats.append(inputs[0].detach().cpu()))
    try:
        for start in range(0, len(x), batch_size):
            net(x[start:start + batch_size].to(device))
    finally:
        hook.remove()
    return torch.cat(feats)
