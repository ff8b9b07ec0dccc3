"""Reading bench/run.py results for the Performance page."""
import json
import sys
import time
from pathlib import Path

import pytest

from repgeom.book import benchmarks

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import harness  # noqa: E402
from harness import compare  # noqa: E402


def _payload(rows, scaling, **meta):
    return {"profile": "quick", "device": "cpu", "threads": 1, "cpu_cores": 2, "gpu": None, "torch": "2.14.1",
            "commit": "abc", "date": "2026-11-25T00:00:00+00:00", **meta,
            "rows": [r.as_dict() for r in rows], "scaling": [r.as_dict() for r in scaling]}


def test_harness_rows_round_trip_through_json(tmp_path):
    row = compare("k", "tiny", lambda: sum(range(100)), "peer", lambda: sum(range(1000)), reps=2)
    sweep = [compare("k", f"n={n}", lambda: None, "peer", lambda: None, reps=1, scale=("n", n)) for n in (1, 10)]
    path = tmp_path / "run.json"
    path.write_text(json.dumps(_payload([row], sweep)))
    comparisons, scaling = benchmarks.load_results([path])
    assert comparisons.shape[0] == 1 and scaling.shape[0] == 2
    got = comparisons.iloc[0]
    assert got.kernel == "k" and got.ratio == pytest.approx(row.peer_s / row.ours_s)
    assert got.machine == "CPU, 2 cores, 1 threads" and got.file == "run.json"
    assert scaling.scale.tolist() == ["n", "n"] and scaling.scale_value.tolist() == [1.0, 10.0]


def test_ours_and_the_peer_are_timed_in_the_order_ours_peer_peer_ours():
    calls = []
    harness.time_pair(lambda: calls.append("o"), lambda: calls.append("p"), reps=4, warmup=0)
    assert "".join(calls) == "ooppppoo"   # no warm-up: one call per sample, no settling call


def test_each_block_starts_after_a_pause_and_an_untimed_call(monkeypatch):
    monkeypatch.setattr(harness, "SETTLE_S", 0.0)
    monkeypatch.setattr(harness, "MIN_SAMPLE_S", 0.0)   # one call per sample
    calls = []
    harness.time_pair(lambda: calls.append("o"), lambda: calls.append("p"), reps=2, warmup=1)
    # warm-up of each, then blocks of one sample, each preceded by one untimed call
    assert "".join(calls) == "op" + "oo" + "pp" + "pp" + "oo"


def test_fast_calls_are_repeated_within_a_sample_and_slow_ones_are_not(monkeypatch):
    monkeypatch.setattr(harness, "MIN_SAMPLE_S", 0.05)
    monkeypatch.setattr(harness, "SETTLE_S", 0.0)
    counts = {"fast": 0, "slow": 0}

    def fast():
        counts["fast"] += 1

    def slow():
        counts["slow"] += 1
        time.sleep(0.06)

    (fast_s, _), (slow_s, _) = harness.time_pair(fast, slow, reps=2, warmup=2)
    # warm-up calls, one untimed call before each of the side's two blocks, then the samples
    assert counts["slow"] == 2 + 2 + 2 * 1
    assert counts["fast"] == 2 + 2 + 2 * harness.MAX_CALLS_PER_SAMPLE
    assert slow_s >= 0.06 and fast_s < slow_s / 100    # seconds per call, not per sample


def test_a_run_recorded_twice_is_read_once(tmp_path):
    row = compare("k", "tiny", lambda: None, "peer", lambda: None, reps=1)
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text(json.dumps(_payload([row], [])))
    comparisons, _ = benchmarks.load_results([tmp_path / "a.json", tmp_path / "b.json"])
    assert comparisons.file.tolist() == ["a.json"]


def test_a_later_run_replaces_only_the_measurements_it_repeats(tmp_path):
    old = [compare(k, "tiny", lambda: None, "peer", lambda: None, reps=1) for k in ("a", "b")]
    new = compare("b", "tiny", lambda: None, "peer", lambda: None, reps=1)
    (tmp_path / "new.json").write_text(json.dumps(_payload([new], [], date="2026-11-26T00:00:00+00:00")))
    (tmp_path / "old.json").write_text(json.dumps(_payload(old, [])))
    comparisons, _ = benchmarks.load_results([tmp_path / "new.json", tmp_path / "old.json"])
    assert sorted(zip(comparisons.kernel, comparisons.file)) == [("a", "old.json"), ("b", "new.json")]
    assert comparisons.set_index("kernel").loc["b", "ours_s"] == new.ours_s


def test_baseline_and_option_rows_are_kept_apart_from_the_kernels(tmp_path):
    rows = [compare(k, "tiny", lambda: None, peer, lambda: None, reps=1)
            for k, peer in [("srm.SRM", "numpy (same EM)"), ("blas.matmul (baseline)", "numpy a @ b.T"),
                            ("train_batched (torch.compile)", "train_batched eager"),
                            ("principal_angles", "scipy"), ("train.fit (bf16 + channels-last)", "train.fit float32")]]
    (tmp_path / "run.json").write_text(json.dumps(_payload(rows, [])))
    kernels, baselines, options = benchmarks.split_rows(benchmarks.load_results([tmp_path / "run.json"])[0])
    assert kernels.kernel.tolist() == ["srm.SRM", "principal_angles"]
    assert baselines.kernel.tolist() == ["blas.matmul (baseline)"]
    assert options.kernel.tolist() == ["train_batched (torch.compile)", "train.fit (bf16 + channels-last)"]


def test_gpu_runs_are_named_by_their_gpu(tmp_path):
    path = tmp_path / "gpu.json"
    path.write_text(json.dumps(_payload([], [], gpu="NVIDIA H100 80GB HBM3", device="cuda")))
    assert benchmarks.machine_label(json.loads(path.read_text())) == "NVIDIA H100 80GB HBM3"


def test_rejects_files_that_are_not_bench_results(tmp_path):
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"rows": []}))
    with pytest.raises(ValueError, match="other.json.*missing profile, device"):
        benchmarks.load_results([path])


def test_committed_results_are_readable():
    files = sorted((ROOT / "bench" / "results").glob("*.json"))
    comparisons, scaling = benchmarks.load_results(files)
    assert comparisons.empty == (not files)
    if files:
        assert (comparisons.ours_s > 0).all() and (comparisons.peer_s > 0).all()
        assert set(comparisons.kernel) >= {"principal_angles", "srm.SRM", "abstraction.ccgp"}


def test_precision_checks_are_read_and_checked(tmp_path):
    folder = tmp_path / "bench" / "results" / "precision"
    folder.mkdir(parents=True)
    record = {"machine": "CPU, 2 cores", "profile": "quick", "data": "d", "epochs": 2, "cka_precision": [0.9, 0.8],
              "cka_seed": [0.85], "verdict": "beyond", "commit": "abc", "date": "2026-11-25T00:00:00+00:00"}
    (folder / "quick-cpu.json").write_text(json.dumps(record))
    table = benchmarks.load_precision_checks(tmp_path)
    assert table.shape[0] == 1 and table.iloc[0].cka_precision == [0.9, 0.8]
    assert benchmarks.load_precision_checks(tmp_path / "nothing").empty
    (folder / "broken.json").write_text(json.dumps({"profile": "quick"}))
    with pytest.raises(ValueError, match="broken.json.*missing machine"):
        benchmarks.load_precision_checks(tmp_path)
