"""Pretrained torchvision weights the chapters use, found in caches or downloaded when allowed."""
from __future__ import annotations

import hashlib
import re
import socket
from pathlib import Path

from torch import nn

__all__ = [
    "RESNET50_FILE",
    "expected_hash_prefix",
    "pretrained_resnet50",
    "resnet50_dirs",
    "verify_weights_file",
]

#: torchvision's file name for ``ResNet50_Weights.IMAGENET1K_V1`` (its SHA-256 prefix is part of the name).
RESNET50_FILE = "resnet50-0676ba61.pth"


def expected_hash_prefix(path: Path) -> str | None:
    """The SHA-256 prefix torchvision writes into a weights file's name (``resnet50-0676ba61.pth`` -> ``0676ba61``)."""
    match = re.search(r"-([a-f0-9]{6,})\.", Path(path).name)
    return match.group(1) if match else None


def verify_weights_file(path: Path) -> None:
    """Check a cached weights file against the hash in its name; raise :class:`repgeom.data.DataCorrupt` if not.

    torch's hub checks the hash only while downloading; a file copied into the
    cache by hand, or cut short, would otherwise load (or fail) silently.
    """
    from repgeom.data import DataCorrupt

    prefix = expected_hash_prefix(path)
    if prefix is None:
        return
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if not digest.hexdigest().startswith(prefix):
        raise DataCorrupt(f"{path} does not match the hash in its name ({prefix}…): it is damaged or not "
                          "torchvision's file; delete it and run `python -m repgeom fetch resnet50-imagenet`")


def resnet50_dirs(folder: Path | None = None) -> list[Path]:
    """Where the ResNet-50 weights are looked for: torch's hub cache, then ``folder`` (e.g. ``REPGEOM_DATA``)."""
    from torch.hub import get_dir

    return [Path(get_dir()) / "checkpoints"] + ([Path(folder)] if folder is not None else [])


def pretrained_resnet50(offline: bool, folder: Path | None = None) -> tuple[nn.Module | None, str]:
    """torchvision's ResNet-50 ``IMAGENET1K_V1`` weights, if they can be had.

    Looks in torch's hub cache and in ``folder`` (e.g. ``REPGEOM_DATA``); it
    downloads through torchvision only when ``offline`` is False.

    Returns
    -------
    (model or None, note)
        The network in eval mode, or None with the reason it is not available.

    Raises
    ------
    repgeom.data.DataCorrupt
        A weights file is there but does not match its hash or cannot be read
        (never answered with "not available", so no stand-in is used silently).
    """
    import torch
    import torchvision
    from torch.hub import load_state_dict_from_url

    from repgeom.data import DataCorrupt

    weights = torchvision.models.ResNet50_Weights.IMAGENET1K_V1
    fname = weights.url.rsplit("/", 1)[-1]
    dirs = resnet50_dirs(folder)
    found = next((d for d in dirs if (d / fname).is_file()), None)
    if found is not None:
        path = found / fname
        verify_weights_file(path)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # noqa: BLE001 - a file that is there must load: say which and why
            raise DataCorrupt(f"{path} cannot be read ({type(err).__name__}); delete it and run "
                              "`python -m repgeom fetch resnet50-imagenet`") from None
    elif offline:
        return None, f"{fname} not in {', '.join(map(str, dirs))} and downloads are off (REPGEOM_OFFLINE=1)"
    else:
        old = socket.getdefaulttimeout()
        socket.setdefaulttimeout(30.0)
        try:
            state = load_state_dict_from_url(weights.url, model_dir=str(dirs[0]), progress=False, check_hash=True)
        except Exception as err:  # noqa: BLE001 - a failed download means "not available here"
            return None, f"could not download {fname}: {type(err).__name__}"
        finally:
            socket.setdefaulttimeout(old)
        found = dirs[0]
    model = torchvision.models.resnet50()
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError) as err:
        raise DataCorrupt(f"{found / fname} is not a ResNet-50 state dict ({str(err).splitlines()[0][:120]}); "
                          "delete it and run `python -m repgeom fetch resnet50-imagenet`") from None
    return model.eval(), f"torchvision ResNet50_Weights.IMAGENET1K_V1 from {found}"
