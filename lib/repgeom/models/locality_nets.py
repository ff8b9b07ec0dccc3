"""The locality-prior paper's networks: LeNet-LP for MNIST and AlexNet-LP for ImageNet.

Both networks exist in two arms that differ only in one layer: the control uses
``nn.Linear`` where the treatment uses :class:`~repgeom.models.locality_prior.LocalityPriorLinear`;
a BatchNorm follows that layer in both arms. Both return logits and, with
``forward_with_activations``, the activations entering the LP layer (after a
ReLU) and leaving it (after BatchNorm and ReLU), which sit on square grids.

The ImageNet job is a multi-GPU run::

    torchrun --nproc_per_node=8 -m repgeom.models.locality_imagenet \
        --data /path/to/imagenet --out runs/alexnet_lp --arm locality
    torchrun --nproc_per_node=8 -m repgeom.models.locality_imagenet \
        --data /path/to/imagenet --out runs/alexnet_control --arm control

(``--data`` holds ``train/`` and ``val/`` ImageFolder trees.) It trains with the
README's ImageNet setting (SGD, lr 0.1, momentum 0.9, weight decay 1e-4, batch
256 in total, 90 epochs, lr / 10 every 30 epochs) and writes a checkpoint per
epoch and, at the end, the LP layer's input/output activations of 1000
validation images (``activations.pt``).
"""
from __future__ import annotations

import abc
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .locality_prior import Cost, LocalityPriorLinear, effective_weight, prune_linear_

ARMS: tuple[str, ...] = ("control", "locality")


def _lp_or_linear(arm: str, features: int, side: int, cost: Cost, normalize: bool) -> nn.Linear:
    if arm not in ARMS:
        raise ValueError(f"arm must be one of {ARMS}, got {arm!r}")
    if arm == "locality":
        return LocalityPriorLinear(features, features, in_grid=side, out_grid=side, cost=cost, normalize=normalize)
    return nn.Linear(features, features)


def _check_images(x: torch.Tensor, channels: int, min_size: int) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"x must have shape (n, {channels}, H, W), got {getattr(x, 'shape', type(x).__name__)}")
    if x.shape[-1] < min_size or x.shape[-2] < min_size:
        raise ValueError(f"x images must be at least {min_size}x{min_size}, got {tuple(x.shape[-2:])}")


class _LocalityNet(nn.Module, abc.ABC):
    """What both networks share above the LP layer's input: Dropout -> LP or Linear -> BatchNorm -> ReLU -> read-out.

    Subclasses define ``lp_inputs(x)`` (every layer below, ending in the ReLU
    that feeds the LP layer) and the modules ``drop2``, ``lp``, ``bn``, ``out``.
    """

    drop2: nn.Module
    lp: nn.Linear
    bn: nn.BatchNorm1d
    out: nn.Linear

    @abc.abstractmethod
    def lp_inputs(self, x: torch.Tensor) -> torch.Tensor:
        """Activations entering the LP layer, (n, side**2), from a batch of images."""

    def head(self, lp_in: torch.Tensor, lp: nn.Linear | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Logits and LP output from LP inputs (n, side**2); ``lp`` replaces the network's own LP layer."""
        lp_out = F.relu(self.bn((self.lp if lp is None else lp)(self.drop2(lp_in))))
        return self.out(lp_out), lp_out

    def forward_with_activations(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Logits (n, classes) and ``{"lp_input", "lp_output"}``, each (n, side**2), non-negative."""
        lp_in = self.lp_inputs(x)
        logits, lp_out = self.head(lp_in)
        return logits, {"lp_input": lp_in, "lp_output": lp_out}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_activations(x)[0]


class LeNetLP(_LocalityNet):
    """LeNet with an extra 49 -> 49 layer (locality prior or plain) before the read-out.

    conv(1->10, 5) -> max-pool 2 -> ReLU -> conv(10->20, 5) -> Dropout2d ->
    max-pool 2 -> ReLU -> flatten (320) -> Dropout -> Linear(320->K) -> ReLU
    [LP input] -> Dropout -> LP(K->K) or Linear(K->K) -> BatchNorm(K) -> ReLU
    [LP output] -> Linear(K->classes).

    Parameters
    ----------
    arm : {"control", "locality"}
    side : int
        The LP layer's grid side, ``K = side**2`` (7 in the paper).
    cost : {"linear", "sqrt", "quadratic"}
    normalize : bool
        Row-normalised prior (off in the released code).
    num_classes : int
    in_channels : int
    dropout : float

    Input: images of shape (n, in_channels, 28, 28). Output: logits (n, num_classes).
    """

    def __init__(self, arm: str = "locality", side: int = 7, *, cost: Cost = "linear", normalize: bool = False,
                 num_classes: int = 10, in_channels: int = 1, dropout: float = 0.5) -> None:
        super().__init__()
        if not isinstance(side, int) or side < 1:
            raise ValueError(f"side must be a positive int, got {side!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        k = side * side
        self.arm, self.side, self.in_channels = arm, side, in_channels
        self.conv1 = nn.Conv2d(in_channels, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.conv2_drop = nn.Dropout2d(dropout)
        self.fc1 = nn.Linear(320, k)
        self.drop1 = nn.Dropout(dropout)
        self.drop2 = nn.Dropout(dropout)
        self.lp = _lp_or_linear(arm, k, side, cost, normalize)
        self.bn = nn.BatchNorm1d(k)
        self.out = nn.Linear(k, num_classes)

    def lp_inputs(self, x: torch.Tensor) -> torch.Tensor:
        """Activations entering the LP layer, (n, side**2), from images (n, in_channels, 28, 28)."""
        _check_images(x, self.in_channels, 28)
        h = F.relu(F.max_pool2d(self.conv1(x), 2))
        h = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(h)), 2))
        return F.relu(self.fc1(self.drop1(h.flatten(1))))


def _scaled(channels: int, width: float) -> int:
    return max(1, int(round(channels * width)))


class AlexNetLP(_LocalityNet):
    """AlexNet whose 4096 -> 4096 fully connected layer is a locality-prior layer.

    At ``width=1, side=64`` this is torchvision's AlexNet with the second
    fully connected layer (the README's "FC6") replaced by a 4096 -> 4096 LP
    (or plain) layer on a 64 x 64 grid, followed by BatchNorm in both arms.
    ``width`` scales the convolution channels and ``side`` the fully
    connected width (``side**2`` units) for reduced runs.

    Input: images (n, 3, H, W) with H, W >= 63. Output: logits (n, num_classes).
    """

    def __init__(self, arm: str = "locality", side: int = 64, *, width: float = 1.0, num_classes: int = 1000,
                 cost: Cost = "linear", normalize: bool = False, dropout: float = 0.5) -> None:
        super().__init__()
        if not isinstance(side, int) or side < 1:
            raise ValueError(f"side must be a positive int, got {side!r}")
        if not width > 0:
            raise ValueError(f"width must be positive, got {width}")
        c = [_scaled(n, width) for n in (64, 192, 384, 256, 256)]
        k = side * side
        self.arm, self.side = arm, side
        self.features = nn.Sequential(
            nn.Conv2d(3, c[0], kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(c[0], c[1], kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(c[1], c[2], kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c[2], c[3], kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(c[3], c[4], kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.drop1 = nn.Dropout(dropout)
        self.fc1 = nn.Linear(c[4] * 36, k)
        self.drop2 = nn.Dropout(dropout)
        self.lp = _lp_or_linear(arm, k, side, cost, normalize)
        self.bn = nn.BatchNorm1d(k)
        self.out = nn.Linear(k, num_classes)

    def lp_inputs(self, x: torch.Tensor) -> torch.Tensor:
        """Activations entering the LP layer, (n, side**2), from images (n, 3, H, W), H, W >= 63."""
        _check_images(x, 3, 63)
        h = self.avgpool(self.features(x)).flatten(1)
        return F.relu(self.fc1(self.drop1(h)))


@torch.no_grad()
def collect_activations(model: nn.Module, x: torch.Tensor, batch_size: int = 500) -> dict[str, torch.Tensor]:
    """Eval-mode logits and LP input/output activations of ``x`` (on the CPU).

    Parameters
    ----------
    model : LeNetLP or AlexNetLP
    x : torch.Tensor, shape (n, C, H, W)

    Returns
    -------
    dict
        ``logits`` (n, classes), ``lp_input`` and ``lp_output`` (n, side**2).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    dev = next(model.parameters()).device
    was = model.training
    model.eval()
    parts: dict[str, list[torch.Tensor]] = {"logits": [], "lp_input": [], "lp_output": []}
    for start in range(0, x.shape[0], batch_size):
        logits, acts = model.forward_with_activations(x[start:start + batch_size].to(dev))
        parts["logits"].append(logits.cpu())
        for key, value in acts.items():
            parts[key].append(value.cpu())
    model.train(was)
    return {k: torch.cat(v) for k, v in parts.items()}


@dataclass(frozen=True)
class PrunedLP:
    """A trained network's LP layer pruned to one sparsity by ``|W * P|``, without fine-tuning."""

    sparsity: float
    """Fraction of the layer's connections removed."""
    accuracy: float
    """Top-1 accuracy of the network with the pruned layer, in [0, 1]."""
    weight: torch.Tensor
    """The pruned layer's effective weight ``W * P`` (``W`` for the control), (K, K), on the CPU."""


@torch.no_grad()
def prune_sweep(model: nn.Module, lp_inputs: torch.Tensor, y: torch.Tensor,
                sparsities: Sequence[float]) -> list[PrunedLP]:
    """Accuracy of ``model`` with its LP layer pruned to each sparsity, from the LP layer's inputs.

    Pruning changes only the LP layer, so the layers below it need not run
    again: each pruned copy of the layer is applied, with the rest of the head
    in eval mode, to the LP inputs already collected (``collect_activations``).
    The result equals pruning a copy of the whole network per sparsity and
    measuring its accuracy on the images (on a CPU at the quick profile those
    passes through the convolutions were nearly all of the pruning figure's 7.6 s).

    Parameters
    ----------
    model : LeNetLP or AlexNetLP
        Left unchanged (its training mode is restored).
    lp_inputs : torch.Tensor, shape (n, side**2)
        ``collect_activations(model, x)["lp_input"]`` of the images ``x``.
    y : torch.Tensor, shape (n,)
        Integer labels of those images.
    sparsities : sequence of float
        Each in [0, 1] (see :func:`repgeom.models.locality_prior.prune_mask`).

    Returns
    -------
    list of PrunedLP, one per sparsity, in order.
    """
    if not isinstance(model, _LocalityNet):
        raise ValueError(f"model must be a LeNetLP or AlexNetLP, got {type(model).__name__}")
    k = model.lp.in_features
    if not isinstance(lp_inputs, torch.Tensor) or lp_inputs.ndim != 2 or lp_inputs.shape[1] != k:
        raise ValueError(f"lp_inputs must have shape (n, {k}), got {getattr(lp_inputs, 'shape', type(lp_inputs).__name__)}")
    n = lp_inputs.shape[0]
    if not isinstance(y, torch.Tensor) or y.ndim != 1 or y.shape[0] != n:
        raise ValueError(f"y must be a 1-D tensor of {n} labels, got {getattr(y, 'shape', type(y).__name__)}")
    lp_in = lp_inputs.to(next(model.parameters()).device)
    was = model.training
    model.eval()
    results = []
    for sparsity in sparsities:
        lp = copy.deepcopy(model.lp)
        prune_linear_(lp, sparsity)
        logits, _ = model.head(lp_in, lp)
        correct = (logits.argmax(1).cpu() == y).sum().item()
        results.append(PrunedLP(float(sparsity), correct / max(n, 1), effective_weight(lp).detach().cpu()))
    model.train(was)
    return results


def make_optimizer(model: nn.Module, name: str, lr: float, momentum: float,
                   weight_decay: float) -> torch.optim.Optimizer:
    """The README's optimiser (``"rmsprop"``) or the released script's (``"sgd"``).

    Weight decay is the optimiser's L2 term on every parameter (the released
    code's setting), so it acts on ``W``, not on ``W * P``.
    """
    if lr <= 0 or momentum < 0 or weight_decay < 0:
        raise ValueError(f"need lr > 0, momentum >= 0, weight_decay >= 0; got {lr}, {momentum}, {weight_decay}")
    if name == "rmsprop":
        return torch.optim.RMSprop(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'rmsprop' or 'sgd', got {name!r}")


def train_lenet(arm: str, seed: int, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int = 64,
                optimizer: str = "rmsprop", lr: float = 0.01, momentum: float = 0.5, weight_decay: float = 0.01,
                cost: Cost = "linear", normalize: bool = False, num_classes: int = 10,
                device: torch.device | str = "cpu", checkpoint: Path | str | None = None) -> LeNetLP:
    """Train one LeNet-LP arm with seeded initialisation, batches and dropout.

    Parameters
    ----------
    arm : {"control", "locality"}
    seed : int
        Seeds the initial weights, the batch order and the dropout masks; the
        two arms of a pair share it (same initial weights, same batches).
    x : torch.Tensor, shape (n, 1, 28, 28)
    y : torch.Tensor, shape (n,)
    epochs, batch_size, optimizer, lr, momentum, weight_decay
        Training setting (README: RMSProp, 0.01, 0.5, 0.01, 10 epochs, 64).
    cost, normalize
        The prior of the locality arm (ignored by the control).
    checkpoint : path, optional
        Resumed from / written by :func:`repgeom.training.fit`; a finished
        checkpoint makes this call return the trained network at once.

    Returns
    -------
    LeNetLP
        Trained, in eval mode, on ``device``.
    """
    from repgeom import training as train

    if x.ndim != 4 or x.shape[0] != y.shape[0]:
        raise ValueError(f"x must be (n, 1, 28, 28) with one label each, got {tuple(x.shape)} and {tuple(y.shape)}")
    torch.manual_seed(seed)
    model = LeNetLP(arm, cost=cost, normalize=normalize, num_classes=num_classes,
                    in_channels=x.shape[1]).to(device)
    opt = make_optimizer(model, optimizer, lr, momentum, weight_decay)
    torch.manual_seed(seed + 7919)  # dropout masks: the same stream in both arms
    train.fit(model, lambda e: train.epoch_batches(x, y, batch_size, seed=seed, epoch=e),
              F.cross_entropy, opt, epochs, checkpoint=checkpoint, desc=f"{arm} seed {seed}")
    return model.eval()
