"""AlexNet with a locality-prior layer: the reduced code path on stand-in images, and the torchrun job's outputs."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from repgeom import stats, training
from repgeom.data import ImageData
from repgeom.measures.spatial import spatial_variance
from repgeom.models.locality_nets import AlexNetLP, collect_activations, make_optimizer

from .parameters import Params

__all__ = ["AlexArm", "split_sizes", "train_reduced", "run_summary", "variance_row", "README_ROWS",
           "ImagenetComparison", "imagenet_table"]

ARMS = ("control", "locality")
LP_LAYERS = ("lp_input", "lp_output")
MIN_EVAL = 3
"""Fewest held-out images the reduced run's paired t-test needs; with fewer the run is skipped."""

README_ROWS = [
    {"source": "README (ImageNet)", "layer": "LP input (FC5 out)", "locality var": 630.9, "control var": 687.4,
     "t": -38.98, "p": 8.087e-203, "images": np.nan},
    {"source": "README (ImageNet)", "layer": "LP output (FC6 out)", "locality var": 653.4, "control var": 691.6,
     "t": -26.08, "p": 8.463e-115, "images": np.nan},
]
"""The README's ImageNet spatial-variance tables (§4.2)."""


@dataclass(frozen=True, eq=False)
class AlexArm:
    """One reduced AlexNet-LP arm measured on the held-out images.

    Attributes
    ----------
    lp_input, lp_output : torch.Tensor, shape (n_eval,)
        Per-image spatial variance of the LP layer's input and output (NaN for an all-zero map).
    acc : float
        Held-out accuracy in [0, 1] (NaN when skipped).
    n_train, n_eval : int
        Images actually used for training and held out (fewer than asked when the data has fewer).
    note : str
        How the split departs from the parameters (empty when it does not).
    skipped : str
        Why the run was skipped (empty when it ran).
    """

    lp_input: torch.Tensor
    lp_output: torch.Tensor
    acc: float
    n_train: int = 0
    n_eval: int = 0
    note: str = ""
    skipped: str = ""


def split_sizes(n_available: int, p: Params) -> tuple[int, int, str]:
    """Training and held-out image counts of the reduced run.

    Parameters
    ----------
    n_available : int
        Images the load returned (a stand-in may have fewer than asked: scikit-learn's digits test split has 360).
    p : Params
        Asks for ``p.alex_n_train`` training and ``p.alex_n_eval`` held-out images.

    Returns
    -------
    n_train, n_eval : int
        As asked when the images are there; otherwise the available images in the same proportion.
    note : str
        Empty, or what was done for the reader.
    """
    if n_available < 0:
        raise ValueError(f"n_available must be >= 0, got {n_available}")
    asked = p.alex_n_train + p.alex_n_eval
    if n_available >= asked:
        return p.alex_n_train, p.alex_n_eval, ""
    n_eval = int(round(n_available * p.alex_n_eval / asked))
    n_train = n_available - n_eval
    return n_train, n_eval, f"only {n_available} of the {asked} images asked for were available, split in the same proportion"


def train_reduced(images: ImageData, p: Params, device: torch.device, checkpoints: Path,
                  seed: int) -> dict[str, AlexArm]:
    """Train both AlexNet-LP arms briefly at reduced width and grid (SGD, momentum 0.9, weight decay 1e-4).

    Parameters
    ----------
    images : ImageData
        ``p.alex_n_train`` training images followed by the held-out ones, (n, 3, alex_image, alex_image).
        With fewer, they are split in the same proportion (:func:`split_sizes`); with too few to train one
        batch or hold out :data:`MIN_EVAL` images, nothing is trained and every arm says why in ``skipped``.
    p : Params
    device : torch.device
    checkpoints : Path
        Folder of the training checkpoints.
    seed : int
        Seeds the initial weights (both arms), the batches and the dropout.

    Returns
    -------
    dict of str to AlexArm
        ``"control"`` and ``"locality"``.
    """
    n_train, n_eval, note = split_sizes(len(images.y), p)
    if n_train < min(p.alex_batch, p.alex_n_train) or n_eval < MIN_EVAL:
        why = (f"only {len(images.y)} images of {images.provenance.used}: too few to train on "
               f"{min(p.alex_batch, p.alex_n_train)} and hold out {MIN_EVAL}")
        empty = torch.full((0,), float("nan"))
        return {arm: AlexArm(empty, empty, float("nan"), n_train, n_eval, note, why) for arm in ARMS}
    ax_tr, ay_tr = images.x[:n_train], images.y[:n_train]
    ax_ev, ay_ev = images.x[n_train:n_train + n_eval], images.y[n_train:n_train + n_eval]
    data_name = images.provenance.used.split("/")[0]
    alex_res = {}
    for arm in ARMS:
        torch.manual_seed(seed)
        net = AlexNetLP(arm, p.alex_side, width=p.alex_width, num_classes=images.num_classes).to(device)
        opt = make_optimizer(net, "sgd", p.alex_lr, 0.9, 1e-4)
        tag = f"alexnet-{arm}-side{p.alex_side}-w{p.alex_width:g}-n{n_train}-e{p.alex_epochs}-{data_name}"
        training.fit(net, lambda e: training.epoch_batches(ax_tr, ay_tr, p.alex_batch, seed=seed, epoch=e),
                     F.cross_entropy, opt, p.alex_epochs, checkpoint=checkpoints / f"{tag}.pt", desc=f"AlexNet {arm}")
        acts = collect_activations(net, ax_ev, batch_size=128)
        var = {k: spatial_variance(acts[k], p.alex_side, on_empty="nan") for k in LP_LAYERS}
        alex_res[arm] = AlexArm(var["lp_input"], var["lp_output"],
                                float((acts["logits"].argmax(1) == ay_ev).float().mean()), n_train, n_eval, note)
    return alex_res


def run_summary(alex_res: dict[str, AlexArm]) -> str:
    """One sentence for the page: how the reduced run went (or why it was skipped).

    Parameters
    ----------
    alex_res : dict of str to AlexArm
        From :func:`train_reduced`.

    Returns
    -------
    str
    """
    ctrl, loc = alex_res["control"], alex_res["locality"]
    if ctrl.skipped:
        return f"was skipped: {ctrl.skipped}"
    sizes = f"{ctrl.n_train} training and {ctrl.n_eval} held-out images" + (f" ({ctrl.note})" if ctrl.note else "")
    return (f"ran end to end on {sizes}; held-out accuracy {100 * ctrl.acc:.1f} % control, {100 * loc.acc:.1f} % "
            f"locality after a few steps")


def variance_row(source: str, layer: str, loc: torch.Tensor, ctrl: torch.Tensor) -> dict:
    """One row of the ImageNet table: mean variance of both arms and the paired t-test.

    Parameters
    ----------
    source, layer : str
        The row's labels.
    loc, ctrl : torch.Tensor, shape (n,)
        Per-image variances of the same images (NaN where undefined; those images are left out).

    Returns
    -------
    dict
        ``source, layer, locality var, control var, t, p, images`` (NaN statistics when fewer than 3 images).
    """
    ok = torch.isfinite(loc) & torch.isfinite(ctrl)
    if int(ok.sum()) < 3:
        return {"source": source, "layer": layer, "locality var": np.nan, "control var": np.nan,
                "t": np.nan, "p": np.nan, "images": int(ok.sum())}
    t = stats.paired_t(loc[ok].numpy(), ctrl[ok].numpy())
    return {"source": source, "layer": layer, "locality var": float(loc[ok].mean()),
            "control var": float(ctrl[ok].mean()), "t": t.statistic, "p": t.pvalue, "images": int(ok.sum())}


@dataclass(frozen=True, eq=False)
class ImagenetComparison:
    """The ImageNet table and whether the torchrun job's activations were there.

    Attributes
    ----------
    frame : pandas.DataFrame
        Rows of :func:`variance_row`: the README's, the reduced run's and, when done, the ImageNet job's.
    done : bool
        Whether both arms' ``activations.pt`` were found.
    """

    frame: pd.DataFrame
    done: bool


def imagenet_table(alex_res: dict[str, AlexArm], p: Params, runs_dir: str) -> ImagenetComparison:
    """The README's ImageNet rows, the reduced stand-in run's and, if supplied, the torchrun job's.

    Parameters
    ----------
    alex_res : dict of str to AlexArm
        From :func:`train_reduced`.
    p : Params
    runs_dir : str
        Folder holding ``control/activations.pt`` and ``locality/activations.pt``; empty: not run.

    Returns
    -------
    ImagenetComparison
    """
    inet_rows = list(README_ROWS)
    for layer in LP_LAYERS:
        inet_rows.append(variance_row(f"ours: stand-in, {p.alex_side}x{p.alex_side} grid, width {p.alex_width:g}, "
                                      f"{p.alex_epochs} epochs", layer.replace("lp_", "LP "),
                                      getattr(alex_res["locality"], layer), getattr(alex_res["control"], layer)))
    imagenet_done = bool(runs_dir) and all((Path(runs_dir) / a / "activations.pt").is_file() for a in ARMS)
    if imagenet_done:
        inet = {a: torch.load(Path(runs_dir) / a / "activations.pt", weights_only=False) for a in ARMS}
        side64 = int(round(inet["locality"]["lp_output"].shape[1] ** 0.5))
        inet_var = {a: {k: spatial_variance(inet[a][k], side64, on_empty="nan") for k in LP_LAYERS}
                    for a in inet}
        for layer in LP_LAYERS:
            inet_rows.append(variance_row("ours: ImageNet (torchrun job)", layer.replace("lp_", "LP "),
                                          inet_var["locality"][layer], inet_var["control"][layer]))
    return ImagenetComparison(pd.DataFrame(inet_rows), imagenet_done)
