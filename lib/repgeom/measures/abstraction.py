"""Abstraction metrics of a representation of labelled conditions (Bernardi et al., 2020).

Shapes as in :mod:`repgeom.measures.decoding`: ``z`` is
``(..., n_conditions, n_samples, n_units)`` and a dichotomy a balanced ±1
labelling of the conditions. The metrics, as Alleman, Lindsey & Fusi (2024,
Sec. 3) use them:

* :func:`ccgp` -- cross-condition generalisation: train a linear classifier on
  some conditions, test it on the held-out ones;
* :func:`parallelism_score` -- mean pairwise cosine of the coding vectors
  (maximised over pairings of positive and negative conditions);
* :func:`geometry_metrics` -- these and decoding for many dichotomies at once,
  with either these estimators or the authors' released ones
  (:mod:`repgeom.measures.abstraction_released`).
"""
from __future__ import annotations

import itertools
import math

import torch

from repgeom.checks import check_tensor as _check_tensor

from .decoding import _accuracy, _check_dichotomies, _check_z, _positive_int, dichotomy_decoding, fit_logistic

__all__ = [
    "ccgp",
    "parallelism_score",
    "geometry_metrics",
]


def _side_subsets(m: int, k: int, max_splits: int | None, g: torch.Generator) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    combos = list(itertools.combinations(range(m), k))
    pairs = [(a, b) for a in combos for b in combos]
    if max_splits is not None and len(pairs) > max_splits:
        pick = torch.randperm(len(pairs), generator=g)[:max_splits].tolist()
        pairs = [pairs[i] for i in sorted(pick)]
    return pairs


def ccgp(
    z: torch.Tensor,
    dichotomies: torch.Tensor,
    train_per_side: int | None = None,
    max_splits: int | None = None,
    seed: int = 0,
    C: float = 1.0,
) -> torch.Tensor:
    """Cross-condition generalisation performance of each dichotomy.

    For one dichotomy with ``m`` conditions per side, a classifier is trained
    on the samples of ``train_per_side`` conditions of each side and tested on
    the samples of the other ``m - train_per_side`` conditions of each side;
    the test accuracy is averaged over all such choices (or ``max_splits``
    seeded random ones). The default, ``m - 1`` (test on one condition per
    side), is Bernardi et al.'s (2020) definition. It is not Alleman et al.'s:
    every combination of held-out conditions is scored, including unmatched
    (diagonal) pairs, so a perfectly factorised square does not score 1; their
    released estimator, one matched pair per side, is
    :func:`repgeom.measures.abstraction_released.matched_ccgp`.

    Parameters
    ----------
    z : torch.Tensor, shape (..., n_conditions, n_samples, n_units)
    dichotomies : torch.Tensor, shape (n_dichotomies, n_conditions), ±1
    train_per_side : int, optional
        Between 1 and ``n_conditions / 2 - 1`` (default: the latter).
    max_splits : int, optional
        Cap on the number of train/test choices per dichotomy.
    seed : int
        Seeds the choice of splits when capped.
    C : float
        Inverse L2 strength of the logistic classifiers.

    Returns
    -------
    torch.Tensor, shape (..., n_dichotomies), float64 accuracy in [0, 1]
    """
    _check_z(z)
    d = _check_dichotomies(dichotomies, z.shape[-3])
    m = z.shape[-3] // 2
    if m < 2:
        raise ValueError(f"ccgp needs at least 4 conditions, got {z.shape[-3]}")
    if train_per_side is None:
        train_per_side = m - 1
    _positive_int(train_per_side, "train_per_side")
    if train_per_side > m - 1:
        raise ValueError(f"train_per_side must be at most n_conditions/2 - 1 = {m - 1}, got {train_per_side}")
    if max_splits is not None:
        _positive_int(max_splits, "max_splits")
    g = torch.Generator().manual_seed(seed)
    train_idx, test_idx = [], []
    for row in d:
        pos = torch.nonzero(row > 0).flatten().tolist()
        neg = torch.nonzero(row < 0).flatten().tolist()
        tr_rows, te_rows = [], []
        for a, b in _side_subsets(m, train_per_side, max_splits, g):
            tr = [pos[i] for i in a] + [neg[i] for i in b]
            te = [c for c in pos + neg if c not in tr]
            tr_rows.append(tr)
            te_rows.append(te)
        train_idx.append(tr_rows)
        test_idx.append(te_rows)
    train_idx = torch.tensor(train_idx, device=z.device)  # (D, S, 2t)
    test_idx = torch.tensor(test_idx, device=z.device)  # (D, S, 2m - 2t)
    labels = d.to(z.device)
    lead = z.shape[:-3]
    n_samp, n_units = z.shape[-2:]

    def gather(idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = z[..., idx, :, :]  # (..., D, S, c, n_samp, units)
        x = x.reshape(*lead, *idx.shape[:2], -1, n_units)
        t = torch.gather(labels, 1, idx.flatten(1)).reshape(idx.shape)  # (D, S, c)
        t = t.repeat_interleave(n_samp, dim=-1).expand(*lead, -1, -1, -1)
        return x, t

    x_tr, t_tr = gather(train_idx)
    x_te, t_te = gather(test_idx)
    w, b = fit_logistic(x_tr, t_tr, C=C)
    return _accuracy(w, b, x_te, t_te).mean(-1)


def parallelism_score(
    means: torch.Tensor, dichotomies: torch.Tensor, max_pairings: int = 720, seed: int = 0
) -> torch.Tensor:
    """Parallelism score of each dichotomy (Bernardi et al., 2020).

    For a pairing ``π`` of the ``m`` positive conditions with the ``m``
    negative ones, the coding vectors are ``v_j = μ_{pos_j} - μ_{neg_π(j)}``;
    the score of the pairing is the mean cosine over the ``m(m-1)/2`` pairs of
    coding vectors, and the dichotomy's score is its maximum over pairings.
    All ``m!`` pairings are tried when ``m! <= max_pairings``; otherwise
    ``max_pairings`` seeded random ones (a lower bound on the maximum).

    Parameters
    ----------
    means : torch.Tensor, shape (..., n_conditions, n_units)
        Condition-mean representations (at least 4 conditions).
    dichotomies : torch.Tensor, shape (n_dichotomies, n_conditions), ±1
    max_pairings : int
    seed : int

    Returns
    -------
    torch.Tensor, shape (..., n_dichotomies), float64 in [-1, 1]
    """
    _check_tensor(means, "means", 2)
    d = _check_dichotomies(dichotomies, means.shape[-2])
    m = means.shape[-2] // 2
    if m < 2:
        raise ValueError(f"parallelism needs at least 4 conditions, got {means.shape[-2]}")
    _positive_int(max_pairings, "max_pairings")
    if math.factorial(m) <= max_pairings:
        perms = torch.tensor(list(itertools.permutations(range(m))))
    else:
        g = torch.Generator().manual_seed(seed)
        perms = torch.stack([torch.arange(m)] + [torch.randperm(m, generator=g) for _ in range(max_pairings - 1)])
    perms = perms.to(means.device)
    mu = means.to(torch.float64)
    out = []
    for row in d:
        pos = torch.nonzero(row > 0).flatten().to(means.device)
        neg = torch.nonzero(row < 0).flatten().to(means.device)
        v = mu[..., pos, :].unsqueeze(-3) - mu[..., neg[perms], :]  # (..., n_perm, m, units)
        v = v / v.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        # sum_{j<l} cos(v_j, v_l) = (‖Σ_j v̂_j‖² - m) / 2
        mean_cos = (v.sum(-2).pow(2).sum(-1) - m) / (m * (m - 1))
        out.append(mean_cos.amax(-1))
    return torch.stack(out, dim=-1)


def geometry_metrics(
    z: torch.Tensor,
    centres: torch.Tensor,
    targets: torch.Tensor,
    *,
    untrained: torch.Tensor | None = None,
    max_splits: int | None = None,
    max_pairings: int = 720,
    max_dichotomies: int | None = None,
    decode: bool = True,
    seed: int = 0,
    estimator: str = "subsets",
    decoder: str = "logistic",
    compare: bool = False,
) -> dict[str, torch.Tensor]:
    """All of the paper's measures for representations of labelled clusters.

    Kernels are taken over condition means: ``K_Z = M Mᵀ`` with ``M`` the
    mean representation per condition, ``K_X`` from the noise-free centres,
    ``K_Y = Y Yᵀ`` from the targets.

    Parameters
    ----------
    z : torch.Tensor, shape (..., P, n_samples, n_units)
    centres : torch.Tensor, shape (..., P, dim)
    targets : torch.Tensor, shape (..., P, k), ±1, each column balanced
        The trained dichotomies; shared by all leading indices when 2-D.
    untrained : torch.Tensor, shape (n_untrained, P), optional
        Further dichotomies to decode (``decode_untrained``).
    max_splits, max_pairings, seed
        Passed to :func:`ccgp` and :func:`parallelism_score`.
    max_dichotomies : int, optional
        Average decoding, PS and CCGP over only the first this many targets.
    decode : bool
        Also compute ``decode_trained`` (cross-validated decoding).
    estimator : {"subsets", "released"}
        ``"subsets"``: :func:`ccgp` and :func:`parallelism_score` (Bernardi et
        al.); ``"released"``: the authors' matched-pair CCGP and assignment
        parallelism (:mod:`repgeom.measures.abstraction_released`).
    decoder : {"logistic", "svm"}
        Classifier of the decoding (``"svm"``: the paper's linear SVM).
    compare : bool
        Also return the other estimator's values as ``ps_<name>``,
        ``ccgp_<name>`` (and, with ``decode``, ``decode_trained_<decoder>``
        of the other decoder), ``<name>`` being ``subsets`` / ``released``.

    Returns
    -------
    dict of float64 tensors, each of shape (...):
        ``target_alignment``, ``input_alignment``, ``decode_trained`` (when
        ``decode``), ``ps``, ``ccgp`` (means over the k targets) and, when ``untrained``
        is given, ``decode_untrained`` (mean over those dichotomies).
    """
    from repgeom.measures.similarity.cka import kernel_alignment

    from .abstraction_released import assignment_parallelism, matched_ccgp, svm_decoding

    _check_z(z)
    if estimator not in ("subsets", "released"):
        raise ValueError(f"estimator must be 'subsets' or 'released', got {estimator!r}")
    if decoder not in ("logistic", "svm"):
        raise ValueError(f"decoder must be 'logistic' or 'svm', got {decoder!r}")

    def ps_of(name: str, m: torch.Tensor, dich: torch.Tensor) -> torch.Tensor:
        if name == "released":
            return assignment_parallelism(m, dich).mean(-1)
        return parallelism_score(m, dich, max_pairings=max_pairings, seed=seed).mean(-1)

    def ccgp_of(name: str, x: torch.Tensor, dich: torch.Tensor) -> torch.Tensor:
        if name == "released":
            return matched_ccgp(x, dich, seed=seed).mean(-1)
        return ccgp(x, dich, max_splits=max_splits, seed=seed).mean(-1)

    def decode_of(name: str, x: torch.Tensor, dich: torch.Tensor) -> torch.Tensor:
        return (svm_decoding if name == "svm" else dichotomy_decoding)(x, dich)

    other = {"subsets": "released", "released": "subsets"}[estimator]
    other_dec = {"logistic": "svm", "svm": "logistic"}[decoder]
    lead = z.shape[:-3]
    if targets.ndim == 2:
        targets = targets.expand(*lead, *targets.shape)
    if targets.shape[-2] != z.shape[-3]:
        raise ValueError(f"targets label {targets.shape[-2]} conditions but z has {z.shape[-3]}")
    means = z.to(torch.float64).mean(-2)
    kz = means @ means.mT
    y = targets.to(torch.float64)
    xc = centres.to(torch.float64)
    out = {
        "target_alignment": kernel_alignment(kz, y @ y.mT),
        "input_alignment": kernel_alignment(kz, xc @ xc.mT),
    }
    # the trained dichotomies may differ across leading indices: loop over distinct ones
    flat_t = targets.reshape(-1, *targets.shape[-2:])
    flat_z = z.reshape(-1, *z.shape[-3:])
    flat_m = means.reshape(-1, *means.shape[-2:])
    keys = {}
    for i, t in enumerate(flat_t):
        keys.setdefault(tuple(t.flatten().tolist()), []).append(i)
    names = ["ps", "ccgp"] + (["decode_trained"] if decode else [])
    if compare:
        names += [f"ps_{other}", f"ccgp_{other}"] + ([f"decode_trained_{other_dec}"] if decode else [])
    acc = {k: torch.empty(flat_z.shape[0], dtype=torch.float64, device=z.device) for k in names}
    for idx in keys.values():
        ix = torch.tensor(idx, device=z.device)
        dich = flat_t[idx[0]].mT.cpu()
        if estimator == "subsets":
            dich = dich * dich[:, :1]  # canonical sign (the released estimators keep the targets' +1 side)
        if max_dichotomies is not None:
            dich = dich[:max_dichotomies]
        acc["ps"][ix] = ps_of(estimator, flat_m[ix], dich)
        acc["ccgp"][ix] = ccgp_of(estimator, flat_z[ix], dich)
        if decode:
            acc["decode_trained"][ix] = decode_of(decoder, flat_z[ix], dich).mean(-1)
        if compare:
            acc[f"ps_{other}"][ix] = ps_of(other, flat_m[ix], dich)
            acc[f"ccgp_{other}"][ix] = ccgp_of(other, flat_z[ix], dich)
            if decode:
                acc[f"decode_trained_{other_dec}"][ix] = decode_of(other_dec, flat_z[ix], dich).mean(-1)
    out.update({k: v.reshape(lead) for k, v in acc.items()})
    if untrained is not None:
        out["decode_untrained"] = decode_of(decoder, z, untrained).mean(-1)
    return out
