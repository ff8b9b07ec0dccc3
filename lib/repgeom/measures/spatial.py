"""Neurons on a grid: distances, how clustered activations are, and what wiring costs.

Neurons of a layer sit on a grid (row, column positions, spacing 1, no
wrap-around). :func:`grid_distances` gives the Euclidean distance of every
pair; :func:`spatial_variance` measures how clustered a layer's activations
are on its grid; :func:`wiring_cost` sums ``|W_ji| d_ji``.

Conventions: an ``nn.Linear`` weight has shape (out, in), so every distance
matrix here has shape (K_out, K_in).
"""
from __future__ import annotations

import math
from typing import Literal, Sequence

import torch

from repgeom.checks import check_tensor

Grid = int | Sequence[int]


def _grid_shape(grid: Grid, name: str) -> tuple[int, int]:
    """``side`` -> (side, side); ``(rows, cols)`` -> itself; both checked positive."""
    if isinstance(grid, bool):
        raise ValueError(f"{name} must be a positive int or a (rows, cols) grid shape, got {grid!r}")
    if isinstance(grid, int):
        shape = (grid, grid)
    else:
        try:
            shape = tuple(int(g) for g in grid)
        except TypeError:
            raise ValueError(f"{name} must be a positive int or a (rows, cols) grid shape, got {grid!r}") from None
        if len(shape) != 2 or any(not float(g).is_integer() for g in grid):
            raise ValueError(f"{name} must be a positive int or a (rows, cols) grid shape, got {grid!r}")
    if shape[0] < 1 or shape[1] < 1:
        raise ValueError(f"{name} must have positive sides, got {shape}")
    return shape  # type: ignore[return-value]


def square_side(k: int, name: str = "k") -> int:
    """The side of a square grid of ``k`` neurons; ``ValueError`` if ``k`` is not a square."""
    side = math.isqrt(int(k)) if k >= 0 else -1
    if side < 1 or side * side != k:
        raise ValueError(f"{name}={k} neurons do not fill a square grid; expected a perfect square (e.g. 49, 4096)")
    return side


def grid_coords(grid: Grid, *, span: tuple[int, int] | None = None,
                dtype: torch.dtype = torch.float64, device: torch.device | str | None = None) -> torch.Tensor:
    """Positions of the neurons of a grid, row-major.

    Parameters
    ----------
    grid : int or (rows, cols)
        A square side or a rectangular shape.
    span : (rows, cols), optional
        Stretch the grid over the extent of a grid of this shape (cell centres
        aligned), so two grids of different sizes share one physical sheet.
        Default: the grid's own shape (integer positions 0 .. side-1).

    Returns
    -------
    torch.Tensor, shape (rows * cols, 2)
        ``(row, col)`` of each neuron, in units of the ``span`` grid's spacing.
    """
    rows, cols = _grid_shape(grid, "grid")
    srows, scols = _grid_shape(span, "span") if span is not None else (rows, cols)
    # centre of cell k of n cells covering [-0.5, m - 0.5]: (k + 0.5) * m / n - 0.5
    r = (torch.arange(rows, dtype=dtype, device=device) + 0.5) * (srows / rows) - 0.5
    c = (torch.arange(cols, dtype=dtype, device=device) + 0.5) * (scols / cols) - 0.5
    rr, cc = torch.meshgrid(r, c, indexing="ij")
    return torch.stack([rr.reshape(-1), cc.reshape(-1)], dim=1)


def grid_distances(in_grid: Grid, out_grid: Grid | None = None, *, dtype: torch.dtype = torch.float64,
                   device: torch.device | str | None = None) -> torch.Tensor:
    """Euclidean distances between output and input neurons on one sheet.

    Parameters
    ----------
    in_grid : int or (rows, cols)
        Grid of the input neurons; distances are in its spacing.
    out_grid : int or (rows, cols), optional
        Grid of the output neurons (default: the input grid). A grid of
        another size is stretched over the input grid's extent.

    Returns
    -------
    torch.Tensor, shape (K_out, K_in)
        ``d[j, i] = ||r_j - r_i||_2``.
    """
    shape_in = _grid_shape(in_grid, "in_grid")
    shape_out = _grid_shape(out_grid, "out_grid") if out_grid is not None else shape_in
    if shape_out == shape_in:
        return _expand_offsets(_offset_distances(shape_in, dtype, device), shape_in)
    r_in = grid_coords(shape_in, dtype=dtype, device=device)
    r_out = grid_coords(shape_out, span=shape_in, dtype=dtype, device=device)
    return torch.hypot(r_out[:, None, 0] - r_in[None, :, 0], r_out[:, None, 1] - r_in[None, :, 1])


def _offset_distances(shape: tuple[int, int], dtype: torch.dtype,
                      device: torch.device | str | None) -> torch.Tensor:
    """Lengths of every grid offset: ``table[dr + rows - 1, dc + cols - 1] = hypot(dr, dc)``.

    Returns
    -------
    torch.Tensor, shape (2 rows - 1, 2 cols - 1)
    """
    rows, cols = shape
    dr = torch.arange(1 - rows, rows, dtype=dtype, device=device)
    dc = dr if cols == rows else torch.arange(1 - cols, cols, dtype=dtype, device=device)
    return torch.hypot(dr.unsqueeze(1), dc)


def _expand_offsets(table: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """The (K, K) matrix ``out[j, i] = table[r_j - r_i + rows - 1, c_j - c_i + cols - 1]`` of one grid.

    ``table`` must be point-symmetric (``table[a, b] = table[-a, -b]`` about its
    centre), as any function of the offset's length is. Then row ``j`` is the
    (rows, cols) window of ``table`` starting at ``(rows - 1 - r_j, cols - 1 - c_j)``,
    and one ``index_select`` copies every window into place.

    Parameters
    ----------
    table : torch.Tensor, shape (2 rows - 1, 2 cols - 1)
    shape : (rows, cols)

    Returns
    -------
    torch.Tensor, shape (rows * cols, rows * cols), contiguous
    """
    rows, cols = shape
    table = table.contiguous()
    width = 2 * cols - 1
    last = (rows - 1) * width + cols - 1
    windows = table.as_strided((last + 1, rows, cols), (1, width, 1))
    starts = torch.arange(last, -1, -1, device=table.device).as_strided((rows, cols), (width, 1)).reshape(-1)
    return torch.index_select(windows, 0, starts).view(rows * cols, rows * cols)


def _check_finite(x: torch.Tensor, name: str) -> None:
    check_tensor(x, name, floating=False)


def spatial_variance(activations: torch.Tensor, side: Grid, *, on_empty: Literal["raise", "nan"] = "raise") -> torch.Tensor:
    """How spread out a non-negative activation map is on its grid (lower: more clustered).

    With ``p = a / sum(a)``, centre ``mu = sum_i p_i r_i`` and

    ``var = sum_i p_i ||r_i - mu||^2 / (1 - sum_i p_i^2)``

    (the unbiased variance with reliability weights; a point mass has
    variance 0). Accumulates in float64.

    Parameters
    ----------
    activations : torch.Tensor, shape (..., K)
        Non-negative activations, any leading (image, layer, network) dims.
    side : int or (rows, cols)
        The grid holding the ``K`` neurons.
    on_empty : {"raise", "nan"}
        What an all-zero map (no mass) gives: an error, or NaN.

    Returns
    -------
    torch.Tensor, shape (...)
        Variance in squared grid spacings, float64.
    """
    shape = _grid_shape(side, "side")
    _check_finite(activations, "activations")
    k = shape[0] * shape[1]
    if activations.ndim < 1 or activations.shape[-1] != k:
        raise ValueError(f"activations must have shape (..., {k}) for a {shape[0]}x{shape[1]} grid, "
                         f"got {tuple(activations.shape)}")
    if (activations < 0).any():
        raise ValueError("activations must be non-negative (take them after a ReLU); "
                         f"got minimum {float(activations.min()):.3g}")
    if on_empty not in ("raise", "nan"):
        raise ValueError(f"on_empty must be 'raise' or 'nan', got {on_empty!r}")
    a = activations.to(torch.float64)
    total = a.sum(-1, keepdim=True)
    empty = total.squeeze(-1) == 0
    if on_empty == "raise" and empty.any():
        raise ValueError(f"activations has {int(empty.sum())} all-zero map(s); their variance is undefined "
                         "(pass on_empty='nan' to get NaN for them)")
    p = a / torch.where(total == 0, torch.ones_like(total), total)
    r = grid_coords(shape, dtype=torch.float64, device=a.device)           # (K, 2)
    mu = p @ r                                                              # (..., 2)
    # sum_i p_i ||r_i - mu||^2 = sum_i p_i ||r_i||^2 - ||mu||^2
    spread = (p * (r * r).sum(-1)).sum(-1) - (mu * mu).sum(-1)
    spread = spread.clamp_min(0.0)
    sum_p2 = (p * p).sum(-1)
    denom = 1.0 - sum_p2
    # a point mass: spread 0 and denominator 0; its variance is 0
    point = denom <= 1e-12
    var = torch.where(point, torch.zeros_like(spread), spread / torch.where(point, torch.ones_like(denom), denom))
    return torch.where(empty, torch.full_like(var, float("nan")), var)


def class_mean_maps(activations: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Average activation of each class.

    Parameters
    ----------
    activations : torch.Tensor, shape (n, K)
    labels : torch.Tensor, shape (n,)
        Integer labels in ``[0, num_classes)``; every class must occur.
    num_classes : int

    Returns
    -------
    torch.Tensor, shape (num_classes, K)
    """
    _check_finite(activations, "activations")
    if activations.ndim != 2:
        raise ValueError(f"activations must have shape (n, K), got {tuple(activations.shape)}")
    if labels.ndim != 1 or labels.shape[0] != activations.shape[0]:
        raise ValueError(f"labels must have shape ({activations.shape[0]},), got {tuple(labels.shape)}")
    if num_classes < 1 or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"labels must lie in [0, {num_classes}), got range [{int(labels.min())}, {int(labels.max())}]")
    counts = torch.bincount(labels, minlength=num_classes)
    if (counts == 0).any():
        raise ValueError(f"classes {torch.nonzero(counts == 0).flatten().tolist()} have no samples")
    sums = torch.zeros(num_classes, activations.shape[1], dtype=torch.float64, device=activations.device)
    sums.index_add_(0, labels.to(activations.device), activations.to(torch.float64))
    return (sums / counts.to(sums)[:, None]).to(activations.dtype)


def wiring_cost(weight: torch.Tensor, distances: torch.Tensor, *, per_unit_weight: bool = False) -> torch.Tensor:
    """Total wiring cost ``sum_ji |W_ji| d_ji`` of a layer (batched over leading dims).

    Parameters
    ----------
    weight : torch.Tensor, shape (..., K_out, K_in)
        The weight the layer applies (``W * P`` for a locality layer).
    distances : torch.Tensor, shape (K_out, K_in)
        Connection lengths, e.g. from :func:`grid_distances`.
    per_unit_weight : bool
        Divide by ``sum |W_ji|``: the weight-averaged connection length, which
        does not change when the weights are rescaled (a BatchNorm after the
        layer makes the raw scale arbitrary).

    Returns
    -------
    torch.Tensor, shape (...)
        In units of |weight| x grid spacing (or grid spacings), float64.
    """
    for x, name in ((weight, "weight"), (distances, "distances")):
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if weight.ndim < 2 or weight.shape[-2:] != distances.shape or distances.ndim != 2:
        raise ValueError(f"weight must have shape (..., K_out, K_in) matching distances {tuple(distances.shape)}, "
                         f"got {tuple(weight.shape)}")
    if distances.numel() and float(distances.min()) < 0:
        raise ValueError("distances must be non-negative")
    cost, mass = _abs_weighted_sums(weight, distances, per_unit_weight)
    if not bool(torch.isfinite(cost).all()):
        _check_finite(weight, "weight")        # NaN/Inf in either input makes the cost non-finite
        _check_finite(distances, "distances")
    if per_unit_weight:
        if (mass == 0).any():
            raise ValueError("weight is all zero; the per-unit-weight cost is undefined")
        cost = cost / mass
    return cost


def _abs_weighted_sums(weight: torch.Tensor, distances: torch.Tensor,
                       with_mass: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``sum_ji |W_ji| d_ji`` (and ``sum_ji |W_ji|``) in float64, a block of rows at a time.

    On a CPU a block holds about 2**18 float64 products, so it stays in cache
    and no full-size float64 copy of ``weight`` is made.

    Parameters
    ----------
    weight : torch.Tensor, shape (..., K_out, K_in)
    distances : torch.Tensor, shape (K_out, K_in)
    with_mass : bool
        Also return ``sum_ji |W_ji|`` (else None).

    Returns
    -------
    cost, mass : torch.Tensor, shape (...), float64
    """
    lead = weight.shape[:-2]
    k_out, k_in = distances.shape
    w = weight.reshape(-1, k_out, k_in)
    block = 1 << (18 if weight.device.type == "cpu" else 24)
    rows = max(1, block // max(1, w.shape[0] * k_in))
    cost = torch.zeros(w.shape[0], dtype=torch.float64, device=weight.device)
    mass = torch.zeros_like(cost) if with_mass else None
    for start in range(0, k_out, rows):
        a = w[:, start:start + rows].abs()
        cost += (a * distances[start:start + rows].to(torch.float64)).sum((-1, -2))
        if mass is not None:
            mass += a.sum((-1, -2), dtype=torch.float64)
    return cost.reshape(lead), None if mass is None else mass.reshape(lead)
