"""Tests of repgeom.models.resnet_connections and the alignment of its connections on torchvision ResNets."""
import math
from collections import Counter

import numpy as np
import pytest
import scipy.linalg
import scipy.stats
import torch
import torchvision
from torch import nn

from repgeom.experiments.communication_subspaces import alignment as align
from repgeom.measures import subspace as ss
from repgeom.models import pretrained
from repgeom.models import resnet_connections as rc


@pytest.fixture(scope="module")
def r50():
    torch.manual_seed(0)
    return torchvision.models.resnet50(num_classes=10).eval()


@pytest.fixture(scope="module")
def r18():
    torch.manual_seed(1)
    return torchvision.models.resnet18(num_classes=10).eval()


def _counts(conns):
    return Counter((c.kind, c.stage) for c in conns)


def test_resnet50_weight_connection_counts(r50):
    conns = rc.resnet_connections(r50, "weight")
    counts = _counts(conns)
    blocks = {1: 3, 2: 4, 3: 6, 4: 3}
    for stage, n in blocks.items():
        assert counts[("direct", stage)] == n
        assert counts[("indirect", stage)] == n
        assert counts[("branching", stage)] == 1  # first block of each stage
    # short skip: every block but the very last (16 - 1 = 15)
    assert [counts[("short_skip", s)] for s in (1, 2, 3, 4)] == [3, 4, 6, 2]
    # long skip: blocks with an identity shortcut that have a successor
    assert [counts[("long_skip", s)] for s in (1, 2, 3, 4)] == [2, 3, 5, 1]
    assert len(conns) == 16 + 16 + 4 + 15 + 11
    assert {c.block_index for c in conns} == set(range(16))


def test_resnet50_weight_connections_live_in_one_space(r50):
    mods = dict(r50.named_modules())
    for c in rc.resnet_connections(r50, "weight"):
        src, tgt = mods[c.source], mods[c.target]
        assert tgt.kernel_size == (1, 1)  # all Bottleneck targets are 1x1 (paper, Sec. 2.1)
        dim_src = src.out_channels if c.source_side == "out" else src.in_channels
        assert dim_src == tgt.in_channels, c.label
    names = {(c.kind, c.source, c.target) for c in rc.resnet_connections(r50, "weight")}
    assert ("direct", "layer1.0.conv2", "layer1.0.conv3") in names
    assert ("branching", "layer2.0.conv1", "layer2.0.downsample.0") in names
    assert ("short_skip", "layer1.2.conv3", "layer2.0.conv1") in names
    assert ("long_skip", "layer1.2.conv1", "layer2.0.conv1") in names
    assert ("long_skip", "layer1.0.conv1", "layer1.1.conv1") not in names  # not an identity shortcut
    assert ("indirect", "layer4.2.conv1", "layer4.2.conv3") in names


def test_resnet50_activation_connection_counts(r50):
    conns = rc.resnet_connections(r50, "activation")
    counts = Counter(c.kind for c in conns)
    assert counts == {"direct": 32, "branching": 8, "short_skip": 15, "long_skip": 11, "indirect": 16}
    assert all(c.source_side == "act" for c in conns)


def test_resnet18_connections(r18):
    conns = rc.resnet_connections(r18, "weight")
    counts = Counter(c.kind for c in conns)
    assert counts == {"direct": 8, "short_skip": 7, "long_skip": 4}
    mods = dict(r18.named_modules())
    for c in conns:
        src, tgt = mods[c.source], mods[c.target]
        dim_src = src.out_channels if c.source_side == "out" else src.in_channels
        assert dim_src == tgt.in_channels


def test_bad_models():
    with pytest.raises(ValueError, match="ResNet"):
        rc.resnet_connections(nn.Sequential(nn.Conv2d(3, 3, 1)))
    with pytest.raises(ValueError, match="analysis"):
        rc.resnet_connections(torchvision.models.resnet18(), "both")


def test_capture_inputs_matches_manual_forward(r50):
    x = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    got = rc.capture_inputs(r50, x, ["layer1.0.conv1", "layer1.0.conv2"], batch_size=2)
    with torch.no_grad():
        stem = r50.maxpool(r50.relu(r50.bn1(r50.conv1(x))))
        b = r50.layer1[0]
        mid = b.relu(b.bn1(b.conv1(stem)))
    torch.testing.assert_close(got["layer1.0.conv1"], stem)
    torch.testing.assert_close(got["layer1.0.conv2"], mid)
    with pytest.raises(ValueError, match="not in the model"):
        rc.capture_inputs(r50, x, ["nope"])
    with pytest.raises(ValueError, match="NaN"):
        rc.capture_inputs(r50, x * float("nan"), ["layer1.0.conv1"])


def test_weight_alignment_matches_scipy(r18):
    torch.manual_seed(3)
    other = torchvision.models.resnet18(num_classes=10).eval()
    conns = [c for c in rc.resnet_connections(r18, "weight") if c.block == "layer1.0"]
    res = align.weight_alignment({"a": r18, "b": other}, conns)
    mods = dict(r18.named_modules())
    for r in res:
        assert r.size.full // 2 <= r.size.k <= r.size.full
        assert torch.all(r.angles["a"] > math.radians(0.1))
        c = r.connection
        w_src = ss.conv_weight_matrix(mods[c.source]).double().numpy()
        u, _, vt = np.linalg.svd(w_src, full_matrices=False)
        src = u if c.source_side == "out" else np.linalg.svd(
            ss.conv_channel_matrix(mods[c.source]).double().numpy(), full_matrices=False)[2].T
        tgt = np.linalg.svd(ss.conv_channel_matrix(mods[c.target]).double().numpy(), full_matrices=False)[2].T
        ref = np.sort(scipy.linalg.subspace_angles(src[:, :r.size.k], tgt[:, :r.size.k]))
        ref = ref[ref > np.radians(0.1)]
        np.testing.assert_allclose(np.sort(r.angles["a"].numpy()), ref, atol=1e-8)
        assert 0 < r.ev_source["a"] <= 1 and 0 < r.ev_target["b"] <= 1


def test_activation_alignment_runs_on_resnet50(r50):
    x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(4))
    conns = [c for c in rc.resnet_connections(r50, "activation") if c.stage == 1]
    # the bisection rule keeps every angle here, so image 0's come first (the released rule is tested in test_subspace)
    res = align.activation_alignment({"u": r50}, x, conns, rule="first-all-above")
    assert len(res) == len(conns)
    for r in res:
        assert r.angles["u"].numel() <= 2 * r.size.k
        assert torch.all(r.angles["u"] <= math.pi / 2 + 1e-12)
    # one pair by hand: activation entering conv3 of layer1.0, image 0, against conv3's input space
    r = next(r for r in res if r.connection.target == "layer1.0.conv3" and r.connection.kind == "direct")
    act = rc.capture_inputs(r50, x, ["layer1.0.conv3"])["layer1.0.conv3"]
    conv = dict(r50.named_modules())["layer1.0.conv3"]
    cols = ss.unfold_input(act[0], conv).double().numpy()
    ua = np.linalg.svd(cols, full_matrices=False)[0][:, :r.size.k]
    v = np.linalg.svd(ss.conv_weight_matrix(conv).double().numpy(), full_matrices=False)[2].T[:, :r.size.k]
    ref = np.sort(scipy.linalg.subspace_angles(ua, v))
    assert r.size.clean  # nothing dropped: the first k pooled angles are image 0's
    np.testing.assert_allclose(r.angles["u"][: r.size.k].numpy(), ref, atol=1e-4)
    with pytest.raises(ValueError, match="not an activation"):
        align.activation_alignment({"u": r50}, x, rc.resnet_connections(r50, "weight")[:1])


def test_full_scale_path_constructs():
    # the full profile's ImageNet weights are absent offline: a clear None, no download attempt
    model, note = pretrained.pretrained_resnet50(offline=True, folder=None)
    if model is None:
        assert "REPGEOM_OFFLINE" in note
    else:  # a machine with the weights cached
        assert model.fc.out_features == 1000


def test_alignment_table_and_shared_spaces(r18):
    torch.manual_seed(5)
    other = torchvision.models.resnet18(num_classes=10).eval()
    models = {"t": r18, "u": other}
    conns = [c for c in rc.resnet_connections(r18, "weight") if c.stage <= 2]
    spaces = align.WeightSpaces(models)
    res = align.weight_alignment(models, conns, spaces=spaces)
    again = align.weight_alignment(models, conns)  # no shared cache: identical numbers
    for a, b in zip(res, again):
        torch.testing.assert_close(a.angles["t"], b.angles["t"])
    tab = align.alignment_table(res, "t", ["u"], baseline_angles=64, seed=0)
    assert set(tab.kind) == {"direct", "short_skip", "long_skip"}
    for _, row in tab.iterrows():
        rs = [r for r in res if r.connection.kind == row.kind and r.connection.block == row.block]
        tr = torch.cat([r.angles["t"] for r in rs]).numpy()
        un = torch.cat([r.angles["u"] for r in rs]).numpy()
        assert row.pvalue == pytest.approx(scipy.stats.mannwhitneyu(tr, un, alternative="two-sided").pvalue)
        assert row.trained_deg == pytest.approx(np.degrees(tr.mean()))
        assert 0 < row.baseline_deg < 90
    # two independent untrained networks both sit near the random baseline (large k: small spread)
    assert float((tab.untrained_deg - tab.baseline_deg).abs().max()) < 3.0
    with pytest.raises(ValueError, match="not in the results"):
        align.alignment_table(res, "t", ["nope"])
    with pytest.raises(ValueError, match="does not cover"):
        align.weight_alignment({"x": other}, conns, spaces=spaces)
