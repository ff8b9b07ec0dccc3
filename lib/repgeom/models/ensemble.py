"""Training many networks of one architecture at once, identically to one at a time.

:func:`train_ensemble` trains ``len(seeds)`` copies of an architecture, network
``i`` initialised with ``torch.manual_seed(seeds[i])``, fed batches in an order
fixed by ``(seeds[i], epoch)``, augmented with a generator fixed by
``(seeds[i], epoch, step)`` and with dropout masks keyed by ``seeds[i]``
(:class:`repgeom.models.convnets.KeyedDropout`). Two strategies give the same numbers:

* ``"loop"``: one network after another (fastest on a CPU, see DESIGN.md);
* ``"vmap"``: parameters stacked with ``torch.func.stack_module_state`` and one
  ``torch.func.vmap``-ed ``functional_call`` per step (fast on a GPU). The
  optimiser acts on the stacked tensors; Adam and RMSprop are elementwise, so
  this equals one optimiser per network.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from repgeom import runtime
from repgeom.training import epoch_batches, progress, steps_per_epoch

from .convnets import set_dropout_keys

__all__ = ["EnsembleResult", "train_ensemble", "choose_strategy"]

STRATEGIES = ("auto", "loop", "vmap")


@dataclass
class EnsembleResult:
    """Trained networks of one ensemble.

    Attributes
    ----------
    models : list of nn.Module
        Final networks (eval mode), in the order of ``seeds``.
    snapshots : dict
        ``epoch -> list of state dicts`` (CPU), for the requested epochs.
    step_snapshots : dict
        ``step -> list of state dicts`` (CPU), after that many optimiser steps, for the requested steps.
    losses : torch.Tensor, shape (n_networks, epochs)
        Mean training loss per network and epoch.
    strategy : str
        The strategy that trained them (``"cache"`` when loaded).
    """

    models: list[nn.Module]
    snapshots: dict[int, list[dict]] = field(default_factory=dict)
    losses: torch.Tensor | None = None
    strategy: str = "loop"
    step_snapshots: dict[int, list[dict]] = field(default_factory=dict)


def choose_strategy(device: torch.device) -> str:
    """``"vmap"`` on a GPU, ``"loop"`` on a CPU (where vmap is slower, see DESIGN.md)."""
    return "vmap" if torch.device(device).type == "cuda" else "loop"


def _aug_generator(seed: int, epoch: int, step: int) -> torch.Generator:
    return torch.Generator().manual_seed((seed * 1_000_003 + epoch) * 100_003 + step)


def _batches(x, y, batch_size, seed, epoch, augment):
    for step, (xb, yb) in enumerate(epoch_batches(x, y, batch_size, seed=seed, epoch=epoch)):
        if augment is not None:
            xb = augment(xb, _aug_generator(seed, epoch, step))
        yield xb, yb


def _build(make_model, seed, device):
    torch.manual_seed(seed)
    return set_dropout_keys(make_model(), seed).to(device)


def _cpu_state(model: nn.Module) -> dict:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _train_loop(models, seeds, x, y, epochs, batch_size, make_optimizer, loss_fn, augment, snapshot_epochs,
                snapshot_steps, desc):
    dev = next(models[0].parameters()).device
    losses = torch.zeros(len(models), epochs, dtype=torch.float64)
    snapshots: dict[int, list[dict]] = {e: [] for e in snapshot_epochs}
    at_step: dict[int, list[dict]] = {s: [] for s in snapshot_steps}
    for i, (model, seed) in enumerate(progress(list(zip(models, seeds)), desc=desc)):
        opt = make_optimizer(model.parameters())
        if 0 in snapshots:
            snapshots[0].append(_cpu_state(model))
        if 0 in at_step:
            at_step[0].append(_cpu_state(model))
        model.train()
        done = 0  # optimiser steps so far
        for epoch in range(epochs):
            total, count = torch.zeros((), dtype=torch.float64, device=dev), 0   # on the device: no sync per batch
            for xb, yb in _batches(x, y, batch_size, seed, epoch, augment):
                xb, yb = xb.to(dev), yb.to(dev)
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
                total += loss.detach().double() * xb.shape[0]
                count += xb.shape[0]
                done += 1
                if done in at_step:
                    at_step[done].append(_cpu_state(model))
            losses[i, epoch] = total.cpu() / count
            if epoch + 1 in snapshots:
                snapshots[epoch + 1].append(_cpu_state(model))
        model.eval()
    return losses, snapshots, at_step


def _train_vmap(models, seeds, x, y, epochs, batch_size, make_optimizer, loss_fn, augment, snapshot_epochs,
                snapshot_steps, desc):
    from torch.func import functional_call, stack_module_state, vmap

    dev = next(models[0].parameters()).device
    for m in models:
        m.train()
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    base.train()
    opt = make_optimizer(list(params.values()))

    def one(p, b, xb, yb):
        return loss_fn(functional_call(base, (p, b), (xb,)), yb)

    batched_loss = vmap(one, randomness="error")

    def unstack(i: int) -> dict:
        state = {k: v[i].detach().cpu().clone() for k, v in {**params, **buffers}.items()}
        return {k: state[k] for k in models[0].state_dict()}

    losses = torch.zeros(len(models), epochs, dtype=torch.float64)
    snapshots: dict[int, list[dict]] = {e: [] for e in snapshot_epochs}
    if 0 in snapshots:
        snapshots[0] = [unstack(i) for i in range(len(models))]
    at_step: dict[int, list[dict]] = {s: [] for s in snapshot_steps}
    if 0 in at_step:
        at_step[0] = [unstack(i) for i in range(len(models))]
    done = 0  # optimiser steps so far
    for epoch in progress(range(epochs), desc=desc):
        total = torch.zeros(len(models), dtype=torch.float64, device=dev)   # on the device: no sync per batch
        count = 0
        streams = [_batches(x, y, batch_size, s, epoch, augment) for s in seeds]
        for group in zip(*streams):
            xb = torch.stack([g[0] for g in group]).to(dev)
            yb = torch.stack([g[1] for g in group]).to(dev)
            opt.zero_grad(set_to_none=True)
            loss = batched_loss(params, buffers, xb, yb)
            loss.sum().backward()
            opt.step()
            total += loss.detach().double() * xb.shape[1]
            count += xb.shape[1]
            done += 1
            if done in at_step:
                at_step[done] = [unstack(i) for i in range(len(models))]
        losses[:, epoch] = total.cpu() / count
        if epoch + 1 in snapshots:
            snapshots[epoch + 1] = [unstack(i) for i in range(len(models))]
    for i, m in enumerate(models):
        m.load_state_dict(unstack(i))
        m.eval()
    return losses, snapshots, at_step


def train_ensemble(
    make_model: Callable[[], nn.Module],
    seeds: Sequence[int],
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    make_optimizer: Callable[[object], torch.optim.Optimizer],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = F.cross_entropy,
    augment: Callable[[torch.Tensor, torch.Generator], torch.Tensor] | None = None,
    strategy: str = "auto",
    device: torch.device | str | None = None,
    snapshot_epochs: Sequence[int] = (),
    snapshot_steps: Sequence[int] = (),
    cache: Path | str | None = None,
    desc: str = "ensemble",
) -> EnsembleResult:
    """Train one network per seed, all with the same recipe.

    Parameters
    ----------
    make_model : callable
        ``make_model()`` builds a fresh network (called after seeding).
    seeds : sequence of int
        One non-negative seed per network (distinct).
    x : torch.Tensor, shape (n, ...)
        Training inputs (kept on the CPU; batches move to ``device``).
    y : torch.Tensor, shape (n,)
    epochs, batch_size : int
    make_optimizer : callable
        ``make_optimizer(params)``; must be elementwise (SGD, RMSprop, Adam)
        for the ``"vmap"`` strategy to equal the ``"loop"`` one.
    loss_fn : callable
        Mean loss of ``(logits, targets)``.
    augment : callable, optional
        ``augment(xb, generator)`` returns the augmented batch.
    strategy : {"auto", "loop", "vmap"}
        ``"auto"`` picks :func:`choose_strategy` of the device.
    device : torch.device, optional
        Default :func:`repgeom.runtime.device`.
    snapshot_epochs : sequence of int
        Epochs (0 = initialisation) whose weights are kept.
    snapshot_steps : sequence of int
        Optimiser steps (counted over the whole run, 0 = initialisation) after which the weights are kept,
        e.g. checkpoints within an epoch; in ``[0, epochs * ceil(n / batch_size)]``.
    cache : path, optional
        File to load the result from when it exists (and matches this call's
        recipe), and to save it to after training.

    Returns
    -------
    EnsembleResult
    """
    seeds = [int(s) for s in seeds]
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct non-negative integers, got {seeds}")
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(f"x and y need the same positive number of samples, got {x.shape[0]} and {y.shape[0]}")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be >= 1, got {epochs} and {batch_size}")
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
    bad = [e for e in snapshot_epochs if not 0 <= e <= epochs]
    if bad:
        raise ValueError(f"snapshot_epochs must lie in [0, epochs={epochs}], got {bad}")
    last = epochs * steps_per_epoch(x.shape[0], batch_size)
    bad = [s for s in snapshot_steps if isinstance(s, bool) or int(s) != s or not 0 <= s <= last]
    if bad:
        raise ValueError(f"snapshot_steps must be whole steps in [0, {last}] (epochs x steps per epoch), got {bad}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x contains NaN or Inf")
    dev = torch.device(device) if device is not None else runtime.device()
    chosen = choose_strategy(dev) if strategy == "auto" else strategy
    snapshot_epochs = sorted(set(int(e) for e in snapshot_epochs))
    snapshot_steps = sorted(set(int(s) for s in snapshot_steps))
    meta = {"seeds": seeds, "n": int(x.shape[0]), "epochs": epochs, "batch_size": batch_size,
            "snapshots": snapshot_epochs, "x_sum": float(x.double().sum()), "y_sum": int(y.sum())}
    if snapshot_steps:  # (absent otherwise, so that caches written before steps existed still match)
        meta["steps"] = snapshot_steps
    path = Path(cache) if cache is not None else None
    if path is not None and path.is_file():
        state = torch.load(path, map_location="cpu", weights_only=False)
        if state.get("meta") == meta:
            models = []
            for s, sd in zip(seeds, state["final"]):
                m = _build(make_model, s, dev)
                m.load_state_dict(sd)
                models.append(m.eval())
            return EnsembleResult(models, state["snapshots"], state["losses"], "cache", state.get("steps", {}))
    models = [_build(make_model, s, dev) for s in seeds]
    train = _train_vmap if chosen == "vmap" else _train_loop
    losses, snapshots, at_step = train(models, seeds, x, y, epochs, batch_size, make_optimizer, loss_fn,
                                       augment, snapshot_epochs, snapshot_steps, desc)
    if not bool(torch.isfinite(losses).all()):
        raise FloatingPointError("a network's training loss became NaN/Inf; lower the learning rate")
    result = EnsembleResult(models, snapshots, losses, chosen, at_step)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save({"meta": meta, "final": [_cpu_state(m) for m in models], "snapshots": snapshots,
                    "losses": losses, "steps": at_step}, tmp)
        tmp.replace(path)
    return result
