"""The shared-geometry chapter's experiment functions, at tiny size on stand-in and synthetic data."""
from __future__ import annotations

import dataclasses
import math
import types
from fractions import Fraction

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from repgeom import stats
from repgeom.book import figure_standard
from repgeom.book.claims import ClaimBoard
from repgeom.experiments import shared_geometry as sg
from repgeom.measures.srm import random_orthogonal

TINY = dataclasses.replace(
    sg.QUICK, n_networks=3, image_size=12, n_train=40, n_probe=100, convnet_epochs=1, convnet_batch=20,
    resnet_epochs=2, resnet_batch=20, resnet_width=4, resnet_augment=True, checkpoints=(0, Fraction(1, 4), 1), max_units=24, srm_iter=2,
    sim_runs=3, sim_per_cloud=6, sim_hidden=5, sim_steps=5, bootstrap=50)


def verdicts(board: ClaimBoard) -> dict[str, str]:
    return {o.claim.id: o.verdict for o in board.outcomes}


# --- parameters ---------------------------------------------------------------------------------

def test_params_profiles():
    assert sg.params("quick") is sg.QUICK and sg.params("full") is sg.FULL
    assert sg.FULL.datasets == ("cifar10", "cifar100") and sg.QUICK.datasets == ("cifar10",)
    with pytest.raises(ValueError, match="profile"):
        sg.params("medium")
    shown = sg.for_reader(sg.FULL)
    assert shown.datasets == ("CIFAR-10 role", "CIFAR-100 role") and shown.n_train == sg.FULL.n_train


@pytest.mark.parametrize("arch", sg.ARCHS)
def test_quick_checkpoints_are_log_spaced_over_the_whole_training(arch):
    r = sg.recipe(arch, 10, sg.QUICK)
    per = sg.steps_per_epoch(sg.QUICK.n_train, r["batch_size"])
    steps = sg.checkpoint_steps(r["epochs"], per, sg.QUICK.checkpoints)
    assert len(steps) >= 6 and steps[0] == 0 and steps[-1] == r["epochs"] * per     # initialisation to the end
    assert all(b > a for a, b in zip(steps, steps[1:]))
    pos = np.array(steps[1:], dtype=float)
    ratios = pos[1:] / pos[:-1]
    assert np.all((ratios > 1.5) & (ratios < 2.5))           # roughly log-spaced: each about double the last
    assert pos[0] <= per / 8 and pos[-1] / pos[0] >= 32      # from early in the first epoch, over 5 doublings
    # the full profile keeps the paper's whole epochs
    assert sg.checkpoint_steps(50, per, sg.FULL.checkpoints) == tuple(c * per for c in sg.FULL.checkpoints)


def test_checkpoint_steps_rounding_and_bad_input():
    assert sg.steps_per_epoch(40, 20) == 2 and sg.steps_per_epoch(41, 20) == 3
    assert sg.checkpoint_steps(2, 8, (0, Fraction(1, 16), Fraction(1, 8), 1, 5)) == (0, 1, 8, 16)   # 1/2 step rounds up
    assert sg.checkpoint_steps(1, 10, (0.25,)) == (3, 10)
    for bad in ((-1,), (float("nan"),), ("1",)):
        with pytest.raises(ValueError, match="checkpoints"):
            sg.checkpoint_steps(2, 8, bad)
    with pytest.raises(ValueError, match="per_epoch"):
        sg.checkpoint_steps(2, 0, (0,))
    with pytest.raises(ValueError, match="batch_size"):
        sg.steps_per_epoch(10, 0)
    assert [sg.epoch_text(e) for e in (0, 4, Fraction(14, 219), Fraction(110, 219), 0.25)] == \
        ["0", "4", "1/16", "1/2", "1/4"]


# --- simulation ---------------------------------------------------------------------------------

def test_simulate_is_deterministic_and_well_formed():
    a, b = sg.simulate(3, TINY), sg.simulate(3, TINY)
    assert a.correlations == b.correlations and a.acc == b.acc
    assert torch.equal(a.hidden, b.hidden) and a.hidden.shape == (4 * TINY.sim_per_cloud, TINY.sim_hidden)
    assert set(a.correlations) == {(k, s, m) for k in sg.simulation.KINDS for s in sg.simulation.SPACES
                                   for m in sg.simulation.METHODS}
    assert all(-1 - 1e-9 <= v <= 1 + 1e-9 for v in a.correlations.values())
    assert 0 <= a.acc <= 1
    m_test = 2 * TINY.sim_per_cloud                          # half of the fresh points
    for kind in sg.simulation.KINDS:
        w, i_s, i_n = a.rsms[kind]
        assert w.shape == i_s.shape == i_n.shape == (m_test, m_test)
        assert torch.allclose(w.diagonal(), torch.ones(m_test, dtype=w.dtype))   # Pearson RSMs: unit diagonal
    assert sg.simulate(4, TINY).correlations != a.correlations


def test_simulate_all_runs_one_seed_each():
    seeds = sg.simulation_seeds(TINY)
    assert seeds == [1000, 1001, 1002]
    sims = sg.simulate_all(TINY)
    assert len(sims) == TINY.sim_runs
    assert sims[1].correlations == sg.simulate(seeds[1], TINY).correlations


def test_proposition1_exact_on_rotated_copies():
    h = torch.rand(30, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    prop = sg.proposition1(h)
    assert prop.same_rsm < 1e-10 and prop.aligned < 1e-8
    assert prop.native < 0.99


def test_summarise_simulations_means_and_intervals():
    keys = [(k, s, m) for k in sg.simulation.KINDS for s in sg.simulation.SPACES for m in sg.simulation.METHODS]
    runs = [sg.SimulationRun(acc, {k: v for k in keys}, {}, torch.zeros(1, 1))
            for acc, v in ((0.5, 0.2), (1.0, 0.4), (0.75, 0.9))]
    summary = sg.summarise_simulations(runs, n_resamples=100)
    assert summary.acc == pytest.approx(0.75)
    assert list(summary.table) == keys
    for iv in summary.table.values():
        assert iv.estimate == pytest.approx(0.5) and iv.low <= iv.estimate <= iv.high


# --- networks and analysis ----------------------------------------------------------------------

def test_recipes_seeds_and_snapshots():
    assert sg.snapshot_epochs(2, (0, 1)) == (0, 1, 2) and sg.snapshot_epochs(1, (0, 1, 2, 4)) == (0, 1)
    assert sg.snapshot_epochs(4, sg.QUICK.checkpoints) == (0, 1, 2, 4)                  # fractions: by step
    assert sg.snapshot_epochs(30, sg.FULL.checkpoints) == (0, 1, 2, 4, 6, 9, 14, 21, 30)
    assert sg.snapshot_epochs(50, sg.FULL.checkpoints) == sg.FULL.checkpoints
    with pytest.raises(ValueError, match="checkpoints"):
        sg.snapshot_epochs(3, (-1, 2))
    seeds = sg.network_seeds(TINY)
    assert seeds == {"ConvNet": [0, 1, 2], "ResNet-18": [100, 101, 102]}
    assert sg.layers_of("ConvNet") == ("pool1", "pool2", "dense") and len(sg.layers_of("ResNet-18")) == 9
    conv, res = sg.recipe("ConvNet", 10, TINY), sg.recipe("ResNet-18", 10, TINY)
    assert conv["augment"] is None and conv["epochs"] == 1 and res["batch_size"] == 20
    assert sg.recipe("ResNet-18", 10, sg.QUICK)["augment"] is None           # quick: no shifts and flips
    aug = sg.recipe("ResNet-18", 10, TINY)
    xb = torch.randn(3, 1, 12, 12)
    assert aug["augment"](xb, torch.Generator().manual_seed(0)).shape == xb.shape
    net = conv["make_model"]()
    assert isinstance(conv["make_optimizer"](net.parameters()), torch.optim.RMSprop)
    copy = sg.load_models("ConvNet", 10, [net.state_dict()], TINY, "cpu")[0]
    x = torch.randn(2, 3, 12, 12)
    assert not copy.training and torch.equal(copy(x), net.eval()(x))


def test_probe_split_is_stratified_sorted_and_deterministic():
    y = torch.arange(50) % 5
    fit, ev = sg.probe_split(y, 0.8)
    assert len(fit) == 40 and len(ev) == 10
    assert sorted(torch.cat([fit, ev]).tolist()) == list(range(50))
    assert torch.equal(y[ev], torch.arange(5).repeat_interleave(2))          # 2 per class, sorted by class
    assert all(torch.equal(a, b) for a, b in zip(sg.probe_split(y, 0.8), (fit, ev)))


def test_prepare_zscores_examples_and_splits():
    acts = {"a": torch.randn(2, 10, 7) * 3 + 1}
    split = (torch.tensor([0, 2, 4]), torch.tensor([9, 1]))
    xf, xe = sg.prepare(acts, split)["a"]
    assert xf.shape == (2, 3, 7) and xe.shape == (2, 2, 7) and xf.dtype == torch.float64
    assert torch.allclose(xf.mean(-1), torch.zeros(2, 3, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(xe.std(-1, unbiased=False), torch.ones(2, 2, dtype=torch.float64))


def test_pairwise_order():
    x = torch.tensor([[[0.0]], [[1.0]], [[3.0]]])
    out = sg.pairwise(x, lambda a, b: (a - b).sum())
    assert out.tolist() == [1.0, 3.0, 2.0]                                  # pairs (1,0), (2,0), (2,1)


def test_analyse_layer_on_rotated_copies():
    gen = torch.Generator().manual_seed(1)
    h = torch.randn(60, 6, generator=gen, dtype=torch.float64)
    q = random_orthogonal(3, 6, 6, generator=gen)
    x = h.unsqueeze(0) @ q.transpose(-1, -2)                                # three rotated copies
    res = sg.analyse_layer(x[:, :40], x[:, 40:], srm_iter=10)
    assert res.ve.shape == (3,) and res.consistency.shape == res.cka.shape == res.procrustes.shape == (3,)
    assert np.allclose(res.cka, 1) and np.allclose(res.procrustes, 0, atol=1e-6)   # invariant to rotations
    assert np.allclose(res.ve, 1)                                           # SRM reconstructs exact copies
    assert res.r_final > res.native_r + 0.3       # Pearson RSMs of rotated copies differ, so r_final < 1
    assert res.wrsm.shape == (20, 20) and res.shared_eval.shape == (3, 20, 6)


@pytest.fixture(scope="module")
def tiny_pipeline(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("REPGEOM_OFFLINE", "1")
    mp.setenv("REPGEOM_QUIET", "1")
    mp.setenv("REPGEOM_OUTPUT", str(tmp_path_factory.mktemp("out")))
    sets = sg.load_datasets(TINY)
    ckpt = tmp_path_factory.mktemp("ckpt")
    ensembles = sg.train_ensembles(TINY, sets.train, "cpu", ckpt)
    results = sg.analyse_all(TINY, ensembles, sets.probe, "cpu")
    yield sets, ensembles, results, ckpt
    mp.undo()


def test_datasets_and_ensembles(tiny_pipeline):
    sets, ensembles, _, ckpt = tiny_pipeline
    assert sets.train["cifar10"].x.shape[1:] == (3, 12, 12) and len(sets.probe["cifar10"].y) == 100
    assert [p.requested for p in sets.provenance] == ["cifar10/train", "cifar10/test"]
    assert set(ensembles) == {("cifar10", "ConvNet"), ("cifar10", "ResNet-18")}
    # 1/4 epoch of 2 steps rounds to step 1: half an epoch
    assert list(ensembles["cifar10", "ResNet-18"].snapshots) == [0, Fraction(1, 2), 1, 2]
    assert list(ensembles["cifar10", "ConvNet"].snapshots) == [0, Fraction(1, 2), 1]
    again = sg.train_ensembles(TINY, sets.train, "cpu", ckpt)              # loaded from the cache, same weights
    assert again["cifar10", "ConvNet"].strategy == "cache"
    for key, ens in ensembles.items():
        for e, states in ens.snapshots.items():
            assert all(torch.equal(states[1][k], v) for k, v in again[key].snapshots[e][1].items())
    a, b = ensembles["cifar10", "ConvNet"].models[1], again["cifar10", "ConvNet"].models[1]
    assert all(torch.equal(u, v) for u, v in zip(a.state_dict().values(), b.state_dict().values()))


def test_analyse_all_shapes_and_ranges(tiny_pipeline):
    sets, ensembles, results, _ = tiny_pipeline
    assert list(results) == [("cifar10", "ConvNet"), ("cifar10", "ResNet-18")]
    m_eval = 20
    for (_, arch), res in results.items():
        assert res.layers == sg.layers_of(arch) and res.acc.shape == (3,) and np.all((0 <= res.acc) & (res.acc <= 1))
        assert np.all(np.diff(res.labels) >= 0) and res.labels.shape == (m_eval,)
        assert all(len(res.curve[l]) == len(res.epochs) for l in res.layers)
        assert res.epochs[0] == 0 and all(len(res.ve_curve[l]) == len(res.cons_curve[l]) == len(res.epochs)
                                          for l in res.layers)
        assert res.ve_curve[res.layers[-1]][-1] == pytest.approx(res.per_layer[res.layers[-1]].ve.mean())
        last = res.per_layer[res.layers[-1]]
        assert res.curve[res.layers[-1]][-1] == last.r_final
        assert last.wrsm.shape == (m_eval, m_eval) and np.all(last.ve <= 1)
        assert last.cka.shape == (3,) and np.all((0 <= last.procrustes) & (last.procrustes <= np.pi / 2))
    summary = sg.summarise(results)
    assert summary.ve_mean["cifar10", "ConvNet"].shape == (3,) and len(summary.rises) == 3 + 9
    conv = results["cifar10", "ConvNet"]
    native = sg.last_layer_native(ensembles["cifar10", "ConvNet"].models[:2], sets.probe["cifar10"].x,
                                  conv.split, TINY.max_units)
    assert native.shape == (2, m_eval, TINY.max_units)
    agree = sg.method_agreement(results, summary.ve_mean)
    assert all(-1 <= v <= 1 for v in agree["cifar10", "ResNet-18"])
    cka, proc = sg.layer_profiles(conv)
    assert cka.shape == proc.shape == (3,) and np.all(proc <= 1)

    labels = {"cifar10": sg.data_label(sets.probe["cifar10"].provenance)}
    # the stand-in actually used: Fashion-MNIST, or scikit-learn's digits on a machine without the Debian package
    used = sets.probe["cifar10"].provenance.used
    name = "Fashion-MNIST" if used.startswith("fashion_mnist") else "scikit-learn digits"
    assert labels["cifar10"] == f"{name} (stand-in for CIFAR-10)"
    figs = [sg.plot_class_means(native, conv.per_layer["dense"].shared_eval[:2], conv.labels),
            sg.plot_layer_profiles(results, "ConvNet", ("cifar10", "cifar100"), labels, TINY.bootstrap),
            sg.plot_layer_profiles(results, "ResNet-18", ("cifar10", "cifar100"), labels, TINY.bootstrap),
            sg.plot_beyond(results, summary.ve_mean, labels)]
    assert [len(f.axes) for f in figs] == [2, 6, 6, 3]
    for f in figs:
        f.canvas.draw()
        assert figure_standard.problems(f) == []
        titles = " ".join(ax.get_title() for ax in f.axes)
        assert "cifar10" not in titles
    assert name in figs[1].axes[0].get_title()
    assert "not run" in " ".join(t.get_text() for ax in figs[1].axes for t in ax.texts)
    top = figs[2].axes[0]                                              # ResNet-18 over its checkpoints
    assert top.get_xscale() == "symlog" and [t.get_text() for t in top.get_xticklabels()] == ["0", "1/2", "1", "2"]
    assert list(top.lines[0].get_xdata()) == [0.0, 0.5, 1.0, 2.0]
    why = sg.plot_layer_profiles(results, "ConvNet", ("cifar10", "cifar100"), labels, TINY.bootstrap,
                                 not_run="not run at the quick profile")
    assert "CIFAR-100 role\nnot run at the quick profile" in [t.get_text() for ax in why.axes for t in ax.texts]
    plt.close(why)
    for f in figs:
        plt.close(f)

    table = sg.accuracy_table(results, "cifar10", {"ConvNet": 0.8, "ResNet-18": 0.75})
    assert "ConvNet (floor 80 %)" in table and len(table.splitlines()) == 2 + 3 + 1
    assert f"{100 * results['cifar10', 'ResNet-18'].acc[2]:.1f} %" in table.splitlines()[4]
    named = sg.accuracy_table(results, "cifar10", {"ConvNet": 0.8, "ResNet-18": 0.75}, labels["cifar10"])
    assert named.splitlines()[0] == f"Held-out accuracy of every network on {labels['cifar10']}:"
    assert named.endswith(table)

    tdiff = sg.trace_difference(ensembles, sets.probe, TINY, "cifar10")
    assert list(tdiff) == list(sg.layers_of("ConvNet"))
    assert all(w >= 0 and r >= 0 and v >= 0 for w, r, v in tdiff.values())
    assert max(r for _, r, _ in tdiff.values()) > 1e-3      # z-scored examples: unit means not zero

    board = ClaimBoard("shared_geometry", "quick")
    sg.record_network_claims(board, summary, results, TINY, labels, {"cifar10": True}, quick=True)
    v = verdicts(board)
    assert v["ve-last-cifar100"] == "not run"
    assert "checkpoints at epochs 0, 1/2, 1" in board.outcomes[0].note
    # tiny networks are far below their floors: every claim on trained networks is inconclusive
    assert {v[c] for c in ("train-increase", "ve-depth", "ve-last-cifar10", "ve-resnet-lower", "consistency")} \
        == {"inconclusive"}


def test_simulation_figures():
    sims = sg.simulate_all(TINY)
    summary = sg.summarise_simulations(sims, TINY.bootstrap)
    bars = sg.plot_sim_bars(summary.table)
    row = sg.plot_rsm_row(sims[0].rsms["orthogonal"], ("a", "b", "c"))
    assert len(bars.axes) == 2 and len(row.axes) == 4                     # three panels and a colour bar
    plt.close(bars), plt.close(row)


# --- claims -------------------------------------------------------------------------------------

def _table(shared: float, native: float, width: float = 0.02) -> dict:
    return {(k, s, m): stats.Interval(v, v - width, v + width, 0.95)
            for k in sg.simulation.KINDS for s, v in (("shared", shared), ("native", native))
            for m in sg.simulation.METHODS}


def test_simulation_claims_verdicts():
    board = ClaimBoard("shared_geometry", "quick")
    sg.record_simulation_claims(board, sg.Proposition1(1e-15, 1e-11, 0.1), _table(0.95, 0.05))
    assert verdicts(board) == {"prop1": "reproduced", "sim-shared": "reproduced", "sim-native": "reproduced"}
    board = ClaimBoard("shared_geometry", "quick")
    sg.record_simulation_claims(board, sg.Proposition1(1e-3, 1e-11, 0.1), _table(0.85, 0.7))
    assert verdicts(board) == {"prop1": "not reproduced", "sim-shared": "not reproduced",
                               "sim-native": "not reproduced"}


def _summary(ve_conv, ve_res, cons=(0.9, 0.5), rises=(True, True, True)) -> sg.NetworkSummary:
    ve = {("cifar10", "ConvNet"): np.array(ve_conv), ("cifar10", "ResNet-18"): np.array(ve_res)}
    cm = {("cifar10", "ConvNet"): np.array([cons[0]] * 3), ("cifar10", "ResNet-18"): np.array([cons[1]] * 4)}
    return sg.NetworkSummary(ve, cm, {("cifar10", "ConvNet", str(i)): r for i, r in enumerate(rises)})


def _results(acc=(0.85, 0.8), ve_conv=(0.5, 0.7, 0.9), ve_res=(0.3, 0.4, 0.6, 0.7), init_ve=(0.5, 0.5),
             init_cons=(0.5, 0.5), cons=(0.9, 0.5)) -> dict:
    """Stand-in analyses: accuracies per architecture, final and untrained (epoch 0) values per layer."""
    out = {}
    for arch, a, ve, v0, c0, c in (("ConvNet", acc[0], ve_conv, init_ve[0], init_cons[0], cons[0]),
                                   ("ResNet-18", acc[1], ve_res, init_ve[1], init_cons[1], cons[1])):
        layers = tuple(str(i) for i in range(len(ve)))
        per_layer = {l: types.SimpleNamespace(ve=np.array([v - 0.01, v + 0.01])) for l, v in zip(layers, ve)}
        out["cifar10", arch] = sg.EnsembleAnalysis(
            layers, [0, 1], np.array([a, a + 0.02]), per_layer, {}, np.zeros(1), (None, None),
            {l: [v0, v] for l, v in zip(layers, ve)}, {l: [c0, c] for l in layers})
    return out


LABELS = {"cifar10": "CIFAR-10"}


def test_network_claims_verdicts():
    board = ClaimBoard("shared_geometry", "full")
    sg.record_network_claims(board, _summary([0.5, 0.7, 0.9], [0.3, 0.4, 0.6, 0.7]), _results(), sg.QUICK, LABELS,
                             {"cifar10": False}, quick=False)
    assert verdicts(board) == {"train-increase": "reproduced", "ve-depth": "reproduced",
                               "ve-last-cifar10": "reproduced", "ve-last-cifar100": "not run",
                               "ve-resnet-lower": "reproduced", "consistency": "reproduced"}
    assert board.outcomes[2].ours == "90 % (lowest network 89 %)" and "at least 85 %" in board.outcomes[2].note
    board = ClaimBoard("shared_geometry", "full")
    sg.record_network_claims(board, _summary([0.5, 0.4, 0.84], [0.5, 0.5, 0.4, 0.4], cons=(0.3, 0.5),
                                             rises=(True, True, False)),
                             _results(ve_conv=(0.5, 0.4, 0.84)), sg.QUICK, LABELS, {"cifar10": False}, quick=False)
    assert verdicts(board) == {"train-increase": "partly", "ve-depth": "partly", "ve-last-cifar10": "not reproduced",
                               "ve-last-cifar100": "not run", "ve-resnet-lower": "partly",
                               "consistency": "not reproduced"}


def test_network_claims_floors_and_controls():
    summary = _summary([0.5, 0.7, 0.9], [0.3, 0.4, 0.6, 0.7])
    # a ResNet-18 below its floor: only the ConvNet-only claims stay graded
    board = ClaimBoard("shared_geometry", "full")
    sg.record_network_claims(board, summary, _results(acc=(0.85, 0.5)), sg.QUICK, LABELS, {"cifar10": False},
                             quick=False)
    v = verdicts(board)
    assert v["ve-depth"] == v["ve-last-cifar10"] == "reproduced"
    assert v["train-increase"] == v["ve-resnet-lower"] == v["consistency"] == "inconclusive"
    check = next(c for c in board.outcomes[-1].preconditions if c.what == sg.RES_FLOOR)
    assert not check.met and "lowest 50.0 %" in check.value
    # a ConvNet below its floor: everything on trained networks is inconclusive
    board = ClaimBoard("shared_geometry", "full")
    sg.record_network_claims(board, summary, _results(acc=(0.79, 0.9)), sg.QUICK, LABELS, {"cifar10": False},
                             quick=False)
    assert {o.verdict for o in board.outcomes if o.claim.id != "ve-last-cifar100"} == {"inconclusive"}
    # untrained networks already show the orderings as strongly: no evidence for a training effect
    board = ClaimBoard("shared_geometry", "full")
    sg.record_network_claims(board, summary, _results(init_ve=(0.95, 0.2), init_cons=(0.95, 0.1)), sg.QUICK, LABELS,
                             {"cifar10": False}, quick=False)
    v = verdicts(board)
    assert v["ve-resnet-lower"] == v["consistency"] == v["ve-last-cifar10"] == "inconclusive"
    out = next(o for o in board.outcomes if o.claim.id == "ve-last-cifar10")
    assert not out.control.met and out.control.value == "trained 90.0 %, untrained 95.0 %"
