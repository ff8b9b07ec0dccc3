"""The chapter's parameters at the quick and the full profile."""
from __future__ import annotations

from dataclasses import dataclass

from repgeom import runtime

__all__ = ["FULL", "QUICK", "Params", "params"]


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
    n_snapshots: int         # training checkpoints analysed for Fig. 3 (top)
    max_units: int           # larger layers are subsampled to this many units
    srm_iter: int            # EM iterations of the probabilistic SRM
    fit_fraction: float      # share of probe images used to fit SRM
    sim_runs: int            # simulation repetitions (Fig. 2)
    sim_per_cloud: int       # points per XOR cloud
    sim_hidden: int
    sim_steps: int           # full-batch Adam steps of the XOR network
    bootstrap: int           # bootstrap resamples for 95% CIs


QUICK = Params(datasets=("cifar10",), n_networks=10, image_size=16, n_train=300, n_probe=400,
               convnet_epochs=2, convnet_batch=32, convnet_lr=1e-3,
               resnet_epochs=2, resnet_batch=32, resnet_lr=1e-3, resnet_width=4,
               n_snapshots=2, max_units=100, srm_iter=10, fit_fraction=0.8,
               sim_runs=10, sim_per_cloud=50, sim_hidden=50, sim_steps=200, bootstrap=1000)
FULL = Params(datasets=("cifar10", "cifar100"), n_networks=10, image_size=32, n_train=50_000, n_probe=10_000,
              convnet_epochs=50, convnet_batch=32, convnet_lr=1e-4,
              resnet_epochs=30, resnet_batch=128, resnet_lr=1e-3, resnet_width=64,
              n_snapshots=6, max_units=1000, srm_iter=10, fit_fraction=0.8,
              sim_runs=50, sim_per_cloud=50, sim_hidden=50, sim_steps=2000, bootstrap=2000)


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
