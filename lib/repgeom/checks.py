"""Argument checks shared by the kernels: one place, one wording of the errors."""
from __future__ import annotations

import torch

LOSS_CHECK_EVERY = 100
"""Training loops test their loss history for NaN/Inf every this many steps (and at snapshots and the end)."""


def check_tensor(x: torch.Tensor, name: str, min_dim: int = 0, *, floating: bool = True) -> torch.Tensor:
    """Return ``x`` if it is a finite (floating-point) tensor with at least ``min_dim`` dimensions.

    Raises
    ------
    ValueError
        Naming ``name``, what it got and what was expected.
    """
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim < min_dim:
        raise ValueError(f"{name} must have at least {min_dim} dimensions, got shape {tuple(x.shape)}")
    if floating and not x.is_floating_point():
        raise ValueError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if not all_finite(x):
        raise ValueError(f"{name} contains NaN or Inf ({int((~torch.isfinite(x)).sum())} values)")
    return x


def check_nonempty(x: torch.Tensor, name: str) -> torch.Tensor:
    """Return ``x`` if it has at least one entry (no axis of length 0).

    Raises
    ------
    ValueError
        Naming ``name`` and the shape it got.
    """
    if x.numel() == 0:
        raise ValueError(f"{name} must not be empty (every axis of length >= 1), got shape {tuple(x.shape)}")
    return x


def check_broadcast(name_a: str, shape_a: tuple[int, ...], name_b: str, shape_b: tuple[int, ...]) -> torch.Size:
    """The broadcast of two (leading) shapes; ``ValueError`` naming both arguments if they do not broadcast."""
    try:
        return torch.broadcast_shapes(tuple(shape_a), tuple(shape_b))
    except RuntimeError:
        raise ValueError(f"{name_a} and {name_b} must have broadcastable leading dimensions, "
                         f"got {tuple(shape_a)} and {tuple(shape_b)}") from None


def all_finite(x: torch.Tensor) -> bool:
    """Whether no entry of ``x`` is NaN or infinite.

    A sum is finite only if every term is, so one reduction decides; the
    elementwise test runs only when the sum is not finite (non-finite
    entries, or an overflow of the sum).
    """
    if not (x.is_floating_point() or x.is_complex()):
        return True
    return bool(torch.isfinite(x.sum())) or bool(torch.isfinite(x).all())


def check_losses(history: torch.Tensor, unit: str = "step") -> None:
    """Raise ``FloatingPointError`` naming the first non-finite entry of a loss history.

    Training loops keep their losses on the device and call this now and then
    (one synchronisation) instead of testing every step.

    Parameters
    ----------
    history : torch.Tensor, shape (steps, ...)
        Losses so far, one row per step (or epoch).
    unit : str
        What a row is, for the message ("step", "epoch").
    """
    if all_finite(history):
        return
    bad = ~torch.isfinite(history.reshape(history.shape[0], -1)).all(1)
    first = int(torch.nonzero(bad)[0])
    raise FloatingPointError(f"loss became non-finite at {unit} {first}; lower the learning rate")
