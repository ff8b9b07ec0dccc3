"""CCGP, parallelism and decoding as Alleman, Lindsey & Fusi's released analysis computes them.

Shapes as in :mod:`repgeom.measures.abstraction`: ``z`` is
``(..., n_conditions, n_samples, n_units)``, condition means
``(..., n_conditions, n_units)``, a dichotomy a balanced ±1 labelling of the
conditions. Where :mod:`~repgeom.measures.abstraction` follows Bernardi et al.
(2020) -- CCGP trained on all but one condition per side, parallelism maximised
over (random) pairings -- the first author's released functions score both
through one *linear assignment* of the +1 conditions to the -1 conditions:

* :func:`assignment_pairing` -- each +1 condition's partner: the pairing that
  minimises the summed squared distance between paired condition means;
* :func:`assignment_parallelism` -- mean pairwise cosine of the coding vectors
  of that pairing;
* :func:`matched_ccgp` -- a linear SVM trained on one matched pair of
  conditions, tested on all the others, averaged over the pairs;
* :func:`fit_linear_svm`, :func:`svm_decoding` -- scikit-learn's
  ``LinearSVC()`` objective fitted in batch, and cross-validated decoding with it.

The assignment is solved by :func:`scipy.optimize.linear_sum_assignment` on
the CPU (one small problem per dichotomy and network; it is sequential by
nature), everything else is batched torch on the input's device.
"""
from __future__ import annotations


import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from repgeom.checks import check_tensor as _check_tensor

from .decoding import _accuracy, _binary_targets, _check_dichotomies, _check_z, _positive_int, _damped_newton

__all__ = ["fit_linear_svm", "assignment_pairing", "assignment_parallelism", "matched_ccgp", "svm_decoding"]


def _svm_loss(x1: torch.Tensor, t: torch.Tensor, theta: torch.Tensor, c: float) -> torch.Tensor:
    hinge = (1 - t * (x1 @ theta.unsqueeze(-1)).squeeze(-1)).clamp_min(0)
    return 0.5 * theta.pow(2).sum(-1) + c * hinge.pow(2).sum(-1)


def fit_linear_svm(
    x: torch.Tensor, y: torch.Tensor, C: float = 1.0, max_iter: int = 50, tol: float = 1e-10
) -> tuple[torch.Tensor, torch.Tensor]:
    """Many linear SVMs at once: scikit-learn's ``LinearSVC(C=C)`` objective, by batched Newton steps.

    Minimises ``½(‖w‖² + b²) + C Σ_i max(0, 1 - y_i (w·x_i + b))²`` (squared
    hinge, L2; liblinear penalises the intercept as a feature of value 1).
    The objective is strictly convex, so the minimiser is unique; it lies in
    the span of the augmented samples ``(x_i, 1)``, where it is sought.

    Parameters
    ----------
    x : torch.Tensor, shape (..., n_samples, n_features)
    y : torch.Tensor, shape (..., n_samples)
        Labels in {-1, +1} (or {0, 1}).
    C : float
        Inverse regularisation strength, > 0.
    max_iter : int
        Newton steps at most (each halved while the loss would rise).
    tol : float
        Stop when every problem's step is below this (max-norm).

    Returns
    -------
    w : torch.Tensor, shape (..., n_features), float64
    b : torch.Tensor, shape (...), float64
    """
    t = _binary_targets(x, y, C, max_iter)
    x1 = torch.cat([x.to(torch.float64), torch.ones_like(x[..., :1], dtype=torch.float64)], dim=-1)
    basis = None
    if x1.shape[-2] < x1.shape[-1]:
        basis, _ = torch.linalg.qr(x1.mT)  # (..., d + 1, n): the penalty is isotropic, so solve in the span
        x1 = x1 @ basis
    r = x1.shape[-1]
    eye = torch.eye(r, dtype=torch.float64, device=x1.device)
    theta = torch.zeros(*x1.shape[:-2], r, dtype=torch.float64, device=x1.device)

    def newton_step(theta: torch.Tensor) -> torch.Tensor:
        slack = 1 - t * (x1 @ theta.unsqueeze(-1)).squeeze(-1)
        act = (slack > 0).to(torch.float64)  # the squared hinge's generalised Hessian: active samples only
        grad = theta - 2 * C * (x1.mT @ (act * slack * t).unsqueeze(-1)).squeeze(-1)
        hess = eye + 2 * C * x1.mT @ (act.unsqueeze(-1) * x1)
        return torch.linalg.solve(hess, grad.unsqueeze(-1)).squeeze(-1)

    theta = _damped_newton(theta, lambda th: _svm_loss(x1, t, th, C), newton_step, max_iter, tol,
                          backtracks=30, slack=1e-13)
    if basis is not None:
        theta = (basis @ theta.unsqueeze(-1)).squeeze(-1)
    return theta[..., :-1], theta[..., -1]


def _sides(row: torch.Tensor) -> tuple[list[int], list[int]]:
    return torch.nonzero(row > 0).flatten().tolist(), torch.nonzero(row < 0).flatten().tolist()


def assignment_pairing(means: torch.Tensor, dichotomies: torch.Tensor) -> torch.Tensor:
    """The -1 partner of each +1 condition under the minimum-distance linear assignment.

    Parameters
    ----------
    means : torch.Tensor, shape (..., n_conditions, n_units)
        Condition-mean representations (at least 4 conditions).
    dichotomies : torch.Tensor, shape (n_dichotomies, n_conditions), ±1

    Returns
    -------
    torch.Tensor, shape (..., n_dichotomies, n_conditions // 2), int64
        Entry ``j`` is the condition paired with the ``j``-th +1 condition (in
        increasing index order).

    Notes
    -----
    1. Order the +1 conditions and the -1 conditions by increasing index (the
       released code's stable sort; the order decides between exactly tied
       assignments).
    2. Squared distances from the Gram matrix ``K = M Mᵀ``:
       ``D_ij = |K_ii + K_jj - 2 K_ij|`` between +1 condition ``i`` and -1
       condition ``j``.
    3. Solve the assignment ``min_π Σ_i D_{i π(i)}`` (Hungarian-type, scipy).
       Since ``Σ_i v_i`` does not depend on ``π``, this pairing maximises
       ``Σ_{i<j} v_i·v_j`` over pairings of the coding vectors ``v_i``: the
       unnormalised parallelism.
    """
    _check_tensor(means, "means", 2)
    d = _check_dichotomies(dichotomies, means.shape[-2])
    if means.shape[-2] < 4:
        raise ValueError(f"means must have at least 4 conditions, got {means.shape[-2]}")
    mu = means.detach().to(torch.float64)
    k = mu @ mu.mT
    diag = torch.diagonal(k, dim1=-2, dim2=-1)
    dist = (diag.unsqueeze(-1) + diag.unsqueeze(-2) - 2 * k).abs().cpu().numpy()
    lead = dist.shape[:-2]
    flat = dist.reshape(-1, *dist.shape[-2:])
    out = np.empty((flat.shape[0], d.shape[0], means.shape[-2] // 2), dtype=np.int64)
    for r, row in enumerate(d):
        pos, neg = _sides(row)
        neg_arr = np.asarray(neg)
        for i in range(flat.shape[0]):
            _, col = linear_sum_assignment(flat[i][np.ix_(pos, neg)])
            out[i, r] = neg_arr[col]
    return torch.from_numpy(out.reshape(*lead, d.shape[0], -1)).to(means.device)


def assignment_parallelism(means: torch.Tensor, dichotomies: torch.Tensor) -> torch.Tensor:
    """Parallelism score of each dichotomy under the assignment pairing (the released ``efficient_parallelism``).

    Parameters
    ----------
    means : torch.Tensor, shape (..., n_conditions, n_units)
        Condition-mean representations (at least 4 conditions).
    dichotomies : torch.Tensor, shape (n_dichotomies, n_conditions), ±1

    Returns
    -------
    torch.Tensor, shape (..., n_dichotomies), float64 in [-1, 1]

    Notes
    -----
    1. Pair the conditions by :func:`assignment_pairing`.
    2. Coding vectors ``v_j = μ_{+,j} - μ_{π(j)}``, one per pair.
    3. Score: the mean cosine over the ``m(m-1)/2`` pairs of coding vectors.
       Unlike :func:`~repgeom.measures.abstraction.parallelism_score` no
       maximum over pairings is taken: the pairing is the one of step 1.
    """
    partner = assignment_pairing(means, dichotomies)  # (..., D, m)
    mu = means.to(torch.float64)
    m = partner.shape[-1]
    out = []
    for r, row in enumerate(dichotomies):
        pos = torch.nonzero(row > 0).flatten().to(means.device)
        idx = partner[..., r, :]  # (..., m)
        neg_mu = torch.gather(mu, -2, idx.unsqueeze(-1).expand(*idx.shape, mu.shape[-1]))
        v = mu[..., pos, :] - neg_mu
        v = v / v.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        out.append((v.sum(-2).pow(2).sum(-1) - m) / (m * (m - 1)))
    return torch.stack(out, dim=-1)


def matched_ccgp(
    z: torch.Tensor, dichotomies: torch.Tensor, C: float = 1.0, max_contexts: int = 100, seed: int = 0
) -> torch.Tensor:
    """CCGP from one matched pair of conditions per context (the released ``efficient_ccgp``, ``num_pairs=1``).

    Parameters
    ----------
    z : torch.Tensor, shape (..., n_conditions, n_samples, n_units)
    dichotomies : torch.Tensor, shape (n_dichotomies, n_conditions), ±1
    C : float
        Inverse L2 strength of the linear SVMs (``LinearSVC(C=C)``).
    max_contexts : int
        When there are more +1 conditions than this, use a seeded random
        subset of this many (the released default is 100).
    seed : int

    Returns
    -------
    torch.Tensor, shape (..., n_dichotomies), float64 accuracy in [0, 1]

    Notes
    -----
    1. Pair the conditions by :func:`assignment_pairing` on the condition
       means of ``z``.
    2. For each +1 condition (a *context*), train a linear SVM on the samples
       of it and its partner only.
    3. Test it on the samples of all ``n_conditions - 2`` other conditions.
    4. Average the test accuracy over the contexts.
    With four conditions this is the paper's definition (Sec. 3): train with
    the other factor fixed, test on its other value.
    """
    _check_z(z)
    d = _check_dichotomies(dichotomies, z.shape[-3])
    n_cond, n_samp, n_units = z.shape[-3:]
    if n_cond < 4:
        raise ValueError(f"z must have at least 4 conditions, got {n_cond}")
    _positive_int(max_contexts, "max_contexts")
    partner = assignment_pairing(z.mean(-2), d)  # (..., D, m)
    m = partner.shape[-1]
    ctx = torch.arange(m)
    if m > max_contexts:
        ctx = torch.randperm(m, generator=torch.Generator().manual_seed(seed))[:max_contexts].sort().values
    dev, lead = z.device, z.shape[:-3]
    pos = torch.stack([torch.nonzero(row > 0).flatten() for row in d]).to(dev)  # (D, m)
    pos = pos[:, ctx.to(dev)].expand(*lead, -1, -1)  # (..., D, c)
    neg = partner[..., ctx.to(dev)]  # (..., D, c)
    train = torch.stack([pos, neg], dim=-1)  # (..., D, c, 2)
    cond = torch.arange(n_cond, device=dev)
    held = (cond != pos.unsqueeze(-1)) & (cond != neg.unsqueeze(-1))  # (..., D, c, n_cond)
    test = torch.argsort((~held).to(torch.int8), dim=-1, stable=True)[..., : n_cond - 2]
    labels = d.to(dev)

    def gather(idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        flat = idx.reshape(*lead, -1)  # (..., D * c * k)
        x = torch.gather(z, -3, flat[..., None, None].expand(*flat.shape, n_samp, n_units))
        x = x.reshape(*idx.shape[:-1], idx.shape[-1] * n_samp, n_units)
        lab = torch.gather(labels.unsqueeze(1).expand(-1, idx.shape[-2], -1).expand(*lead, -1, -1, -1), -1, idx)
        return x, lab.repeat_interleave(n_samp, dim=-1)

    x_tr, t_tr = gather(train)
    x_te, t_te = gather(test)
    w, b = fit_linear_svm(x_tr, t_tr, C=C)
    return _accuracy(w, b, x_te, t_te).mean(-1)


def svm_decoding(z: torch.Tensor, dichotomies: torch.Tensor, n_folds: int = 2, C: float = 1.0) -> torch.Tensor:
    """Cross-validated decoding accuracy of each dichotomy with linear SVMs (the paper's decoder).

    The folds are those of :func:`repgeom.measures.decoding.dichotomy_decoding`
    (sample ``i`` of every condition in fold ``i % n_folds``); the classifier
    is :func:`fit_linear_svm` instead of the logistic regression.

    Parameters
    ----------
    z : torch.Tensor, shape (..., n_conditions, n_samples, n_units)
    dichotomies : torch.Tensor, shape (n_dichotomies, n_conditions), ±1
    n_folds : int
        At least 2 and at most ``n_samples``.
    C : float

    Returns
    -------
    torch.Tensor, shape (..., n_dichotomies), float64 accuracy in [0, 1]
    """
    _check_z(z)
    d = _check_dichotomies(dichotomies, z.shape[-3]).to(z.device)
    _positive_int(n_folds, "n_folds", 2)
    n_samp, n_units = z.shape[-2:]
    if n_folds > n_samp:
        raise ValueError(f"n_folds must be at most n_samples={n_samp}, got {n_folds}")
    lead = z.shape[:-3]
    fold = torch.arange(n_samp, device=z.device) % n_folds
    accs = []
    for f in range(n_folds):
        tr, te = z[..., fold != f, :], z[..., fold == f, :]
        t_tr = d.repeat_interleave(tr.shape[-2], dim=1).expand(*lead, -1, -1)
        t_te = d.repeat_interleave(te.shape[-2], dim=1).expand(*lead, -1, -1)
        x_tr = tr.reshape(*lead, 1, -1, n_units).expand(*lead, d.shape[0], -1, -1)
        w, b = fit_linear_svm(x_tr, t_tr, C=C)
        accs.append(_accuracy(w, b, te.reshape(*lead, 1, -1, n_units), t_te))
    return torch.stack(accs).mean(0)
