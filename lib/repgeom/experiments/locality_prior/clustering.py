"""Spatial clustering of the LP layer: paired comparisons per seed pair, their spread over pairs, one-class checks."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from repgeom import stats

from .networks import Comparison, Measured, Pairs, compare

__all__ = ["Comparisons", "compare_pairs", "variance_table", "PairEffects", "pair_effects", "by_class",
           "OneClass", "one_class"]

LAYERS = ("input", "output")

Comparisons = dict[int, dict[str, Comparison]]
"""``cmp[seed][layer]``: the paired comparison of each pair's LP input and output."""


def compare_pairs(pairs: Pairs) -> Comparisons:
    """Compare locality and control of every pair on the LP input and output.

    Parameters
    ----------
    pairs : Pairs

    Returns
    -------
    Comparisons
        ``cmp[seed]["input" | "output"]``.
    """
    return {seed: {layer: compare(pr["locality"], pr["control"], layer) for layer in LAYERS}
            for seed, pr in pairs.items()}


def variance_table(cmp: Comparisons) -> pd.DataFrame:
    """Mean spatial variance per pair and layer with the paired t-test, the README's pair in the last rows.

    Parameters
    ----------
    cmp : Comparisons

    Returns
    -------
    pandas.DataFrame
        Columns ``seed pair, layer, locality var, control var, t, p, images, left out (all-zero)``.
    """
    var_rows = []
    for seed, c in cmp.items():
        for layer in ("output", "input"):
            r = c[layer]
            var_rows.append({"seed pair": seed, "layer": f"LP {layer}", "locality var": r.loc, "control var": r.ctrl,
                             "t": r.t, "p": r.p, "images": r.n, "left out (all-zero)": r.dropped})
    var_df = pd.DataFrame(var_rows)
    readme = pd.DataFrame([
        {"seed pair": "README", "layer": "LP output", "locality var": 8.458, "control var": 8.667, "t": -6.49,
         "p": 1.35e-10},
        {"seed pair": "README", "layer": "LP input", "locality var": np.nan, "control var": np.nan, "t": np.nan,
         "p": np.nan},
    ])
    return pd.concat([var_df, readme], ignore_index=True)


@dataclass(frozen=True, eq=False)
class PairEffects:
    """The clustering effect as a distribution over seed pairs.

    Attributes
    ----------
    effects : dict of str to numpy.ndarray, shape (n_pairs,)
        Per layer, each pair's mean paired difference (locality - control), in seed order.
    ci : dict of str to Interval
        Per layer, the bootstrap 95 % interval of the mean over pairs (finite effects only).
    n_output_lower : int
        Pairs whose LP output variance is significantly lower with the prior (p < 0.05).
    """

    effects: dict[str, np.ndarray]
    ci: dict[str, stats.Interval]
    n_output_lower: int


def pair_effects(cmp: Comparisons, seeds: Sequence[int], seed: int) -> PairEffects:
    """Per-seed effect (mean paired difference) and its bootstrap interval over pairs.

    Parameters
    ----------
    cmp : Comparisons
    seeds : sequence of int
        The pairs, in order.
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    PairEffects
    """
    effects = {layer: np.array([cmp[s][layer].diff for s in seeds]) for layer in LAYERS}
    ci = {layer: stats.bootstrap_ci(e[np.isfinite(e)], seed=seed) for layer, e in effects.items()}
    n_out_sig = int(sum(cmp[s]["output"].diff < 0 and cmp[s]["output"].p < 0.05 for s in seeds))
    return PairEffects(effects, ci, n_out_sig)


def by_class(pair: dict[str, Measured], layer: str, labels: torch.Tensor, num_classes: int) -> np.ndarray:
    """Mean paired variance difference (locality - control) over the map images of each class.

    Parameters
    ----------
    pair : dict of str to Measured
        ``pairs[seed]``.
    layer : {"input", "output"}
    labels : torch.Tensor, shape (n_maps,)
    num_classes : int

    Returns
    -------
    numpy.ndarray, shape (num_classes,)
        Images with an undefined variance in either network count as zero difference.
    """
    a, b = getattr(pair["locality"], f"var_{layer}"), getattr(pair["control"], f"var_{layer}")
    ok = torch.isfinite(a) & torch.isfinite(b)
    diff = torch.where(ok, a - b, torch.zeros_like(a))
    return np.array([float(diff[(labels == c) & ok].mean()) for c in range(num_classes)])


@dataclass(frozen=True, eq=False)
class OneClass:
    """Does the LP input result hinge on one class?

    Attributes
    ----------
    class_input : numpy.ndarray, shape (num_classes,)
        First pair: mean LP-input variance difference per class.
    driver : int
        First pair: the class with the largest positive difference.
    without : Comparison
        First pair: the LP-input comparison without that class.
    class_table : pandas.DataFrame
        First pair: the per-class differences of LP input and output (rows), classes as columns.
    per_pair : pandas.DataFrame
        Every pair: ``seed, t (all), p (all), driver, t (without), p (without)``.
    names : tuple of str
        Class names (``names[c]`` of class ``c``); empty: "class c".
    """

    class_input: np.ndarray
    driver: int
    without: Comparison
    class_table: pd.DataFrame
    per_pair: pd.DataFrame
    names: tuple[str, ...] = ()

    @property
    def driver_name(self) -> str:
        """The name of the class that drives the first pair's LP-input difference."""
        return self.names[self.driver] if self.names else f"class {self.driver}"


def one_class(pairs: Pairs, cmp: Comparisons, seeds: Sequence[int], labels: torch.Tensor,
              num_classes: int, names: Sequence[str] = ()) -> OneClass:
    """Find the class driving a higher LP-input variance and repeat the test without it.

    Parameters
    ----------
    pairs : Pairs
    cmp : Comparisons
    seeds : sequence of int
        The first is the pair analysed in detail.
    labels : torch.Tensor, shape (n_maps,)
    num_classes : int
    names : sequence of str, optional
        Class names for the tables (default "class c").

    Returns
    -------
    OneClass
    """
    names = tuple(names)
    label = (lambda c: names[c]) if names else (lambda c: f"class {c}")
    first = pairs[seeds[0]]
    class_in = by_class(first, "input", labels, num_classes)
    driver = int(np.argmax(class_in))
    without = compare(first["locality"], first["control"], "input", mask=labels != driver)
    class_tbl = pd.DataFrame({"class": [label(c) for c in range(num_classes)],
                              "LP input: locality − control": class_in,
                              "LP output: locality − control": by_class(first, "output", labels, num_classes)}
                             ).set_index("class").round(3)
    rows = []
    for s in seeds:
        ci_ = by_class(pairs[s], "input", labels, num_classes)
        drv = int(np.argmax(ci_))
        w = compare(pairs[s]["locality"], pairs[s]["control"], "input", mask=labels != drv)
        rows.append({"seed pair": s, "t (all classes)": cmp[s]["input"].t, "p (all classes)": cmp[s]["input"].p,
                     "driving class": label(drv), "t (without it)": w.t, "p (without it)": w.p})
    return OneClass(class_in, driver, without, class_tbl, pd.DataFrame(rows), names)
