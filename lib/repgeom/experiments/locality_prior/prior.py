"""The prior matrices the chapter shows: the README's 1-D example, the LeNet grid and the AlexNet grid."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from repgeom.models.locality_prior import grid_prior

__all__ = ["Priors", "example_priors"]


@dataclass(frozen=True, eq=False)
class Priors:
    """The linear-cost priors ``P = 1 / (1 + d)`` of the chapter's first figure.

    Attributes
    ----------
    side : int
        The LeNet grid side.
    one_d : torch.Tensor, shape (7, 7)
        The README's 1-D example with 7 neurons.
    lenet : torch.Tensor, shape (side**2, side**2)
        The LeNet LP layer's prior.
    lenet_normalized : torch.Tensor, shape (side**2, side**2)
        The same with rows rescaled to sum to ``side**2``.
    alexnet : torch.Tensor, shape (4096, 4096)
        The README's 64 x 64 AlexNet prior, whatever the profile.
    """

    side: int
    one_d: torch.Tensor
    lenet: torch.Tensor
    lenet_normalized: torch.Tensor
    alexnet: torch.Tensor

    @property
    def centre(self) -> int:
        """Index of the centre neuron of the LeNet grid."""
        return (self.side * self.side) // 2

    @property
    def normalization_ratio(self) -> torch.Tensor:
        """Factor by which row normalisation rescales each output neuron's inputs, shape (side**2,)."""
        return self.lenet_normalized.sum(1) / self.lenet.sum(1)


def example_priors(side: int) -> Priors:
    """Compute the priors of the chapter's first figure.

    Parameters
    ----------
    side : int
        LeNet grid side (7 in the README).

    Returns
    -------
    Priors
    """
    p1 = grid_prior((1, 7))
    p2 = grid_prior(side)
    p2n = grid_prior(side, normalize=True)
    p_alex = grid_prior(64)  # the README's AlexNet layer, whatever the profile
    return Priors(side, p1, p2, p2n, p_alex)
