"""Convolutional networks on 10 image classes grouped into 5 labels (paper Fig. 4C).

Classes ``2a`` and ``2a + 1`` share label ``a``. The last hidden layer is
measured on class means: kernel alignment with the 5-label targets and with
the pixels, and PS / CCGP over the 10 pairs of labels (two classes each, so
four conditions per pair).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from repgeom import data
from repgeom.measures.abstraction import ccgp, parallelism_score
from repgeom.measures.abstraction_released import assignment_parallelism, matched_ccgp
from repgeom.measures.similarity import kernel_alignment
from repgeom.models.task_cnns import last_hidden, task_cnn
from repgeom.training import epoch_batches, fit

from .params import Params
from .sweep import Context

__all__ = ["CnnRow", "load_cnn_data", "cnn_geometry"]


@dataclass(frozen=True)
class CnnRow:
    """Test accuracy and last-hidden-layer geometry of one trained CNN (measures in [0, 1], PS in [-1, 1])."""

    data: str
    arch: str
    act: str
    accuracy: float
    target_alignment: float
    input_alignment: float
    ps: float
    ccgp: float


def load_cnn_data(P: Params, quick: bool) -> dict[str, tuple[data.ImageData, data.ImageData]]:
    """Train and test images of every dataset of ``P.cnn_datasets``, channel-normalised.

    Parameters
    ----------
    P : Params
        Uses ``cnn_datasets``, ``cnn_train``, ``cnn_test``.
    quick : bool
        Resize to 32 x 32 (the quick profile).

    Returns
    -------
    dict
        Dataset name -> (train, test) ImageData (stand-ins where the real set is absent).
    """
    cnn_data = {}
    for name in P.cnn_datasets:
        cnn_data[name] = (data.load(name, "train", n=P.cnn_train, normalize=True, size=32 if quick else None),
                          data.load(name, "test", n=P.cnn_test, normalize=True, size=32 if quick else None))
    return cnn_data


def cnn_geometry(ctx: Context, cnn_data: dict[str, tuple[data.ImageData, data.ImageData]]) -> list[CnnRow]:
    """Train one tanh and one ReLU CNN per dataset and architecture (Adam, seeds 700 and 701), and measure them.

    Parameters
    ----------
    ctx : Context
        Uses ``cnn_archs`` and ``cnn_epochs``; seeds 700 and 701 are recorded.
    cnn_data : dict
        Dataset name -> (train, test), 10 classes (:func:`load_cnn_data`).

    Returns
    -------
    list of CnnRow
        Ordered dataset, architecture, activation (tanh first).

    Notes
    -----
    Each network is initialised after ``torch.manual_seed(700)``: this resets the global torch RNG.
    """
    P, device = ctx.params, ctx.device
    cnn_rows = []
    onehot = torch.zeros(10, 5)
    onehot[torch.arange(10), torch.arange(10) // 2] = 1.0
    pairs = [(a, b) for a in range(5) for b in range(a + 1, 5)]
    for dname, (train_d, test_d) in cnn_data.items():
        n_per = int(torch.bincount(test_d.y, minlength=10).min())
        pick = torch.cat([torch.nonzero(test_d.y == c).flatten()[:n_per] for c in range(10)])
        pix = test_d.x[pick].flatten(1).view(10, n_per, -1).mean(1).double()
        for arch in P.cnn_archs:
            for act in ("tanh", "relu"):
                torch.manual_seed(700)
                net = task_cnn(arch, act, train_d.x.shape[-1]).to(device)
                opt = torch.optim.Adam(net.parameters(), lr=1e-3)
                fit(net, lambda e: epoch_batches(train_d.x, train_d.y // 2, 64, seed=701, epoch=e),
                    nn.functional.cross_entropy, opt, P.cnn_epochs, desc=f"{arch}-{act}")
                net.eval()  # ResNet-18's batch norm: running statistics for accuracy and representations
                with torch.no_grad():
                    acc = float(torch.cat([net(test_d.x[s:s + 256].to(device)).argmax(1).cpu()
                                           for s in range(0, len(test_d.x), 256)]).eq(test_d.y // 2).float().mean())
                z = last_hidden(net, test_d.x[pick]).view(10, n_per, -1)
                mz = z.double().mean(1)
                sub = torch.stack([z[[2 * a, 2 * a + 1, 2 * b, 2 * b + 1]] for a, b in pairs])
                d4 = torch.tensor([[1.0, 1.0, -1.0, -1.0]])
                cnn_rows.append(CnnRow(
                    data=data.dataset_name(train_d.provenance.used), arch=arch, act=act, accuracy=acc,
                    target_alignment=float(kernel_alignment(mz @ mz.T, onehot.double() @ onehot.double().T)),
                    input_alignment=float(kernel_alignment(mz @ mz.T, pix @ pix.T)),
                    ps=float((assignment_parallelism(sub.mean(2), d4) if P.estimator == "released"
                              else parallelism_score(sub.mean(2), d4)).mean()),
                    ccgp=float((matched_ccgp(sub, d4) if P.estimator == "released" else ccgp(sub, d4)).mean())))
    ctx.add_seeds(700, 701)
    return cnn_rows
