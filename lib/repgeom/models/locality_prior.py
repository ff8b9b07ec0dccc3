"""The locality prior: a wiring cost for fully connected layers.

Neurons of a layer sit on a grid (:mod:`repgeom.measures.spatial`). A
connection from input neuron ``i`` to output neuron ``j`` transmits the
fraction ``P_ji = 1 / w(1 + d_ji)`` of its signal, where
``d_ji = ||r_j - r_i||_2`` and ``w`` is the cost function, as the released
layer builds it (``prior = 1 / weight_fn(1 + d)``): ``"linear"`` ``1 / (1 + d)``,
``"sqrt"`` ``1 / sqrt(1 + d)``, ``"quadratic"`` ``1 / (1 + d)**2``. Two other
forms, ``1 / (1 + sqrt d)`` (``"root-distance"``) and ``1 / (1 + d**2)``
(``"squared-distance"``), are kept under their own names. :class:`LocalityPriorLinear` multiplies its weights by
this fixed prior, ``y = (W * P) x + b`` (the released layer; the README's
``P .* (Wx + b)`` does not type-check). With weight decay on ``W``, long
connections then cost more weight for the same effect. :func:`prune_mask`
keeps the connections with the largest ``|W * P|``.

Conventions: an ``nn.Linear`` weight has shape (out, in), so every prior
matrix here has shape (K_out, K_in).
"""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from repgeom.measures.spatial import (
    Grid,
    _check_finite,
    _expand_offsets,
    _grid_shape,
    _offset_distances,
    grid_distances,
    square_side,
)

Cost = Literal["linear", "sqrt", "quadratic", "root-distance", "squared-distance"]


#: The cost functions: the released code's three (``1 / w(1 + d)``) and two others.
COSTS: tuple[str, ...] = ("linear", "sqrt", "quadratic", "root-distance", "squared-distance")


def prior_from_distances(distances: torch.Tensor, cost: Cost = "linear", normalize: bool = False) -> torch.Tensor:
    """The transmitted fraction for a matrix of distances.

    Parameters
    ----------
    distances : torch.Tensor, shape (..., K_out, K_in)
        Non-negative distances.
    cost : {"linear", "sqrt", "quadratic", "root-distance", "squared-distance"}
        ``1 / (1 + d)``, ``1 / sqrt(1 + d)``, ``1 / (1 + d)**2`` (the released
        layer's ``1 / weight_fn(1 + d)``), ``1 / (1 + sqrt d)`` or ``1 / (1 + d**2)``.
    normalize : bool
        Rescale each output neuron's row so its inputs sum to ``K_in`` (the
        README's "total input unchanged"; the released code left it off).

    Returns
    -------
    torch.Tensor, shape (..., K_out, K_in)
    """
    if cost not in COSTS:
        raise ValueError(f"cost must be one of {COSTS}, got {cost!r}")
    if not isinstance(distances, torch.Tensor) or distances.ndim < 2:
        raise ValueError(f"distances must be a tensor of shape (..., K_out, K_in), got "
                         f"{getattr(distances, 'shape', type(distances).__name__)}")
    if not torch.isfinite(distances).all() or (distances < 0).any():
        raise ValueError("distances must be finite and non-negative")
    return _prior(distances, cost, normalize)


def _prior(distances: torch.Tensor, cost: str, normalize: bool) -> torch.Tensor:
    if cost == "linear":
        prior = distances + 1.0
    elif cost == "sqrt":
        prior = (distances + 1.0).sqrt_()
    elif cost == "quadratic":
        prior = (distances + 1.0).pow_(2)
    else:
        prior = distances.sqrt() if cost == "root-distance" else distances.pow(2)
        prior.add_(1.0)
    prior.reciprocal_()
    return _prior_rows_normalized(prior) if normalize else prior


def _prior_rows_normalized(prior: torch.Tensor) -> torch.Tensor:
    """Rescale each row of ``prior`` (..., K_out, K_in) to sum to ``K_in``."""
    return prior * (prior.shape[-1] / prior.sum(-1, keepdim=True))


def grid_prior(side: Grid, cost: Cost = "linear", normalize: bool = False, *, out_side: Grid | None = None,
               dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> torch.Tensor:
    """The locality prior of a layer whose neurons sit on grids.

    Parameters
    ----------
    side : int or (rows, cols)
        Input grid: ``side`` x ``side`` neurons, or a rectangular shape
        (``(1, 7)`` is the README's 1-D 7-neuron example).
    cost : {"linear", "sqrt", "quadratic", "root-distance", "squared-distance"}
        ``P = 1 / (1 + d)``, ``1 / sqrt(1 + d)``, ``1 / (1 + d)**2`` (the
        released code's), ``1 / (1 + sqrt d)`` or ``1 / (1 + d**2)``.
    normalize : bool
        Rescale rows to sum to ``K_in`` (see :func:`prior_from_distances`).
    out_side : int or (rows, cols), optional
        Output grid, default the input grid.

    Returns
    -------
    torch.Tensor, shape (K_out, K_in)
        ``P[j, i]``: fraction of input ``i``'s signal reaching output ``j``.
    """
    if cost not in COSTS:
        raise ValueError(f"cost must be one of {COSTS}, got {cost!r}")
    shape_in = _grid_shape(side, "side")
    shape_out = _grid_shape(out_side, "out_side") if out_side is not None else shape_in
    if shape_out != shape_in:
        d = grid_distances(shape_in, shape_out, dtype=torch.float64, device=device)  # finite, >= 0
        return _prior(d, cost, normalize).to(dtype)
    table = _prior(_offset_distances(shape_in, torch.float64, device), cost, False)
    if normalize:
        return _prior_rows_normalized(_expand_offsets(table, shape_in)).to(dtype)
    return _expand_offsets(table.to(dtype), shape_in)


class LocalityPriorLinear(nn.Linear):
    """A linear layer whose effective weight is ``W * P`` with a fixed prior ``P``.

    ``y = x (W * P)^T + b``; ``P`` is a non-trainable buffer (saved in the
    state dict, moved with the module).

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
    in_grid, out_grid : int or (rows, cols), optional
        Grids of the input and output neurons; default square grids of
        ``sqrt(in_features)`` and ``sqrt(out_features)`` (an error if those are
        not perfect squares).
    cost : {"linear", "sqrt", "quadratic", "root-distance", "squared-distance"}
        See :func:`grid_prior`.
    normalize : bool
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 in_grid: Grid | None = None, out_grid: Grid | None = None, cost: Cost = "linear",
                 normalize: bool = False, device: torch.device | str | None = None,
                 dtype: torch.dtype | None = None) -> None:
        super().__init__(in_features, out_features, bias=bias, device=device, dtype=dtype)
        gin = _grid_shape(in_grid, "in_grid") if in_grid is not None else square_side(in_features, "in_features")
        gout = _grid_shape(out_grid, "out_grid") if out_grid is not None else square_side(out_features, "out_features")
        gin, gout = _grid_shape(gin, "in_grid"), _grid_shape(gout, "out_grid")
        if gin[0] * gin[1] != in_features:
            raise ValueError(f"in_grid {gin} holds {gin[0] * gin[1]} neurons, expected in_features={in_features}")
        if gout[0] * gout[1] != out_features:
            raise ValueError(f"out_grid {gout} holds {gout[0] * gout[1]} neurons, expected out_features={out_features}")
        self.in_grid, self.out_grid, self.cost, self.normalize = gin, gout, cost, normalize
        prior = grid_prior(gin, cost, normalize, out_side=gout, dtype=self.weight.dtype, device=self.weight.device)
        self.register_buffer("prior", prior)

    @property
    def effective_weight(self) -> torch.Tensor:
        """``W * P``, shape (out_features, in_features)."""
        return self.weight * self.prior

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.effective_weight, self.bias)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, in_grid={self.in_grid}, out_grid={self.out_grid}, " \
               f"cost={self.cost}, normalize={self.normalize}"


def effective_weight(layer: nn.Linear) -> torch.Tensor:
    """The weight a layer actually applies: ``W * P`` for a locality layer, ``W`` otherwise."""
    if isinstance(layer, LocalityPriorLinear):
        return layer.effective_weight
    if isinstance(layer, nn.Linear):
        return layer.weight
    raise ValueError(f"layer must be an nn.Linear, got {type(layer).__name__}")


def prune_mask(weight: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Keep the connections with the largest ``|weight|``; drop the fraction ``sparsity``.

    Parameters
    ----------
    weight : torch.Tensor, shape (..., K_out, K_in)
        Effective weights (``W * P`` for a locality layer), batched over
        leading dims (each matrix pruned on its own).
    sparsity : float
        Fraction of connections removed, in [0, 1]. Ties at the threshold are
        broken by position (exactly ``round(sparsity * n)`` are removed).

    Returns
    -------
    torch.Tensor of bool, shape like ``weight``
        True where a connection is kept.
    """
    _check_finite(weight, "weight")
    if weight.ndim < 2:
        raise ValueError(f"weight must have shape (..., K_out, K_in), got {tuple(weight.shape)}")
    if not 0.0 <= float(sparsity) <= 1.0:
        raise ValueError(f"sparsity must lie in [0, 1], got {sparsity}")
    flat = weight.abs().reshape(*weight.shape[:-2], -1)
    n = flat.shape[-1]
    drop = int(round(float(sparsity) * n))
    keep = torch.ones_like(flat, dtype=torch.bool)
    if drop > 0:
        order = torch.argsort(flat, dim=-1, stable=True)
        keep.scatter_(-1, order[..., :drop], False)
    return keep.reshape(weight.shape)


@torch.no_grad()
def prune_linear_(layer: nn.Linear, sparsity: float) -> torch.Tensor:
    """Zero, in place, the weights of ``layer`` whose effective weight is smallest in magnitude.

    Parameters
    ----------
    layer : nn.Linear or LocalityPriorLinear
        Ranked by ``|W * P|`` for a locality layer, ``|W|`` otherwise.
    sparsity : float
        Fraction of connections removed, in [0, 1].

    Returns
    -------
    torch.Tensor of bool, shape (out_features, in_features)
        The mask of kept connections.
    """
    mask = prune_mask(effective_weight(layer), sparsity)
    layer.weight.mul_(mask.to(layer.weight.dtype))
    return mask
