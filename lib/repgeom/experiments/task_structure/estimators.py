"""The chapter's estimators of parallelism, CCGP and decoding side by side on the same representations."""
from __future__ import annotations

import pandas as pd
import torch

from .sweep import act_means

__all__ = ["estimator_table"]

_ROWS = (("parallelism score", "ps", "ps_released", "ps_subsets"),
         ("CCGP", "ccgp", "ccgp_released", "ccgp_subsets"),
         ("trained-dichotomy decoding", "decode_trained", "decode_trained_svm", "decode_trained_logistic"))
_COLUMNS = {"released": "authors' released estimator", "subsets": "Bernardi et al.'s estimator",
            "svm": "linear SVM", "logistic": "logistic regression"}


def estimator_table(metrics: dict[str, torch.Tensor], nets: int, estimator: str, decoder: str) -> pd.DataFrame:
    """Mean per activation of each measure under both estimators (a sweep run with ``compare=True``).

    Parameters
    ----------
    metrics : dict
        One layer's :func:`~repgeom.measures.abstraction.geometry_metrics` output with ``compare=True``,
        values of shape (2 nets,), tanh first.
    nets : int
        Networks per activation.
    estimator, decoder : str
        Those the sweep ran with (``"released"`` / ``"subsets"``, ``"svm"`` / ``"logistic"``): they are the
        measures' plain keys, the others carry the name.

    Returns
    -------
    pandas.DataFrame
        Rows: measure and estimator (the chapter's default marked); columns: tanh, ReLU.
    """
    rows, index = [], []
    for label, key, *alts in _ROWS:
        mine = decoder if key == "decode_trained" else estimator
        for alt in alts:
            name = alt.rsplit("_", 1)[1]
            src = key if name == mine else alt
            if src not in metrics:
                raise ValueError(f"metrics has no {src!r}: run the sweep with compare=True")
            m = act_means(metrics, src, nets)
            rows.append([m["tanh"], m["relu"]])
            index.append((label, _COLUMNS[name] + (" (shown in the figures)" if name == mine else "")))
    return pd.DataFrame(rows, columns=["tanh", "ReLU"],
                        index=pd.MultiIndex.from_tuples(index, names=["measure", "estimator"])).round(3)
