"""The networks the chapter compares: the in-chapter ResNets, their untrained twins, the ImageNet one.

Whenever torchvision's ImageNet-trained ResNet-50 is absent (always at the
quick profile), the trained network is a torchvision ResNet trained in the
chapter on the Fashion-MNIST stand-in (:func:`train_resnet`), which keeps a
state_dict snapshot after every epoch for the training-time curve.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from repgeom import data, runtime, training
from repgeom.data import DataProvenance
from repgeom.models import pretrained

from .parameters import Params, interval_size

__all__ = [
    "imagenet_network",
    "IMAGENET_LABEL",
    "StandIn",
    "load_stand_in",
    "TrainedResNet",
    "checkpoint_dir",
    "one_cycle_lr",
    "train_resnet",
    "load_snapshot",
    "untrained_resnets",
    "same_weights",
    "imagenet_images",
    "own_label",
    "trained_network_note",
]

#: How the chapter names torchvision's ImageNet-trained ResNet-50.
IMAGENET_LABEL = "torchvision ResNet50_Weights.IMAGENET1K_V1 (76.13% top-1 on ImageNet)"


@dataclass(frozen=True)
class StandIn:
    """The stand-in data of the in-chapter network, standardised with the training images' statistics.

    Attributes
    ----------
    x_train : torch.Tensor, shape (n_train, 3, s, s)
        Grey images repeated to the 3 input channels of a ResNet, per-channel standardised.
    y_train : torch.Tensor, shape (n_train,)
    x_test : torch.Tensor, shape (n_images + n_eval, 3, s, s)
        Held-out images, standardised with the training mean and std; the first
        ``n_images`` feed the activation analysis, the rest the accuracy.
    y_test : torch.Tensor, shape (n_images + n_eval,)
    num_classes : int
    train, test : DataProvenance
        Where the two loads came from.
    n_images : int
        How many of the held-out images the activation analysis uses.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    train: DataProvenance
    test: DataProvenance
    n_images: int

    @property
    def images(self) -> torch.Tensor:
        """The activation-analysis images, shape (n_images, 3, s, s)."""
        return self.x_test[:self.n_images]

    @property
    def x_eval(self) -> torch.Tensor:
        """The accuracy images, shape (n_eval, 3, s, s)."""
        return self.x_test[self.n_images:]

    @property
    def y_eval(self) -> torch.Tensor:
        """Their labels, shape (n_eval,)."""
        return self.y_test[self.n_images:]


def load_stand_in(p: Params) -> StandIn:
    """Fashion-MNIST (or its stand-in) at ``p.train_image_size``, as 3-channel standardised images.

    Parameters
    ----------
    p : Params
        Uses ``n_train``, ``n_images + n_eval`` (test images) and ``train_image_size``.

    Returns
    -------
    StandIn
    """
    d_train = data.load("fashion_mnist", "train", n=p.n_train, size=p.train_image_size)
    d_test = data.load("fashion_mnist", "test", n=p.n_images + p.n_eval, size=p.train_image_size)
    x_tr = d_train.x.expand(-1, 3, -1, -1)  # grey repeated to the 3 input channels of ResNet-50
    mean, std = x_tr.mean(dim=(0, 2, 3), keepdim=True), x_tr.std(dim=(0, 2, 3), keepdim=True)
    x_tr = ((x_tr - mean) / std).contiguous()
    x_te = ((d_test.x.expand(-1, 3, -1, -1) - mean) / std).contiguous()
    return StandIn(x_tr, d_train.y, x_te, d_test.y, d_train.num_classes, d_train.provenance,
                   d_test.provenance, p.n_images)


@dataclass(frozen=True)
class TrainedResNet:
    """A ResNet trained by :func:`train_resnet`.

    Attributes
    ----------
    net : nn.Module
        In eval mode, on the training device.
    history : repgeom.training.History
        One record per epoch (``loss`` is the epoch's mean training loss).
    snapshots : list of Path
        ``epochs + 1`` state_dict files: before training, then after every epoch.
    """

    net: nn.Module
    history: training.History
    snapshots: list[Path]


def checkpoint_dir() -> Path:
    """The chapter's checkpoint folder (``<output>/checkpoints``), created if missing."""
    ckdir = runtime.output_root() / "checkpoints"
    ckdir.mkdir(parents=True, exist_ok=True)
    return ckdir


def one_cycle_lr(step: int, total: int, peak: float, warmup_fraction: float) -> float:
    """Learning rate at ``step`` of a one-cycle schedule: linear warm-up to ``peak``, then cosine decay to 0.

    Parameters
    ----------
    step : int
        Optimiser steps taken so far (0 before the first).
    total : int
        Steps of the whole training.
    peak : float
    warmup_fraction : float
        Share of ``total`` spent warming up, in [0, 1).

    Returns
    -------
    float
    """
    warm = max(1, round(warmup_fraction * total))
    if step < warm:
        return peak * (step + 1) / warm
    frac = min(1.0, (step - warm) / max(1, total - warm))
    return peak * 0.5 * (1.0 + math.cos(math.pi * frac))


def _schedule(opt: torch.optim.Optimizer, total: int, p: Params) -> None:
    """Set the one-cycle rate now and after every step, from the optimiser's own step count (resume-safe)."""
    def set_lr(step: int) -> None:
        for g in opt.param_groups:
            g["lr"] = one_cycle_lr(step, total, p.lr, p.warmup_fraction)

    def after_step(o, args, kwargs) -> None:
        state = next(iter(o.state.values()), {})
        set_lr(int(state.get("step", 0)))

    set_lr(0)
    opt.register_step_post_hook(after_step)


def train_resnet(arch: str, epochs: int, seed: int, stand_in: StandIn, p: Params, device: torch.device,
                 folder: Path | None = None, interval: int | None = None) -> TrainedResNet:
    """Train a torchvision ResNet on the stand-in with Adam; keep a state_dict snapshot after every interval.

    The training images are cut into slices of ``interval`` images, and
    interval ``e`` trains one pass over slice ``e`` (each image is seen once
    when there are ``epochs`` slices), with a one-cycle learning rate over all
    the steps (:func:`one_cycle_lr`). The network is built right after
    ``torch.manual_seed(seed)`` (so it starts as the untrained network of that
    seed); a run whose snapshots all exist resumes from its checkpoint instead
    of training again.

    Parameters
    ----------
    arch : str
        A torchvision constructor, e.g. ``"resnet50"`` or ``"resnet18"``.
    epochs : int
        Training intervals.
    seed : int
        Initialisation and mini-batch order.
    stand_in : StandIn
    p : Params
        Uses ``batch_size``, ``lr`` and ``warmup_fraction``; all of it names the checkpoint files.
    device : torch.device
    folder : Path, optional
        Checkpoint folder, created if missing (default :func:`checkpoint_dir`).
    interval : int, optional
        Images per interval (default :func:`.parameters.interval_size` for ``epochs`` intervals);
        slices wrap around the training set when it holds fewer than ``epochs * interval``.

    Returns
    -------
    TrainedResNet
    """
    ckdir = folder if folder is not None else checkpoint_dir()
    ckdir.mkdir(parents=True, exist_ok=True)
    size = interval if interval is not None else interval_size(p, epochs)
    n = stand_in.x_train.shape[0]
    tag = hashlib.sha1(json.dumps([arch, epochs, seed, size, dataclasses.asdict(p)], sort_keys=True,
                                  default=str).encode()).hexdigest()[:10]
    ckpt = ckdir / f"commsub_{arch}_{tag}.pt"
    snap = [ckdir / f"commsub_{arch}_{tag}_epoch{e}.pt" for e in range(epochs + 1)]
    torch.manual_seed(seed)
    net = getattr(torchvision.models, arch)(num_classes=stand_in.num_classes).to(device)
    if not all(s.is_file() for s in snap):  # snapshots incomplete: train from scratch
        ckpt.unlink(missing_ok=True)
        torch.save(net.state_dict(), snap[0])

    def batches(e: int):
        idx = torch.arange(e * size, (e + 1) * size) % n
        return training.epoch_batches(stand_in.x_train[idx], stand_in.y_train[idx], p.batch_size, seed=seed, epoch=e)

    def save_snapshot(e: int, m: nn.Module) -> None:
        torch.save({k: v.contiguous() for k, v in m.state_dict().items()}, snap[e])

    opt = torch.optim.Adam(net.parameters(), lr=p.lr)
    _schedule(opt, epochs * training.steps_per_epoch(size, p.batch_size), p)
    # channels-last convolutions train ~20 % faster on CPU (measured: ResNet-50, 32 px, batch 128, one
    # thread, 1.09 vs 1.35 s per step); snapshots and the returned network are in the default layout.
    hist = training.fit(net, batches, F.cross_entropy, opt, epochs, checkpoint=ckpt, on_epoch_end=save_snapshot,
                        desc=f"training {arch}", channels_last=True)
    return TrainedResNet(net.to(memory_format=torch.contiguous_format).eval(), hist, snap)


def load_snapshot(arch: str, path: Path, num_classes: int, device: torch.device) -> nn.Module:
    """A snapshot of :func:`train_resnet` as a network in eval mode on ``device``.

    Building the network draws its (overwritten) initialisation from torch's
    global generator, as a fresh torchvision constructor does.

    Parameters
    ----------
    arch : str
    path : Path
        A state_dict file.
    num_classes : int
    device : torch.device

    Returns
    -------
    nn.Module
    """
    net = getattr(torchvision.models, arch)(num_classes=num_classes)
    net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return net.to(device).eval()


def untrained_resnets(arch: str, seeds: tuple[int, ...], num_classes: int,
                      device: torch.device) -> dict[str, nn.Module]:
    """torchvision's default (Kaiming) initialisation, one network per seed, in eval mode.

    Parameters
    ----------
    arch : str
    seeds : tuple of int
        ``torch.manual_seed(s)`` right before each network is built.
    num_classes : int
    device : torch.device

    Returns
    -------
    dict
        ``"untrained-<seed>"`` -> network, in the order of ``seeds``.
    """
    nets = {}
    for s in seeds:
        torch.manual_seed(s)
        nets[f"untrained-{s}"] = getattr(torchvision.models, arch)(num_classes=num_classes).to(device).eval()
    return nets


def same_weights(a: nn.Module, b: nn.Module) -> bool:
    """Whether two networks have exactly equal state_dicts (entry by entry, in order)."""
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def imagenet_images(n: int) -> tuple[torch.Tensor, DataProvenance]:
    """``n`` ImageNet validation images at 224x224 with torchvision's normalisation, or their stand-in.

    Parameters
    ----------
    n : int

    Returns
    -------
    images : torch.Tensor, shape (n, 3, 224, 224)
        Normalised with ImageNet's channel mean and std; a stand-in is
        standardised per channel over the images instead.
    provenance : DataProvenance
        Of the load (record it with the chapter run).
    """
    d_img = data.load("imagenet_val", "test", n=n, size=224, subset_seed=0)
    if d_img.provenance.substituted:
        images = data.load("imagenet_val", "test", n=n, size=224, normalize=True, subset_seed=0).x
    else:  # torchvision's ImageNet normalisation
        m_in = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        s_in = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        images = (d_img.x - m_in) / s_in
    return images, d_img.provenance


def own_label(stand_in: StandIn, p: Params, acc: float) -> str:
    """How the chapter names its own trained ResNet-50 (data, resolution, held-out accuracy in [0, 1])."""
    return (f"ResNet-50 trained in this chapter on {stand_in.train.summary()} at "
            f"{p.train_image_size}x{p.train_image_size} ({100 * acc:.1f}% held-out accuracy)")


def imagenet_network(p: Params) -> tuple[nn.Module | None, str]:
    """torchvision's ImageNet-trained ResNet-50 when the profile tries it and it can be had.

    The weights come from the torch hub cache or ``REPGEOM_DATA``, or are
    downloaded when ``REPGEOM_OFFLINE`` is not set (see
    :func:`repgeom.models.pretrained.pretrained_resnet50`).

    Parameters
    ----------
    p : Params
        Uses ``use_imagenet``.

    Returns
    -------
    model : torch.nn.Module or None
        The network in eval mode, or None.
    note : str
        Where the weights came from, or why they were not used (one line).
    """
    if not p.use_imagenet:
        return None, "not tried at this profile"
    return pretrained.pretrained_resnet50(runtime.offline(), runtime.data_root())


def trained_network_note(imagenet: bool, label: str, weight_note: str, steps: int, n_images: int) -> str:
    """The note above the analysis: which network is the trained one (Markdown).

    Parameters
    ----------
    imagenet : bool
        The ImageNet-trained ResNet-50 was used.
    label : str
        The trained network's name (:data:`IMAGENET_LABEL` or :func:`own_label`).
    weight_note : str
        Why the ImageNet weights were (not) used.
    steps : int
        Adam steps of the in-chapter training.
    n_images : int
        Images of the activation analysis.

    Returns
    -------
    str
    """
    if imagenet:
        return (f"**Trained network:** {label}. {weight_note}. The activation analysis uses {n_images} "
                f"images at 224x224 (the paper: 100 ImageNet validation images).")
    return (":::{warning} Stand-in for the trained network\n"
            f"torchvision's ImageNet-trained ResNet-50 was not used ({weight_note}). The trained network "
            f"of this page is a **{label}**, after {steps} "
            f"Adam steps. The activation analysis uses {n_images} held-out test images of the same data "
            f"(the paper: 100 ImageNet validation images at 224x224).\n:::")
