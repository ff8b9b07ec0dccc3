"""The chapter's parameters: one frozen dataclass, one instance per profile."""
from __future__ import annotations

from dataclasses import dataclass

from repgeom import runtime

__all__ = ["FULL", "QUICK", "Params", "b0", "params"]


@dataclass(frozen=True)
class Params:
    """Every setting of the neural-race chapter (paper Figs. 3-7).

    Learning rates are per epoch of full-batch gradient descent (``1/tau``);
    init scales are the singular value of every initial matrix.
    """

    # Fig. 3: XOR
    xor_hidden: int = 128          # N_h
    xor_tau: float = 2.5           # tau; learning rate = dt / tau
    xor_dt: float = 0.1
    xor_sigma0: float = 2e-4
    xor_reps: int = 10
    xor_epochs: int = 1000
    # Fig. 4: routing, M = 7, K = 4
    M: int = 7
    K: int = 4
    hidden: int = 64
    lr: float = 0.02
    epochs: int = 500
    sigma0: float = 0.2
    b0_ratio: float = 2.5          # decoupled start and theory at b0 = sigma0 / b0_ratio (the authors' code)
    reps: int = 10
    # Fig. 5b: the race between gating schemes (theory)
    race_M: int = 6
    race_epochs: int = 1500
    # Fig. 5c: trained fraction K/M
    sweep_M: int = 10
    sweep_K: tuple = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
    sweep_lr_K: float = 0.05       # lr = 0.05 / K
    sweep_epochs: int = 500
    sweep_reps: int = 10
    # Fig. 6: init scale
    init_scales: tuple = (0.2, 0.66, 1.12, 1.58, 2.04, 2.5)
    init_lr: float = 0.006         # lr = 0.006 / sigma0^(1/3)
    init_epochs: int = 700
    init_reps: int = 10
    spread_reps: int = 10          # seeds at the smallest init scale, where the outcome is bimodal across seeds
    # Fig. 7: images through permuted domains
    img_M: int = 100
    img_train: int = 1000
    img_test: int = 1000
    img_size: int = 28
    img_hidden: int = 64
    img_lr_M: float = 1.6         # lr = 1.6 / M (the shared matrix's gradient sums M domains)
    img_epochs: int = 2000
    img_K: tuple = (5, 10, 20, 30, 40, 60, 100)
    img_sigma0: float = 0.3
    img_sigma0_sweep: tuple = (1.0, 2.0)
    img_sweep_K: int = 60
    # Fig. 7b: rotated input domains on pretrained-CNN features of CIFAR-10
    rot_M: int = 40
    rot_K: tuple = (2, 4, 8, 12, 16, 24, 40)
    rot_train: int = 1000
    rot_test: int = 1000
    rot_epochs: int = 1500


FULL = Params()
QUICK = Params(
    reps=4, race_epochs=800, sweep_K=(1, 2, 4, 6, 10), sweep_reps=1, init_reps=1, spread_reps=8,
    img_M=8, img_train=200, img_test=300, img_size=7, img_epochs=120,
    img_K=(1, 2, 3, 5), img_sigma0_sweep=(1.0, 2.0), img_sweep_K=5,
    rot_M=8, rot_K=(1, 2, 3, 5), rot_train=200, rot_test=300, rot_epochs=120,
)


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


def b0(P: Params, sigma0: float | None = None) -> float:
    """The decoupled start and the theory's initial mode strength for init scale ``sigma0`` (default ``P.sigma0``).

    The authors' verification code starts the decoupled network and the reduced
    equations at ``sigma0 / 2.5``, not at the singular value ``sigma0`` of the
    random orthogonal start.
    """
    return (P.sigma0 if sigma0 is None else sigma0) / P.b0_ratio
