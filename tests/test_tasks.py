"""Task generators: geometry in closed form, exact alignment, seeds, bad inputs."""
import math

import pytest
import torch

from repgeom.data.tasks import (
    aligned_kernel,
    aligned_task,
    concat,
    delta_xor,
    max_dim_kernel,
    random_clusters,
    random_targets,
    sample,
)
from repgeom.measures.similarity import kernel_alignment


def _align(x: torch.Tensor, y: torch.Tensor) -> float:
    x, y = x.double(), y.double()
    return kernel_alignment(x @ x.T, y @ y.T).item()


def test_delta_xor_geometry():
    t = delta_xor(torch.tensor([0.0, 0.5, 1.0]), dim=40, n_tasks=2, seed=1)
    assert t.centres.shape == (6, 4, 40) and t.targets.shape == (6, 4, 1)
    d2 = torch.cdist(t.centres.double(), t.centres.double()) ** 2
    # delta = 1: equidistant, squared distance 2 * dim
    torch.testing.assert_close(d2[-1][~torch.eye(4, dtype=bool)], torch.full((12,), 80.0, dtype=torch.float64))
    # delta = 0: the class means coincide (XOR), so the targets are not linearly aligned
    c = t.centres[0]
    torch.testing.assert_close(c[:2].mean(0), c[2:].mean(0), atol=1e-5, rtol=0)
    assert _align(t.centres[0], t.targets[0]) == pytest.approx(0.0, abs=1e-6)
    # alignment grows with delta
    a = [_align(t.centres[i], t.targets[i]) for i in (0, 2, 4)]
    assert a[0] < a[1] < a[2]


def test_aligned_kernel_exact_alignment_and_psd():
    y = random_targets(8, 3, seed=2)
    for c in (0.0, 0.3, 0.8):
        for rank in (None, 2, 4):
            k = aligned_kernel(y, c, rank=rank, seed=4)
            assert kernel_alignment(k, y @ y.T).item() == pytest.approx(c, abs=1e-8)
            assert torch.linalg.eigvalsh(k).min().item() > -1e-10
            torch.testing.assert_close(k.sum(1), torch.zeros(8, dtype=torch.float64), atol=1e-10, rtol=0)
            assert torch.trace(k).item() == pytest.approx(1.0)


def test_max_dim_kernel_has_flattest_spectrum():
    y = random_targets(8, 2, seed=0)
    kmax = max_dim_kernel(y)
    pr = 1 / kmax.pow(2).sum().item()  # participation ratio of a unit-trace kernel
    assert pr == pytest.approx(8 - 1 - 2)
    for seed in range(5):
        other = aligned_kernel(y, 0.0, rank=3, seed=seed)
        assert 1 / other.pow(2).sum().item() <= pr + 1e-9


def test_aligned_task_centres_realise_alignment():
    t = aligned_task(8, 2, 0.6, dim=30, seed=3)
    assert t.centres.shape == (1, 8, 30) and t.targets.shape == (1, 8, 2)
    assert _align(t.centres[0] - t.centres[0].mean(0), t.targets[0]) == pytest.approx(0.6, abs=1e-5)
    assert t.centres[0].pow(2).sum(1).mean().item() == pytest.approx(30.0, rel=1e-4)
    torch.testing.assert_close(t.centres, aligned_task(8, 2, 0.6, dim=30, seed=3).centres)


def test_zero_alignment_low_rank_kernel():
    y = random_targets(32, 5, seed=0)
    k = aligned_kernel(y, 0.0, rank=5, seed=1)
    assert torch.linalg.matrix_rank(k).item() == 5
    assert kernel_alignment(k, y @ y.T).item() == pytest.approx(0.0, abs=1e-10)
    assert torch.linalg.matrix_rank(aligned_kernel(y, 0.0)).item() == 31 - 5


def test_random_targets_balanced_distinct():
    y = random_targets(8, 10, seed=1)
    assert torch.all(y.sum(0) == 0)
    cols = {tuple(c.tolist()) for c in y.T} | {tuple((-c).tolist()) for c in y.T}
    assert len(cols) == 20


def test_sample_statistics_and_seed():
    t = random_clusters(dim=5, n_tasks=2, seed=0)
    x, y, cond = sample(t, 4000, torch.tensor([0.5, 2.0]), torch.Generator().manual_seed(1))
    assert x.shape == (2, 16000, 5) and y.shape == (2, 16000, 1) and cond.shape == (16000,)
    resid = x - t.centres[:, cond]
    assert resid[0].std().item() == pytest.approx(0.5, rel=0.02)
    assert resid[1].std().item() == pytest.approx(2.0, rel=0.02)
    x2, _, _ = sample(t, 4000, torch.tensor([0.5, 2.0]), torch.Generator().manual_seed(1))
    torch.testing.assert_close(x, x2)
    assert concat([t, t]).centres.shape == (4, 4, 5)


@pytest.mark.parametrize(
    "call,word",
    [
        (lambda: delta_xor(1.5, 10), "delta"),
        (lambda: delta_xor(0.5, 2), "dim"),
        (lambda: random_targets(7, 1), "even"),
        (lambda: random_targets(4, 4), "exceeds"),
        (lambda: aligned_kernel(random_targets(8, 1), 1.2), "c must"),
        (lambda: aligned_kernel(random_targets(8, 1), 0.2, rank=9), "rank"),
        (lambda: aligned_task(8, 1, 0.2, dim=4), "dim"),
        (lambda: sample(random_clusters(3), 2, -1.0, torch.Generator()), "sigma"),
        (lambda: max_dim_kernel(torch.tensor([[1.0, 1.0], [-1.0, 1.0]])), "span"),
        (lambda: concat([]), "at least one"),
    ],
)
def test_bad_inputs(call, word):
    with pytest.raises(ValueError, match=word):
        call()
