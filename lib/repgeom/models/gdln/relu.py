"""The ReLU counterpart of the XOR GDLN (paper Fig. 3): training and its hidden units' cell types."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch

from .initialisation import _seeds
from .network import _check_count, _check_finite, _check_positive


@dataclass
class ReluRun:
    """R ReLU networks trained on XOR.

    Attributes
    ----------
    loss : torch.Tensor
        Shape (R, epochs + 1): half the mean squared error over the 4 points.
    w1 : torch.Tensor
        Final input-to-hidden weights, shape (R, hidden, 2).
    w2 : torch.Tensor
        Final hidden-to-output weights, shape (R, 1, hidden).
    """

    loss: torch.Tensor
    w1: torch.Tensor
    w2: torch.Tensor


def train_relu(
    x: torch.Tensor,
    y: torch.Tensor,
    seeds: Sequence[int],
    hidden: int,
    sigma0: float,
    lr: float,
    epochs: int,
) -> ReluRun:
    """Full-batch gradient descent of R two-layer ReLU networks ``y = W2 relu(W1 x)``.

    Loss ``(1/2) mean_n (y_n - yhat_n)^2`` (no biases); weights start i.i.d.
    N(0, sigma0^2), network ``r`` from its own generator ``seeds[r]``.

    Parameters
    ----------
    x : torch.Tensor
        Inputs, shape (n, d).
    y : torch.Tensor
        Targets, shape (n, 1).
    seeds : sequence of int
        One per network.
    hidden : int
    sigma0 : float
    lr : float
    epochs : int

    Returns
    -------
    ReluRun
    """
    if x.ndim != 2 or y.ndim != 2 or y.shape != (x.shape[0], 1):
        raise ValueError(f"x must be (n, d) and y (n, 1), got {tuple(x.shape)} and {tuple(y.shape)}")
    _check_finite("x", x)
    _check_finite("y", y)
    seeds = _seeds(seeds)
    _check_count("hidden", hidden)
    _check_positive("sigma0", sigma0)
    _check_positive("lr", lr)
    _check_count("epochs", epochs, 0)
    dtype, device = x.dtype, x.device
    w1 = torch.stack([sigma0 * torch.randn(hidden, x.shape[1], generator=torch.Generator().manual_seed(s), dtype=torch.float64)
                      for s in seeds]).to(dtype=dtype, device=device)
    w2 = torch.stack([sigma0 * torch.randn(1, hidden, generator=torch.Generator().manual_seed(s + 7_919_000), dtype=torch.float64)
                      for s in seeds]).to(dtype=dtype, device=device)
    n = x.shape[0]
    loss = torch.empty(len(seeds), epochs + 1, dtype=dtype, device=device)
    xt = x.T  # (d, n)
    for epoch in range(epochs + 1):
        pre = w1 @ xt  # (R, hidden, n)
        h = pre.clamp_min(0)
        err = (w2 @ h).squeeze(1) - y.T  # (R, n)
        loss[:, epoch] = 0.5 * err.pow(2).mean(1)
        if epoch == epochs:
            break
        g_out = err / n  # dL/dyhat, (R, n)
        g_w2 = (g_out.unsqueeze(1) @ h.transpose(1, 2))  # (R, 1, hidden)
        g_h = w2.transpose(1, 2) * g_out.unsqueeze(1) * (pre > 0)  # (R, hidden, n)
        g_w1 = g_h @ x  # (R, hidden, d)
        w1 = w1 - lr * g_w1
        w2 = w2 - lr * g_w2
    return ReluRun(loss, w1, w2)


def cell_types(w1: torch.Tensor, w2: torch.Tensor, x: torch.Tensor, min_share: float = 0.01, purity: float = 0.1) -> torch.Tensor:
    """Which training point each hidden ReLU unit responds to (its functional type).

    A unit's type is the point with its largest ReLU response, provided every
    other point's response is at most ``purity`` times that one.

    Parameters
    ----------
    w1 : torch.Tensor
        Shape (R, hidden, d).
    w2 : torch.Tensor
        Shape (R, 1, hidden).
    x : torch.Tensor
        Shape (n, d).
    min_share : float
        Units whose weight product ``||w1_i|| |w2_i|`` is below this fraction of
        the network's largest are counted as silent (type -1).
    purity : float
        In [0, 1): the largest allowed ratio of second-largest to largest response.

    Returns
    -------
    torch.Tensor
        Long, shape (R, hidden): the index of the point a unit is tuned to,
        ``-2`` for units responding to several points (or none), ``-1`` for silent units.
    """
    if w1.ndim != 3 or w2.ndim != 3 or w2.shape[:1] + w2.shape[2:] != w1.shape[:2] or x.ndim != 2 or x.shape[1] != w1.shape[2]:
        raise ValueError(f"w1 (R, hidden, d), w2 (R, 1, hidden), x (n, d) expected, got {tuple(w1.shape)}, {tuple(w2.shape)}, {tuple(x.shape)}")
    if not 0 <= purity < 1:
        raise ValueError(f"purity must lie in [0, 1), got {purity}")
    resp = (w1 @ x.T).clamp_min(0)  # (R, hidden, n)
    top = resp.topk(min(2, resp.shape[-1]), dim=-1).values
    second = top[..., 1] if top.shape[-1] > 1 else torch.zeros_like(top[..., 0])
    pure = (top[..., 0] > 0) & (second <= purity * top[..., 0])
    strength = w1.norm(dim=2) * w2.squeeze(1).abs()
    types = torch.where(pure, resp.argmax(-1), torch.full_like(strength, -2, dtype=torch.long))
    silent = strength < min_share * strength.amax(1, keepdim=True)
    return torch.where(silent, torch.full_like(types, -1), types)
