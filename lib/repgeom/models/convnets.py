"""The networks of Lu et al. (2018): the Keras-example ConvNet and a CIFAR ResNet-18.

Both return, besides logits, the activations of the layers the paper analyses
(:meth:`ConvNet.features`, :meth:`ResNet18.features`). Dropout is
:class:`KeyedDropout`, whose masks are a hash of (network key, call count,
element index): the same for a network trained alone or inside a vmapped
ensemble (:mod:`repgeom.models.ensemble`).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["KeyedDropout", "ConvNet", "ResNet18", "set_dropout_keys"]

_MASK53 = (1 << 53) - 1


def _shr(z: torch.Tensor, s: int) -> torch.Tensor:
    """Logical right shift of int64 (torch's ``>>`` is arithmetic)."""
    return (z >> s) & ((1 << (64 - s)) - 1)


def _mix64(z: torch.Tensor) -> torch.Tensor:
    """SplitMix64 finaliser on int64 tensors (wrap-around multiplication)."""
    z = (z ^ _shr(z, 30)) * -4658895280553007687   # 0xBF58476D1CE4E5B9
    z = (z ^ _shr(z, 27)) * -7723592293110705685   # 0x94D049BB133111EB
    return z ^ _shr(z, 31)


class KeyedDropout(nn.Module):
    """Inverted dropout whose masks are a deterministic hash, not a global RNG draw.

    Parameters
    ----------
    p : float
        Drop probability in [0, 1).

    Notes
    -----
    Buffers ``key`` (set per network, see :func:`set_dropout_keys`) and
    ``calls`` (training forward passes so far) make the mask a pure function
    of the network and the step, so vmapped and one-at-a-time training match.
    """

    def __init__(self, p: float):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must lie in [0, 1), got {p}")
        self.p = float(p)
        self.register_buffer("key", torch.zeros((), dtype=torch.long))
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        idx = torch.arange(x.numel(), device=x.device, dtype=torch.long).view(x.shape)
        h = _mix64(_mix64(self.key * 1_000_003 + self.calls) + idx * -7046029254386353131)
        u = (h & _MASK53).to(torch.float64) * 2.0 ** -53
        self.calls.add_(1)
        return x * (u >= self.p).to(x.dtype) / (1.0 - self.p)


def set_dropout_keys(model: nn.Module, seed: int) -> nn.Module:
    """Give every :class:`KeyedDropout` of ``model`` a key derived from ``seed`` and reset its counter."""
    for i, m in enumerate(mod for mod in model.modules() if isinstance(mod, KeyedDropout)):
        m.key.fill_(int(seed) * 7919 + i)
        m.calls.zero_()
    return model


def _check_images(x: torch.Tensor, channels: int) -> None:
    if x.ndim != 4 or x.shape[1] != channels:
        raise ValueError(f"x must have shape (batch, {channels}, height, width), got {tuple(x.shape)}")


class ConvNet(nn.Module):
    """The paper's ConvNet (the Keras ``cifar10_cnn`` example the authors used).

    conv32(same)-conv32(valid)-maxpool-dropout(.25), conv64(same)-conv64(valid)-
    maxpool-dropout(.25), dense512-relu-dropout(.5), dense(classes).

    Parameters
    ----------
    num_classes : int
    in_channels : int
    image_size : int
        Input side (32 for CIFAR).
    dropout : bool
        Use the dropout layers (turn off for exact-arithmetic tests).
    """

    LAYERS = ("pool1", "pool2", "dense")

    def __init__(self, num_classes: int = 10, in_channels: int = 3, image_size: int = 32, dropout: bool = True):
        super().__init__()
        if image_size < 12:
            raise ValueError(f"image_size must be >= 12, got {image_size}")
        self.in_channels = in_channels
        self.conv1 = nn.Conv2d(in_channels, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 32, 3)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv4 = nn.Conv2d(64, 64, 3)
        side = ((image_size - 2) // 2 - 2) // 2
        self.fc1 = nn.Linear(64 * side * side, 512)
        self.fc2 = nn.Linear(512, num_classes)
        self.drop1 = KeyedDropout(0.25 if dropout else 0.0)
        self.drop2 = KeyedDropout(0.25 if dropout else 0.0)
        self.drop3 = KeyedDropout(0.5 if dropout else 0.0)

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Analysed activations: both pooling outputs and the dense-512 pre-activation.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, C, H, W)

        Returns
        -------
        dict
            ``pool1`` (batch, 32, h1, w1), ``pool2`` (batch, 64, h2, w2),
            ``dense`` (batch, 512), ``logits`` (batch, classes).
        """
        _check_images(x, self.in_channels)
        out = {}
        h = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        out["pool1"] = h
        h = F.max_pool2d(F.relu(self.conv4(F.relu(self.conv3(self.drop1(h))))), 2)
        out["pool2"] = h
        z = self.fc1(self.drop2(h).flatten(1))
        out["dense"] = z
        out["logits"] = self.fc2(self.drop3(F.relu(z)))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)["logits"]


class _Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(h)) + self.shortcut(x))


class ResNet18(nn.Module):
    """CIFAR-style ResNet-18 (3x3 stem, no max-pool) with a width option.

    Parameters
    ----------
    num_classes : int
    in_channels : int
    width : int
        Channels of the first stage (64 in He et al.); stages use w, 2w, 4w, 8w.
    """

    LAYERS = ("conv1", "block1", "block2", "block3", "block4", "block5", "block6", "block7", "block8")

    def __init__(self, num_classes: int = 10, in_channels: int = 3, width: int = 64):
        super().__init__()
        if width < 1:
            raise ValueError(f"width must be >= 1, got {width}")
        self.in_channels = in_channels
        self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        blocks, cin = [], width
        for i, mult in enumerate((1, 1, 2, 2, 4, 4, 8, 8)):
            cout = width * mult
            blocks.append(_Block(cin, cout, 2 if (i % 2 == 0 and i > 0) else 1))
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.fc = nn.Linear(cin, num_classes)

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every other of the 18 weight layers: the stem and the 8 block outputs.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, C, H, W)

        Returns
        -------
        dict
            ``conv1`` and ``block1`` ... ``block8`` (batch, channels, h, w) and
            ``logits`` (batch, classes).
        """
        _check_images(x, self.in_channels)
        h = F.relu(self.bn1(self.conv1(x)))
        out = {"conv1": h}
        for i, block in enumerate(self.blocks):
            h = block(h)
            out[f"block{i + 1}"] = h
        out["logits"] = self.fc(F.adaptive_avg_pool2d(h, 1).flatten(1))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)["logits"]


__all__ += ["XorNet", "xor_clouds", "collect_activations"]


def xor_clouds(n_per_cloud: int, std: float = 0.3, generator: torch.Generator | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Noisy XOR: four Gaussian clouds at (±1, ±1), label 1 where the signs differ.

    Parameters
    ----------
    n_per_cloud : int
        Points per cloud.
    std : float
        Standard deviation of each cloud (the paper: 0.3).

    Returns
    -------
    x : torch.Tensor, shape (4 * n_per_cloud, 2)
    y : torch.Tensor, shape (4 * n_per_cloud,), float in {0, 1}
    """
    if n_per_cloud < 1 or std <= 0:
        raise ValueError(f"need n_per_cloud >= 1 and std > 0, got {n_per_cloud} and {std}")
    centres = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    labels = torch.tensor([0.0, 0.0, 1.0, 1.0])
    x = centres.repeat_interleave(n_per_cloud, 0)
    x = x + std * torch.randn(x.shape, generator=generator)
    return x, labels.repeat_interleave(n_per_cloud)


class XorNet(nn.Module):
    """The simulation's network: 2 inputs -> ``hidden`` sigmoid units -> 1 logit."""

    def __init__(self, hidden: int = 50):
        super().__init__()
        self.hidden = nn.Linear(2, hidden)
        self.out = nn.Linear(hidden, 1)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Hidden activity, shape (batch, hidden), for x of shape (batch, 2)."""
        if x.ndim != 2 or x.shape[1] != 2:
            raise ValueError(f"x must have shape (batch, 2), got {tuple(x.shape)}")
        return torch.sigmoid(self.hidden(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.features(x)).squeeze(-1)


@torch.no_grad()
def collect_activations(
    models: list[nn.Module],
    x: torch.Tensor,
    layers: tuple[str, ...],
    max_units: int | None = None,
    seed: int = 0,
    batch_size: int = 256,
) -> dict[str, torch.Tensor]:
    """Flattened activations of each network at the named layers.

    Parameters
    ----------
    models : list of nn.Module
        Networks with a ``features(x) -> dict`` method (eval mode is set).
    x : torch.Tensor, shape (m, C, H, W)
    layers : tuple of str
        Keys of ``features``.
    max_units : int, optional
        Layers with more units keep a seeded random subset of this size (the
        same units for every network).
    seed : int
        Seed of the unit subset.

    Returns
    -------
    dict
        ``layer -> tensor (n_networks, m, n_units)`` on the CPU, float32.
    """
    if not models:
        raise ValueError("models must hold at least one network")
    if max_units is not None and max_units < 2:
        raise ValueError(f"max_units must be >= 2 or None, got {max_units}")
    dev = next(models[0].parameters()).device
    out: dict[str, list[torch.Tensor]] = {name: [] for name in layers}
    for model in models:
        model.eval()
        chunks: dict[str, list[torch.Tensor]] = {name: [] for name in layers}
        for start in range(0, x.shape[0], batch_size):
            feats = model.features(x[start:start + batch_size].to(dev))
            missing = [name for name in layers if name not in feats]
            if missing:
                raise ValueError(f"layers {missing} are not among {sorted(feats)}")
            for name in layers:
                chunks[name].append(feats[name].flatten(1).float().cpu())
        for name in layers:
            out[name].append(torch.cat(chunks[name]))
    result = {}
    for i, name in enumerate(layers):
        acts = torch.stack(out[name])
        if max_units is not None and acts.shape[-1] > max_units:
            gen = torch.Generator().manual_seed(seed * 1009 + i)
            keep = torch.randperm(acts.shape[-1], generator=gen)[:max_units].sort().values
            acts = acts[..., keep]
        result[name] = acts
    return result


__all__ += ["shift_flip"]


def shift_flip(xb: torch.Tensor, generator: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Random translation by up to ``pad`` pixels (zero fill) and horizontal flip, per image.

    Parameters
    ----------
    xb : torch.Tensor, shape (batch, C, H, W)
    generator : torch.Generator
        CPU generator; the draw is a function of it only.
    pad : int
        Largest shift in pixels.

    Returns
    -------
    torch.Tensor, shape (batch, C, H, W)
    """
    if xb.ndim != 4:
        raise ValueError(f"xb must have shape (batch, C, H, W), got {tuple(xb.shape)}")
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    b, _, h, w = xb.shape
    flip = torch.rand(b, generator=generator) < 0.5
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=generator)
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=generator)
    xb = torch.where(flip.to(xb.device)[:, None, None, None], xb.flip(-1), xb)
    padded = F.pad(xb, (pad, pad, pad, pad))
    rows = (dy[:, None] + torch.arange(h)[None, :]).to(xb.device)          # (b, h)
    cols = (dx[:, None] + torch.arange(w)[None, :]).to(xb.device)          # (b, w)
    idx_b = torch.arange(b, device=xb.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[idx_b, rows[:, :, None], cols[:, None, :]]
    return out.permute(0, 3, 1, 2).contiguous()
