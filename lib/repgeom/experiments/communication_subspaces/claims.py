"""The paper's claims, evaluated on the alignment tables and recorded on the chapter's board.

Sec. 3.1 (activation-to-weight, Fig. 2a-e), Sec. 3.2 (weight-to-weight,
Fig. 2f-j) and the check that untrained networks sit on the random-subspace
baseline. Claims about the trained network are asserted only at the full
profile; the baseline check at both.

Every claim about the trained network has two preconditions, measured by
:func:`training_checks`: the trained network reached its accuracy floor, and
training turned its convs' input spaces by at least the movement floor (an
ImageNet-trained network meets both by construction). Every comparison has a
control (DESIGN.md, "Claims and verdicts"):

* trained more aligned than untrained: the trained network must lie below every
  untrained seed by more than the seeds' own spread (:func:`beats_spread`);
* an ordering of connection types: its margin in the trained network must
  exceed the same margin between random subspaces of the same sizes
  (:func:`ordering_margin`);
* no difference in the indirect (control) connections: the same test must find
  the difference in the direct connections, else "no difference" says nothing;
* depth trends: Spearman's rank correlation between block index and the
  untrained-minus-trained gap, on the analysed blocks, with the gap required to
  exceed the seeds' spread where the trend starts.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import scipy.stats

from repgeom.book.claims import Check, Claim, ClaimBoard
from repgeom.models import resnet_connections as rc

from .figures import KIND_TITLE

__all__ = [
    "sig_lower",
    "frac_text",
    "TRAINED",
    "MOVED",
    "training_checks",
    "beats_spread",
    "ordering_margin",
    "record_activation_claims",
    "record_weight_claims",
    "BaselineDeviation",
    "record_baseline_claim",
]

_FOUR = ("direct", "branching", "short_skip", "long_skip")


def sig_lower(t: pd.DataFrame, alpha: float) -> pd.Series:
    """Per row: trained more aligned (smaller mean angle) with p < alpha.

    Parameters
    ----------
    t : pandas.DataFrame
        Rows of :func:`.alignment.alignment_table`.
    alpha : float

    Returns
    -------
    pandas.Series of bool
    """
    return (t.trained_deg < t.untrained_deg) & (t.pvalue < alpha)


def frac_text(mask: pd.Series) -> str:
    """``"<held>/<all> blocks"`` for a boolean mask over blocks."""
    return f"{int(mask.sum())}/{len(mask)} blocks"


#: Precondition: the trained network reached its accuracy floor.
TRAINED = "trained network at or above its accuracy floor"
#: Precondition: training turned the convs' input spaces by at least the movement floor.
MOVED = "training turned the convs' input spaces by at least the movement floor"
_SPREAD = "trained below every untrained seed by more than the seeds' spread"
_RANDOM = ("a wider margin than random subspaces of the same sizes and the untrained networks, by more than "
           "the untrained seeds' spread")
_DIRECT_DIFFERS = "the same test finds the training effect in the direct connections"
_LATE = "the last three blocks are in the activation analysis"
_STAGES = "blocks of all four stages are in the activation analysis"
_GAP_EARLY = "a training gap beyond the seeds' spread in the first stage"
_GAP_ALL = "a training gap beyond the seeds' spread in every stage"


def training_checks(imagenet: bool, accuracy: float, floor: float, movement_deg: float | None,
                    min_movement_deg: float) -> list[Check]:
    """The two preconditions of every claim about the trained network.

    Parameters
    ----------
    imagenet : bool
        The trained network is torchvision's ImageNet ResNet-50 (both met by construction).
    accuracy : float
        Held-out accuracy of the in-chapter network, in [0, 1].
    floor : float
        Its accuracy floor, in [0, 1].
    movement_deg : float or None
        Mean principal angle between its convs' initial and final input spaces (degrees).
    min_movement_deg : float

    Returns
    -------
    list of Check
        ``[Check(TRAINED, ...), Check(MOVED, ...)]``.
    """
    if imagenet:
        return [Check(TRAINED, True, "torchvision's ImageNet weights, 76.13 % top-1"),
                Check(MOVED, True, "fully trained weights; initial weights unknown")]
    return [Check(TRAINED, accuracy >= floor, f"{100 * accuracy:.1f} % held-out, floor {100 * floor:.0f} %"),
            Check(MOVED, movement_deg is not None and movement_deg >= min_movement_deg,
                  f"mean {movement_deg:.2f}°, floor {min_movement_deg:.2f}°" if movement_deg is not None
                  else "not measured")]


def beats_spread(t: pd.DataFrame) -> pd.Series:
    """Per row: the trained mean angle lies below the lowest untrained seed by more than the seeds' spread.

    With one untrained seed the spread is zero and this is ``trained < untrained``.

    Parameters
    ----------
    t : pandas.DataFrame
        Rows of :func:`.alignment.alignment_table`.

    Returns
    -------
    pandas.Series of bool
    """
    return (t.untrained_lo_deg - t.trained_deg) > (t.untrained_hi_deg - t.untrained_lo_deg)


def _spread_check(t: pd.DataFrame) -> Check:
    m = beats_spread(t)
    spread = float((t.untrained_hi_deg - t.untrained_lo_deg).max()) if len(t) else float("nan")
    return Check(_SPREAD, bool(len(m)) and bool(m.all()),
                 f"{frac_text(m)}; largest seed spread {spread:.2f}°")


def ordering_margin(t: pd.DataFrame, column: str) -> float:
    """How far every skip type lies above every direct and branching type (degrees; > 0: the ordering holds).

    ``min(short skip, long skip) - max(direct, branching)`` of the types' mean ``column`` over blocks.

    Parameters
    ----------
    t : pandas.DataFrame
        :func:`.alignment.alignment_table`.
    column : str
        ``"trained_deg"``, ``"untrained_deg"`` or ``"baseline_deg"``.

    Returns
    -------
    float
    """
    m = {k: float(t[t.kind == k][column].mean()) for k in _FOUR}
    return min(m["short_skip"], m["long_skip"]) - max(m["direct"], m["branching"])


def _record_ordering(board: ClaimBoard, c: Claim, t: pd.DataFrame, checks: list[Check]) -> None:
    mean_tr = {k: float(t[t.kind == k].trained_deg.mean()) for k in _FOUR}
    base = {k: float(t[t.kind == k].baseline_deg.mean()) for k in _FOUR}
    m_tr, m_base = ordering_margin(t, "trained_deg"), ordering_margin(t, "baseline_deg")
    m_un = ordering_margin(t, "untrained_deg")
    # an untrained network's own margin differs from the random one (its spaces are not Haar-random);
    # a trained margin counts only beyond both, by more than the seeds' typical spread per block
    spread = float((t[t.kind.isin(_FOUR)].untrained_hi_deg - t[t.kind.isin(_FOUR)].untrained_lo_deg).mean())
    need = max(m_base, m_un) + spread
    board.record(c, ", ".join(f"{KIND_TITLE[k]} {mean_tr[k]:.1f}°" for k in _FOUR) + f"; margin {m_tr:.1f}°",
                 m_tr > 0, preconditions=checks,
                 control=Check(_RANDOM, m_tr > need, f"random margin {m_base:.1f}° ("
                               + ", ".join(f"{KIND_TITLE[k]} {base[k]:.1f}°" for k in _FOUR)
                               + f"), untrained {m_un:.1f}°, seed spread {spread:.1f}°: needs more than {need:.1f}°"),
                 note="the margin is the smallest skip mean minus the largest direct or branching mean; "
                      "skip pairs live in larger spaces, so random subspaces already show most of it")


def _direct_differs(t: pd.DataFrame) -> Check:
    d = t[t.kind == "direct"]
    m = sig_lower(d, 0.05)
    return Check(_DIRECT_DIFFERS, bool(len(m)) and float(m.mean()) >= 0.5, f"direct significant in {frac_text(m)}")


def _stage_gap(t: pd.DataFrame) -> pd.Series:
    """Per stage: the mean untrained-minus-trained gap exceeds the mean seed spread."""
    g = t.assign(gap=t.untrained_lo_deg - t.trained_deg, spread=t.untrained_hi_deg - t.untrained_lo_deg)
    s = g.groupby("stage")[["gap", "spread"]].mean()
    return s.gap > s.spread


def record_activation_claims(board: ClaimBoard, a_tab: pd.DataFrame, n_blocks: int,
                             checks: list[Check]) -> None:
    """Record the activation-to-weight claims (Sec. 3.1, Fig. 2a-e).

    Parameters
    ----------
    board : ClaimBoard
    a_tab : pandas.DataFrame
        :func:`.alignment.alignment_table` of the activation analysis (the analysed blocks only).
    n_blocks : int
        Blocks of the network (the last three are exempt from the direct claim).
    checks : list of Check
        From :func:`training_checks`.
    """
    pre = (TRAINED, MOVED)
    at = {k: a_tab[a_tab.kind == k] for k in rc.KINDS}
    three = ("branching", "short_skip", "long_skip")
    held = {k: sig_lower(at[k], 1e-3) for k in three}
    whole = {k: bool(len(m)) and bool(m.all()) for k, m in held.items()}
    ok = all(whole.values())
    c = Claim("act-skip-branch", "Fig. 2b-d, Sec. 3.1",
              "Activations are more aligned in the trained network for branching, short and long skip connections "
              "in all blocks (Mann-Whitney p < .001).", "all blocks, p < .001", assert_at=("full",),
              preconditions=pre, control=_SPREAD)
    board.record(c, "; ".join(f"{KIND_TITLE[k]} {frac_text(m)}" for k, m in held.items()), ok,
                 partly=(not ok) and any(whole.values()), preconditions=checks,
                 control=_spread_check(a_tab[a_tab.kind.isin(three)]),
                 note="partly: it holds in every block for " + ", ".join(KIND_TITLE[k] for k, w in whole.items() if w)
                 if (not ok) and any(whole.values()) else "")

    d = at["direct"]
    m_direct = sig_lower(d, 1e-3)
    early_mask = d.block_index < n_blocks - 3
    early, late = m_direct[early_mask], m_direct[~early_mask]
    n_late = int((~early_mask).sum())
    early_ok, late_ok = bool(len(early)) and bool(early.all()), n_late == 3 and not bool(late.any())
    ok = early_ok and late_ok
    c = Claim("act-direct", "Fig. 2a, Sec. 3.1",
              "Direct connections: activations more aligned after training except in the last three blocks.",
              "significant in blocks 1-13, not in the last 3", assert_at=("full",),
              preconditions=(*pre, _LATE), control=_SPREAD)
    board.record(c, f"significant in {frac_text(early)} before the last three, {int(late.sum())}/{n_late} of the "
                    f"last three", ok, partly=(not ok) and early_ok,
                 preconditions=[*checks, Check(_LATE, n_late == 3, f"{n_late} of the last three analysed")],
                 control=_spread_check(d[early_mask]),
                 note="partly: significant in every block before the last three, but also in some of the last three"
                 if early_ok and not ok else "")

    c = Claim("act-skip-less", "Sec. 3.1", "Activation alignment: skip connections are less aligned (larger angles) "
              "than direct and branching connections in the trained network.", "skip > direct, branching",
              assert_at=("full",), preconditions=pre, control=_RANDOM)
    _record_ordering(board, c, a_tab, checks)

    ind = at["indirect"]
    ok = bool(len(ind)) and bool((ind.pvalue >= 0.05).all())
    c = Claim("act-indirect", "Fig. 2e, Sec. 3.1", "Indirect (control) connections: no difference between trained "
              "and untrained activation alignment.", "no block significant", assert_at=("full",),
              preconditions=pre, control=_DIRECT_DIFFERS)
    board.record(c, f"p ≥ .05 in {frac_text(ind.pvalue >= 0.05)}; mean gap "
                 f"{float((ind.untrained_deg - ind.trained_deg).mean()):.2f}°", ok,
                 partly=(not ok) and bool((ind.pvalue >= 0.05).any()), preconditions=checks,
                 control=_direct_differs(a_tab),
                 note="" if ok else "with this many pooled angles a small systematic shift is already significant")

    gap_a = a_tab[a_tab.kind != "indirect"]
    rho_a, p_rho_a = scipy.stats.spearmanr(gap_a.block_index, gap_a.untrained_deg - gap_a.trained_deg)
    ok = bool(rho_a < 0 and p_rho_a < 0.05)
    stages = sorted(set(a_tab.stage))
    first = _stage_gap(gap_a)
    first_ok = bool(len(first)) and bool(first.iloc[0])
    c = Claim("act-depth", "Sec. 3.1, abstract",
              "The trained-untrained gap in activation alignment shrinks with depth.",
              "gap decreases in deeper blocks", assert_at=("full",),
              preconditions=(*pre, _STAGES, _GAP_EARLY))
    board.record(c, f"Spearman ρ(block, gap) = {rho_a:.2f} (p = {p_rho_a:.2g}) over the analysed blocks", ok,
                 preconditions=[*checks, Check(_STAGES, len(stages) == 4, f"stages {', '.join(map(str, stages))}"),
                                Check(_GAP_EARLY, first_ok, "first analysed stage")],
                 note="test: Spearman ρ < 0 with p < .05 over direct, branching and skip rows")


def record_weight_claims(board: ClaimBoard, w_tab: pd.DataFrame, checks: list[Check]) -> None:
    """Record the weight-to-weight claims (Sec. 3.2, Fig. 2f-j).

    Parameters
    ----------
    board : ClaimBoard
    w_tab : pandas.DataFrame
        :func:`.alignment.alignment_table` of the weight analysis.
    checks : list of Check
        From :func:`training_checks`.
    """
    pre = (TRAINED, MOVED)
    wt = {k: w_tab[w_tab.kind == k] for k in rc.KINDS}
    held = {k: sig_lower(wt[k], 0.05) for k in _FOUR}
    whole = {k: bool(len(m)) and bool(m.all()) for k, m in held.items()}
    ok = all(whole.values())
    c = Claim("weight-trained", "Fig. 2f-i, Sec. 3.2", "Weight layers are more aligned in the trained network for "
              "direct, branching, short and long skip connections (Mann-Whitney p < .05).", "all blocks, p < .05",
              assert_at=("full",), preconditions=pre, control=_SPREAD, headline=True)
    board.record(c, "; ".join(f"{KIND_TITLE[k]} {frac_text(m)}" for k, m in held.items()), ok,
                 partly=(not ok) and any(whole.values()), preconditions=checks,
                 control=_spread_check(w_tab[w_tab.kind.isin(_FOUR)]),
                 note="partly: it holds in every block for " + ", ".join(KIND_TITLE[k] for k, w in whole.items() if w)
                 if (not ok) and any(whole.values()) else "")

    ind = wt["indirect"]
    ok = bool(len(ind)) and bool((ind.pvalue >= 0.05).all())
    c = Claim("weight-indirect", "Fig. 2j, Sec. 3.2", "Indirect (control) weight pairs: no difference between "
              "trained and untrained.", "not significant", assert_at=("full",), preconditions=pre,
              control=_DIRECT_DIFFERS)
    board.record(c, f"p ≥ .05 in {frac_text(ind.pvalue >= 0.05)}; mean gap "
                 f"{float((ind.untrained_deg - ind.trained_deg).mean()):.2f}°", ok,
                 partly=(not ok) and bool((ind.pvalue >= 0.05).any()), preconditions=checks,
                 control=_direct_differs(w_tab))

    c = Claim("weight-skip-less", "Sec. 3.2", "Weight alignment: direct and branching connections are more aligned "
              "than skip connections.", "direct, branching < skip", assert_at=("full",), preconditions=pre,
              control=_RANDOM)
    _record_ordering(board, c, w_tab, checks)

    gap_w = w_tab[w_tab.kind != "indirect"]
    rho_w, p_rho_w = scipy.stats.spearmanr(gap_w.block_index, gap_w.untrained_deg - gap_w.trained_deg)
    ok = not (rho_w < 0 and p_rho_w < 0.05)
    per_stage = _stage_gap(gap_w)
    c = Claim("weight-depth", "Sec. 3.2", "No decrease of the weight-alignment gap with depth.",
              "no decrease", assert_at=("full",), preconditions=(*pre, _GAP_ALL))
    board.record(c, f"Spearman ρ(block, gap) = {rho_w:.2f} (p = {p_rho_w:.2g})", ok,
                 preconditions=[*checks, Check(_GAP_ALL, bool(len(per_stage)) and bool(per_stage.all()),
                                               f"{int(per_stage.sum())}/{len(per_stage)} stages")],
                 note="test: counts when a gap exists in every stage and ρ is not significantly negative (p ≥ .05 "
                      "or ρ ≥ 0)")


@dataclass(frozen=True)
class BaselineDeviation:
    """Largest distance of an untrained network's mean angle from the random-subspace baseline.

    Attributes
    ----------
    weights_deg, activations_deg : float
        Max over rows of ``|untrained - baseline|`` (degrees), per analysis.
    """

    weights_deg: float
    activations_deg: float


def record_baseline_claim(board: ClaimBoard, w_tab: pd.DataFrame, a_tab: pd.DataFrame) -> BaselineDeviation:
    """Record that untrained networks sit on the random-subspace baseline (within 2 degrees everywhere).

    Parameters
    ----------
    board : ClaimBoard
    w_tab, a_tab : pandas.DataFrame
        :func:`.alignment.alignment_table` of the weight and the activation analysis.

    Returns
    -------
    BaselineDeviation
    """
    dev_w = (w_tab.untrained_deg - w_tab.baseline_deg).abs()
    dev_a = (a_tab.untrained_deg - a_tab.baseline_deg).abs()
    ok = bool(dev_w.max() < 2.0 and dev_a.max() < 2.0)
    c = Claim("untrained-random", "Sec. 2 (method check)", "Untrained networks sit on the random-subspace baseline.",
              "untrained ≈ random", assert_at=("quick", "full"))
    board.record(c, f"max |untrained − random| = {dev_w.max():.2f}° (weights), {dev_a.max():.2f}° (activations)",
                 ok, note="random: mean angle of two uniformly random subspaces of the same sizes, sampled")
    return BaselineDeviation(float(dev_w.max()), float(dev_a.max()))
