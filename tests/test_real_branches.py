"""The real-data branches, executed on format-exact fixture files (tests/fixture_data.py), and bad data on disk.

With ``REPGEOM_DATA`` (and ``TORCH_HOME``) pointed at the fixtures and
``REPGEOM_OFFLINE=1``, :func:`repgeom.data.load` must read every dataset the
chapters use from its real files (provenance: not substituted), and a damaged,
truncated, partly downloaded or empty copy must give one line naming the path
and what to do, never a stand-in.
"""
from __future__ import annotations

import io
import pickle
from contextlib import redirect_stderr, redirect_stdout

import pytest
import torch

from repgeom import data
from repgeom.models import pretrained

import fixture_data as fx


@pytest.fixture
def root(monkeypatch, tmp_path):
    """An empty data root and torch home (a machine without the Debian package), offline."""
    data_root, torch_home = tmp_path / "data", tmp_path / "torch"
    data_root.mkdir()
    monkeypatch.setenv("REPGEOM_DATA", str(data_root))
    monkeypatch.setenv("TORCH_HOME", str(torch_home))
    monkeypatch.setenv("REPGEOM_DEBIAN_FASHION_MNIST", str(tmp_path / "no-debian-package"))
    return data_root


def _real(d: data.ImageData, requested: str) -> None:
    p = d.provenance
    assert not p.substituted and p.used == p.requested == requested and p.reason == "", p


@pytest.mark.parametrize("name, n_train, n_test", [("mnist", 60, 40), ("fashion_mnist", 60, 40)])
def test_idx_datasets_take_the_real_branch(root, name, n_train, n_test):
    fx.write_mnist(root, "MNIST" if name == "mnist" else "FashionMNIST")
    tr, te = data.load(name, "train"), data.load(name, "test", n=10)
    _real(tr, f"{name}/train"), _real(te, f"{name}/test")
    assert tr.x.shape == (n_train, 1, 28, 28) and te.x.shape == (10, 1, 28, 28)
    assert tr.num_classes == 10 and tr.y.tolist() == [i % 10 for i in range(n_train)]
    assert 0 <= float(tr.x.min()) and float(tr.x.max()) <= 1


def test_cifar_and_stl10_take_the_real_branch(root, monkeypatch):
    fx.write_cifar10(root), fx.write_cifar100(root), fx.write_stl10(root)
    fx.accept_fixture_hashes(monkeypatch)
    c10 = data.load("cifar10", "train")
    _real(c10, "cifar10/train")
    assert c10.x.shape == (100, 3, 32, 32) and c10.num_classes == 10  # five batches of 20
    c100 = data.load("cifar100", "train", size=16)
    _real(c100, "cifar100/train")
    assert c100.num_classes == 100 and set(c100.y.tolist()) == set(range(100)) and c100.x.shape[-1] == 16
    stl = data.load("stl10", "test")
    _real(stl, "stl10/test")
    assert stl.x.shape == (20, 3, 96, 96) and stl.y.tolist() == [i % 10 for i in range(20)]  # labels 1..10 -> 0..9


def test_cifar_pixels_are_read_in_torchvision_order(root, monkeypatch):
    folder = fx.write_cifar10(root, per_batch=2, n_test=2)
    fx.accept_fixture_hashes(monkeypatch)
    with open(folder / "test_batch", "rb") as fh:
        raw = pickle.load(fh)["data"]
    x = data.load("cifar10", "test").x
    # a CIFAR row is 1024 red, then 1024 green, then 1024 blue values, each image row by row
    assert torch.equal((x[1] * 255).round().to(torch.uint8), torch.as_tensor(raw[1]).reshape(3, 32, 32))


def test_imagenet_folder_with_1000_classes_and_imagenette(root):
    fx.write_imagenet_val(root, size=32)
    fx.write_imagenette(root, size=48)
    val = data.load("imagenet_val", "test", n=50, size=224, subset_seed=0)
    _real(val, "imagenet_val/test")
    assert val.x.shape == (50, 3, 224, 224) and val.num_classes == 1000 and int(val.y.max()) < 1000
    assert len(set(val.y.tolist())) == 50  # one image per class: a seeded subset spans classes
    nette = data.load("imagenette", "test", size=224)
    _real(nette, "imagenette/test")
    assert nette.x.shape == (20, 3, 224, 224) and sorted(set(nette.y.tolist())) == list(range(10))


def test_resnet50_weights_from_the_hub_cache(root, monkeypatch, tmp_path):
    path = fx.write_resnet50_weights(tmp_path / "torch")
    fx.accept_fixture_hashes(monkeypatch, weights=path)
    model, note = pretrained.pretrained_resnet50(offline=True)
    assert model is not None and str(path.parent) in note
    expected = torch.load(path, weights_only=True)
    assert torch.equal(model.state_dict()["conv1.weight"], expected["conv1.weight"])


def test_communication_subspaces_quick_profile_takes_the_real_weights_and_images(root, monkeypatch, tmp_path):
    from repgeom.experiments.communication_subspaces import networks, parameters
    monkeypatch.setenv("REPGEOM_OFFLINE", "1")
    quick = parameters.QUICK
    model, note = networks.imagenet_network(quick)
    assert model is None and "REPGEOM_OFFLINE=1" in note  # offline without the weights: the stand-in path
    path = fx.write_resnet50_weights(tmp_path / "torch")
    fx.accept_fixture_hashes(monkeypatch, weights=path)
    fx.write_imagenet_val(root, size=32)
    model, note = networks.imagenet_network(quick)
    assert model is not None and str(path.parent) in note
    images, prov = networks.imagenet_images(quick.imagenet_images)
    _real(data.ImageData(images, torch.zeros(len(images), dtype=torch.long), 1000, prov), "imagenet_val/test")
    assert images.shape == (quick.imagenet_images, 3, 224, 224)
    # torchvision's ImageNet normalisation of images in [0, 1]
    assert float(images.min()) >= (0 - 0.485) / 0.229 - 1e-5 and float(images.max()) <= (1 - 0.406) / 0.225 + 1e-5
    import dataclasses
    assert networks.imagenet_network(dataclasses.replace(quick, use_imagenet=False)) == (
        None, "not tried at this profile")


def test_weights_absent_offline_is_not_available(root):
    model, note = pretrained.pretrained_resnet50(offline=True)
    assert model is None and "REPGEOM_OFFLINE=1" in note and "resnet50-0676ba61.pth" in note


# Bad data: one line naming the path and what to do, never a stand-in.

def _one_line(err: Exception, *needles: str) -> None:
    text = str(err)
    assert "\n" not in text, text
    for needle in needles:
        assert needle in text, (needle, text)


def test_truncated_idx_file_is_reported_not_replaced(root):
    raw = fx.write_mnist(root)
    f = raw / "train-images-idx3-ubyte"
    f.write_bytes(f.read_bytes()[:1000])
    with pytest.raises(data.DataCorrupt) as err:
        data.load("mnist", "train")
    _one_line(err.value, str(raw), "repgeom fetch mnist")


def test_partly_downloaded_cifar_is_reported(root, monkeypatch):
    folder = fx.write_cifar10(root)
    (folder / "data_batch_4").unlink()  # the real integrity check: a missing batch fails it
    with pytest.raises(data.DataCorrupt) as err:
        data.load("cifar10", "train")
    _one_line(err.value, str(folder), "repgeom fetch cifar10")


def test_corrupt_pickle_is_reported(root, monkeypatch):
    folder = fx.write_cifar100(root)
    fx.accept_fixture_hashes(monkeypatch)
    (folder / "train").write_bytes(b"not a pickle")
    with pytest.raises(data.DataCorrupt) as err:
        data.load("cifar100", "train")
    _one_line(err.value, str(folder))


def test_empty_imagenet_folder_is_reported(root):
    (root / "imagenet" / "val").mkdir(parents=True)
    with pytest.raises(data.DataCorrupt) as err:
        data.load("imagenet_val", "test", n=10)
    _one_line(err.value, str(root / "imagenet" / "val"), "empty")


def test_absent_dataset_still_gets_its_declared_stand_in(root):
    d = data.load("cifar10", "test", n=20)
    assert d.provenance.substituted and d.provenance.used == "sklearn_digits/test"


def test_weights_with_the_wrong_hash_are_reported(root, tmp_path):
    path = fx.write_resnet50_weights(tmp_path / "torch")  # random weights: not the file its name promises
    with pytest.raises(data.DataCorrupt) as err:
        pretrained.pretrained_resnet50(offline=True)
    _one_line(err.value, str(path), "0676ba61", "repgeom fetch resnet50-imagenet")


def test_truncated_weights_are_reported(root, monkeypatch, tmp_path):
    path = fx.write_resnet50_weights(tmp_path / "torch")
    path.write_bytes(path.read_bytes()[:5000])
    fx.accept_fixture_hashes(monkeypatch, weights=path)  # the hash matches the cut file: the load must fail
    with pytest.raises(data.DataCorrupt) as err:
        pretrained.pretrained_resnet50(offline=True)
    _one_line(err.value, str(path))


def test_expected_hash_prefix_reads_torchvision_names():
    assert pretrained.expected_hash_prefix("resnet50-0676ba61.pth") == "0676ba61"
    assert pretrained.expected_hash_prefix("weights.pt") is None


# python -m repgeom fetch

def _fetch(*names: str) -> tuple[int, str, str]:
    from repgeom.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(["fetch", *names])
    return rc, out.getvalue(), err.getvalue()


def test_fetch_finds_what_is_on_disk(root, monkeypatch, tmp_path):
    fx.write_mnist(root), fx.write_imagenette(root, per_class=1, size=32)
    path = fx.write_resnet50_weights(tmp_path / "torch")
    fx.accept_fixture_hashes(monkeypatch, weights=path)
    rc, out, err = _fetch("mnist", "imagenette", "resnet50-imagenet")
    assert rc == 0 and err == "", err
    assert "mnist: 100 images in" in out and "imagenette: 20 images in" in out and "ResNet50_Weights" in out


def test_fetch_offline_says_in_one_line_what_is_missing(root):
    rc, out, err = _fetch("cifar10", "resnet50-imagenet", "imagenet_val", "nonsense")
    lines = [line for line in err.splitlines() if line]
    assert rc == 1 and len(lines) == 4 and all(line.startswith("error: ") for line in lines), err
    assert "REPGEOM_OFFLINE=1" in lines[0] and "resnet50-0676ba61.pth" in lines[1]
    assert "cannot be downloaded automatically" in lines[2] and "unknown name 'nonsense'" in lines[3]
