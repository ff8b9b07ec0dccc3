"""The chapter's parameters at the quick and full profiles."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from repgeom import runtime

__all__ = ["Params", "QUICK", "FULL", "params"]


@dataclass(frozen=True)
class Params:
    """Sizes and sweep values of every figure of the chapter (the comments say what each field sets)."""

    dim: int                  # input dimension, four random clusters (Fig. 1)
    width: int                # hidden units
    nets: int                 # networks per activation and condition
    steps: int                # SGD steps (Fig. 1, Apps. A-B)
    per_cluster: int          # training samples per cluster per step
    lr: float                 # plain SGD
    snapshots: tuple          # steps at which the geometry is measured
    test_per_cluster: int     # test samples per cluster
    deltas: tuple             # separability values (Figs. 2-3)
    noise_vars: tuple         # training noise variances sigma^2_train (Fig. 3)
    delta_dim: int
    delta_width: int
    delta_steps: int
    delta_per_cluster: int
    ks: tuple                 # (P, targets k) pairs (Fig. 4B)
    cs: tuple                 # input-target alignments c (Figs. 4B, 6)
    n_dots: int               # random lower-dimensional input kernels per (P, k, c)
    aligned_dim: int
    aligned_width: int
    aligned_steps: int
    aligned_per_cluster: int
    caps: tuple               # capped ReLU ceilings (Fig. 6A)
    shifts: tuple             # shifted ReLU offsets b (Fig. 6B)
    depths: tuple             # hidden layers of the deep networks (Fig. 5)
    deep_width: int
    deep_steps: int
    deep_lr: float            # Adam
    cnn_datasets: tuple
    cnn_archs: tuple
    cnn_train: int
    cnn_test: int
    cnn_epochs: int
    max_splits: int = field(metadata={"label": "CCGP train/test choices per dichotomy, P = 32 (Bernardi "
                                                "estimator only)"})
    max_pairings: int = field(metadata={"label": "Pairings tried by the parallelism score, P = 32 (Bernardi "
                                                  "estimator only)"})
    max_dichotomies: int      # targets averaged for PS / CCGP in the random tasks
    aligned_test: int         # test samples per cluster in the random tasks
    check_dim: int = 0        # paper-scale check of Fig. 6 (P = 32): input dimension (0: no separate check)
    check_width: int = 0      # its hidden units
    check_steps: int = 0      # its SGD steps
    check_per_cluster: int = 8  # its samples per cluster per step
    check_nets: int = 2       # its networks per activation and alignment
    check_cs: tuple = ()      # its input-target alignments c
    check_deltas: tuple = ()  # paper-scale check of Fig. 2B (sigma^2_train = 1): separabilities (empty: no check)
    check_delta_dim: int = 0  # its input dimension
    check_delta_width: int = 0  # its hidden units
    check_delta_per_cluster: int = 50  # its samples per cluster per step (steps: check_steps)
    estimator: str = field(default="released", metadata={
        "label": "CCGP and parallelism estimators (released: the authors' matched-pair CCGP and linear-assignment "
                 "parallelism; subsets: Bernardi et al.'s all-but-one CCGP and best of the tried pairings)"})
    decoder: str = field(default="svm", metadata={
        "label": "Decoder of the decoding measures (svm: linear SVM, squared hinge, C = 1, as the paper; logistic: "
                 "L2 logistic regression); the released CCGP always uses the SVM, the subsets CCGP the logistic"})
    test_noise_var: float = field(default=1.0, metadata={
        "label": "Test noise variance σ²_test of the samples the geometry is measured on (the paper's value)"})


QUICK = Params(dim=30, width=32, nets=5, steps=300, per_cluster=10, lr=0.1,
               snapshots=(0, 20, 80, 300), test_per_cluster=10,
               deltas=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), noise_vars=(0.1, 1.0, 10.0),
               delta_dim=20, delta_width=24, delta_steps=250, delta_per_cluster=8,
               ks=((8, 1), (8, 3), (8, 6), (32, 1), (32, 5), (32, 20)), cs=(0.2, 0.5, 0.8),
               n_dots=1, aligned_dim=40, aligned_width=32, aligned_steps=200, aligned_per_cluster=2,
               caps=(1.0, 1.5, 2.0), shifts=(-0.5, 0.5), depths=(5, 10), deep_width=32,
               deep_steps=300, deep_lr=1e-3, cnn_datasets=("cifar10",), cnn_archs=("small",),
               cnn_train=1500, cnn_test=400, cnn_epochs=1, max_splits=4, max_pairings=24,
               max_dichotomies=3, aligned_test=4, check_dim=100, check_width=128, check_steps=2000,
               check_per_cluster=8, check_nets=2, check_cs=(0.2, 0.5), check_deltas=(0.0, 0.2, 0.4, 1.0),
               check_delta_dim=120, check_delta_width=120, check_delta_per_cluster=50)
FULL = Params(dim=100, width=120, nets=20, steps=4000, per_cluster=50, lr=0.1,
              snapshots=(0, 50, 100, 200, 400, 800, 1600, 4000), test_per_cluster=50,
              deltas=tuple(np.round(np.linspace(0, 1, 21), 3)), noise_vars=(0.05, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0),
              delta_dim=120, delta_width=120, delta_steps=4000, delta_per_cluster=50,
              ks=((8, 1), (8, 2), (8, 3), (8, 4), (8, 5), (8, 6), (32, 1), (32, 2), (32, 5), (32, 10),
                  (32, 20), (32, 30)),
              cs=tuple(np.round(np.linspace(0.05, 0.95, 10), 3)), n_dots=12,
              aligned_dim=100, aligned_width=128, aligned_steps=4000, aligned_per_cluster=8,
              caps=(1.0, 1.5, 2.0), shifts=(-1.0, -0.5, 0.5, 1.0), depths=(5, 10), deep_width=128,
              deep_steps=5000, deep_lr=1e-3, cnn_datasets=("cifar10", "stl10"), cnn_archs=("small", "resnet18"),
              cnn_train=50000, cnn_test=10000, cnn_epochs=30, max_splits=64, max_pairings=720,
              max_dichotomies=30, aligned_test=20)


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
