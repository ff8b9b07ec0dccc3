"""Tests of repgeom.experiments.communication_subspaces at tiny size (narrow ResNets, a few stand-in images)."""
import dataclasses
import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
import torchvision
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from repgeom.book.claims import ClaimBoard
from repgeom.experiments.communication_subspaces import alignment as align
from repgeom.experiments.communication_subspaces import (
    claims,
    figures,
    measurements,
    networks,
    parameters,
    training_study,
)
from repgeom.measures import subspace as ss
from repgeom.models import resnet_connections as rc
from repgeom.models.resnet_connections import KINDS, Connection

CPU = torch.device("cpu")


class _NarrowResNet(ResNet):
    """A torchvision ResNet with 2, 1, 1, 1 blocks per stage and 1/8 of the channels: every connection type, tiny SVDs."""

    def __init__(self, block, num_classes=10):
        super().__init__(block, [2, 1, 1, 1], num_classes=num_classes)
        self.fc = nn.Linear(64 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        return super()._make_layer(block, planes // 8, blocks, stride, dilate)


@pytest.fixture
def narrow(monkeypatch):
    """torchvision's resnet18 / resnet50 constructors replaced by narrow one-block-per-stage ones."""
    monkeypatch.setattr(torchvision.models, "resnet18", lambda num_classes=1000: _NarrowResNet(BasicBlock, num_classes))
    monkeypatch.setattr(torchvision.models, "resnet50", lambda num_classes=1000: _NarrowResNet(Bottleneck, num_classes))


TINY = dataclasses.replace(parameters.QUICK, train_image_size=16, n_train=12, epochs=2, batch_size=8, n_images=3,
                           n_eval=5, untrained_seeds=(0, 1), baseline_angles=8, resnet18_epochs=1)


@pytest.fixture
def stand_in():
    return networks.load_stand_in(TINY)


# --- parameters -------------------------------------------------------------------------------------------


def test_params_by_profile():
    assert parameters.params("quick") is parameters.QUICK
    assert parameters.params("full") is parameters.FULL
    assert parameters.QUICK.untrained_seeds == (0, 1) and len(parameters.FULL.untrained_seeds) == 5
    with pytest.raises(ValueError, match="profile"):
        parameters.params("medium")


def test_steps_per_epoch_rounds_up():
    assert parameters.steps_per_epoch(parameters.QUICK) == 30  # 30720 images in 8 intervals of 128-image batches
    assert parameters.total_steps(parameters.QUICK) == 240
    assert parameters.interval_size(TINY) == 6 and parameters.steps_per_epoch(TINY) == 1  # 12 images, 2 intervals
    assert parameters.steps_per_epoch(dataclasses.replace(TINY, n_train=18)) == 2  # 9 per interval, last batch short
    assert parameters.steps_per_epoch(TINY, epochs=1) == 2 and parameters.total_steps(TINY, epochs=1) == 2


def test_params_table_labels_every_field():
    import dataclasses as dc
    assert {f.name for f in dc.fields(parameters.Params)} == set(parameters.LABELS)


def test_one_cycle_lr_warms_up_and_decays():
    lrs = [networks.one_cycle_lr(s, 8, 1.0, 0.25) for s in range(9)]
    assert lrs[0] == pytest.approx(0.5) and lrs[1] == pytest.approx(1.0)  # 2 warm-up steps
    assert all(a >= b for a, b in zip(lrs[1:], lrs[2:])) and lrs[8] == pytest.approx(0.0)


# --- networks ---------------------------------------------------------------------------------------------


def test_stand_in_is_three_channel_standardised(stand_in):
    assert stand_in.x_train.shape == (12, 3, 16, 16)
    assert stand_in.x_test.shape == (8, 3, 16, 16)
    assert stand_in.images.shape[0] == 3 and stand_in.x_eval.shape[0] == 5 and stand_in.y_eval.shape == (5,)
    assert torch.equal(stand_in.images, stand_in.x_test[:3])
    # the three channels are copies, standardised with the training statistics
    assert torch.equal(stand_in.x_train[:, 0], stand_in.x_train[:, 2])
    assert abs(float(stand_in.x_train.mean())) < 1e-5
    assert float(stand_in.x_train[:, 0].std()) == pytest.approx(1.0, abs=1e-4)
    assert stand_in.num_classes == 10 and stand_in.train.used.startswith(("fashion_mnist", "digits"))


def test_untrained_resnets_are_seeded(narrow):
    a = networks.untrained_resnets("resnet18", (0, 1), 10, CPU)
    b = networks.untrained_resnets("resnet18", (1,), 10, CPU)
    assert list(a) == ["untrained-0", "untrained-1"]
    assert not any(m.training for m in a.values())
    assert networks.same_weights(a["untrained-1"], b["untrained-1"])
    assert not networks.same_weights(a["untrained-0"], a["untrained-1"])


def test_train_resnet_snapshots_start_and_resume(narrow, stand_in, tmp_path):
    first = networks.train_resnet("resnet18", 2, 0, stand_in, TINY, CPU, folder=tmp_path / "a")
    assert len(first.snapshots) == 3 and all(s.is_file() for s in first.snapshots)
    assert len(first.history.column("loss")) == 2 and all(math.isfinite(v) for v in first.history.column("loss"))
    assert not first.net.training
    # trained channels-last, handed back and saved in the default layout
    assert all(v.is_contiguous() for v in first.net.state_dict().values())
    assert all(v.is_contiguous() for v in torch.load(first.snapshots[-1], weights_only=True).values())
    # snapshot 0 is the untrained network of the training's seed; the last is the trained one
    start = networks.load_snapshot("resnet18", first.snapshots[0], 10, CPU)
    assert networks.same_weights(start, networks.untrained_resnets("resnet18", (0,), 10, CPU)["untrained-0"])
    assert networks.same_weights(networks.load_snapshot("resnet18", first.snapshots[-1], 10, CPU), first.net)
    assert not networks.same_weights(start, first.net)
    # determinism: a fresh folder trains to the same weights; the same folder resumes without training
    again = networks.train_resnet("resnet18", 2, 0, stand_in, TINY, CPU, folder=tmp_path / "b")
    assert networks.same_weights(again.net, first.net)
    resumed = networks.train_resnet("resnet18", 2, 0, stand_in, TINY, CPU, folder=tmp_path / "a")
    assert networks.same_weights(resumed.net, first.net) and resumed.snapshots == first.snapshots


def test_checkpoint_dir_under_output(tmp_path):
    d = networks.checkpoint_dir()
    assert d.is_dir() and d.name == "checkpoints" and str(d).startswith(str(tmp_path))


def test_imagenet_images_fall_back_offline():
    images, prov = networks.imagenet_images(2)
    assert images.shape == (2, 3, 224, 224) and bool(torch.isfinite(images).all())
    if prov.substituted:  # the stand-in is standardised per channel over the images
        assert abs(float(images.mean())) < 1e-4


def test_labels_and_note(stand_in):
    label = networks.own_label(stand_in, TINY, 0.875)
    assert label.startswith("ResNet-50 trained in this chapter on ") and "16x16 (87.5% held-out accuracy)" in label
    note = networks.trained_network_note(False, label, "no weights", 48, 3)
    assert note.startswith(":::{warning}") and note.endswith(":::") and "after 48 Adam steps" in note
    assert "uses 3 held-out" in note
    assert networks.trained_network_note(True, networks.IMAGENET_LABEL, "found", 0, 3) == (
        f"**Trained network:** {networks.IMAGENET_LABEL}. found. The activation analysis uses 3 images at "
        "224x224 (the paper: 100 ImageNet validation images).")


# --- measurements -----------------------------------------------------------------------------------------


def test_connection_counts_resnet50():
    torch.manual_seed(0)
    r50 = torchvision.models.resnet50(num_classes=10)
    counts = measurements.connection_counts(rc.resnet_connections(r50, "weight"),
                                            rc.resnet_connections(r50, "activation"))
    assert list(counts.index) == list(KINDS)
    assert counts["weight-to-weight pairs"].tolist() == [16, 4, 15, 11, 16]
    # activations: direct and branching pool two pairs per block
    assert counts["activation-to-weight pairs"].tolist() == [32, 8, 15, 11, 16]


def test_connection_counts_fill_missing_kinds(narrow):
    net = torchvision.models.resnet18(num_classes=10)
    counts = measurements.connection_counts(rc.resnet_connections(net, "weight"), [])
    assert counts.loc["branching"].tolist() == [0, 0] and counts.loc["direct", "weight-to-weight pairs"] == 5
    assert counts.loc["long_skip", "weight-to-weight pairs"] == 1  # layer1.1 -> layer2.0, across an identity


def test_conv_as_matmul_matches_the_convolution(narrow):
    torch.manual_seed(0)
    net = torchvision.models.resnet18(num_classes=10).eval()
    check = measurements.conv_as_matmul(net, torch.randn(2, 3, 16, 16), "layer1.0.conv2")
    assert check.input_shape == (8, 4, 4)
    assert check.weight_shape == (8, 8 * 9) and check.unfolded_shape == (8 * 9, 16)
    assert check.conv_output.shape == check.matmul_output.shape == (8, 4, 4)
    assert check.rel_err < 1e-5 and check.max_abs_err == pytest.approx(check.rel_err * float(
        check.conv_output.abs().max()))
    fig = figures.matmul_figure(check)
    assert len(fig.axes) == 4 and fig.axes[2].get_title().startswith("(c) all 128 outputs")  # and the colour bar
    from repgeom.book import figure_standard
    assert figure_standard.problems(fig) == []
    plt.close(fig)


def _pairs(kind_k_full):
    rows = [{"kind": kind, "k": k, "full": full, "ev_source": 0.5, "ev_target": 0.7, "clean": k > 1}
            for kind, k, full in kind_k_full]
    return pd.DataFrame(rows)


def test_size_summary_and_kept_share():
    w = _pairs([("direct", 2, 4), ("direct", 4, 8), ("branching", 1, 4)])
    a = _pairs([("direct", 3, 4)])
    summary = measurements.size_summary(w, a).set_index(["analysis", "connection"])
    share, clean = measurements.SIZE_COLUMNS["frac"], measurements.SIZE_COLUMNS["clean"]
    assert summary.loc[("weight to weight", "direct"), "pairs"] == 2
    assert summary.loc[("weight to weight", "direct"), share] == pytest.approx(0.5)
    assert summary.loc[("weight to weight", "branching"), clean] == 0.0
    assert summary.loc[("activation to weight", "direct"), share] == pytest.approx(0.75)
    words = measurements.pairs_in_words(w)
    assert set(words.columns) <= set(measurements.PAIR_COLUMNS.values()) and "connection" in words.columns
    assert set(words["every angle above the threshold"]) <= {"yes", "no"}
    kept = measurements.kept_share(w)
    assert kept.dims == pytest.approx((0.5 + 0.5 + 0.25) / 3) and kept.variance == pytest.approx(0.6)


def _result(kind, block_index, angles_deg):
    conn = Connection(kind, f"layer1.{block_index}", block_index, 1, f"s{kind}{block_index}", "out",
                      f"t{kind}{block_index}")
    res = align.PairResult(conn, ss.SubspaceSize(k=2, full=4, clean=True), ambient=8)
    for lab, deg in angles_deg.items():
        res.angles[lab] = torch.deg2rad(torch.tensor(deg, dtype=torch.float64))
    return res


def test_training_curve_reuses_measured_end_points():
    w_res = [_result(kind, 0, {"trained": [10.0, 20.0], "untrained-0": [40.0, 50.0]}) for kind in KINDS]
    curve = training_study.training_curve(["start.pt", "end.pt"], w_res, [r.connection for r in w_res],
                                        "untrained-0", TINY, 10, CPU)
    assert len(curve) == 2 * len(KINDS)
    assert list(curve.columns) == ["epoch", "step", "kind", "mean_deg", "baseline_deg", "excess_deg"]
    assert curve[curve.epoch == 0].mean_deg.tolist() == pytest.approx([45.0] * 5)
    assert (curve.excess_deg == curve.mean_deg - curve.baseline_deg).all()
    assert ((curve.baseline_deg > 20) & (curve.baseline_deg < 90)).all()  # random 2-dim subspaces of R^8
    assert curve[curve.epoch == 1].mean_deg.tolist() == pytest.approx([15.0] * 5)
    assert curve[curve.epoch == 1].step.unique().tolist() == [parameters.steps_per_epoch(TINY)]
    assert training_study.curve_drop(curve, "direct", 1) == pytest.approx(30.0)


def test_training_curve_measures_snapshots(narrow, stand_in, tmp_path):
    own = networks.train_resnet("resnet50", 1, 0, stand_in, TINY, CPU, folder=tmp_path)
    nets = {"trained": own.net, **networks.untrained_resnets("resnet50", (0,), 10, CPU)}
    conns = rc.resnet_connections(own.net, "weight")
    w_res = align.weight_alignment(nets, conns)
    reused = training_study.training_curve(own.snapshots, w_res, conns, "untrained-0", TINY, 10, CPU)
    measured = training_study.training_curve(own.snapshots, w_res, conns, None, TINY, 10, CPU)
    # snapshot 0 is the untrained network and the last the trained one: both ways give the same curve
    assert measured.mean_deg.to_numpy() == pytest.approx(reused.mean_deg.to_numpy(), abs=1e-9)
    assert ((measured.mean_deg > 0) & (measured.mean_deg <= 90)).all()
    names = sorted({c.source for c in conns} | {c.target for c in conns})
    moved = training_study.movement_curve(own.snapshots, names, TINY, 10, CPU)
    assert moved.epoch.tolist() == [0, 1] and moved.step.tolist() == [0, parameters.steps_per_epoch(TINY)]
    assert moved.movement_deg[0] == 0.0
    with pytest.raises(ValueError, match="snapshots needs"):
        training_study.movement_curve(own.snapshots[:1], names, TINY, 10, CPU)
    # its last point is weight_movement between the two ends of the training
    spaces = align.WeightSpaces({"start": networks.load_snapshot("resnet50", own.snapshots[0], 10, CPU),
                                 "end": own.net})
    end = training_study.weight_movement(spaces, "start", "end", names, TINY.baseline_angles)
    assert moved.movement_deg[1] == pytest.approx(end.mean_deg, abs=1e-9) and end.mean_deg > 0
    assert moved.random_deg[1] == pytest.approx(end.random_deg)
    fig = figures.training_figure(measured, moved, 5.0, own.history.column("loss"), parameters.steps_per_epoch(TINY))
    assert len(fig.axes) == 3 and len(fig.axes[0].lines) == len(KINDS) + 1  # and the zero line
    assert len(fig.axes[1].lines) == 2  # movement and its floor
    plt.close(fig)


def test_weight_movement_is_zero_without_training(narrow):
    nets = networks.untrained_resnets("resnet50", (0, 1), 10, CPU)
    nets["same"] = networks.untrained_resnets("resnet50", (0,), 10, CPU)["untrained-0"]
    spaces = align.WeightSpaces(nets)
    names = ["layer1.0.conv1", "layer1.0.conv2", "layer2.0.downsample.0"]
    still = training_study.weight_movement(spaces, "untrained-0", "same", names, baseline_angles=32)
    assert still.mean_deg == pytest.approx(0.0, abs=1e-6) and list(still.table.conv) == names
    other = training_study.weight_movement(spaces, "untrained-0", "untrained-1", names, baseline_angles=64)
    # two independent initialisations are as far apart as random subspaces
    assert other.mean_deg > 20 and other.mean_deg == pytest.approx(other.random_deg, abs=10.0)


def test_weight_spaces_add_and_drop(narrow):
    nets = networks.untrained_resnets("resnet50", (0, 1), 10, CPU)
    spaces = align.WeightSpaces({"untrained-0": nets["untrained-0"]})
    spaces.get("untrained-0", "layer1.0.conv2", "in")
    spaces.add("other", nets["untrained-1"])
    fresh = align.WeightSpaces({"other": nets["untrained-1"]})
    v, s = spaces.get("other", "layer1.0.conv2", "in")
    v_ref, s_ref = fresh.get("other", "layer1.0.conv2", "in")
    assert torch.equal(v, v_ref) and torch.equal(s, s_ref)
    with pytest.raises(ValueError, match="already held"):
        spaces.add("other", nets["untrained-0"])
    spaces.drop("other")
    assert [key[0] for key in spaces.store] == ["untrained-0"]  # the other network's entries are gone
    with pytest.raises(ValueError, match="not held"):
        spaces.drop("other")
    with pytest.raises(ValueError, match="'other' is not held"):
        spaces.get("other", "layer1.0.conv2", "in")


def test_activation_positions_and_exclusion(narrow):
    net = networks.untrained_resnets("resnet50", (0,), 10, CPU)["untrained-0"]
    conns = rc.resnet_connections(net, "activation")
    pos = measurements.activation_positions(net, torch.zeros(1, 3, 32, 32), conns)
    by_block = {c.block: pos[c] for c in conns if c.kind == "direct"}
    assert by_block["layer1.0"] == 64 and by_block["layer4.0"] == 1  # 8x8 after the stem, 1x1 in the last stage
    kept, excluded = measurements.split_by_positions(conns, pos, 16)
    assert all(pos[c] >= 16 for c in kept) and len(kept) < len(conns)
    assert "layer4.0" in set(excluded.block) and "layer1.0" not in set(excluded.block)
    assert list(excluded.columns) == ["block", "positions per image"]


def test_resnet18_alignment_is_deterministic(narrow, stand_in, tmp_path, monkeypatch):
    monkeypatch.setenv("REPGEOM_OUTPUT", str(tmp_path / "one"))
    one = training_study.resnet18_alignment(stand_in, TINY, CPU, seed=0)
    monkeypatch.setenv("REPGEOM_OUTPUT", str(tmp_path / "two"))
    two = training_study.resnet18_alignment(stand_in, TINY, CPU, seed=0)
    assert one.blocks == ["1.0", "1.1", "2.0", "3.0", "4.0"]
    assert set(one.table.kind) == {"direct", "short_skip", "long_skip"}  # BasicBlocks: no branching, no indirect
    assert 0.0 <= one.accuracy <= 1.0
    pd.testing.assert_frame_equal(one.table, two.table)
    assert one.gap_deg == pytest.approx(float((one.table.untrained_deg - one.table.trained_deg).mean()))
    fig = figures.resnet18_figure(one.table, one.blocks)
    assert [ax.get_title() for ax in fig.axes] == ["(a) direct", "(b) short skip", "(c) long skip"]
    plt.close(fig)


# --- figures ----------------------------------------------------------------------------------------------


def _table(n_blocks=4, trained=30.0, untrained=40.0, pvalue=1e-4):
    rows = []
    for kind in KINDS:
        for b in range(n_blocks):
            rows.append({"kind": kind, "block_index": b, "stage": b + 1, "trained_deg": trained, "untrained_deg": untrained,
                         "untrained_lo_deg": untrained - 1, "untrained_hi_deg": untrained + 1,
                         "baseline_deg": untrained, "pvalue": pvalue})
    return pd.DataFrame(rows)


def test_alignment_and_pvalue_figures():
    blocks = [f"layer{s}.0" for s in range(1, 5)]
    from repgeom.book import figure_standard

    fig = figures.alignment_figure(_table(), "weight-to-weight alignment", blocks)
    assert [ax.get_title() for ax in fig.axes] == (
        [f"({c}) {figures.KIND_TITLE[k]}" for c, k in zip("abcde", KINDS)] + ["(f) trained − untrained"])
    assert [t.get_text() for t in fig.axes[3].get_xticklabels()] == ["1.0", "2.0", "3.0", "4.0"]
    diff = fig.axes[5].lines[0].get_ydata()
    assert list(diff) == pytest.approx([-10.0] * 4)
    assert figure_standard.problems(fig) == []
    plt.close(fig)
    fig = figures.pvalue_figure(_table(pvalue=0.5), _table(pvalue=1e-6), blocks)
    assert len(fig.axes) == 3  # two heatmaps and the colour bar
    assert {t.get_text() for t in fig.axes[0].texts} == {"0.3"}  # -log10 p
    assert {t.get_text() for t in fig.axes[1].texts} == {"6.0"}
    assert figure_standard.problems(fig) == []
    plt.close(fig)


def test_connections_schematic_draws_each_listed_pair_once():
    from matplotlib.patches import FancyArrowPatch

    from repgeom.book import figure_standard
    from repgeom.models import resnet_connections as rc

    conns = rc.resnet_connections(torchvision.models.resnet50(), "weight")
    blocks = ("layer1.0", "layer1.1")
    fig = figures.connections_schematic(conns, blocks)
    shown = [c for c in conns if c.block in blocks]
    arrows = [p for p in fig.axes[0].patches if isinstance(p, FancyArrowPatch)]
    # 1.0 (projection shortcut): direct, branching, short skip, indirect; 1.1 (identity): no branching, a long skip
    assert len(arrows) == len(shown) == 8
    boxes = {t.get_text() for t in fig.axes[0].texts}
    assert {"1.0\nconv1", "1.0\nprojection", "1.1\nconv3", "1.2\nconv1"} <= boxes
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sorted(t.split(": ")[0] for t in legend) == sorted(figures.KIND_TITLE.values())  # one entry per type
    assert any(t.startswith("branching: input space of conv1 vs input space of projection") for t in legend)
    assert figure_standard.problems(fig) == []
    plt.close(fig)
    with pytest.raises(ValueError, match="no connection"):
        figures.connections_schematic(conns, ("layer9.0",))


# --- claims -----------------------------------------------------------------------------------------------


def test_sig_lower_and_frac_text():
    t = pd.DataFrame({"trained_deg": [1.0, 1.0, 3.0], "untrained_deg": [2.0, 2.0, 2.0], "pvalue": [1e-4, 0.1, 1e-9]})
    mask = claims.sig_lower(t, 0.05)
    assert mask.tolist() == [True, False, False]
    assert claims.frac_text(mask) == "1/3 blocks"


def _paper_tables(n_blocks=16):
    """Tables on which every claim of the paper holds, and beats its control."""
    a, w = [], []
    base = {"direct": 30.0, "branching": 30.0, "short_skip": 40.0, "long_skip": 40.0, "indirect": 45.0}
    for kind in KINDS:
        for b in range(n_blocks):
            tr = base[kind] + 0.1 * b
            if kind == "indirect":
                a.append((kind, b, tr, tr, 0.5))
                w.append((kind, b, tr, tr, 0.5))
                continue
            half = 0.5 if "skip" in kind else 1.0  # skips gain less from training than direct and branching
            late_direct = kind == "direct" and b >= n_blocks - 3
            a.append((kind, b, tr, tr + half * (20.0 - b), 0.5 if late_direct else 1e-6))  # gap shrinks with depth
            w.append((kind, b, tr, tr + half * (1.0 + b), 1e-3))  # gap grows with depth
    cols = ["kind", "block_index", "trained_deg", "untrained_deg", "pvalue"]
    a, w = pd.DataFrame(a, columns=cols), pd.DataFrame(w, columns=cols)
    for t in (a, w):
        t["baseline_deg"] = t.untrained_deg + 0.5
        t["stage"] = t.block_index * 4 // n_blocks + 1
        t["untrained_lo_deg"] = t.untrained_deg
        t["untrained_hi_deg"] = t.untrained_deg
    return a, w


TRAINED_OK = claims.training_checks(False, 0.9, 0.85, 20.0, 10.0)


def _record(board, a_tab, w_tab, checks=TRAINED_OK):
    claims.record_activation_claims(board, a_tab, n_blocks=16, checks=checks)
    claims.record_weight_claims(board, w_tab, checks=checks)
    return claims.record_baseline_claim(board, w_tab, a_tab)


def _verdicts(board):
    return {o.claim.id: o.verdict for o in board.outcomes}


def test_claims_reproduced_on_the_papers_tables():
    a_tab, w_tab = _paper_tables()
    board = ClaimBoard("communication_subspaces", "quick")
    dev = _record(board, a_tab, w_tab)
    assert list(_verdicts(board)) == ["act-skip-branch", "act-direct", "act-skip-less", "act-indirect", "act-depth",
                                      "weight-trained", "weight-indirect", "weight-skip-less", "weight-depth",
                                      "untrained-random"]
    assert set(_verdicts(board).values()) == {"reproduced"}
    assert dev.weights_deg == pytest.approx(0.5) and dev.activations_deg == pytest.approx(0.5)
    board.check()  # nothing expected fails


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")  # a constant gap has no rank correlation
def test_claims_fail_where_training_did_nothing():
    a_tab, w_tab = _paper_tables()
    for t in (a_tab, w_tab):
        t["untrained_deg"] = t["untrained_lo_deg"] = t["untrained_hi_deg"] = t.trained_deg
        t["pvalue"] = 0.9
        t["baseline_deg"] = t.untrained_deg + 3.0
    board = ClaimBoard("communication_subspaces", "quick")
    dev = _record(board, a_tab, w_tab)
    v = _verdicts(board)
    assert v["act-skip-branch"] == v["act-direct"] == v["weight-trained"] == "not reproduced"
    # "no difference" in the control says nothing when the test finds none in direct connections either
    assert v["act-indirect"] == v["weight-indirect"] == "inconclusive"
    assert v["weight-depth"] == "inconclusive"  # no gap to follow
    assert v["untrained-random"] == "not reproduced" and dev.weights_deg == pytest.approx(3.0)
    with pytest.raises(AssertionError):
        board.check()  # the baseline claim is asserted at the quick profile


def test_partly_when_some_blocks_hold():
    a_tab, _ = _paper_tables()
    a_tab.loc[(a_tab.kind == "branching") & (a_tab.block_index == 0), "pvalue"] = 0.5
    board = ClaimBoard("communication_subspaces", "quick")
    claims.record_activation_claims(board, a_tab, n_blocks=16, checks=TRAINED_OK)
    outcome = board.outcomes[0]
    assert outcome.verdict == "partly" and outcome.ours.startswith("branching 15/16 blocks")
    assert "short skip, long skip" in outcome.note


def test_direct_claim_not_partly_when_neither_part_holds():
    a_tab, _ = _paper_tables()
    early = (a_tab.kind == "direct") & (a_tab.block_index < 6)
    a_tab.loc[early, "pvalue"] = 0.5  # only 7 of the 13 early blocks significant
    a_tab.loc[(a_tab.kind == "direct") & (a_tab.block_index >= 13), "pvalue"] = 1e-6  # and all late ones
    board = ClaimBoard("communication_subspaces", "quick")
    claims.record_activation_claims(board, a_tab, n_blocks=16, checks=TRAINED_OK)
    assert _verdicts(board)["act-direct"] == "not reproduced"


def test_untrained_stand_in_makes_trained_claims_inconclusive():
    a_tab, w_tab = _paper_tables()
    board = ClaimBoard("communication_subspaces", "quick")
    _record(board, a_tab, w_tab, checks=claims.training_checks(False, 0.72, 0.85, 20.0, 10.0))
    v = _verdicts(board)
    assert v.pop("untrained-random") == "reproduced"
    assert set(v.values()) == {"inconclusive"}
    board = ClaimBoard("communication_subspaces", "quick")
    _record(board, a_tab, w_tab, checks=claims.training_checks(False, 0.9, 0.85, 1.0, 10.0))  # barely moved
    assert _verdicts(board)["weight-trained"] == "inconclusive"
    assert claims.training_checks(True, 0.0, 0.85, None, 10.0)[0].met


def test_orderings_that_random_subspaces_show_are_inconclusive():
    a_tab, w_tab = _paper_tables()
    for t in (a_tab, w_tab):  # trained ordering exactly as wide as the random one
        t["baseline_deg"] = t.trained_deg + 5.0
    board = ClaimBoard("communication_subspaces", "quick")
    claims.record_weight_claims(board, w_tab, checks=TRAINED_OK)
    o = {x.claim.id: x for x in board.outcomes}["weight-skip-less"]
    assert o.verdict == "inconclusive" and not o.control.met
    assert claims.ordering_margin(w_tab, "trained_deg") == pytest.approx(claims.ordering_margin(w_tab, "baseline_deg"))


def test_trained_below_untrained_needs_more_than_the_seed_spread():
    a_tab, w_tab = _paper_tables()
    w_tab["untrained_lo_deg"] = w_tab.trained_deg - 1.0  # one seed as aligned as the trained network
    board = ClaimBoard("communication_subspaces", "quick")
    claims.record_weight_claims(board, w_tab, checks=TRAINED_OK)
    o = board.outcomes[0]
    assert o.claim.id == "weight-trained" and o.verdict == "inconclusive" and not o.control.met


# --- the authors' released choices --------------------------------------------------------------------------


def test_paper_pairs_leave_out_the_six_skips_into_a_stage_start():
    from repgeom.experiments.communication_subspaces import authors
    torch.manual_seed(0)
    conns = rc.resnet_connections(torchvision.models.resnet50(num_classes=10), "weight")
    left_out = [c for c in conns if not authors.in_paper_figures(c)]
    assert sorted((c.kind, c.target) for c in left_out) == sorted(
        (kind, f"layer{s}.0.conv1") for kind in ("short_skip", "long_skip") for s in (2, 3, 4))
    res = [align.PairResult(c, ss.SubspaceSize(2, 4, True), 8) for c in conns]
    assert len(authors.paper_results(res)) == len(conns) - 6
    dropped = authors.dropped_pairs(res)
    assert list(dropped.columns) == ["connection", "first layer", "second layer"] and len(dropped) == 6
    assert set(dropped.connection) == {"short skip", "long skip"}
    with pytest.raises(ValueError, match="conn"):
        authors.in_paper_figures("layer2.0.conv1")


def test_size_rule_comparison_reports_both_rules(narrow):
    from repgeom.experiments.communication_subspaces import authors
    nets = networks.untrained_resnets("resnet50", (0, 1), 10, CPU)
    conns = rc.resnet_connections(nets["untrained-0"], "weight")
    table = authors.size_rule_comparison(nets, conns, "untrained-0")
    direct = table.set_index("connection").loc["direct"]
    # recompute the direct row from the two rules directly
    got = {rule: [r for r in align.weight_alignment(nets, conns, rule=rule) if r.connection.kind == "direct"]
           for rule in ("released", "first-all-above")}
    differ = sum(a.size.k != b.size.k for a, b in zip(got["released"], got["first-all-above"]))
    assert direct["pairs"] == len(got["released"]) and direct["pairs whose size differs"] == differ
    assert direct["mean angle (deg), released search"] == pytest.approx(
        float(np.mean([r.mean_deg("untrained-0") for r in got["released"]])))
    assert 0 < direct["share kept, released search"] <= 1
    with pytest.raises(ValueError, match="network"):
        authors.size_rule_comparison(nets, conns, "trained")


def test_authors_test_choice_follows_the_normality_test():
    from repgeom.experiments.communication_subspaces import authors
    import scipy.stats
    rng = np.random.default_rng(0)
    q = scipy.stats.norm.ppf((np.arange(200) + 0.5) / 200)  # normal quantiles: every normality test passes
    a, b = 40 + 2 * q, 41 + 2 * rng.permutation(q)
    test, p = authors.authors_test(a, b, "weight")
    assert test == "Welch's t-test" and p == pytest.approx(scipy.stats.ttest_ind(a, b, equal_var=False).pvalue)
    test, p = authors.authors_test(a, b, "activation")
    assert test == "Student's t-test" and p == pytest.approx(scipy.stats.ttest_ind(a, b).pvalue)
    skewed = rng.exponential(1.0, 200)
    test, p = authors.authors_test(skewed, b, "weight")
    assert test == "Mann-Whitney U" and p == pytest.approx(
        scipy.stats.mannwhitneyu(skewed, b, alternative="two-sided").pvalue)
    with pytest.raises(ValueError, match="analysis"):
        authors.authors_test(a, b, "weights")
    with pytest.raises(ValueError, match="trained"):
        authors.authors_test(a[:5], b, "weight")


def test_authors_tests_tables():
    from repgeom.experiments.communication_subspaces import authors
    rng = np.random.default_rng(1)
    res = [_result(kind, b, {"trained": list(rng.normal(30, 3, 20)), "untrained-0": list(rng.normal(40, 3, 20))})
           for kind in ("direct", "indirect") for b in range(2)]
    res.append(_result("branching", 0, {"trained": [30.0] * 3, "untrained-0": [40.0] * 3}))  # too few: left out
    t = authors.authors_tests(res, "trained", ["untrained-0"], "weight")
    assert len(t) == 4 and list(t.columns) == ["kind", "block", "ours_p", "test", "authors_p", "differs"]
    assert (t.ours_p < 0.05).all()
    summary = authors.authors_tests_summary({"weight to weight": t})
    assert summary.iloc[0]["type-and-block groups"] == 4
    assert summary.iloc[0]["significance changes"] == int(t.differs.sum())
    with pytest.raises(ValueError, match="untrained"):
        authors.authors_tests(res, "trained", [], "weight")


def test_random_baseline_drops_the_angles_the_networks_drop():
    # R^8, k = 6: two random 6-dim subspaces share 4 dimensions (angles 0), which the networks' analysis drops
    conn = Connection("direct", "layer1.0", 0, 1, "a", "out", "b")
    res = align.PairResult(conn, ss.SubspaceSize(k=6, full=6, clean=False), ambient=8)
    res.angles = {"trained": torch.tensor([0.5, 0.6], dtype=torch.float64),
                  "untrained-0": torch.tensor([0.7, 0.8], dtype=torch.float64)}
    tab = align.alignment_table([res], "trained", ["untrained-0"], baseline_angles=600, seed=3, min_angle_deg=0.1)
    ref = torch.rad2deg(ss.random_subspace_angles(8, 6, 100, seed=3))
    kept = ref[ref > 0.1]
    assert kept.numel() == 2 * 100  # only the 2 angles outside the shared 4 dimensions
    assert float(tab.baseline_deg.iloc[0]) == pytest.approx(float(kept.mean()))
    assert float(tab.baseline_deg.iloc[0]) > float(ref.mean()) + 30  # keeping the zeros would pull it down


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")  # equal gaps: no rank correlation
def test_orderings_an_untrained_network_shows_as_well_are_inconclusive():
    a_tab, w_tab = _paper_tables()
    # untrained networks with the trained network's ordering (and random subspaces with a narrower one)
    w_tab["untrained_deg"] = w_tab.trained_deg
    w_tab["untrained_lo_deg"], w_tab["untrained_hi_deg"] = w_tab.trained_deg - 0.5, w_tab.trained_deg + 0.5
    w_tab["baseline_deg"] = 45.0
    board = ClaimBoard("communication_subspaces", "quick")
    claims.record_weight_claims(board, w_tab, checks=TRAINED_OK)
    o = {x.claim.id: x for x in board.outcomes}["weight-skip-less"]
    assert o.verdict == "inconclusive" and not o.control.met and "needs more than" in o.control.value
    # the same ordering, wider than the untrained one by more than the seeds' spread: it counts
    w_tab["untrained_deg"] = w_tab.trained_deg.where(w_tab.kind.str.contains("skip"), w_tab.trained_deg + 8.0)
    w_tab["untrained_lo_deg"], w_tab["untrained_hi_deg"] = w_tab.untrained_deg - 0.5, w_tab.untrained_deg + 0.5
    board = ClaimBoard("communication_subspaces", "quick")
    claims.record_weight_claims(board, w_tab, checks=TRAINED_OK)
    assert {x.claim.id: x for x in board.outcomes}["weight-skip-less"].verdict == "reproduced"
