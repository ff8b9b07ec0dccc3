"""Connections between layers of torchvision ResNets.

Section 2.3 (and Appendix Fig. 4) of the communication-subspace paper names
five connection types in a Bottleneck ResNet. :func:`resnet_connections` lists
them as named pairs of layers; :func:`capture_inputs` records the input
activation of the layers a list of connections needs. Their alignment is
measured in :mod:`repgeom.experiments.communication_subspaces.alignment`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

import torch
from torch import nn

__all__ = [
    "KINDS",
    "Connection",
    "resnet_blocks",
    "resnet_connections",
    "capture_inputs",
]


KINDS: tuple[str, ...] = ("direct", "branching", "short_skip", "long_skip", "indirect")


Analysis = Literal["weight", "activation"]


@dataclass(frozen=True)
class Connection:
    """One pair of subspaces to compare.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    block : str
        The block the connection is drawn at (e.g. ``"layer2.0"``).
    block_index : int
        Position of that block in the network (0-based over all stages).
    stage : int
        1-based stage (``layer1`` ... ``layer4``).
    source : str
        Module name of the source conv.
    source_side : {"out", "in", "act"}
        Its output space, input space, or its input activation.
    target : str
        Module name of the target conv (its input space).
    """

    kind: str
    block: str
    block_index: int
    stage: int
    source: str
    source_side: str
    target: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.source}[{self.source_side}]->{self.target}[in]"


def resnet_blocks(model: nn.Module) -> list[tuple[str, nn.Module, int]]:
    """The residual blocks of a torchvision ResNet, in order.

    Returns
    -------
    list of (name, block, stage)
        ``name`` like ``"layer3.1"``, ``stage`` 1-4.
    """
    from torchvision.models.resnet import BasicBlock, Bottleneck

    blocks = []
    for stage in range(1, 5):
        layer = getattr(model, f"layer{stage}", None)
        if not isinstance(layer, nn.Sequential):
            raise ValueError(f"model must be a torchvision ResNet with layer1..layer4, got {type(model).__name__} "
                             f"without layer{stage}")
        for i, block in enumerate(layer):
            if not isinstance(block, (BasicBlock, Bottleneck)):
                raise ValueError(f"layer{stage}.{i} is a {type(block).__name__}; expected BasicBlock or Bottleneck")
            blocks.append((f"layer{stage}.{i}", block, stage))
    kinds = {type(b).__name__ for _, b, _ in blocks}
    if len(kinds) != 1:
        raise ValueError(f"model mixes block types {sorted(kinds)}; expected one")
    return blocks


def resnet_connections(model: nn.Module, analysis: Analysis = "weight") -> list[Connection]:
    """Enumerate the connection types of Section 2.3 in a torchvision ResNet.

    Bottleneck blocks (ResNet-50/101/152), with ``b`` a block and ``b+1`` the
    next one in the network:

    * ``direct``: weights conv2 [out] -> conv3 [in]; activations entering
      conv2 and conv3 against their own input spaces.
    * ``branching`` (blocks with a downsample branch): weights conv1 [in] vs
      downsample [in]; the block's input activation against both.
    * ``short_skip``: weights conv3 of ``b`` [out] -> conv1 of ``b+1`` [in];
      the output activation of ``b`` against conv1 of ``b+1``.
    * ``long_skip`` (``b`` with an identity shortcut): conv1 of ``b`` [in] vs
      conv1 of ``b+1`` [in]; the input activation of ``b`` (carried by the
      identity) against conv1 of ``b+1``.
    * ``indirect`` (control, across conv2): weights conv1 [out] -> conv3 [in];
      the activation entering conv2 against conv3.

    BasicBlock ResNets (ResNet-18/34) have direct (conv1 -> conv2), short skip
    (conv2 of ``b`` -> conv1 of ``b+1``) and long skip connections only.

    Parameters
    ----------
    model : nn.Module
        A torchvision ResNet.
    analysis : {"weight", "activation"}

    Returns
    -------
    list of Connection
        Ordered by block, then by the order of :data:`KINDS`.
    """
    if analysis not in ("weight", "activation"):
        raise ValueError(f"analysis must be 'weight' or 'activation', got {analysis!r}")
    blocks = resnet_blocks(model)
    bottleneck = hasattr(blocks[0][1], "conv3")
    act = analysis == "activation"
    out: list[Connection] = []
    for idx, (name, block, stage) in enumerate(blocks):
        nxt = blocks[idx + 1][0] if idx + 1 < len(blocks) else None
        last = f"{name}.conv3" if bottleneck else f"{name}.conv2"

        def add(kind: str, source: str, side: str, target: str) -> None:
            out.append(Connection(kind, name, idx, stage, source, side, target))

        # direct
        if bottleneck:
            if act:
                add("direct", f"{name}.conv2", "act", f"{name}.conv2")
                add("direct", f"{name}.conv3", "act", f"{name}.conv3")
            else:
                add("direct", f"{name}.conv2", "out", f"{name}.conv3")
        else:
            if act:
                add("direct", f"{name}.conv2", "act", f"{name}.conv2")
            else:
                add("direct", f"{name}.conv1", "out", f"{name}.conv2")
        # branching (Bottleneck only, as in the paper)
        if bottleneck and block.downsample is not None:
            if act:
                add("branching", f"{name}.conv1", "act", f"{name}.conv1")
                add("branching", f"{name}.conv1", "act", f"{name}.downsample.0")
            else:
                add("branching", f"{name}.conv1", "in", f"{name}.downsample.0")
        # short skip
        if nxt is not None:
            if act:
                add("short_skip", f"{nxt}.conv1", "act", f"{nxt}.conv1")
            else:
                add("short_skip", last, "out", f"{nxt}.conv1")
        # long skip: only across an identity shortcut
        if nxt is not None and block.downsample is None:
            if act:
                add("long_skip", f"{name}.conv1", "act", f"{nxt}.conv1")
            else:
                add("long_skip", f"{name}.conv1", "in", f"{nxt}.conv1")
        # indirect control
        if bottleneck:
            if act:
                add("indirect", f"{name}.conv2", "act", f"{name}.conv3")
            else:
                add("indirect", f"{name}.conv1", "out", f"{name}.conv3")
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(out, key=lambda c: (c.block_index, order[c.kind]))


def _modules(model: nn.Module) -> dict[str, nn.Module]:
    return dict(model.named_modules())


def capture_inputs(
    model: nn.Module,
    x: torch.Tensor,
    names: Sequence[str],
    batch_size: int = 100,
) -> dict[str, torch.Tensor]:
    """Input activations of named modules, recorded with forward pre-hooks.

    Parameters
    ----------
    model : nn.Module
        Run in eval mode without gradients (its mode is restored).
    x : torch.Tensor, shape (N, C, H, W)
        Images, moved to the model's device.
    names : sequence of str
        Module names (as in ``model.named_modules()``).
    batch_size : int

    Returns
    -------
    dict
        name -> tensor (N, C_in, H_in, W_in) on the model's device.
    """
    mods = _modules(model)
    missing = [n for n in names if n not in mods]
    if missing:
        raise ValueError(f"names not in the model: {missing[:5]}")
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        raise ValueError(f"x must be a tensor of shape (N, C, H, W), got {getattr(x, 'shape', type(x))}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x contains NaN or Inf")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    dev = next(model.parameters()).device
    store: dict[str, list[torch.Tensor]] = {n: [] for n in dict.fromkeys(names)}
    hooks = [mods[n].register_forward_pre_hook(lambda _m, inp, n=n: store[n].append(inp[0].detach()))
             for n in store]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, x.shape[0], batch_size):
                model(x[start:start + batch_size].to(dev))
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return {n: torch.cat(v) for n, v in store.items()}
