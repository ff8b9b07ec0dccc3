"""Pretrained torchvision weights the chapters use, found in caches or downloaded when allowed."""
from __future__ import annotations

import socket
from pathlib import Path

from torch import nn

__all__ = [
    "pretrained_resnet50",
]


def pretrained_resnet50(offline: bool, folder: Path | None = None) -> tuple[nn.Module | None, str]:
    """torchvision's ResNet-50 ``IMAGENET1K_V1`` weights, if they can be had.

    Looks in torch's hub cache and in ``folder`` (e.g. ``REPGEOM_DATA``); it
    downloads through torchvision only when ``offline`` is False.

    Returns
    -------
    (model or None, note)
        The network in eval mode, or None with the reason.
    """
    import torchvision
    from torch.hub import get_dir, load_state_dict_from_url

    weights = torchvision.models.ResNet50_Weights.IMAGENET1K_V1
    fname = weights.url.rsplit("/", 1)[-1]
    dirs = [Path(get_dir()) / "checkpoints"] + ([Path(folder)] if folder is not None else [])
    found = next((d for d in dirs if (d / fname).is_file()), None)
    if found is None and offline:
        return None, f"{fname} not in {', '.join(map(str, dirs))} and downloads are off (REPGEOM_OFFLINE=1)"
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(30.0)
    try:
        state = load_state_dict_from_url(weights.url, model_dir=str(found or dirs[0]), progress=False,
                                         check_hash=True)
    except Exception as err:  # noqa: BLE001 - any failure means "not available here"
        return None, f"could not load {fname}: {type(err).__name__}"
    finally:
        socket.setdefaulttimeout(old)
    model = torchvision.models.resnet50()
    model.load_state_dict(state)
    return model.eval(), f"torchvision ResNet50_Weights.IMAGENET1K_V1 from {found or dirs[0]}"
