"""The paper's claims, evaluated on the chapter's results and recorded on its claim board.

Each ``record_*`` function records the claims of one figure, in the order of
the chapter's claim table; ids, statements and notes are the chapter's.
"""
from __future__ import annotations

import numpy as np
import torch

from repgeom.book.claims import Claim, ClaimBoard

from .aligned import AlignedResults
from .cnn import CnnRow
from .deep import DeepResult
from .params import Params
from .sweep import NAMES, SweepResult, act_means

__all__ = ["fmt", "record_fig1_claims", "record_delta_claims", "record_aligned_claims", "record_deep_claims",
           "record_activation_claims", "record_cnn_claims", "record_appendix_claims"]


def fmt(d: dict[str, float]) -> str:
    """Numbers for the claim table.

    Parameters
    ----------
    d : dict
        Name -> number.

    Returns
    -------
    str
        ``"name value, ..."`` with two decimals.
    """
    return ", ".join(f"{k} {v:.2f}" for k, v in d.items())


def record_fig1_claims(board: ClaimBoard, first: dict[str, torch.Tensor], final: dict[str, torch.Tensor],
                       nets: int) -> None:
    """Fig. 1B: tanh vs ReLU on four random clusters.

    Claims tanh-target, tanh-ccgp, relu-input, trained-decoding and untrained-trend.

    Parameters
    ----------
    board : ClaimBoard
    first, final : dict
        The paired sweep's measures before and after training (one layer, values of shape (2 nets,)).
    nets : int
        Networks per activation.
    """
    m1 = {k: act_means(final, k, nets) for k in NAMES}
    diff = {k: m1[k]["tanh"] - m1[k]["relu"] for k in NAMES}

    c = Claim("tanh-target", "Fig. 1B", "Tanh networks reach higher target alignment and PS than ReLU networks.",
              "tanh > ReLU on both")
    ok = diff["target_alignment"] > 0 and diff["ps"] > 0
    board.record(c, "tanh−ReLU: " + fmt({k: diff[k] for k in ("target_alignment", "ps")}), ok)

    c = Claim("tanh-ccgp", "Fig. 1B", "Tanh networks reach higher CCGP than ReLU networks.", "tanh > ReLU",
              assert_at=("full",))
    ok = diff["ccgp"] > 0
    board.record(c, f"tanh−ReLU: ccgp {diff['ccgp']:.2f} "
                    f"(tanh {m1['ccgp']['tanh']:.2f}, ReLU {m1['ccgp']['relu']:.2f})", ok,
                 note="" if ok else "CCGP is at or near its ceiling for both activations on this four-cluster task "
                                    "at this scale, so it cannot separate them")

    c = Claim("relu-input", "Fig. 1B",
              "ReLU networks keep higher input alignment and better untrained-dichotomy decoding.",
              "ReLU > tanh on both")
    ok_in, ok_unt = diff["input_alignment"] < 0, diff["decode_untrained"] < 0
    board.record(c, "tanh−ReLU: " + fmt({k: diff[k] for k in ("input_alignment", "decode_untrained")}),
                 ok_in and ok_unt, partly=ok_in != ok_unt,
                 note="" if ok_in and ok_unt else "untrained decoding stays near ceiling for both")

    c = Claim("trained-decoding", "Fig. 1B", "Trained-dichotomy decoding is high for both activations.", "≈ 1 for both")
    board.record(c, fmt(m1["decode_trained"]), min(m1["decode_trained"].values()) > 0.95)

    unt0 = act_means(first, "decode_untrained", nets)
    c = Claim("untrained-trend", "Fig. 1B",
              "Over training, untrained-dichotomy decoding rises for ReLU and falls for tanh.",
              "ReLU ↑, tanh ↓", assert_at=("full",))
    ok = m1["decode_untrained"]["relu"] > unt0["relu"] and m1["decode_untrained"]["tanh"] < unt0["tanh"]
    board.record(c, f"ReLU {unt0['relu']:.3f}→{m1['decode_untrained']['relu']:.3f}, "
                    f"tanh {unt0['tanh']:.3f}→{m1['decode_untrained']['tanh']:.3f}",
                 ok, note="changes are small: decoding of all dichotomies is near ceiling with σ²=1 "
                          "and well separated clusters")


def record_delta_claims(board: ClaimBoard, dmet: dict[str, np.ndarray], P: Params, i1: int) -> None:
    """Figs. 2B and 3: the δ-XOR sweep (delta0-low, delta-jump, noise-flip).

    Parameters
    ----------
    board : ClaimBoard
    dmet : dict
        Measure -> array (2 activations, noises, deltas, nets) (:func:`~.delta.delta_grid`).
    P : Params
    i1 : int
        Index of σ²_train = 1.
    """
    nd = len(P.deltas)
    ps0 = dmet["ps"][:, i1, 0].mean(-1)
    cg0 = dmet["ccgp"][:, i1, 0].mean(-1)
    ta0 = dmet["target_alignment"][:, i1, 0].mean(-1)
    c = Claim("delta0-low", "Fig. 2B", "At δ = 0 (XOR) the abstraction metrics are low for both activations.",
              "low PS, CCGP, target alignment for both")
    ok = bool((ps0 < 0.3).all() and (cg0 < 0.65).all())
    board.record(c, f"PS tanh/ReLU {ps0[0]:.2f}/{ps0[1]:.2f}, CCGP {cg0[0]:.2f}/{cg0[1]:.2f}, "
                    f"target al. {ta0[0]:.2f}/{ta0[1]:.2f}", ok,
                 note="thresholds: PS < 0.3, CCGP < 0.65")

    ta = dmet["target_alignment"][:, i1].mean(-1)  # (act, delta)
    rise = (ta[:, 1] - ta[:, 0]) / np.maximum(ta[:, -1] - ta[:, 0], 1e-9)
    c = Claim("delta-jump", "Fig. 2B",
              "Tanh jumps to target-aligned representations above a small δ; ReLU rises gradually.",
              "tanh near its maximum from small δ on; ReLU gradual", assert_at=("full",))
    ok = rise[0] > rise[1] and rise[0] > 0.5
    board.record(c, f"share of the δ=0→1 rise reached at δ={P.deltas[1]}: tanh {rise[0]:.2f}, ReLU {rise[1]:.2f}", ok,
                 note="" if ok else "quick: 250 SGD steps on 20-d inputs; "
                                    "small-δ tanh networks have not finished the jump")

    tn = dmet["target_alignment"][0].mean(-1)  # tanh (noise, delta)
    mid = nd // 2
    drop_mid, drop_hi = tn[0, mid] - tn[-1, mid], tn[0, -1] - tn[-1, -1]
    c = Claim("noise-flip", "Fig. 3",
              "Training noise flips tanh networks to input-preserving representations, at higher noise for larger δ.",
              "tanh target alignment drops with σ²_train; the drop comes later for larger δ", assert_at=("full",))
    ok = drop_mid > 0.05 and drop_hi < drop_mid
    board.record(c, f"tanh target-alignment drop from σ²={P.noise_vars[0]:g} to {P.noise_vars[-1]:g}: "
                    f"δ={P.deltas[mid]:.1f} {drop_mid:.2f}, δ=1 {drop_hi:.2f}",
                 ok, note="coarse noise grid at quick; the paper's transition needs the full grid")


def record_aligned_claims(board: ClaimBoard, aligned: AlignedResults, P: Params) -> None:
    """Fig. 4B: the random tasks (alignment-slope, ps-dimension).

    Parameters
    ----------
    board : ClaimBoard
    aligned : AlignedResults
        Holds every (P, k) of ``P.ks``.
    P : Params
    """
    slopes = {}
    for act in ("tanh", "relu"):
        s = [np.polyfit(P.cs, aligned.collect(p, k, act, "target_alignment").mean(1), 1)[0] for p, k in P.ks]
        slopes[act] = float(np.mean(s))
    c = Claim("alignment-slope", "Fig. 4B",
              "Target alignment rises with input-output alignment faster for tanh than for ReLU.",
              "steeper for tanh in every panel", assert_at=("full",))
    board.record(c, f"mean slope d(target al.)/dc: tanh {slopes['tanh']:.2f}, ReLU {slopes['relu']:.2f}",
                 slopes["tanh"] > slopes["relu"],
                 note="" if slopes["tanh"] > slopes["relu"] else "quick: 200 steps, width 32, 3 alignments; "
                                                                  "the random-task networks are far from converged")

    ps_lo = {p: np.mean([aligned.collect(p, min(k for pp, k in P.ks if pp == p), a, "ps").mean()
                         for a in ("tanh", "relu")])
             for p in aligned.entries}
    ps_hi = {p: np.mean([aligned.collect(p, max(k for pp, k in P.ks if pp == p), a, "ps").mean()
                         for a in ("tanh", "relu")])
             for p in aligned.entries}
    c = Claim("ps-dimension", "Fig. 4B",
              "The parallelism score is high for low-dimensional targets and low when k ≈ P−1.",
              "PS(k=1) ≫ PS(k≈P−1)")
    ok = all(ps_lo[p] > ps_hi[p] + 0.1 for p in aligned.entries)
    board.record(c, "; ".join(f"P={p}: PS {ps_lo[p]:.2f} (smallest k) vs {ps_hi[p]:.2f} (largest k)"
                              for p in aligned.entries), ok)


def record_deep_claims(board: ClaimBoard, deep: DeepResult, P: Params) -> None:
    """Fig. 5: the deep networks (deep-layers, deep-tanh).

    Parameters
    ----------
    board : ClaimBoard
    deep : DeepResult
        Metrics for every depth of ``P.depths``, tasks ordered (easy, hard).
    P : Params
    """
    ta_first = {d: deep.metrics[d, "target_alignment"][0].mean(-1) for d in P.depths}  # (task, act)
    ta_last = {d: deep.metrics[d, "target_alignment"][-1].mean(-1) for d in P.depths}
    ia_first = {d: deep.metrics[d, "input_alignment"][0].mean(-1) for d in P.depths}
    ia_last = {d: deep.metrics[d, "input_alignment"][-1].mean(-1) for d in P.depths}
    c = Claim("deep-layers", "Fig. 5", "In deep networks target alignment rises and input alignment falls with depth.",
              "rise / fall from first to last hidden layer")
    ok = all(bool((ta_last[d] > ta_first[d]).all() and (ia_last[d] < ia_first[d]).all()) for d in P.depths)
    board.record(c, "; ".join(f"{d} layers: target {ta_first[d].mean():.2f}→{ta_last[d].mean():.2f}, "
                              f"input {ia_first[d].mean():.2f}→{ia_last[d].mean():.2f}"
                              for d in P.depths), ok)

    c = Claim("deep-tanh", "Fig. 5",
              "Deep tanh networks are more target-aligned than ReLU in the last layer, especially on the hard task.",
              "tanh > ReLU, larger gap on the hard task")
    gaps = {d: ta_last[d][:, 0] - ta_last[d][:, 1] for d in P.depths}  # per task (easy, hard)
    ok_t = all(bool((g > 0).all()) for g in gaps.values())
    ok_h = all(g[1] > g[0] for g in gaps.values())
    board.record(c, "; ".join(f"{d} layers: gap easy {g[0]:.2f}, hard {g[1]:.2f}" for d, g in gaps.items()),
                 ok_t and ok_h, partly=ok_t != ok_h)


def record_activation_claims(board: ClaimBoard, curves6: dict[str, np.ndarray], P: Params) -> None:
    """Fig. 6: capped and shifted ReLUs (capped-relu, shifted-relu).

    Parameters
    ----------
    board : ClaimBoard
    curves6 : dict
        Activation name -> mean target alignment per c (:func:`~.aligned.activation_curves`).
    P : Params
        Uses ``caps`` (the first is the claim's cap) and ``shifts``.
    """
    d_cap = np.mean(np.abs(curves6[f"relu_cap:{P.caps[0]:g}"] - curves6["tanh"]))
    d_relu = np.mean(np.abs(curves6["relu"] - curves6["tanh"]))
    c = Claim("capped-relu", "Fig. 6A", "ReLU capped at 1 behaves almost like tanh.", "capped-ReLU curve ≈ tanh curve",
              assert_at=("full",))
    board.record(c, f"mean |target al. − tanh|: capped {d_cap:.3f}, ReLU {d_relu:.3f}", d_cap < 0.5 * d_relu,
                 note="at quick tanh and ReLU barely differ on these tasks (see alignment-slope), "
                      "so the comparison is uninformative")

    shift_eff = {b: float(np.mean(curves6[f"relu_shift:{b:g}"] - curves6["relu"])) for b in P.shifts}
    gap_tr = float(np.mean(curves6["tanh"] - curves6["relu"]))
    c = Claim("shifted-relu", "Fig. 6B",
              "Shifting ReLU has a modest effect, more target-aligned when the origin is in the linear region (b > 0).",
              "small changes; b > 0 above ReLU", assert_at=("full",))
    ok = max(abs(v) for v in shift_eff.values()) < abs(gap_tr) and all(v > 0 for b, v in shift_eff.items() if b > 0)
    board.record(c, "mean change vs ReLU: " + ", ".join(f"b={b:g}: {v:+.3f}" for b, v in shift_eff.items())
                 + f"; tanh−ReLU {gap_tr:+.3f}", ok,
                 note="" if ok else "at quick tanh and ReLU barely differ on these tasks, so 'modest' has no yardstick")


def _cnn_gap(cnn_rows: list[CnnRow], key: str) -> float:
    t = np.mean([getattr(r, key) for r in cnn_rows if r.act == "tanh"])
    r_ = np.mean([getattr(r, key) for r in cnn_rows if r.act == "relu"])
    return t - r_


def record_cnn_claims(board: ClaimBoard, cnn_rows: list[CnnRow]) -> None:
    """Fig. 4C: the CNNs (cnn-ordering).

    Parameters
    ----------
    board : ClaimBoard
    cnn_rows : list of CnnRow
        From :func:`~.cnn.cnn_geometry`.
    """
    c = Claim("cnn-ordering", "Fig. 4C",
              "CNNs follow the same ordering: tanh above ReLU in target alignment, PS and CCGP.",
              "tanh > ReLU (effect sizes vary)", assert_at=("full",))
    cg = {k: _cnn_gap(cnn_rows, k) for k in ("target_alignment", "ps", "ccgp")}
    n_ok = sum(v > 0 for v in cg.values())
    board.record(c, "tanh−ReLU: " + fmt(cg), n_ok == 3, partly=0 < n_ok < 3,
                 note="quick: one small CNN per activation, 2 epochs on the Fashion-MNIST stand-in")


def record_appendix_claims(board: ClaimBoard, two: SweepResult, readout_runs: dict[str, SweepResult],
                           P: Params) -> None:
    """Appendices A and B: two outputs and other readouts (two-outputs, readouts).

    Parameters
    ----------
    board : ClaimBoard
    two : SweepResult
        The two-output paired sweep, measured at ``P.steps``.
    readout_runs : dict
        Readout label -> paired sweep measured at ``P.snapshots`` (:func:`~.appendix.readout_runs`).
    P : Params
    """
    two_ta = act_means(two.metrics[P.steps][0], "target_alignment", P.nets)
    c = Claim("two-outputs", "App. A, Fig. 7B",
              "With two outputs tanh networks again reflect the target geometry more than ReLU.",
              "tanh target alignment > ReLU")
    board.record(c, fmt(two_ta), two_ta["tanh"] > two_ta["relu"])

    ro = {label: act_means(res.metrics[P.snapshots[-1]][0], "target_alignment", P.nets)
          for label, res in readout_runs.items()}
    c = Claim("readouts", "App. B, Fig. 8",
              "Trainable or fixed random readouts give the same tanh/ReLU difference as fixed ±1 readouts.",
              "tanh > ReLU in all three settings")
    board.record(c, "; ".join(f"{k}: tanh {v['tanh']:.2f}, ReLU {v['relu']:.2f}" for k, v in ro.items()),
                 all(v["tanh"] > v["relu"] for v in ro.values()))
