"""Fig. 3: a ReLU network on XOR against its gated deep linear network."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from repgeom.models import gdln
from repgeom.models.gdln import theory as th

from .params import Params

__all__ = ["XorResult", "xor_experiment"]


@dataclass(frozen=True)
class XorResult:
    """ReLU simulations of XOR and the GDLN's reduced dynamics.

    Attributes
    ----------
    x, y : torch.Tensor
        The four XOR points (4, 2) and their +-1 labels (4, 1).
    relu : repgeom.models.gdln.ReluRun
        ``xor_reps`` ReLU networks: loss (R, epochs + 1), weights.
    theory : repgeom.models.gdln.theory.TheoryRun
        Reduced dynamics of the four-path GDLN (loss shape (epochs + 1,)).
    closed_loss : torch.Tensor
        The closed-form (logistic) loss, shape (epochs + 1,), float64.
    b0 : float
        Initial mode strength of the theory, ``sigma0 sqrt(N_h / 4)``.
    t_half_relu, t_half_theory : int
        Epoch at which the mean ReLU loss / the theory's loss first falls below half its initial value.
    shift : float
        ``|t_half_relu - t_half_theory| / t_half_theory``.
    gap : float
        Largest vertical gap between the mean ReLU loss and the theory, over the initial loss.
    closed_gap : float
        Largest gap between the closed form and the stepped theory, over the initial ReLU loss.
    types : torch.Tensor
        Cell type of every hidden unit, long (R, N_h) (:func:`repgeom.models.gdln.cell_types`).
    single_share : float
        Fraction of the weight (``||w1_i|| |w2_i|``) carried by units tuned to one point.
    all_four : bool
        Every network has units of all four types.
    """

    x: torch.Tensor
    y: torch.Tensor
    relu: gdln.ReluRun
    theory: th.TheoryRun
    closed_loss: torch.Tensor
    b0: float
    t_half_relu: int
    t_half_theory: int
    shift: float
    gap: float
    closed_gap: float
    types: torch.Tensor
    single_share: float
    all_four: bool


def xor_experiment(P: Params, device: torch.device | str = "cpu") -> XorResult:
    """Train the ReLU networks of Fig. 3 and integrate the GDLN that explains them.

    The ReLU networks (seeds ``1..xor_reps``) and the reduced system share the
    learning rate ``xor_dt / xor_tau`` and the epoch axis. The theory starts at
    ``b0 = sigma0 sqrt(N_h / 4)``: a small random layer's growing component is
    ``sigma0 sqrt(active units / 2)``, with about ``N_h / 2`` units active on each point.

    Parameters
    ----------
    P : Params
        Uses the ``xor_*`` fields.
    device : torch.device or str

    Returns
    -------
    XorResult
    """
    x_xor, y_xor = gdln.xor_items(device=device)
    lr_xor = P.xor_dt / P.xor_tau
    relu = gdln.train_relu(x_xor, y_xor, list(range(1, P.xor_reps + 1)), P.xor_hidden, P.xor_sigma0, lr_xor, P.xor_epochs)

    # The GDLN of Fig. 3b: four paths of N_h/4 units, path p on only for point p.
    xor_spec = gdln.xor_gdln(P.xor_hidden, device=device)
    xor_sys = th.xor_reduced(xor_spec)
    b_xor0 = P.xor_sigma0 * np.sqrt(P.xor_hidden / 4)
    xor_theory = th.integrate(xor_sys, torch.full((xor_sys.n_edges, 1), b_xor0, dtype=torch.float64, device=device),
                              lr_xor, P.xor_epochs, method="euler", substeps=1)
    epochs_xor = torch.arange(P.xor_epochs + 1, dtype=torch.float64)
    a_closed = th.logistic_two_layer(epochs_xor, float(xor_sys.s[0, 0]), float(xor_sys.w[0, 0]), xor_sys.scale,
                                     lr_xor, b_xor0**2)
    xor_closed = 4 * xor_sys.scale * float(xor_sys.w[0, 0]) * (float(xor_sys.s[0, 0]) - a_closed) ** 2

    relu_mean = relu.loss.mean(0).cpu()
    xor_gap = float((relu_mean - xor_theory.loss.cpu()).abs().max() / relu_mean[0])
    # Tracking as timing: epoch at which the loss falls to half its initial value.
    t_half_relu = int(torch.nonzero(relu_mean < relu_mean[0] / 2)[0])
    t_half_th = int(torch.nonzero(xor_theory.loss.cpu() < xor_theory.loss[0].item() / 2)[0])
    xor_shift = abs(t_half_relu - t_half_th) / t_half_th
    closed_gap = float((xor_closed - xor_theory.loss.cpu()).abs().max() / relu_mean[0])
    types = gdln.cell_types(relu.w1, relu.w2, x_xor)
    strength = (relu.w1.norm(dim=2) * relu.w2.squeeze(1).abs())
    single_share = float(((types >= 0) * strength).sum() / strength.sum())
    all_four = bool(all(set(types[r][types[r] >= 0].tolist()) == {0, 1, 2, 3} for r in range(P.xor_reps)))
    return XorResult(x_xor, y_xor, relu, xor_theory, xor_closed, b_xor0, t_half_relu, t_half_th, xor_shift,
                     xor_gap, closed_gap, types, single_share, all_four)
