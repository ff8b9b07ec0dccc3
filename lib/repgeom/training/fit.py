"""Training loops: seeded batches, a progress bar, checkpoint and resume.

:func:`fit` trains one model for a number of epochs. Batches come from a
function of the epoch number (:func:`epoch_batches` for tensors), so an
interrupted run resumed from its checkpoint sees exactly the batches, dropout
masks and optimiser state it would have seen: the resumed run's weights equal
an uninterrupted run's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import torch
from torch import nn
from tqdm.std import tqdm

from repgeom import runtime

Batch = tuple[torch.Tensor, torch.Tensor]


@dataclass
class History:
    """Per-epoch records of one training run (``epoch``, ``loss`` and any eval metrics)."""

    records: list[dict] = field(default_factory=list)
    resumed_from: int = 0

    def column(self, key: str) -> list[float]:
        return [r[key] for r in self.records if key in r]


def progress(iterable: Iterable, desc: str = "", total: int | None = None, **kwargs) -> tqdm:
    """A tqdm progress bar, hidden under CI or ``REPGEOM_QUIET=1``."""
    return tqdm(iterable, desc=desc, total=total, disable=runtime.quiet(), leave=False, **kwargs)


def steps_per_epoch(n: int, batch_size: int) -> int:
    """Optimisation steps in one epoch of ``n`` samples: the batches :func:`epoch_batches` yields (the last may
    be smaller)."""
    if n < 1 or batch_size < 1:
        raise ValueError(f"n and batch_size must be >= 1, got {n} and {batch_size}")
    return math.ceil(n / batch_size)


def epoch_batches(
    x: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    *,
    seed: int,
    epoch: int,
    shuffle: bool = True,
    device: torch.device | None = None,
) -> Iterator[Batch]:
    """Mini-batches of ``(x, y)`` in an order fixed by ``(seed, epoch)``.

    Parameters
    ----------
    x : torch.Tensor, shape (n, ...)
    y : torch.Tensor, shape (n, ...)
    batch_size : int
    seed, epoch : int
        The permutation is a function of both, so any epoch can be replayed.
    """
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y need the same number of samples, got {x.shape[0]} and {y.shape[0]}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    n = x.shape[0]
    if shuffle:
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))
    else:
        order = torch.arange(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        xb, yb = x[idx], y[idx]
        yield (xb.to(device), yb.to(device)) if device is not None else (xb, yb)


def _save_checkpoint(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                     epoch: int, history: History) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "epoch": epoch,
        "history": history.records,
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
    }
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(path)  # atomic: a crash mid-write never leaves a broken checkpoint


def _load_checkpoint(path: Path, model: nn.Module, optimizer: torch.optim.Optimizer) -> tuple[int, History]:
    state = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    torch.set_rng_state(state["torch_rng"])
    if state.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda_rng"])
    return int(state["epoch"]), History(list(state["history"]), resumed_from=int(state["epoch"]))


def fit(
    model: nn.Module,
    batches: Callable[[int], Iterable[Batch]],
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    optimizer: torch.optim.Optimizer,
    epochs: int,
    *,
    checkpoint: Path | str | None = None,
    evaluate: Callable[[nn.Module], dict] | None = None,
    on_epoch_end: Callable[[int, nn.Module], None] | None = None,
    desc: str = "training",
    autocast: torch.dtype | None = None,
    channels_last: bool = False,
) -> History:
    """Train ``model`` for ``epochs`` epochs, resuming from ``checkpoint`` if it exists.

    Parameters
    ----------
    model : nn.Module
        Already on its device; batches are moved to the model's device.
    batches : callable
        ``batches(epoch)`` returns the epoch's iterable of ``(inputs, targets)``.
    loss_fn : callable
        ``loss_fn(model(inputs), targets)`` returns a scalar loss.
    optimizer : torch.optim.Optimizer
    epochs : int
        Total epochs (a resumed run trains only the missing ones).
    checkpoint : path, optional
        Written after every epoch (atomically); read on start when present.
    evaluate : callable, optional
        ``evaluate(model)`` returns metrics added to the epoch's record (the
        model is put in eval mode for it and back in train mode after).
    on_epoch_end : callable, optional
        ``on_epoch_end(epoch, model)``, e.g. to keep snapshots.
    autocast : torch.bfloat16, optional
        Run the forward pass and the loss under ``torch.autocast`` with this
        dtype (weights, gradients and optimiser state stay float32; bfloat16
        needs no loss scaling). Off by default: the chapters train in float32,
        and a chapter may switch it on only where the representations it
        measures do not change beyond seed-to-seed variation.
    channels_last : bool
        Put the model and its 4-d inputs in channels-last memory format (faster
        convolutions on tensor-core GPUs; the same numbers up to rounding).

    Returns
    -------
    History
    """
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    if autocast not in (None, torch.bfloat16):
        raise ValueError(f"autocast must be None or torch.bfloat16 (float16 would need loss scaling), got {autocast}")
    dev = next(model.parameters()).device
    memory = torch.channels_last if channels_last else torch.preserve_format
    if channels_last:
        model.to(memory_format=torch.channels_last)
    start, history = 0, History()
    path = Path(checkpoint) if checkpoint is not None else None
    if path is not None and path.is_file():
        start, history = _load_checkpoint(path, model, optimizer)
    bar = progress(range(start, epochs), desc=desc, total=epochs, initial=start)
    for epoch in bar:
        model.train()
        total, count = torch.zeros((), dtype=torch.float64, device=dev), 0   # on the device: no sync per batch
        for xb, yb in batches(epoch):
            xb, yb = xb.to(dev, non_blocking=True), yb.to(dev, non_blocking=True)
            if channels_last and xb.ndim == 4:
                xb = xb.contiguous(memory_format=memory)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(dev.type, dtype=autocast or torch.float32, enabled=autocast is not None):
                loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.detach().double() * xb.shape[0]
            count += xb.shape[0]
        mean_loss = float(total) / max(count, 1)
        if not math.isfinite(mean_loss):
            raise FloatingPointError(f"loss became {mean_loss} in epoch {epoch}; lower the learning rate")
        record = {"epoch": epoch + 1, "loss": mean_loss}
        if evaluate is not None:
            model.eval()
            with torch.no_grad():
                record.update(evaluate(model))
            model.train()
        history.records.append(record)
        bar.set_postfix(loss=f"{record['loss']:.4f}")
        if on_epoch_end is not None:
            on_epoch_end(epoch + 1, model)
        if path is not None:
            _save_checkpoint(path, model, optimizer, epoch + 1, history)
    model.eval()
    return history


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1024) -> float:
    """Top-1 accuracy of a classifier on ``(x, y)``, in [0, 1]."""
    dev = next(model.parameters()).device
    was_training = model.training
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            logits = model(x[start:start + batch_size].to(dev))
            correct += (logits.argmax(1).cpu() == y[start:start + batch_size]).sum().item()
    model.train(was_training)
    return correct / max(x.shape[0], 1)
