"""SRM, RSMs, CKA and Procrustes distance on the ensembles' held-out activations (paper Figs. 1 and 3)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import spearmanr
from sklearn.model_selection import train_test_split
from torch import nn

from repgeom.data import ImageData
from repgeom.measures.similarity import compare_rsms, inter_rsm, pairwise_linear_cka, rsm_consistency, within_rsm
from repgeom.measures.srm import SRM, procrustes_distance, variance_explained, zscore_examples
from repgeom.models.convnets import collect_activations
from repgeom.models.ensemble import EnsembleResult
from repgeom.training import accuracy

from .networks import ARCHS, layers_of, load_models
from .parameters import Params

__all__ = [
    "TRACE",
    "EnsembleAnalysis",
    "accuracy_table",
    "trace_difference",
    "LayerResult",
    "NetworkSummary",
    "Split",
    "analyse_all",
    "analyse_ensemble",
    "analyse_layer",
    "last_layer_native",
    "layer_profiles",
    "method_agreement",
    "pairwise",
    "prepare",
    "probe_split",
    "summarise",
]

Split = tuple[torch.Tensor, torch.Tensor]    # (SRM-fit image indices, evaluation image indices)


def probe_split(y: torch.Tensor, fit_fraction: float) -> Split:
    """Stratified split of the probe images into SRM-fit and evaluation images (seed 0).

    Parameters
    ----------
    y : torch.Tensor, shape (m,)
        Probe labels.
    fit_fraction : float
        Share of images that fit SRM, in (0, 1).

    Returns
    -------
    fit_idx, eval_idx : torch.Tensor
        Indices into the probe images; ``eval_idx`` sorted by class (stable), as the authors.
    """
    idx = np.arange(len(y))
    fit_idx, eval_idx = train_test_split(idx, test_size=1 - fit_fraction, stratify=y.numpy(), random_state=0)
    eval_idx = eval_idx[np.argsort(y.numpy()[eval_idx], kind="stable")]      # sorted by class, as the authors
    return torch.as_tensor(fit_idx), torch.as_tensor(eval_idx)


def prepare(acts: dict[str, torch.Tensor], split: Split) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    """z-score each example across units, then split into SRM-fit and evaluation images.

    Parameters
    ----------
    acts : dict
        ``layer -> (n_networks, m, n_units)`` activations.
    split : (fit_idx, eval_idx)

    Returns
    -------
    dict
        ``layer -> (x_fit, x_eval)``, float64, shapes (n_networks, m_fit, n_units) and (n_networks, m_eval, n_units).
    """
    fit_idx, eval_idx = split
    z = {layer: zscore_examples(a.double()) for layer, a in acts.items()}
    return {layer: (a[:, fit_idx], a[:, eval_idx]) for layer, a in z.items()}


def pairwise(x: torch.Tensor, fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> torch.Tensor:
    """``fn(x[i], x[j])`` for every pair ``i > j`` in row order.

    Parameters
    ----------
    x : torch.Tensor, shape (n_networks, m, n_units)
    fn : callable
        Returns a scalar tensor.

    Returns
    -------
    torch.Tensor, shape (n_networks * (n_networks - 1) / 2,)
    """
    n = x.shape[0]
    return torch.stack([fn(x[i], x[j]) for i in range(n) for j in range(i)])


@dataclass(frozen=True)
class LayerResult:
    """Everything measured on one layer of one ensemble at the end of training.

    Attributes
    ----------
    ve : np.ndarray, shape (n_networks,)
        SRM variance explained per network on the evaluation images.
    wrsm, irsm_shared, irsm_native : torch.Tensor, shape (m_eval, m_eval)
        Average within-network RSM and inter-network RSM in the shared and the native space.
    consistency, cka, procrustes : np.ndarray, shape (n_pairs,)
        Per pair of networks: correlation of their wRSMs, linear CKA, Procrustes angle (radians).
    r_final, native_r : float
        corr(shared-space iRSM, wRSM) and corr(native-space iRSM, wRSM).
    shared_eval : torch.Tensor, shape (n_networks, m_eval, k)
        The evaluation images in the shared space.
    """

    ve: np.ndarray
    wrsm: torch.Tensor
    irsm_shared: torch.Tensor
    irsm_native: torch.Tensor
    consistency: np.ndarray
    cka: np.ndarray
    procrustes: np.ndarray
    r_final: float
    native_r: float
    shared_eval: torch.Tensor


#: How the chapter's SRM computes its trace term: BrainIAK's behaviour, what the paper ran.
TRACE = "raw"


def analyse_layer(xf: torch.Tensor, xe: torch.Tensor, srm_iter: int, trace: str = TRACE) -> LayerResult:
    """Fit SRM on ``xf`` and measure the alignment on ``xe`` (same networks, other images).

    Parameters
    ----------
    xf : torch.Tensor, shape (n_networks, m_fit, n_units)
    xe : torch.Tensor, shape (n_networks, m_eval, n_units)
    srm_iter : int
        EM iterations of the probabilistic SRM (k = n_units, seed 0).
    trace : {"raw", "centred"}
        The SRM's trace term (see :class:`repgeom.measures.srm.SRM`); default BrainIAK's ``"raw"``.

    Returns
    -------
    LayerResult
    """
    srm = SRM(n_iter=srm_iter, method="probabilistic", seed=0, trace=trace).fit(xf)
    shared = srm.transform(xe)
    w = within_rsm(xe)
    return LayerResult(
        ve=variance_explained(srm, xe).numpy(), wrsm=w, irsm_shared=inter_rsm(shared),
        irsm_native=inter_rsm(xe), consistency=rsm_consistency(xe).numpy(),
        cka=pairwise_linear_cka(xe).numpy(), procrustes=pairwise(xe, procrustes_distance).numpy(),
        r_final=compare_rsms(inter_rsm(shared), w).item(), native_r=compare_rsms(inter_rsm(xe), w).item(),
        shared_eval=shared)


@dataclass(frozen=True)
class EnsembleAnalysis:
    """One ensemble (role, architecture) analysed.

    Attributes
    ----------
    layers : tuple of str
        Analysed layers, shallow to deep.
    epochs : list of int or Fraction
        Training time of each snapshot in epochs, increasing (``Fraction(step, steps_per_epoch)`` within an
        epoch, see :func:`.networks.checkpoint_steps`); the last is the end of training.
    acc : np.ndarray, shape (n_networks,)
        Held-out accuracy of each network, in [0, 1].
    per_layer : dict
        ``layer -> LayerResult`` at the end of training.
    curve : dict
        ``layer -> [corr(shared-space iRSM at training time e, final wRSM) for e in epochs]`` (Fig. 3 top).
    ve_curve, cons_curve : dict
        ``layer -> [mean SRM variance explained / mean wRSM consistency at epoch e for e in epochs]``;
        the first entry is the untrained network when ``epochs[0] == 0`` (the claims' control).
    labels : np.ndarray, shape (m_eval,)
        Classes of the evaluation images (sorted).
    split : (fit_idx, eval_idx)
        The probe split the measures used.
    """

    layers: tuple
    epochs: list
    acc: np.ndarray
    per_layer: dict
    curve: dict
    labels: np.ndarray
    split: Split
    ve_curve: dict
    cons_curve: dict


def analyse_ensemble(ens: EnsembleResult, arch: str, probe: ImageData, split: Split, p: Params,
                     device: torch.device | str) -> EnsembleAnalysis:
    """Measure the trained ensemble's layers and the alignment curve over its snapshots.

    Parameters
    ----------
    ens : EnsembleResult
        Trained networks with snapshots.
    arch : {"ConvNet", "ResNet-18"}
    probe : ImageData
        Held-out images (m, C, H, W).
    split : (fit_idx, eval_idx)
        From :func:`probe_split` of ``probe.y``.
    p : Params
        Uses ``max_units``, ``srm_iter`` (and the architecture's recipe to rebuild snapshots).
    device : torch.device or str
        Where snapshot networks are rebuilt.

    Returns
    -------
    EnsembleAnalysis
    """
    layers = layers_of(arch)
    epochs = sorted(ens.snapshots)
    final = prepare(collect_activations(ens.models, probe.x, layers, p.max_units, seed=0), split)
    acc = np.array([accuracy(m, probe.x, probe.y) for m in ens.models])
    per_layer = {layer: analyse_layer(*final[layer], p.srm_iter, TRACE) for layer in layers}
    # Fig. 3 top: shared-space iRSM at each checkpoint against the final wRSM
    curve = {layer: [] for layer in layers}
    ve_curve = {layer: [] for layer in layers}
    cons_curve = {layer: [] for layer in layers}
    for e in epochs:
        if e == epochs[-1]:
            for layer in layers:
                curve[layer].append(per_layer[layer].r_final)
                ve_curve[layer].append(float(per_layer[layer].ve.mean()))
                cons_curve[layer].append(float(per_layer[layer].consistency.mean()))
            continue
        models = load_models(arch, probe.num_classes, ens.snapshots[e], p, device)
        acts = prepare(collect_activations(models, probe.x, layers, p.max_units, seed=0), split)
        for layer in layers:
            xf, xe = acts[layer]
            srm = SRM(n_iter=p.srm_iter, method="probabilistic", seed=0, trace=TRACE).fit(xf)
            curve[layer].append(compare_rsms(inter_rsm(srm.transform(xe)), per_layer[layer].wrsm).item())
            ve_curve[layer].append(float(variance_explained(srm, xe).mean()))
            cons_curve[layer].append(float(rsm_consistency(xe).mean()))
    return EnsembleAnalysis(layers, epochs, acc, per_layer, curve, probe.y[split[1]].numpy(), split,
                            ve_curve, cons_curve)


def analyse_all(p: Params, ensembles: dict[tuple[str, str], EnsembleResult], probe_sets: dict[str, ImageData],
                device: torch.device | str) -> dict[tuple[str, str], EnsembleAnalysis]:
    """:func:`analyse_ensemble` for every role and architecture (one probe split per role).

    Parameters
    ----------
    p : Params
    ensembles : dict
        ``(role, arch) -> EnsembleResult``.
    probe_sets : dict
        ``role -> ImageData``.
    device : torch.device or str

    Returns
    -------
    dict
        ``(role, arch) -> EnsembleAnalysis``, roles in ``p.datasets`` order, then :data:`ARCHS`.
    """
    results = {}
    for ds in p.datasets:
        probe = probe_sets[ds]
        split = probe_split(probe.y, p.fit_fraction)
        for arch in ARCHS:
            results[ds, arch] = analyse_ensemble(ensembles[ds, arch], arch, probe, split, p, device)
    return results


@dataclass(frozen=True)
class NetworkSummary:
    """Per-layer means over networks, and the training trend, of every ensemble.

    Attributes
    ----------
    ve_mean, cons_mean : dict
        ``(role, arch) -> np.ndarray (n_layers,)``: mean SRM variance explained
        over networks, mean wRSM consistency over network pairs.
    rises : dict
        ``(role, arch, layer) -> bool``: the alignment curve ends above where it starts.
    """

    ve_mean: dict
    cons_mean: dict
    rises: dict


def summarise(results: dict[tuple[str, str], EnsembleAnalysis]) -> NetworkSummary:
    """Per-layer means and trends of :func:`analyse_all`'s results.

    Parameters
    ----------
    results : dict
        ``(role, arch) -> EnsembleAnalysis``.

    Returns
    -------
    NetworkSummary
    """
    ve_mean = {key: np.array([res.per_layer[l].ve.mean() for l in res.layers]) for key, res in results.items()}
    cons_mean = {key: np.array([res.per_layer[l].consistency.mean() for l in res.layers])
                 for key, res in results.items()}
    rises = {(ds, arch, l): res.curve[l][-1] > res.curve[l][0]
             for (ds, arch), res in results.items() for l in res.layers}
    return NetworkSummary(ve_mean, cons_mean, rises)


def last_layer_native(models: list[nn.Module], probe_x: torch.Tensor, split: Split,
                      max_units: int) -> torch.Tensor:
    """The dense layer's z-scored evaluation activity in the native space (Fig. 1A).

    Parameters
    ----------
    models : list of nn.Module
        ConvNets.
    probe_x : torch.Tensor, shape (m, C, H, W)
    split : (fit_idx, eval_idx)
    max_units : int

    Returns
    -------
    torch.Tensor, shape (n_models, m_eval, n_units), float64
    """
    return prepare(collect_activations(models, probe_x, ("dense",), max_units, seed=0), split)["dense"][1]


def layer_profiles(res: EnsembleAnalysis) -> tuple[np.ndarray, np.ndarray]:
    """Per layer: mean pairwise linear CKA and the Procrustes similarity ``1 - mean angle / (π/2)``.

    Parameters
    ----------
    res : EnsembleAnalysis

    Returns
    -------
    cka, procrustes : np.ndarray, shape (n_layers,), in [0, 1]
    """
    cka = np.array([res.per_layer[l].cka.mean() for l in res.layers])
    proc = np.array([1 - res.per_layer[l].procrustes.mean() / (np.pi / 2) for l in res.layers])
    return cka, proc


def method_agreement(results: dict[tuple[str, str], EnsembleAnalysis],
                     ve_mean: dict[tuple[str, str], np.ndarray]) -> dict[tuple[str, str], tuple[float, float]]:
    """Rank correlation across layers of SRM variance explained with CKA and with Procrustes similarity.

    Parameters
    ----------
    results : dict
        ``(role, arch) -> EnsembleAnalysis``.
    ve_mean : dict
        ``(role, arch) -> np.ndarray (n_layers,)``, as in :class:`NetworkSummary`.

    Returns
    -------
    dict
        ``(role, arch) -> (Spearman(VE, CKA), Spearman(VE, Procrustes))``; NaN with two layers or fewer.
    """
    agree = {}
    for key, res in results.items():
        ve = ve_mean[key]
        cka, proc = layer_profiles(res)
        agree[key] = (spearmanr(ve, cka)[0], spearmanr(ve, proc)[0]) if len(res.layers) > 2 else (np.nan, np.nan)
    return agree


def trace_difference(ensembles: dict[tuple[str, str], EnsembleResult], probe_sets: dict[str, ImageData],
                     p: Params, role: str, arch: str = "ConvNet") -> dict[str, tuple[float, float, float]]:
    """BrainIAK's raw-data trace term against the centred one, on the final networks of one ensemble.

    Parameters
    ----------
    ensembles : dict
        ``(role, arch) -> EnsembleResult``.
    probe_sets : dict
        ``role -> ImageData``.
    p : Params
    role, arch : str
        The ensemble to compare on.

    Returns
    -------
    dict
        ``layer -> (max |W_raw - W_centred|, max relative difference of the noise variances,
        max |VE_raw - VE_centred| on the evaluation images)``.
    """
    probe = probe_sets[role]
    split = probe_split(probe.y, p.fit_fraction)
    layers = layers_of(arch)
    acts = prepare(collect_activations(ensembles[role, arch].models, probe.x, layers, p.max_units, seed=0), split)
    out = {}
    for layer in layers:
        xf, xe = acts[layer]
        raw, cen = (SRM(n_iter=p.srm_iter, method="probabilistic", seed=0, trace=t).fit(xf)
                    for t in ("raw", "centred"))
        out[layer] = ((raw.w_ - cen.w_).abs().max().item(),
                      ((raw.rho2_ - cen.rho2_).abs() / cen.rho2_).max().item(),
                      (variance_explained(raw, xe) - variance_explained(cen, xe)).abs().max().item())
    return out


def accuracy_table(results: dict[tuple[str, str], EnsembleAnalysis], role: str, floors: dict[str, float],
                   data: str | None = None) -> str:
    """Each network's held-out accuracy on one dataset role, as a Markdown table for the page.

    Parameters
    ----------
    results : dict
        ``(role, arch) -> EnsembleAnalysis``.
    role : str
    floors : dict
        ``arch -> accuracy floor`` in [0, 1], shown in the header.
    data : str, optional
        The data the role actually used, in words; named in a line above the table.

    Returns
    -------
    str
        One row per network (seed order), one column per architecture, accuracies in percent.
    """
    archs = [a for (r, a) in results if r == role]
    if not archs:
        raise ValueError(f"no results for role {role!r}")
    n = max(len(results[role, a].acc) for a in archs)
    head = "| Network | " + " | ".join(f"{a} (floor {100 * floors[a]:.0f} %)" for a in archs) + " |"
    rows = [head, "| --- |" + " --- |" * len(archs)]
    for i in range(n):
        cells = [f"{100 * results[role, a].acc[i]:.1f} %" if i < len(results[role, a].acc) else "" for a in archs]
        rows.append(f"| {i + 1} | " + " | ".join(cells) + " |")
    rows.append("| mean | " + " | ".join(f"{100 * results[role, a].acc.mean():.1f} %" for a in archs) + " |")
    table = "\n".join(rows)
    return table if data is None else f"Held-out accuracy of every network on {data}:\n\n{table}"
