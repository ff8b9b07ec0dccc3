"""The analysis as the authors' released notebooks ran it, beside the chapter's own choices.

* :func:`in_paper_figures`: the weight-to-weight pairs the paper's figures
  draw (the released figures leave out the short- and long-skip pairs whose
  second layer is in a stage's first block);
* :func:`size_rule_comparison`: subspace sizes and mean angles under the
  released size search and under the "first size with every angle above the
  threshold" rule;
* :func:`authors_tests`: the released notebooks' choice of test (Welch's or
  Student's t-test when a normality test passes, else Mann-Whitney U) beside
  the chapter's Mann-Whitney U.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd
import scipy.stats
import torch

from repgeom.models import resnet_connections as rc
from repgeom.models.resnet_connections import Connection

from . import alignment as align
from .figures import KIND_TITLE

__all__ = ["in_paper_figures", "paper_results", "dropped_pairs", "size_rule_comparison", "authors_test",
           "authors_tests", "authors_tests_summary"]


def in_paper_figures(conn: Connection) -> bool:
    """Whether the paper's figures draw this weight-to-weight pair.

    The released figures leave out the short- and long-skip pairs whose second
    layer is the conv1 of a stage's first block (``layer2.0``, ``layer3.0``,
    ``layer4.0``): three of each in ResNet-50.

    Parameters
    ----------
    conn : Connection

    Returns
    -------
    bool
    """
    if not isinstance(conn, Connection):
        raise ValueError(f"conn must be a Connection, got {type(conn).__name__}")
    if conn.kind not in ("short_skip", "long_skip"):
        return True
    block = conn.target.rsplit(".", 1)[0]  # "layer2.0.conv1" -> "layer2.0"
    return not block.endswith(".0")


def paper_results(results: Sequence[align.PairResult]) -> list[align.PairResult]:
    """The results of the pairs the paper's figures draw (see :func:`in_paper_figures`)."""
    return [r for r in results if in_paper_figures(r.connection)]


def dropped_pairs(results: Sequence[align.PairResult]) -> pd.DataFrame:
    """The pairs the paper's figures leave out, in words.

    Returns
    -------
    pandas.DataFrame
        Columns ``connection``, ``first layer``, ``second layer``.
    """
    rows = [{"connection": KIND_TITLE[r.connection.kind], "first layer": r.connection.source,
             "second layer": r.connection.target} for r in results if not in_paper_figures(r.connection)]
    return pd.DataFrame(rows, columns=["connection", "first layer", "second layer"])


def size_rule_comparison(models: dict, connections: Sequence[Connection], network: str, *,
                         spaces: align.WeightSpaces | None = None, min_angle_deg: float = 0.1,
                         min_fraction: float = 0.5) -> pd.DataFrame:
    """Weight-to-weight sizes and mean angles of one network under both size rules.

    Sizes are chosen jointly over all ``models`` (as in the chapter); angles
    and sizes are reported for ``network``.

    Parameters
    ----------
    models : dict
        Label -> network.
    connections : sequence of Connection
        Weight connections.
    network : str
        The label reported (e.g. an untrained network).
    spaces : WeightSpaces, optional
    min_angle_deg, min_fraction : float

    Returns
    -------
    pandas.DataFrame
        One row per connection type, columns in words: pairs, pairs whose
        size differs, mean share of the dimensions kept and mean angle (deg)
        under each rule, and the largest difference of mean angle over the pairs.
    """
    if network not in models:
        raise ValueError(f"network {network!r} is not in models (have {sorted(models)})")
    spaces = align.WeightSpaces.reuse(spaces, models, "gram")
    res = {rule: align.weight_alignment(models, connections, min_angle_deg=min_angle_deg,
                                        min_fraction=min_fraction, spaces=spaces, rule=rule)
           for rule in ("released", "first-all-above")}
    rows = []
    for a, b in zip(res["released"], res["first-all-above"]):
        rows.append({"kind": a.connection.kind, "k_r": a.size.k, "k_f": b.size.k, "full": a.size.full,
                     "deg_r": a.mean_deg(network), "deg_f": b.mean_deg(network)})
    t = pd.DataFrame(rows)
    out = []
    for kind in [k for k in rc.KINDS if k in set(t.kind)]:
        g = t[t.kind == kind]
        out.append({"connection": KIND_TITLE[kind], "pairs": len(g), "pairs whose size differs": int((g.k_r != g.k_f).sum()),
                    "share kept, released search": float((g.k_r / g.full).mean()),
                    "share kept, first size all above": float((g.k_f / g.full).mean()),
                    "mean angle (deg), released search": float(g.deg_r.mean()),
                    "mean angle (deg), first size all above": float(g.deg_f.mean()),
                    "largest difference (deg)": float((g.deg_r - g.deg_f).abs().max())})
    return pd.DataFrame(out)


def authors_test(trained: np.ndarray, untrained: np.ndarray, analysis: str, alpha: float = 0.05) -> tuple[str, float]:
    """The released notebooks' test of trained against untrained angles.

    Weights: Shapiro-Wilk on each group; both above ``alpha``: Welch's t-test,
    else a two-sided Mann-Whitney U. Activations: D'Agostino's test on each
    group; both above ``alpha``: Student's t-test (equal variances, as the
    released figure notebook calls it), else a two-sided Mann-Whitney U.

    Parameters
    ----------
    trained, untrained : numpy.ndarray, shape (n,) and (m,)
        Angles (at least 8 each, the smallest sample D'Agostino's test accepts).
    analysis : {"weight", "activation"}
    alpha : float

    Returns
    -------
    test : str
        ``"Welch's t-test"``, ``"Student's t-test"`` or ``"Mann-Whitney U"``.
    pvalue : float
    """
    if analysis not in ("weight", "activation"):
        raise ValueError(f"analysis must be 'weight' or 'activation', got {analysis!r}")
    x, y = np.asarray(trained, float).ravel(), np.asarray(untrained, float).ravel()
    for name, a in (("trained", x), ("untrained", y)):
        if a.size < 8 or not np.isfinite(a).all():
            raise ValueError(f"{name} must hold at least 8 finite angles, got {a.size}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Shapiro-Wilk warns above 5000 samples; its p-value is still used
        if analysis == "weight":
            normal = scipy.stats.shapiro(x).pvalue > alpha and scipy.stats.shapiro(y).pvalue > alpha
            if normal:
                return "Welch's t-test", float(scipy.stats.ttest_ind(x, y, equal_var=False).pvalue)
        else:
            normal = scipy.stats.normaltest(x).pvalue > alpha and scipy.stats.normaltest(y).pvalue > alpha
            if normal:
                return "Student's t-test", float(scipy.stats.ttest_ind(x, y).pvalue)
    return "Mann-Whitney U", float(scipy.stats.mannwhitneyu(x, y, alternative="two-sided").pvalue)


def authors_tests(results: Sequence[align.PairResult], trained: str, untrained: Sequence[str], analysis: str,
                  alpha: float = 0.05) -> pd.DataFrame:
    """Per (connection type, block): our Mann-Whitney p-value and the authors' test and p-value.

    Angles are pooled per type and block as in :func:`.alignment.alignment_table`
    (untrained angles over all seeds).

    Returns
    -------
    pandas.DataFrame
        ``kind, block, ours_p, test, authors_p, differs`` (``differs``: one of
        the two is below ``alpha`` and the other not). Groups with fewer than
        8 angles on either side are left out.
    """
    if not untrained:
        raise ValueError("untrained must name at least one network")
    groups: dict[tuple[str, str], list[align.PairResult]] = {}
    for r in results:
        groups.setdefault((r.connection.kind, r.connection.block), []).append(r)
    rows = []
    for (kind, block), rs in groups.items():
        tr = torch.cat([r.angles[trained] for r in rs]).cpu().numpy()
        un = torch.cat([r.angles[u] for r in rs for u in untrained]).cpu().numpy()
        if tr.size < 8 or un.size < 8:
            continue
        ours = float(scipy.stats.mannwhitneyu(tr, un, alternative="two-sided").pvalue)
        test, p = authors_test(tr, un, analysis, alpha)
        rows.append({"kind": kind, "block": block, "ours_p": ours, "test": test, "authors_p": p,
                     "differs": (ours < alpha) != (p < alpha)})
    return pd.DataFrame(rows, columns=["kind", "block", "ours_p", "test", "authors_p", "differs"])


def authors_tests_summary(tests: dict[str, pd.DataFrame], alpha: float = 0.05) -> pd.DataFrame:
    """Counts per analysis: groups tested, t-tests chosen, significant by each, significance changed.

    Parameters
    ----------
    tests : dict
        Analysis name (in words) -> :func:`authors_tests` table.

    Returns
    -------
    pandas.DataFrame
        Columns in words.
    """
    rows = []
    for name, t in tests.items():
        rows.append({"analysis": name, "type-and-block groups": len(t),
                     "t-test chosen": int((t.test != "Mann-Whitney U").sum()),
                     "p < .05, Mann-Whitney U (ours)": int((t.ours_p < alpha).sum()),
                     "p < .05, the authors' choice": int((t.authors_p < alpha).sum()),
                     "significance changes": int(t.differs.sum())})
    return pd.DataFrame(rows)
