"""Cross-validated linear decoding of dichotomies of conditions (Bernardi et al., 2020).

A representation is given per condition and sample, ``z`` of shape
``(..., n_conditions, n_samples, n_units)``; a *dichotomy* is a ±1 labelling
of the conditions, shape ``(n_conditions,)``, with as many +1 as -1
conditions. :func:`balanced_dichotomies` lists them, :func:`dichotomy_decoding`
scores how linearly decodable each is.

The thousands of linear classifiers this needs are L2-regularised logistic
regressions fitted together by batched Newton steps (:func:`fit_logistic`),
with scikit-learn's objective so results can be checked against it. Every
function is batched over leading dimensions and runs on the input's device.
"""
from __future__ import annotations

import itertools
import math
from typing import Callable

import torch

from repgeom.checks import check_tensor as _check_tensor

__all__ = [
    "balanced_dichotomies",
    "fit_logistic",
    "dichotomy_decoding",
]


def _check_dichotomies(d: torch.Tensor, n_conditions: int) -> torch.Tensor:
    if not isinstance(d, torch.Tensor) or d.ndim != 2:
        got = tuple(d.shape) if isinstance(d, torch.Tensor) else type(d).__name__
        raise ValueError(f"dichotomies must be a tensor of shape (n_dichotomies, n_conditions), got {got}")
    if d.shape[1] != n_conditions:
        raise ValueError(f"dichotomies label {d.shape[1]} conditions but the representation has {n_conditions}")
    if not bool(((d == 1) | (d == -1)).all()):
        raise ValueError("dichotomies must contain only +1 and -1")
    if not bool((d.sum(1) == 0).all()):
        raise ValueError("every dichotomy must be balanced (as many +1 as -1 conditions)")
    return d


def _positive_int(value: int, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def balanced_dichotomies(n_conditions: int, max_count: int | None = None, seed: int = 0) -> torch.Tensor:
    """All balanced dichotomies of ``n_conditions`` conditions, each once.

    A dichotomy and its sign flip are the same split; the canonical one puts
    condition 0 on the +1 side.

    Parameters
    ----------
    n_conditions : int
        Even, at least 2.
    max_count : int, optional
        When there are more than this many, return a seeded random subset of
        this size (without repeats).
    seed : int

    Returns
    -------
    torch.Tensor, shape (n_dichotomies, n_conditions), float32 of ±1
        ``C(n, n/2) / 2`` rows (or ``max_count``).
    """
    _positive_int(n_conditions, "n_conditions", 2)
    if n_conditions % 2:
        raise ValueError(f"n_conditions must be even for balanced dichotomies, got {n_conditions}")
    if max_count is not None:
        _positive_int(max_count, "max_count")
    half = n_conditions // 2
    total = math.comb(n_conditions, half) // 2
    if max_count is None or total <= max_count:
        rows = []
        for rest in itertools.combinations(range(1, n_conditions), half - 1):
            row = torch.full((n_conditions,), -1.0)
            row[[0, *rest]] = 1.0
            rows.append(row)
        return torch.stack(rows)
    g = torch.Generator().manual_seed(seed)
    seen: set[tuple[int, ...]] = set()
    rows = []
    while len(rows) < max_count:
        pos = torch.randperm(n_conditions, generator=g)[:half]
        if 0 not in pos.tolist():
            pos = torch.tensor(sorted(set(range(n_conditions)) - set(pos.tolist())))
        key = tuple(sorted(pos.tolist()))
        if key in seen:
            continue
        seen.add(key)
        row = torch.full((n_conditions,), -1.0)
        row[list(key)] = 1.0
        rows.append(row)
    return torch.stack(rows)


def _binary_targets(x: torch.Tensor, y: torch.Tensor, C: float, max_iter: int) -> torch.Tensor:
    """Check one batch of binary problems (``x`` (..., n, d), labels ``y`` (..., n)); the labels as ±1 float64."""
    _check_tensor(x, "x", 2)
    if not isinstance(y, torch.Tensor) or y.shape != x.shape[:-1]:
        got = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"y must have shape {tuple(x.shape[:-1])} (x without its feature axis), got {got}")
    if not (isinstance(C, (int, float)) and math.isfinite(C) and C > 0):
        raise ValueError(f"C must be a positive finite number, got {C!r}")
    _positive_int(max_iter, "max_iter")
    t = y.to(torch.float64)
    if bool(((t == 0) | (t == 1)).all()):
        t = 2 * t - 1
    if not bool(((t == 1) | (t == -1)).all()):
        raise ValueError("y must contain only labels -1/+1 or 0/1")
    return t


def _damped_newton(theta: torch.Tensor, loss: Callable[[torch.Tensor], torch.Tensor],
                  step: Callable[[torch.Tensor], torch.Tensor], max_iter: int, tol: float, *,
                  backtracks: int, slack: float) -> torch.Tensor:
    """Newton's method on a batch of convex problems, the step halved per problem while its loss would rise.

    Parameters
    ----------
    theta : torch.Tensor, shape (..., p)
        Starting point of every problem.
    loss, step : callable
        ``loss(theta)`` of shape (...); ``step(theta)`` the Newton step (H^-1 g), shape (..., p).
    max_iter : int
    tol : float
        Stop when every problem's step is below this (max-norm).
    backtracks : int
        Halvings at most per iteration.
    slack : float
        A step counts as a rise when the loss grows by more than ``slack * max(|loss|, 1)``.

    Returns
    -------
    torch.Tensor, shape (..., p)
    """
    current = loss(theta)
    for _ in range(max_iter):
        full = step(theta)
        scale = torch.ones_like(current)
        new = theta - full
        new_loss = loss(new)
        for _ in range(backtracks):
            worse = new_loss > current + slack * current.abs().clamp_min(1.0)
            if not bool(worse.any()):
                break
            scale = torch.where(worse, scale / 2, scale)
            new = theta - scale.unsqueeze(-1) * full
            new_loss = loss(new)
        moved = (scale.unsqueeze(-1) * full).abs().amax(-1)
        theta, current = new, new_loss
        if bool((moved < tol).all()):
            break
    return theta


def _penalised_loss(z1: torch.Tensor, t: torch.Tensor, theta: torch.Tensor, c: float) -> torch.Tensor:
    margin = (z1 @ theta.unsqueeze(-1)).squeeze(-1)
    # sklearn: C * sum log(1 + exp(-y f)) + ||w||^2 / 2, intercept unpenalised
    return c * torch.nn.functional.softplus(-t * margin).sum(-1) + 0.5 * theta[..., :-1].pow(2).sum(-1)


def fit_logistic(
    x: torch.Tensor, y: torch.Tensor, C: float = 1.0, max_iter: int = 30, tol: float = 1e-10
) -> tuple[torch.Tensor, torch.Tensor]:
    """Many L2-regularised logistic regressions at once, by batched Newton steps.

    Minimises ``C Σ_i log(1 + exp(-y_i (w·x_i + b))) + ½‖w‖²`` (scikit-learn's
    ``LogisticRegression(C=C)`` objective, intercept unpenalised). When there
    are fewer samples than features the problem is solved in the span of the
    samples (the optimum lies there), so each Newton step costs
    ``O(min(n, d)^3)``.

    Parameters
    ----------
    x : torch.Tensor, shape (..., n_samples, n_features)
    y : torch.Tensor, shape (..., n_samples)
        Labels in {-1, +1} (or {0, 1}); leading dimensions as ``x``'s.
    C : float
        Inverse regularisation strength, > 0.
    max_iter : int
        Newton steps at most (each with step halving when the loss would rise).
    tol : float
        Stop when every problem's step is below this (max-norm).

    Returns
    -------
    w : torch.Tensor, shape (..., n_features), float64
    b : torch.Tensor, shape (...), float64
    """
    t = _binary_targets(x, y, C, max_iter)
    x = x.to(torch.float64)
    n, d = x.shape[-2], x.shape[-1]
    basis = None
    if n < d:
        # the optimal w lies in the row span of x (its gradient does); work in it
        basis, _ = torch.linalg.qr(x.mT)  # (..., d, n)
        x = x @ basis
    r = x.shape[-1]
    z1 = torch.cat([x, torch.ones_like(x[..., :1])], dim=-1)  # (..., n, r + 1)
    reg = torch.ones(r + 1, dtype=torch.float64, device=x.device)
    reg[-1] = 0.0
    theta = torch.zeros(*x.shape[:-2], r + 1, dtype=torch.float64, device=x.device)
    eye = torch.diag(reg) + 1e-12 * torch.eye(r + 1, dtype=torch.float64, device=x.device)

    def newton_step(theta: torch.Tensor) -> torch.Tensor:
        margin = (z1 @ theta.unsqueeze(-1)).squeeze(-1)
        p = torch.sigmoid(-t * margin)  # probability of the wrong label
        grad = -C * (z1.mT @ (t * p).unsqueeze(-1)).squeeze(-1) + reg * theta
        weight = C * p * (1 - p)
        hess = z1.mT @ (weight.unsqueeze(-1) * z1) + eye
        return torch.linalg.solve(hess, grad.unsqueeze(-1)).squeeze(-1)

    theta = _damped_newton(theta, lambda th: _penalised_loss(z1, t, th, C), newton_step, max_iter, tol,
                          backtracks=20, slack=1e-12)
    w, b = theta[..., :-1], theta[..., -1]
    if basis is not None:
        w = (basis @ w.unsqueeze(-1)).squeeze(-1)
    return w, b


def _check_z(z: torch.Tensor) -> None:
    _check_tensor(z, "z", 3)


def _accuracy(w: torch.Tensor, b: torch.Tensor, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    score = (x.to(torch.float64) @ w.unsqueeze(-1)).squeeze(-1) + b.unsqueeze(-1)
    return ((score > 0) == (t > 0)).to(torch.float64).mean(-1)


def dichotomy_decoding(
    z: torch.Tensor, dichotomies: torch.Tensor, n_folds: int = 2, C: float = 1.0
) -> torch.Tensor:
    """Cross-validated linear decoding accuracy of each dichotomy.

    Samples of every condition are split into ``n_folds`` folds by sample
    index (``i % n_folds``); a classifier is trained on all but one fold of
    all conditions and tested on the held-out fold; accuracies are averaged.

    Parameters
    ----------
    z : torch.Tensor, shape (..., n_conditions, n_samples, n_units)
    dichotomies : torch.Tensor, shape (n_dichotomies, n_conditions), ±1
    n_folds : int
        At least 2 and at most ``n_samples``.
    C : float
        Inverse L2 strength of the logistic classifiers.

    Returns
    -------
    torch.Tensor, shape (..., n_dichotomies), float64 accuracy in [0, 1]
    """
    _check_z(z)
    d = _check_dichotomies(dichotomies, z.shape[-3]).to(z.device)
    _positive_int(n_folds, "n_folds", 2)
    n_cond, n_samp, n_units = z.shape[-3:]
    if n_folds > n_samp:
        raise ValueError(f"n_folds must be at most n_samples={n_samp}, got {n_folds}")
    lead = z.shape[:-3]
    fold = torch.arange(n_samp, device=z.device) % n_folds
    accs = []
    for f in range(n_folds):
        tr, te = z[..., fold != f, :], z[..., fold == f, :]
        x_tr = tr.reshape(*lead, 1, -1, n_units)
        x_te = te.reshape(*lead, 1, -1, n_units)
        t_tr = d.repeat_interleave(tr.shape[-2], dim=1).expand(*lead, -1, -1)
        t_te = d.repeat_interleave(te.shape[-2], dim=1).expand(*lead, -1, -1)
        w, b = fit_logistic(x_tr.expand(*lead, d.shape[0], -1, -1), t_tr, C=C)
        accs.append(_accuracy(w, b, x_te, t_te))
    return torch.stack(accs).mean(0)
