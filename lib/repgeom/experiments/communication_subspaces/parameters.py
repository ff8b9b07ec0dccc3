"""The chapter's parameters at the quick and the full profile."""
from __future__ import annotations

from dataclasses import dataclass

from repgeom import runtime, training

__all__ = ["Params", "QUICK", "FULL", "LABELS", "params", "steps_per_epoch", "total_steps", "interval_size"]


@dataclass(frozen=True)
class Params:
    """The chapter's parameters (one row each in its parameter table); see :data:`QUICK` and :data:`FULL`."""

    use_imagenet: bool            # try torchvision's ImageNet ResNet-50 and ImageNet val images
    train_image_size: int         # side of the stand-in images the in-chapter ResNet-50 is trained on
    n_train: int                  # stand-in training images
    epochs: int                   # training intervals, each over its own slice of them (a snapshot after each)
    batch_size: int
    lr: float                     # Adam peak learning rate (one-cycle: linear warm-up, cosine decay)
    warmup_fraction: float        # share of the steps spent warming up
    accuracy_floor: float         # held-out accuracy the trained stand-in must reach for its claims
    min_movement_share: float     # ... and how far training must turn its convs' input spaces (share of random)
    min_positions: int            # spatial positions a block's activation needs for the activation analysis
    n_images: int                 # stand-in images for the activation analysis (paper: 100)
    imagenet_images: int          # ImageNet images for it when the ImageNet weights are used (paper: 100)
    n_eval: int                   # held-out images for the trained network's accuracy
    untrained_seeds: tuple        # Kaiming-initialised networks (paper: one)
    min_angle_deg: float          # subspace size rule: all angles must exceed this
    min_fraction: float           # ... searching sizes from the full dimension down to this fraction
    baseline_angles: int          # random angles per (dimension, size) for the baseline
    resnet18_epochs: int          # second architecture (go beyond); 0 skips it


QUICK = Params(use_imagenet=True, train_image_size=32, n_train=30720, epochs=8, batch_size=128, lr=3e-3,
               warmup_fraction=0.25, accuracy_floor=0.85, min_movement_share=0.25, min_positions=16,
               n_images=30, imagenet_images=8, n_eval=1000, untrained_seeds=(0, 1), min_angle_deg=0.1, min_fraction=0.5,
               baseline_angles=256, resnet18_epochs=1)
FULL = Params(use_imagenet=True, train_image_size=64, n_train=60000, epochs=12, batch_size=256, lr=3e-3,
              warmup_fraction=0.25, accuracy_floor=0.85, min_movement_share=0.25, min_positions=16,
              n_images=100, imagenet_images=100, n_eval=10000, untrained_seeds=(0, 1, 2, 3, 4), min_angle_deg=0.1,
              min_fraction=0.5, baseline_angles=2048, resnet18_epochs=6)

#: How the parameter table names each field, for a reader.
LABELS = {
    "use_imagenet": "Use torchvision's ImageNet ResNet-50 when present",
    "train_image_size": "Side of the stand-in training images (pixels)",
    "n_train": "Stand-in training images (each seen once; a smaller stand-in is cycled through)",
    "epochs": "Training intervals (a checkpoint after each)",
    "batch_size": "Mini-batch size",
    "lr": "Peak Adam learning rate",
    "warmup_fraction": "Share of steps spent warming up the learning rate",
    "accuracy_floor": "Held-out accuracy floor of the trained stand-in",
    "min_movement_share": ("Least mean angle training must turn the input spaces, as a share of the angle "
                           "between random subspaces of the same sizes (a complete re-draw)"),
    "min_positions": "Least spatial positions per image for the activation analysis",
    "n_images": "Stand-in images in the activation analysis",
    "imagenet_images": "ImageNet images in the activation analysis when the ImageNet weights are used",
    "n_eval": "Held-out images for the accuracy",
    "untrained_seeds": "Seeds of the untrained networks",
    "min_angle_deg": "Smallest principal angle kept (degrees)",
    "min_fraction": "Smallest subspace size searched (share of the full size)",
    "baseline_angles": "Random angles per size for the random-subspace baseline",
    "resnet18_epochs": "ResNet-18 training intervals (0: not trained)",
}


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


def interval_size(p: Params, epochs: int | None = None) -> int:
    """Training images of one interval: the training set is cut into ``epochs`` equal slices, each seen once.

    Parameters
    ----------
    p : Params
    epochs : int, optional
        Number of intervals (default ``p.epochs``).

    Returns
    -------
    int
        ``n_train // epochs`` (at least 1).
    """
    return max(1, p.n_train // max(1, p.epochs if epochs is None else epochs))


def steps_per_epoch(p: Params, epochs: int | None = None) -> int:
    """Adam steps in one training interval (the last batch may be short).

    Parameters
    ----------
    p : Params
    epochs : int, optional
        Number of intervals (default ``p.epochs``).

    Returns
    -------
    int
        ``ceil(interval_size / batch_size)``.
    """
    return training.steps_per_epoch(interval_size(p, epochs), p.batch_size)


def total_steps(p: Params, epochs: int | None = None) -> int:
    """Adam steps of the whole training (``epochs`` intervals)."""
    n = p.epochs if epochs is None else epochs
    return n * steps_per_epoch(p, n)
