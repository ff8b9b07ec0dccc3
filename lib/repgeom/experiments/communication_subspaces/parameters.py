"""The chapter's parameters at the quick and the full profile."""
from __future__ import annotations

import math
from dataclasses import dataclass

from repgeom import runtime

__all__ = ["Params", "QUICK", "FULL", "params", "steps_per_epoch"]


@dataclass(frozen=True)
class Params:
    """The chapter's parameters (one row each in its parameter table); see :data:`QUICK` and :data:`FULL`."""

    use_imagenet: bool            # try torchvision's ImageNet ResNet-50 and ImageNet val images
    train_image_size: int         # side of the stand-in images the in-chapter ResNet-50 is trained on
    n_train: int                  # stand-in training images
    epochs: int                   # passes over them (a snapshot is kept after each)
    batch_size: int
    lr: float                     # Adam learning rate
    n_images: int                 # images for the activation analysis (paper: 100)
    n_eval: int                   # held-out images for the trained network's accuracy
    untrained_seeds: tuple        # Kaiming-initialised networks (paper: one)
    min_angle_deg: float          # subspace size rule: all angles must exceed this
    min_fraction: float           # ... searching sizes from the full dimension down to this fraction
    baseline_angles: int          # random angles per (dimension, size) for the baseline
    resnet18_epochs: int          # second architecture (go beyond); 0 skips it


QUICK = Params(use_imagenet=False, train_image_size=32, n_train=768, epochs=3, batch_size=32, lr=1e-3,
               n_images=30, n_eval=300, untrained_seeds=(0,), min_angle_deg=0.1, min_fraction=0.5,
               baseline_angles=256, resnet18_epochs=1)
FULL = Params(use_imagenet=True, train_image_size=64, n_train=60000, epochs=6, batch_size=256, lr=1e-3,
              n_images=100, n_eval=10000, untrained_seeds=(0, 1, 2, 3, 4), min_angle_deg=0.1,
              min_fraction=0.5, baseline_angles=2048, resnet18_epochs=6)


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


def steps_per_epoch(p: Params) -> int:
    """Adam steps in one pass over the stand-in training images (the last batch may be short).

    Parameters
    ----------
    p : Params

    Returns
    -------
    int
        ``ceil(n_train / batch_size)``.
    """
    return math.ceil(p.n_train / p.batch_size)
