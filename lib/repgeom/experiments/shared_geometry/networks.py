"""The chapter's data and its two ensembles of ConvNets and ResNet-18s per dataset role."""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from numbers import Real
from pathlib import Path

import torch
from torch import nn

from repgeom import data
from repgeom.data import DataProvenance, ImageData
from repgeom.models.convnets import ConvNet, ResNet18, shift_flip
from repgeom.models.ensemble import EnsembleResult, train_ensemble
from repgeom.training import steps_per_epoch

from .parameters import Params

__all__ = [
    "ARCHS",
    "Datasets",
    "checkpoint_steps",
    "epoch_text",
    "data_label",
    "layers_of",
    "load_datasets",
    "load_models",
    "network_seeds",
    "recipe",
    "snapshot_epochs",
    "steps_per_epoch",
    "train_ensembles",
]

ARCHS = ("ConvNet", "ResNet-18")

def data_label(provenance: DataProvenance) -> str:
    """The data a role actually used, in words: ``"CIFAR-10"`` or ``"Fashion-MNIST (stand-in for CIFAR-10)"``.

    Parameters
    ----------
    provenance : DataProvenance
        Of the role's probe (or training) images.

    Returns
    -------
    str
    """
    return data.used_in_words(provenance.used, provenance.requested)


@dataclass(frozen=True)
class Datasets:
    """Training and probe images of every dataset role.

    Attributes
    ----------
    train, probe : dict
        ``role -> ImageData`` (images (n, C, H, W), standardised).
    """

    train: dict
    probe: dict

    @property
    def provenance(self) -> list[DataProvenance]:
        """Every load, in the order the chapter records them (train, probe per role)."""
        return [d.provenance for ds in self.train for d in (self.train[ds], self.probe[ds])]


def load_datasets(p: Params) -> Datasets:
    """Load ``p.n_train`` training and ``p.n_probe`` probe images of every role in ``p.datasets``.

    Parameters
    ----------
    p : Params

    Returns
    -------
    Datasets
        Images of side ``p.image_size``, channel-standardised (stand-ins where the real set is absent).
    """
    train_sets, probe_sets = {}, {}
    for ds in p.datasets:
        train_sets[ds] = data.load(ds, "train", n=p.n_train, normalize=True, size=p.image_size)
        probe_sets[ds] = data.load(ds, "test", n=p.n_probe, normalize=True, size=p.image_size)
    return Datasets(train_sets, probe_sets)


def recipe(arch: str, num_classes: int, p: Params) -> dict:
    """How one architecture is built and trained.

    Parameters
    ----------
    arch : {"ConvNet", "ResNet-18"}
    num_classes : int
    p : Params

    Returns
    -------
    dict
        ``make_model``, ``epochs``, ``batch_size``, ``make_optimizer`` and
        ``augment``, the keywords of :func:`repgeom.models.ensemble.train_ensemble`.
        The ConvNet uses RMSprop (Keras's rho 0.9) and no augmentation;
        ResNet-18 uses Adam and, when ``p.resnet_augment``, random shifts (up to 1/8 of the side) and flips.
    """
    if arch == "ConvNet":
        return {"make_model": lambda: ConvNet(num_classes, image_size=p.image_size),
                "epochs": p.convnet_epochs, "batch_size": p.convnet_batch,
                "make_optimizer": lambda prm: torch.optim.RMSprop(prm, lr=p.convnet_lr, alpha=0.9, eps=1e-7),
                "augment": None}
    pad = max(1, p.image_size // 8)
    return {"make_model": lambda: ResNet18(num_classes, width=p.resnet_width),
            "epochs": p.resnet_epochs, "batch_size": p.resnet_batch,
            "make_optimizer": lambda prm: torch.optim.Adam(prm, lr=p.resnet_lr),
            "augment": (lambda xb, g: shift_flip(xb, g, pad=pad)) if p.resnet_augment else None}


def snapshot_epochs(epochs: int, checkpoints: tuple[int, ...]) -> tuple[int, ...]:
    """The whole-epoch checkpoints within a training run of ``epochs`` epochs, and always its last epoch.

    Parameters
    ----------
    epochs : int
        Epochs of the run (>= 1).
    checkpoints : tuple of int or Fraction
        Requested training times in epochs (0 = initialisation), e.g. the paper's 0, 1, 2, 4, 6, 9, 14, 21, 32,
        50; fractions of an epoch are left to :func:`checkpoint_steps`.

    Returns
    -------
    tuple of int
        Distinct, increasing whole epochs in ``[0, epochs]``, ending with ``epochs``.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if any(c < 0 for c in checkpoints):
        raise ValueError(f"checkpoints must be non-negative epochs, got {checkpoints}")
    return tuple(sorted({int(c) for c in checkpoints if c <= epochs and c == int(c)} | {int(epochs)}))


def checkpoint_steps(epochs: int, per_epoch: int, checkpoints: tuple) -> tuple[int, ...]:
    """The optimisation steps at which a run of ``epochs`` epochs is checkpointed, always including its end.

    Parameters
    ----------
    epochs : int
        Epochs of the run (>= 1).
    per_epoch : int
        Optimisation steps per epoch (:func:`steps_per_epoch`).
    checkpoints : tuple of int, Fraction or float
        Training times in epochs (0 = initialisation); fractions of an epoch go to the nearest step
        (half a step rounds up), times past ``epochs`` are dropped.

    Returns
    -------
    tuple of int
        Distinct, increasing steps in ``[0, epochs * per_epoch]``, ending with ``epochs * per_epoch``; a whole
        epoch ``e`` is step ``e * per_epoch``.
    """
    if epochs < 1 or per_epoch < 1:
        raise ValueError(f"epochs and per_epoch must be >= 1, got {epochs} and {per_epoch}")
    if any(not isinstance(c, Real) or not math.isfinite(c) or c < 0 for c in checkpoints):
        raise ValueError(f"checkpoints must be finite non-negative epochs, got {checkpoints}")
    steps = {math.floor(Fraction(c) * per_epoch + Fraction(1, 2)) for c in checkpoints if c <= epochs}
    return tuple(sorted(steps | {epochs * per_epoch}))


def epoch_text(epoch: float) -> str:
    """A checkpoint's training time in epochs for a reader: ``"0"``, ``"4"``, ``"1/16"``.

    Parameters
    ----------
    epoch : int, Fraction or float
        E.g. ``Fraction(14, 219)``, the checkpoint nearest 1/16 of an epoch of 219 steps.

    Returns
    -------
    str
        The nearest fraction with denominator at most 16 (checkpoints within an epoch are rounded to a step).
    """
    f = Fraction(epoch).limit_denominator(16)
    return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"


def network_seeds(p: Params) -> dict[str, list[int]]:
    """``arch -> seeds``: ``0..n-1`` for the ConvNets, ``100..100+n-1`` for the ResNet-18s."""
    return {arch: [100 * a + i for i in range(p.n_networks)] for a, arch in enumerate(ARCHS)}


def layers_of(arch: str) -> tuple[str, ...]:
    """The analysed layers of an architecture (``ConvNet.LAYERS`` or ``ResNet18.LAYERS``)."""
    return ConvNet.LAYERS if arch == "ConvNet" else ResNet18.LAYERS


def load_models(arch: str, num_classes: int, states: list[dict], p: Params,
                device: torch.device | str) -> list[nn.Module]:
    """Networks of ``arch`` with the given state dicts, on ``device``, in eval mode.

    Parameters
    ----------
    arch : {"ConvNet", "ResNet-18"}
    num_classes : int
    states : list of dict
        One state dict per network (e.g. a training snapshot).
    p : Params
    device : torch.device or str

    Returns
    -------
    list of nn.Module
    """
    models = []
    for sd in states:
        m = recipe(arch, num_classes, p)["make_model"]().to(device)
        m.load_state_dict(sd)
        models.append(m.eval())
    return models


def _train_one(make, seeds, d, r, p: Params, device, cache: Path, desc: str) -> EnsembleResult:
    """One ensemble with snapshots at every checkpoint of ``p.checkpoints``, those within epochs included.

    Whole epochs are kept by :func:`train_ensemble`'s ``snapshot_epochs``, checkpoints within an epoch by its
    ``snapshot_steps``; the latter join ``snapshots`` under their time in epochs (a :class:`~fractions.Fraction`).
    """
    per = steps_per_epoch(int(d.x.shape[0]), r["batch_size"])
    steps = checkpoint_steps(r["epochs"], per, p.checkpoints)
    whole = tuple(s // per for s in steps if s % per == 0)
    within = tuple(s for s in steps if s % per)
    ens = train_ensemble(make, seeds, d.x, d.y, **r, device=device, snapshot_epochs=whole, snapshot_steps=within,
                         cache=cache, desc=desc)
    snaps = {**ens.snapshots, **{Fraction(s, per): ens.step_snapshots[s] for s in within}}
    ens.snapshots = dict(sorted(snaps.items()))
    return ens


def train_ensembles(p: Params, train_sets: dict[str, ImageData], device: torch.device | str,
                    ckpt_dir: Path) -> dict[tuple[str, str], EnsembleResult]:
    """Train (or load from ``ckpt_dir``) ``p.n_networks`` networks of each architecture on each role.

    Parameters
    ----------
    p : Params
    train_sets : dict
        ``role -> ImageData`` for every role in ``p.datasets``.
    device : torch.device or str
    ckpt_dir : Path
        Folder of the cached ensembles (one file per role and architecture, and one beside it with the
        snapshots taken within an epoch).

    Returns
    -------
    dict
        ``(role, arch) -> EnsembleResult`` with snapshots at every checkpoint (:func:`checkpoint_steps`),
        keyed by training time in epochs: ``int`` for whole epochs, ``Fraction(step, steps_per_epoch)``
        within one.
    """
    seeds = network_seeds(p)
    ensembles = {}
    for ds in p.datasets:
        d = train_sets[ds]
        for arch in ARCHS:
            r = recipe(arch, d.num_classes, p)
            make = r.pop("make_model")
            # the cache checks seeds, data and schedule; the name carries the rest of the recipe
            tag = (f"w{p.resnet_width}-lr{p.resnet_lr:g}-{'aug' if p.resnet_augment else 'noaug'}"
                   if arch == "ResNet-18" else f"lr{p.convnet_lr:g}")
            name = f"shared_geometry-{ds}-{arch.lower()}-{p.image_size}px-{p.n_train}-{tag}.pt"
            ensembles[ds, arch] = _train_one(make, seeds[arch], d, r, p, device, ckpt_dir / name, f"{arch} {ds}")
    return ensembles
