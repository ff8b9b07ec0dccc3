"""The chapter's parameters at the quick and the full profile."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction

from repgeom import runtime

__all__ = ["FULL", "LABELS", "QUICK", "ROLE_NAMES", "Params", "for_reader", "params"]


@dataclass(frozen=True)
class Params:
    datasets: tuple          # dataset roles (CIFAR-10, CIFAR-100)
    n_networks: int          # networks per architecture and dataset
    image_size: int          # image side fed to the networks
    n_train: int             # training images
    n_probe: int             # held-out images whose activations are analysed
    convnet_epochs: int
    convnet_batch: int
    convnet_lr: float        # RMSprop (rho 0.9, as Keras)
    resnet_epochs: int
    resnet_batch: int
    resnet_lr: float         # Adam
    resnet_width: int        # channels of the first stage (64 in He et al.)
    resnet_augment: bool     # random shifts and flips while training ResNet-18 (the authors' recipe)
    checkpoints: tuple       # training time (epochs, fractions allowed) analysed for Fig. 3 (top); the end is always added
    max_units: int           # larger layers are subsampled to this many units
    srm_iter: int            # EM iterations of the probabilistic SRM
    fit_fraction: float      # share of probe images used to fit SRM
    sim_runs: int            # simulation repetitions (Fig. 2)
    sim_per_cloud: int       # points per XOR cloud
    sim_hidden: int
    sim_steps: int           # full-batch Adam steps of the XOR network
    bootstrap: int           # bootstrap resamples for 95% CIs
    convnet_floor: float     # held-out accuracy every ConvNet must reach for its claims to be testable
    resnet_floor: float      # the same for every ResNet-18
    ve_high: float = field(default=0.85)   # "very high" variance explained at the last ConvNet layer


#: Readable names of the parameters, for the page's parameter table.
LABELS = {
    "datasets": "Dataset roles of the paper (the data that filled them: see the header)", "n_networks": "Networks per architecture", "image_size": "Image side (pixels)",
    "n_train": "Training images", "n_probe": "Held-out probe images", "convnet_epochs": "ConvNet epochs",
    "convnet_batch": "ConvNet batch size", "convnet_lr": "ConvNet learning rate (RMSprop)",
    "resnet_epochs": "ResNet-18 epochs", "resnet_batch": "ResNet-18 batch size",
    "resnet_lr": "ResNet-18 learning rate (Adam)", "resnet_width": "ResNet-18 first-stage channels",
    "resnet_augment": "ResNet-18 trained with random shifts and flips",
    "checkpoints": "Training checkpoints analysed (epochs of training)", "max_units": "Units kept per layer (at most)",
    "srm_iter": "SRM iterations (EM)", "fit_fraction": "Share of probe images fitting SRM",
    "sim_runs": "Simulation runs", "sim_per_cloud": "Points per XOR cloud", "sim_hidden": "XOR hidden units",
    "sim_steps": "XOR training steps", "bootstrap": "Bootstrap resamples",
    "convnet_floor": "ConvNet accuracy floor", "resnet_floor": "ResNet-18 accuracy floor",
    "ve_high": "Variance explained counted as very high",
}

# Quick: 5 networks per architecture (instead of 10) on 7,000 images at 16 x 16 for 4 epochs, ResNet-18 at
# width 8 without augmentation (which slows learning in 4 epochs), chosen from measured steps per second on one
# thread so that every network reaches its floor. Its checkpoints are log-spaced like the paper's but within 4
# epochs: initialisation, 1/16 ... 1/2 of the first epoch (nearest optimisation step), then epochs 1, 2 and 4.
_QUICK_CHECKPOINTS = (0, Fraction(1, 16), Fraction(1, 8), Fraction(1, 4), Fraction(1, 2), 1, 2, 4)
QUICK = Params(datasets=("cifar10",), n_networks=5, image_size=16, n_train=7000, n_probe=400,
               convnet_epochs=4, convnet_batch=32, convnet_lr=7e-4,
               resnet_epochs=4, resnet_batch=64, resnet_lr=2e-3, resnet_width=8, resnet_augment=False,
               checkpoints=_QUICK_CHECKPOINTS, max_units=100, srm_iter=10, fit_fraction=0.8,
               sim_runs=10, sim_per_cloud=50, sim_hidden=50, sim_steps=200, bootstrap=1000,
               convnet_floor=0.80, resnet_floor=0.75)
FULL = Params(datasets=("cifar10", "cifar100"), n_networks=10, image_size=32, n_train=50_000, n_probe=10_000,
              convnet_epochs=50, convnet_batch=32, convnet_lr=1e-4,
              resnet_epochs=30, resnet_batch=128, resnet_lr=1e-3, resnet_width=64, resnet_augment=True,
              checkpoints=(0, 1, 2, 4, 6, 9, 14, 21, 32, 50), max_units=1000, srm_iter=10, fit_fraction=0.8,
              sim_runs=50, sim_per_cloud=50, sim_hidden=50, sim_steps=2000, bootstrap=2000,
              convnet_floor=0.70, resnet_floor=0.85)


def params(profile: str) -> Params:
    """The parameters of a profile.

    Parameters
    ----------
    profile : {"quick", "full"}

    Returns
    -------
    Params
        :data:`QUICK` or :data:`FULL`.
    """
    return runtime.by_profile(profile, QUICK, FULL)


#: The paper's dataset roles in words.
ROLE_NAMES = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100"}


def for_reader(p: Params) -> Params:
    """``p`` with its dataset roles in words (``"CIFAR-10 role"``), for the page's parameter table.

    Parameters
    ----------
    p : Params

    Returns
    -------
    Params
        Only ``datasets`` differs; compute with ``p``, not with this copy.
    """
    return replace(p, datasets=tuple(f"{ROLE_NAMES.get(d, d)} role" for d in p.datasets))
