"""Tests of repgeom.checks: the finiteness test behind every kernel's argument check."""
from __future__ import annotations

import pytest
import torch

from repgeom.checks import all_finite, check_losses, check_tensor


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_all_finite_finds_one_bad_entry(bad):
    x = torch.randn(3, 50, dtype=torch.float64)
    assert all_finite(x)
    x[2, 17] = bad
    assert not all_finite(x)


def test_all_finite_when_the_sum_overflows():
    big = torch.full((4,), torch.finfo(torch.float32).max)
    assert not torch.isfinite(big.sum())
    assert all_finite(big)
    assert not all_finite(torch.cat([big, torch.tensor([float("nan")])]))


def test_all_finite_of_integers_empty_and_complex():
    assert all_finite(torch.arange(5))
    assert all_finite(torch.empty(0, 3))
    assert not all_finite(torch.tensor([1 + 1j, complex(float("inf"), 0.0)]))


def test_check_tensor_counts_the_bad_values():
    x = torch.zeros(2, 3)
    x[0, 0], x[1, 2] = float("nan"), float("inf")
    with pytest.raises(ValueError, match=r"x contains NaN or Inf \(2 values\)"):
        check_tensor(x, "x")


def test_check_losses_names_the_first_bad_row():
    history = torch.zeros(6, 3)
    check_losses(history)
    history[4, 1], history[5, 0] = float("inf"), float("nan")
    with pytest.raises(FloatingPointError, match="at epoch 4; lower the learning rate"):
        check_losses(history, "epoch")
