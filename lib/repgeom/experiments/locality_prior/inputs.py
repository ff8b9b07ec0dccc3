"""The LeNets' input normalisation, as in the released ``run_mnist.py``.

The released script feeds MNIST through ``transforms.Normalize((0.1307,), (0.3081,))``:
it subtracts MNIST's training-set pixel mean and divides by its standard
deviation. On MNIST we use those constants. On a stand-in (Fashion-MNIST, or
scikit-learn's digits) the same constants would not standardise the images
(Fashion-MNIST's pixels have mean 0.286 and standard deviation 0.353), so we
apply the same transform with the stand-in's own statistics: the mean and
standard deviation of the training images loaded, applied unchanged to the
test images.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch

from repgeom.data import ImageData

__all__ = ["MNIST_MEAN", "MNIST_STD", "InputNormalisation", "released_normalisation"]

#: ``transforms.Normalize((0.1307,), (0.3081,))`` of the released ``run_mnist.py`` (MNIST's training pixels).
MNIST_MEAN: float = 0.1307
MNIST_STD: float = 0.3081


@dataclass(frozen=True)
class InputNormalisation:
    """``x -> (x - mean) / std`` on every pixel, one constant pair for train and test images.

    Attributes
    ----------
    mean, std : float
        Subtracted and divided (``std > 0``).
    source : str
        Where the constants come from, in words (for the provenance and the method notes).
    """

    mean: float
    std: float
    source: str

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and math.isfinite(self.std)) or self.std <= 0:
            raise ValueError(f"need a finite mean and a finite std > 0, got mean={self.mean!r}, std={self.std!r}")

    @property
    def tag(self) -> str:
        """A short file-name-safe label (names the checkpoints trained on these inputs)."""
        return f"norm{self.mean:.4f}_{self.std:.4f}"

    def describe(self) -> str:
        """The transform in words, e.g. ``"normalised (x - 0.1307) / 0.3081 (released run_mnist.py)"``."""
        return f"normalised (x - {self.mean:.4f}) / {self.std:.4f} ({self.source})"

    def apply(self, d: ImageData) -> ImageData:
        """The images of ``d`` normalised, its provenance saying so.

        Parameters
        ----------
        d : ImageData
            Images (n, C, H, W) in [0, 1] as :func:`repgeom.data.load` returns them (not normalised).

        Returns
        -------
        ImageData
            Same labels and classes; ``x`` of the same shape, ``(x - mean) / std``; the provenance's
            ``transform`` extended by :meth:`describe`.
        """
        if not isinstance(d, ImageData):
            raise ValueError(f"d must be an ImageData, got {type(d).__name__}")
        if "normalised" in d.provenance.transform or "standardised" in d.provenance.transform:
            raise ValueError(f"d is already normalised ({d.provenance.transform!r}); expected images in [0, 1]")
        x = (d.x - self.mean) / self.std
        steps = ", ".join(s for s in (d.provenance.transform, self.describe()) if s)
        return dataclasses.replace(d, x=x, provenance=dataclasses.replace(d.provenance, transform=steps))


def released_normalisation(train: ImageData, data_name: str) -> InputNormalisation:
    """The released script's normalisation for the dataset actually used.

    Parameters
    ----------
    train : ImageData
        The training load, images (n, C, H, W) in [0, 1].
    data_name : str
        The dataset actually used (``"mnist"``, ``"mnist_sample"``, ``"fashion_mnist"``, ``"sklearn_digits"``).

    Returns
    -------
    InputNormalisation
        On MNIST the released constants 0.1307 / 0.3081; on a stand-in the pixel mean and standard
        deviation (ddof 1) of ``train.x``, computed in float64.
    """
    if not isinstance(train, ImageData):
        raise ValueError(f"train must be an ImageData, got {type(train).__name__}")
    if not isinstance(data_name, str) or not data_name:
        raise ValueError(f"data_name must be a non-empty str, got {data_name!r}")
    if data_name in ("mnist", "mnist_sample"):
        return InputNormalisation(MNIST_MEAN, MNIST_STD, "the released run_mnist.py's MNIST constants")
    x = train.x.double()
    if x.numel() < 2 or not bool(torch.isfinite(x).all()):
        raise ValueError(f"train.x must hold at least 2 finite pixels, got shape {tuple(train.x.shape)}")
    mean, std = float(x.mean()), float(x.std())
    return InputNormalisation(mean, std, f"the {data_name} training images' own pixel mean and standard deviation, "
                                         f"as run_mnist.py's constants are MNIST's")
