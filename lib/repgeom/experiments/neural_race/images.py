"""Fig. 7: routing images through permuted domains, and through rotated CNN-feature domains (7b)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from repgeom import data, runtime
from repgeom.models import features, gdln
from repgeom.models.gdln import image_routing as routing
from repgeom.models.pretrained import pretrained_resnet50

from .params import Params

__all__ = [
    "ImageRoutingResult",
    "RotationInputs",
    "RotationResult",
    "at_fraction",
    "image_vectors",
    "permuted_image_routing",
    "rotated_domain_routing",
    "rotation_inputs",
]


def image_vectors(images: data.ImageData, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Images as standardised vectors: centred per pixel, divided by the raw pixels' overall standard deviation.

    Parameters
    ----------
    images : repgeom.data.ImageData
        ``x`` of shape (N, C, H, W).
    device : torch.device or str

    Returns
    -------
    (x, y) : tuple of torch.Tensor
        Shapes (N, C * H * W) and (N,), on ``device``.
    """
    ximg = images.x.flatten(1).to(device)
    ximg = (ximg - ximg.mean(0)) / ximg.std()
    return ximg, images.y.to(device)


def at_fraction(frac: np.ndarray, trained_err: np.ndarray, untrained_err: np.ndarray,
                at: float = 0.4) -> tuple[float, float]:
    """Errors on trained and untrained routes interpolated at one trained fraction K/M.

    Parameters
    ----------
    frac : numpy.ndarray
        Increasing trained fractions, shape (C,).
    trained_err, untrained_err : numpy.ndarray
        Shape (C,); NaN untrained entries (everything trained) are skipped.
    at : float

    Returns
    -------
    (trained, untrained) : tuple of float
    """
    ok = ~np.isnan(untrained_err)
    un = float(np.interp(at, frac[ok], untrained_err[ok]))
    tr = float(np.interp(at, frac, trained_err))
    return tr, un


@dataclass(frozen=True)
class ImageRoutingResult:
    """Permuted-image routing networks: one per (K, init scale) condition.

    Attributes
    ----------
    conds : list of (int, float)
        (K, sigma0): first every ``img_K`` at ``img_sigma0``, then ``img_sweep_K`` at each ``img_sigma0_sweep``.
    trained : torch.Tensor
        Bool (C, M, M).
    result : repgeom.models.gdln.image_routing.RoutingResult
    tr, un : numpy.ndarray
        Mean classification error on held-out images over trained / untrained routes, shape (C,).
    trn : numpy.ndarray
        Same on the training images, trained routes, shape (C,).
    frac : numpy.ndarray
        K / M per condition, shape (C,).
    n_K : int
        Number of conditions of the K sweep (the first ``n_K``).
    init_idx : list of int
        The conditions of the init-scale sweep at ``img_sweep_K`` (its ``img_sigma0`` run first).
    init_scales : list of float
        Their init scales.
    tr_40, un_40 : float
        Trained / untrained error of the K sweep interpolated at K/M = 0.4.
    seeds : tuple of int
        The domains' seed (7), then one per network (300, 301, ...).
    """

    conds: list[tuple[int, float]]
    trained: torch.Tensor
    result: routing.RoutingResult
    tr: np.ndarray
    un: np.ndarray
    trn: np.ndarray
    frac: np.ndarray
    n_K: int
    init_idx: list[int]
    init_scales: list[float]
    tr_40: float
    un_40: float
    seeds: tuple[int, ...]


def permuted_image_routing(x: torch.Tensor, y: torch.Tensor, n_classes: int, P: Params,
                           device: torch.device | str = "cpu") -> ImageRoutingResult:
    """Train the Fig. 7 networks: input domains are pixel permutations, output domains label permutations.

    Parameters
    ----------
    x : torch.Tensor
        Standardised image vectors, shape (img_train + img_test, D): training images first.
    y : torch.Tensor
        Labels, shape (img_train + img_test,).
    n_classes : int
    P : Params
        The ``img_*`` fields (``img_sweep_K`` must be one of ``img_K``).
    device : torch.device or str

    Returns
    -------
    ImageRoutingResult
    """
    xtr, ytr = x[:P.img_train], y[:P.img_train]
    xte, yte = x[P.img_train:], y[P.img_train:]
    doms = routing.make_domains(P.img_M, x.shape[1], n_classes, seed=7)
    img_conds = [(k, P.img_sigma0) for k in P.img_K] + [(P.img_sweep_K, s) for s in P.img_sigma0_sweep]
    img_trained = torch.stack([gdln.trained_routes(P.img_M, k, device=device) for k, _ in img_conds])
    img = routing.train_image_routing(
        xtr, ytr, xte, yte, doms, img_trained,
        sigma0=torch.tensor([s for _, s in img_conds]), lr=torch.full((len(img_conds),), P.img_lr_M / P.img_M),
        hidden=P.img_hidden, epochs=P.img_epochs, seed=300, n_classes=n_classes)
    img_tr, img_un = (e.numpy() for e in routing.route_error_means(img.test_error, img_trained))
    img_trn = routing.route_error_means(img.train_error, img_trained)[0].numpy()
    img_frac = np.array([k / P.img_M for k, _ in img_conds])
    nK = len(P.img_K)
    idx = [list(P.img_K).index(P.img_sweep_K)] + list(range(nK, len(img_conds)))
    sc = [img_conds[i][1] for i in idx]
    tr_40, un_40 = at_fraction(img_frac[:nK], img_tr[:nK], img_un[:nK])
    return ImageRoutingResult(img_conds, img_trained, img, img_tr, img_un, img_trn, img_frac, nK, idx, sc,
                              tr_40, un_40, (7, *range(300, 300 + len(img_conds))))


@dataclass(frozen=True)
class RotationInputs:
    """The inputs of Fig. 7b: CNN features of CIFAR-10 when available, else the pixel vectors of Fig. 7.

    Attributes
    ----------
    x : torch.Tensor
        Standardised inputs, shape (N, D).
    y : torch.Tensor
        Labels, shape (N,).
    source : str
        What the inputs are, for captions and the claim table.
    cnn_used : bool
        The paper's setting ran (CIFAR-10 through the pretrained ResNet-50).
    note : str
        Why it did not, or where the weights came from.
    provenance : repgeom.data.DataProvenance or None
        The CIFAR-10 load, to record with the chapter run (None when not loaded).
    """

    x: torch.Tensor
    y: torch.Tensor
    source: str
    cnn_used: bool
    note: str
    provenance: data.DataProvenance | None


def rotation_inputs(P: Params, quick: bool, fallback: tuple[torch.Tensor, torch.Tensor], fallback_summary: str,
                    device: torch.device | str = "cpu", size: int = 224) -> RotationInputs:
    """ResNet-50 features of ``rot_train + rot_test`` CIFAR-10 images, or the fallback pixel vectors.

    The features run only at the full profile, when CIFAR-10 is on disk and
    torchvision's ImageNet ResNet-50 weights can be had; they are its
    global-average-pool output, centred per feature and divided by the raw
    features' overall standard deviation.

    Parameters
    ----------
    P : Params
        ``rot_train``, ``rot_test``.
    quick : bool
        The quick profile (never runs the CNN).
    fallback : (x, y)
        The standardised pixel vectors (N, D) and labels (N,) of Fig. 7.
    fallback_summary : str
        Their data provenance summary.
    device : torch.device or str
    size : int
        Side the images are resized to for the CNN.

    Returns
    -------
    RotationInputs
    """
    cnn, cifar_note, prov = None, "the quick profile does not run it", None
    if not quick:
        if not data.available("cifar10", "train"):
            cifar_note = f"CIFAR-10 is not on disk under {runtime.data_root()}"
        else:
            cnn, cifar_note = pretrained_resnet50(runtime.offline(), runtime.data_root())
    if cnn is not None:
        cifar_images = data.load("cifar10", "train", n=P.rot_train + P.rot_test, subset_seed=0, stand_in=False)
        prov = cifar_images.provenance
        xrot = features.penultimate_features(cnn.to(device), cifar_images.x, size=size)
        xrot = (xrot - xrot.mean(0)) / xrot.std()
        yrot = cifar_images.y.to(device)
        rot_source = f"CIFAR-10 through ResNet-50 (ImageNet weights), {xrot.shape[1]} features"
    else:
        xrot, yrot = fallback  # the standardised pixel vectors of the run above
        rot_source = (f"pixel vectors of {fallback_summary} ({xrot.shape[1]} dims): a code-path check, "
                      "not the paper's CNN features")
    return RotationInputs(xrot, yrot, rot_source, cnn is not None, cifar_note, prov)


@dataclass(frozen=True)
class RotationResult:
    """Rotated-domain routing networks, one per K of ``rot_K``.

    Attributes
    ----------
    trained : torch.Tensor
        Bool (C, M, M).
    result : repgeom.models.gdln.image_routing.RoutingResult
    tr, un : numpy.ndarray
        Mean held-out error over trained / untrained routes, shape (C,).
    frac : numpy.ndarray
        K / M, shape (C,).
    tr_40, un_40 : float
        Interpolated at K/M = 0.4.
    seeds : tuple of int
        The domains' seed (8), then one per network (400, 401, ...).
    """

    trained: torch.Tensor
    result: routing.RoutingResult
    tr: np.ndarray
    un: np.ndarray
    frac: np.ndarray
    tr_40: float
    un_40: float
    seeds: tuple[int, ...]


def rotated_domain_routing(x: torch.Tensor, y: torch.Tensor, P: Params,
                           device: torch.device | str = "cpu") -> RotationResult:
    """Train the Fig. 7b networks: input domain i sees ``R_i x`` (Haar-random rotation), 10 classes.

    Parameters
    ----------
    x : torch.Tensor
        Standardised inputs, shape (rot_train + rot_test, D): training inputs first.
    y : torch.Tensor
        Labels in [0, 10), shape (rot_train + rot_test,).
    P : Params
        The ``rot_*`` fields, and ``img_sigma0``, ``img_lr_M``, ``img_hidden`` of Fig. 7.
    device : torch.device or str

    Returns
    -------
    RotationResult
    """
    rot_doms = routing.make_rotation_domains(P.rot_M, x.shape[1], 10, seed=8, device=device)
    rot_trained = torch.stack([gdln.trained_routes(P.rot_M, k, device=device) for k in P.rot_K])
    rot = routing.train_image_routing(
        x[:P.rot_train], y[:P.rot_train], x[P.rot_train:], y[P.rot_train:], rot_doms, rot_trained,
        sigma0=torch.full((len(P.rot_K),), P.img_sigma0), lr=torch.full((len(P.rot_K),), P.img_lr_M / P.rot_M),
        hidden=P.img_hidden, epochs=P.rot_epochs, seed=400, n_classes=10)
    rot_tr, rot_un = (e.numpy() for e in routing.route_error_means(rot.test_error, rot_trained))
    rot_frac = np.array(P.rot_K) / P.rot_M
    tr_40, un_40 = at_fraction(rot_frac, rot_tr, rot_un)
    return RotationResult(rot_trained, rot, rot_tr, rot_un, rot_frac, tr_40, un_40, (8, *range(400, 400 + len(P.rot_K))))
