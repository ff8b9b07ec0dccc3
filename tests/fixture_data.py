"""Tiny, format-exact copies of every dataset and weights file the chapters read, written into a temporary folder.

Each writer lays its files out exactly as torchvision expects them under a
data root (``REPGEOM_DATA``), with random pixels and labels, so that
:func:`repgeom.data.load` takes its *real-data* branch in unit tests:

========================  ==============================================  =====================
dataset                   files                                           format
========================  ==============================================  =====================
MNIST, Fashion-MNIST      ``MNIST/raw``, ``FashionMNIST/raw``             IDX (big-endian)
CIFAR-10                  ``cifar-10-batches-py/data_batch_1..5, ...``    pickled dicts
CIFAR-100                 ``cifar-100-python/train, test, meta``          pickled dicts
STL-10                    ``stl10_binary/{train,test,unlabeled}_X.bin``   raw uint8, column-major
ImageNet validation       ``imagenet/val/<wnid>/*.JPEG``                  JPEG, 1,000 classes
Imagenette (160 px)       ``imagenette2-160/{train,val}/<wnid>/*.JPEG``   JPEG, 10 classes
ResNet-50 IMAGENET1K_V1   ``<torch hub>/checkpoints/resnet50-0676ba61``   ``torch.save`` state dict
========================  ==============================================  =====================

torchvision checks the MD5 of the CIFAR and STL-10 files, and ``repgeom``
checks the SHA-256 prefix in the weights file's name: fixture files cannot
match either, so :func:`accept_fixture_hashes` switches those two checks to
the fixture's own files (file present; hash of the fixture file), explicitly, in the test that uses them. The
library's checks themselves are unchanged.
"""
from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np

IMAGENETTE_WNIDS = ("n01440764", "n02102040", "n02979186", "n03000684", "n03028079",
                    "n03394916", "n03417042", "n03425413", "n03445777", "n03888257")


def _idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` (uint8) as an IDX file: magic 0x0000 08 ndim, then the sizes as big-endian int32."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def write_mnist(root: Path, folder: str = "MNIST", n_train: int = 60, n_test: int = 40, seed: int = 0) -> Path:
    """MNIST-format IDX files (28 x 28 grey, 10 classes) under ``root/<folder>/raw``."""
    rng = np.random.default_rng(seed)
    raw = root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        _idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        _idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10)
    return raw


def _pickle(path: Path, obj: dict) -> None:
    with open(path, "wb") as fh:
        pickle.dump(obj, fh)


def write_cifar10(root: Path, per_batch: int = 20, n_test: int = 30, seed: int = 0) -> Path:
    """CIFAR-10's python batches: five training batches, a test batch and ``batches.meta``."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        n = n_test if name == "test_batch" else per_batch
        _pickle(folder / name, {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                                "labels": [int(v) for v in rng.integers(0, 10, n)]})
    _pickle(folder / "batches.meta", {"label_names": [f"class{i}" for i in range(10)]})
    return folder


def write_cifar100(root: Path, n_train: int = 200, n_test: int = 100, seed: int = 0) -> Path:
    """CIFAR-100's python files (``train``, ``test``, ``meta``) with every one of the 100 fine classes."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True, exist_ok=True)
    for name, n in (("train", n_train), ("test", n_test)):
        _pickle(folder / name, {"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                                "fine_labels": [i % 100 for i in range(n)],
                                "coarse_labels": [i % 20 for i in range(n)]})
    _pickle(folder / "meta", {"fine_label_names": [f"fine{i}" for i in range(100)],
                              "coarse_label_names": [f"coarse{i}" for i in range(20)]})
    return folder


def write_stl10(root: Path, n_train: int = 20, n_test: int = 20, seed: int = 0) -> Path:
    """STL-10's binaries: 96 x 96 colour images stored column-major, labels 1..10."""
    rng = np.random.default_rng(seed)
    folder = root / "stl10_binary"
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("test", n_test)):
        rng.integers(0, 256, (n, 3, 96, 96), dtype=np.uint8).tofile(folder / f"{split}_X.bin")
        (np.arange(n) % 10 + 1).astype(np.uint8).tofile(folder / f"{split}_y.bin")
    rng.integers(0, 256, (4, 3, 96, 96), dtype=np.uint8).tofile(folder / "unlabeled_X.bin")  # checked, unused
    (folder / "class_names.txt").write_text("\n".join(f"class{i}" for i in range(10)) + "\n")
    return folder


def _jpegs(folder: Path, wnids, per_class: int, size: int, rng: np.random.Generator) -> None:
    from PIL import Image

    for wnid in wnids:
        d = folder / wnid
        d.mkdir(parents=True, exist_ok=True)
        for k in range(per_class):
            pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(d / f"{wnid}_{k:05d}.JPEG", quality=90)


def write_imagenet_val(root: Path, n_classes: int = 1000, per_class: int = 1, size: int = 40, seed: int = 0) -> Path:
    """An ImageNet validation folder as ``ImageFolder`` reads it: ``imagenet/val/<wnid>/*.JPEG``."""
    folder = root / "imagenet" / "val"
    _jpegs(folder, [f"n{10000000 + i:08d}" for i in range(n_classes)], per_class, size,
           np.random.default_rng(seed))
    return folder


def write_imagenette(root: Path, per_class: int = 2, size: int = 64, seed: int = 0) -> Path:
    """torchvision's Imagenette layout (160 px version): ``imagenette2-160/{train,val}/<wnid>/*.JPEG``."""
    base = root / "imagenette2-160"
    rng = np.random.default_rng(seed)
    for split in ("train", "val"):
        _jpegs(base / split, IMAGENETTE_WNIDS, per_class, size, rng)
    return base


def write_resnet50_weights(torch_home: Path, seed: int = 0) -> Path:
    """A ResNet-50 state dict (random weights, seeded) where torchvision's weight loader looks for IMAGENET1K_V1."""
    import torch
    import torchvision

    torch.manual_seed(seed)
    folder = torch_home / "hub" / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "resnet50-0676ba61.pth"
    torch.save(torchvision.models.resnet50().state_dict(), path)
    return path


def sha256_prefix(path: Path, n: int = 8) -> str:
    """The first ``n`` hex digits of a file's SHA-256."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:n]


def accept_fixture_hashes(monkeypatch, weights: Path | None = None) -> None:
    """Let torchvision's MD5 checks pass for fixture CIFAR/STL-10 files, and make repgeom's weights check expect
    the fixture weights' own SHA-256 (the check still runs: a changed file still fails it)."""
    import torchvision.datasets.cifar as tv_cifar
    import torchvision.datasets.stl10 as tv_stl10

    from repgeom.models import pretrained

    for module in (tv_cifar, tv_stl10):  # the MD5 part of torchvision's check goes; "the file exists" stays
        monkeypatch.setattr(module, "check_integrity", lambda fpath, md5=None: Path(fpath).is_file())
    if weights is not None:
        own = sha256_prefix(weights)
        monkeypatch.setattr(pretrained, "expected_hash_prefix", lambda path: own)


def write_all(root: Path, torch_home: Path) -> dict[str, Path]:
    """Every fixture above; returns name -> folder (or file)."""
    return {
        "mnist": write_mnist(root),
        "fashion_mnist": write_mnist(root, "FashionMNIST", seed=1),
        "cifar10": write_cifar10(root),
        "cifar100": write_cifar100(root),
        "stl10": write_stl10(root),
        "imagenet_val": write_imagenet_val(root),
        "imagenette": write_imagenette(root),
        "resnet50": write_resnet50_weights(torch_home),
    }
