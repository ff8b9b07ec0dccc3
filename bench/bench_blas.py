"""The matrix product itself: torch's BLAS against numpy's, as a baseline for the other rows.

Most kernels here (RSMs, CKA, SRM, principal angles) spend their time in
matrix products and factorizations, so on a CPU their ratio to a numpy peer
is bounded by how fast torch's BLAS is against numpy's on that machine.
torch's x86 wheels link Intel's MKL; numpy's wheels link OpenBLAS. This
family times one general product ``A Bᵀ`` and one Gram ``A Aᵀ`` (numpy's
``a @ a.T`` calls the symmetric ``syrk``, which does half the work; torch's
matmul has no such path, :func:`repgeom.measures.similarity.gram` is the library's
workaround) at the shared-geometry chapter's full size, one network's
2000 examples x 1000 units, in float64 and float32. The "ours" side is plain
``torch.matmul``: these rows measure the libraries underneath, not repgeom.
"""
from __future__ import annotations

import torch
from harness import Row, compare  # bench/run.py puts bench/ on the path


def _rows(m: int, p: int, dtype: torch.dtype, device: torch.device) -> list[Row]:
    g = torch.Generator().manual_seed(0)
    a, b = (torch.randn(m, p, generator=g, dtype=dtype) for _ in range(2))
    an, bn = a.numpy(), b.numpy()
    ad, bd = a.to(device), b.to(device)
    bits = torch.finfo(dtype).bits
    return [
        compare("blas.matmul (baseline)", f"{m}x{p} @ {p}x{m}, f{bits}", lambda: ad @ bd.T,
                "numpy a @ b.T", lambda: an @ bn.T, device=device, reps=5),
        compare("blas.matmul (baseline)", f"{m}x{p} @ its transpose, f{bits}", lambda: ad @ ad.T,
                "numpy a @ a.T (syrk)", lambda: an @ an.T, device=device, reps=5),
    ]


def run(profile: str, device: torch.device) -> list[Row]:
    # the same sizes at both profiles: a baseline for reading the other rows, not a chapter's workload
    return _rows(2000, 1000, torch.float64, device) + _rows(2000, 1000, torch.float32, device)
