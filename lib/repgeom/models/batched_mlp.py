"""Many small MLPs trained as one batched program.

:class:`BatchedMLP` holds ``n_models`` independent fully connected networks
(one or more hidden layers, no biases) whose weights are stacked along a
leading axis, so a whole sweep (activations x seeds x task parameters) is one
``bmm`` per layer. Each model has its own inputs, activation function and
seed. The readout follows Alleman, Lindsey & Fusi (2024): frozen balanced ±1
weights (the main setting), frozen Gaussian weights, or trainable ones
(Appendix B). Outputs go through a sigmoid with binary cross-entropy.

Because the total loss is the sum of the models' mean losses, SGD and Adam
updates of one model never depend on another: the batched run equals training
each model alone.
"""
from __future__ import annotations

import functools
import math
from typing import Callable, Sequence

import torch
from torch import nn

from repgeom.checks import LOSS_CHECK_EVERY, check_losses
from repgeom.training import progress

__all__ = ["activation", "BatchedMLP", "train_batched", "bce_loss", "expected_gradient_field"]

READOUTS = ("binary", "random_fixed", "trainable")


def activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """The activation function called ``name``.

    Parameters
    ----------
    name : str
        ``"tanh"``, ``"relu"``, ``"linear"``, ``"relu_cap:<a>"`` for
        ``min(max(x, 0), a)`` (a > 0), or ``"relu_shift:<b>"`` for
        ``max(x + b, 0)``.

    Returns
    -------
    callable mapping a tensor to a tensor of the same shape.
    """
    if not isinstance(name, str):
        raise ValueError(f"activation name must be a string, got {type(name).__name__}")
    if name == "tanh":
        return torch.tanh
    if name == "relu":
        return torch.relu
    if name == "linear":
        return lambda x: x
    kind, _, arg = name.partition(":")
    try:
        value = float(arg)
    except ValueError:
        value = float("nan")
    if kind in ("relu_cap", "relu_shift") and math.isfinite(value):
        if kind == "relu_cap":
            if value <= 0:
                raise ValueError(f"relu_cap needs a positive cap, got {name!r}")
            return lambda x: x.clamp(0.0, value)
        return lambda x: torch.relu(x + value)
    raise ValueError(
        f"unknown activation {name!r}; expected tanh, relu, linear, relu_cap:<a> or relu_shift:<b>"
    )


class BatchedMLP(nn.Module):
    """``n_models`` bias-free MLPs ``x -> f(x W_1) -> ... -> f(. W_L) R / sqrt(width)``.

    Parameters
    ----------
    n_models : int
    d_in : int
        Input dimension.
    widths : sequence of int
        Hidden layer widths (one entry: the paper's one-hidden-layer network).
    n_out : int
        Number of sigmoid outputs.
    activations : str or sequence of str
        One name for all models or one per model (see :func:`activation`).
    readout : {"binary", "random_fixed", "trainable"}
        ``binary``: frozen ±1, each output column balanced, in a seeded random
        order; ``random_fixed``: frozen N(0, 1); ``trainable``: N(0, 1), trained.
    seed : int
        Model ``i`` is initialised from seed ``seed + i``, so a model's weights
        do not depend on which other models share the batch.

    Notes
    -----
    Weights of layer ``l`` are drawn N(0, 1/fan_in) (input weights scaled
    1/sqrt(d)); the readout sum is divided by sqrt(width) so the output is
    O(1) at initialisation.
    """

    def __init__(
        self,
        n_models: int,
        d_in: int,
        widths: Sequence[int],
        n_out: int = 1,
        activations: str | Sequence[str] = "tanh",
        readout: str = "binary",
        seed: int = 0,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        for name, v in (("n_models", n_models), ("d_in", d_in), ("n_out", n_out)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        widths = list(widths)
        if not widths or any(isinstance(w, bool) or not isinstance(w, int) or w < 1 for w in widths):
            raise ValueError(f"widths must be a non-empty list of positive integers, got {widths!r}")
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
        if n_out > 1 and readout == "binary" and widths[-1] % 2:
            raise ValueError(f"a binary readout needs an even last width, got {widths[-1]}")
        names = [activations] * n_models if isinstance(activations, str) else list(activations)
        if len(names) != n_models:
            raise ValueError(f"activations must be one name or {n_models} names, got {len(names)}")
        self.act_names = names
        groups = list(dict.fromkeys(names))                 # distinct activations, first-seen order
        self._act_fns = [activation(a) for a in groups]     # also validates the names
        member_of = torch.tensor([groups.index(a) for a in names])
        # (groups, n_models, 1, 1): which models use each activation (not saved with the weights)
        self.register_buffer("_act_masks", (member_of == torch.arange(len(groups))[:, None])[..., None, None],
                             persistent=False)
        self.n_models, self.d_in, self.widths, self.n_out = n_models, d_in, widths, n_out
        self.readout_kind = readout
        dims = [d_in, *widths]
        layers = [[] for _ in widths]
        readouts = []
        for i in range(n_models):
            g = torch.Generator().manual_seed(seed + i)
            for l in range(len(widths)):
                layers[l].append(torch.randn(dims[l], dims[l + 1], generator=g) / math.sqrt(dims[l]))
            if readout == "binary":
                col = torch.ones(widths[-1])
                col[widths[-1] // 2:] = -1.0
                readouts.append(torch.stack([col[torch.randperm(widths[-1], generator=g)] for _ in range(n_out)], 1))
            else:
                readouts.append(torch.randn(widths[-1], n_out, generator=g))
        self.weights = nn.ParameterList([nn.Parameter(torch.stack(w)) for w in layers])
        ro = torch.stack(readouts)
        if readout == "trainable":
            self.readout = nn.Parameter(ro)
        else:
            self.register_buffer("readout", ro)
        if device is not None:
            self.to(device)

    def _act(self, pre: torch.Tensor) -> torch.Tensor:
        # Each distinct activation on every model, then a select by model: a few elementwise
        # kernels, no index tensors or scatters (which dominated profiles of mixed sweeps).
        out = self._act_fns[0](pre)
        for fn, mask in zip(self._act_fns[1:], self._act_masks[1:]):
            out = torch.where(mask, fn(pre), out)
        return out

    def _check_x(self, x: torch.Tensor) -> None:
        if not isinstance(x, torch.Tensor) or x.ndim != 3 or x.shape[0] != self.n_models or x.shape[2] != self.d_in:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (n_models={self.n_models}, n, d_in={self.d_in}), got {got}")

    def hidden(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Activations of every hidden layer.

        Parameters
        ----------
        x : torch.Tensor, shape (n_models, n, d_in)

        Returns
        -------
        list of torch.Tensor, each (n_models, n, width_l)
        """
        self._check_x(x)
        out, h = [], x
        for w in self.weights:
            h = self._act(torch.bmm(h, w))
            out.append(h)
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Output logits, shape (n_models, n, n_out), from x of shape (n_models, n, d_in)."""
        h = self.hidden(x)[-1]
        return torch.bmm(h, self.readout) / math.sqrt(self.widths[-1])


def bce_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-model mean binary cross-entropy of sigmoid outputs.

    Parameters
    ----------
    logits : torch.Tensor, shape (n_models, n, k)
    targets : torch.Tensor, shape (n_models, n, k), labels ±1 or 0/1

    Returns
    -------
    torch.Tensor, shape (n_models,)
    """
    if logits.shape != targets.shape:
        raise ValueError(f"logits and targets must have the same shape, got {tuple(logits.shape)} and {tuple(targets.shape)}")
    t = (targets > 0).to(logits.dtype)
    return nn.functional.binary_cross_entropy_with_logits(logits, t, reduction="none").mean((1, 2))


def _loss(model: BatchedMLP, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return bce_loss(model(x), y)


@functools.cache
def _compiled_loss() -> Callable[[BatchedMLP, torch.Tensor, torch.Tensor], torch.Tensor]:
    """:func:`_loss` through ``torch.compile``, made on first use (importing the compiler takes seconds)."""
    return torch.compile(_loss)


def train_batched(
    model: BatchedMLP,
    batch: Callable[[int], tuple[torch.Tensor, torch.Tensor]],
    steps: int,
    lr: float,
    optimizer: str = "sgd",
    snapshot_at: Sequence[int] = (),
    on_snapshot: Callable[[int, BatchedMLP], None] | None = None,
    desc: str = "training",
    compile: bool = False,
) -> torch.Tensor:
    """Train every model of ``model`` at once on the sum of their mean BCE losses.

    Parameters
    ----------
    model : BatchedMLP
    batch : callable
        ``batch(step)`` returns ``(x, y)``: x (n_models, n, d_in) and ±1
        targets (n_models, n, n_out) on the model's device.
    steps : int
        Number of parameter updates.
    lr : float
        Learning rate.
    optimizer : {"sgd", "adam"}
        Plain SGD (no momentum) or Adam with default betas.
    snapshot_at : sequence of int
        Steps (0 = before training, ``steps`` = after) at which
        ``on_snapshot(step, model)`` is called under ``torch.no_grad``.
    compile : bool
        Run the forward pass and loss through ``torch.compile`` (off by
        default; the chapters train eagerly). The first call compiles (seconds
        to tens of seconds); later calls with models of the same shapes and
        activations reuse the compiled code. Losses agree with the eager ones
        to float rounding, not bit for bit (fused kernels round differently).

    Returns
    -------
    torch.Tensor, shape (steps, n_models): the loss of every model at every step.

    Notes
    -----
    On a 2-core CPU, compiling made training 1.2-1.7x faster (several runs)
    for 20 models of three 32-unit layers, 1.4x for 40 models of 120 units
    (batches of 200), and 0.8x for 10 one-layer models of 32 units, after 5 to
    25 s of compilation.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "sgd":
        opt = torch.optim.SGD(params, lr=lr)
    elif optimizer == "adam":
        opt = torch.optim.Adam(params, lr=lr)
    else:
        raise ValueError(f"optimizer must be 'sgd' or 'adam', got {optimizer!r}")
    snaps = set(int(s) for s in snapshot_at)
    bad = [s for s in snaps if s < 0 or s > steps]
    if bad:
        raise ValueError(f"snapshot_at must lie in [0, steps={steps}], got {sorted(bad)}")
    losses = torch.empty(steps, model.n_models, device=params[0].device)  # on the device: no sync per step
    if 0 in snaps and on_snapshot is not None:
        with torch.no_grad():
            on_snapshot(0, model)
    loss_of = _compiled_loss() if compile else _loss
    for step in progress(range(steps), desc=desc, total=steps):
        x, y = batch(step)
        loss = loss_of(model, x, y)
        opt.zero_grad(set_to_none=True)
        loss.sum().backward()
        opt.step()
        losses[step] = loss.detach()
        done = step + 1
        if done in snaps or done == steps or done % LOSS_CHECK_EVERY == 0:
            check_losses(losses[:done], "step")
        if done in snaps and on_snapshot is not None:
            with torch.no_grad():
                on_snapshot(done, model)
    return losses.cpu()


def expected_gradient_field(
    centres: torch.Tensor, labels: torch.Tensor, act: str, axes: torch.Tensor, grid: torch.Tensor
) -> torch.Tensor:
    """Expected update of one hidden unit's input weights, projected on two axes (paper Eq. 1).

    Under a constant error direction, ``Δw ∝ Σ_i y_i f'(wᵀx_i) x_i`` for a unit
    with output weight +1; ``w`` ranges over the plane spanned by ``axes``.

    Parameters
    ----------
    centres : torch.Tensor, shape (P, dim)
        Cluster centres ``x_i``.
    labels : torch.Tensor, shape (P,)
        ±1 labels ``y_i``.
    act : str
        Activation name (see :func:`activation`).
    axes : torch.Tensor, shape (2, dim)
        Orthonormal rows (e.g. inter-class and intra-class axes).
    grid : torch.Tensor, shape (G, 2)
        Weight coordinates along the two axes.

    Returns
    -------
    torch.Tensor, shape (G, 2): the projected ``Δw`` at every grid point.
    """
    for name, t, nd in (("centres", centres, 2), ("labels", labels, 1), ("axes", axes, 2), ("grid", grid, 2)):
        if not isinstance(t, torch.Tensor) or t.ndim != nd:
            raise ValueError(f"{name} must be a {nd}-D tensor, got {getattr(t, 'shape', type(t).__name__)}")
        if not bool(torch.isfinite(t).all()):
            raise ValueError(f"{name} contains NaN or Inf")
    if labels.shape[0] != centres.shape[0] or axes.shape != (2, centres.shape[1]) or grid.shape[1] != 2:
        raise ValueError(
            f"expected labels ({centres.shape[0]},), axes (2, {centres.shape[1]}), grid (G, 2); "
            f"got {tuple(labels.shape)}, {tuple(axes.shape)}, {tuple(grid.shape)}"
        )
    f = activation(act)
    w = grid.to(torch.float64) @ axes.to(torch.float64)
    x = centres.to(torch.float64)
    pre = (w @ x.T).detach().requires_grad_(True)
    f(pre).sum().backward()
    slope = pre.grad  # f'(wᵀx_i), shape (G, P)
    proj = x @ axes.to(torch.float64).T  # (P, 2)
    return (slope * labels.to(torch.float64)) @ proj
