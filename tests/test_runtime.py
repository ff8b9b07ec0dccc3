import numpy as np
import pytest
import torch

from repgeom import runtime


def test_profile_default_and_values(monkeypatch):
    assert runtime.profile() == "quick"
    monkeypatch.setenv("REPGEOM_PROFILE", "FULL")
    assert runtime.profile() == "full"


@pytest.mark.parametrize("var,value", [
    ("REPGEOM_PROFILE", "fast"),
    ("REPGEOM_DEVICE", "tpu"),
    ("REPGEOM_DEVICE", "not a device"),
    ("REPGEOM_THREADS", "zero"),
    ("REPGEOM_THREADS", "-2"),
    ("REPGEOM_OFFLINE", "maybe"),
])
def test_bad_settings_name_the_variable(monkeypatch, var, value):
    monkeypatch.setenv(var, value)
    with pytest.raises(runtime.SettingError, match=var):
        runtime.configure()


def test_cuda_requested_without_gpu_is_an_error(monkeypatch):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    monkeypatch.setenv("REPGEOM_DEVICE", "cuda")
    with pytest.raises(runtime.SettingError, match="0 CUDA device"):
        runtime.device()


def test_device_auto_and_cpu(monkeypatch):
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert runtime.device().type == expected
    monkeypatch.setenv("REPGEOM_DEVICE", "cpu")
    assert runtime.device() == torch.device("cpu")


def test_threads(monkeypatch):
    monkeypatch.setenv("REPGEOM_THREADS", "1")
    assert runtime.configure()["threads"] == 1
    assert torch.get_num_threads() == 1


def test_data_root_must_be_a_folder(monkeypatch, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    monkeypatch.setenv("REPGEOM_DATA", str(f))
    with pytest.raises(runtime.SettingError, match="not a folder"):
        runtime.data_root()


def test_seed_everything_reproduces_all_generators():
    runtime.seed_everything(123)
    a = (np.random.rand(3), torch.rand(3))
    runtime.seed_everything(123)
    b = (np.random.rand(3), torch.rand(3))
    np.testing.assert_array_equal(a[0], b[0])
    assert torch.equal(a[1], b[1])
    assert torch.are_deterministic_algorithms_enabled()


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_seed_rejects_non_integers(seed):
    with pytest.raises(ValueError, match="seed"):
        runtime.seed_everything(seed)


def test_output_root_separates_profiles(monkeypatch, tmp_path):
    monkeypatch.setenv("REPGEOM_OUTPUT", str(tmp_path))
    assert runtime.output_root("quick") != runtime.output_root("full")
    assert runtime.output_root("full").name == "full"


def test_by_profile_picks_the_profiles_value_and_rejects_others():
    from repgeom import runtime as rt

    assert rt.by_profile("quick", 1, 2) == 1 and rt.by_profile("full", 1, 2) == 2
    with pytest.raises(ValueError, match="profile must be 'quick' or 'full', got 'fast'"):
        rt.by_profile("fast", 1, 2)
