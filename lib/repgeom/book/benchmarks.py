"""Reading the speed measurements ``bench/run.py`` writes, for the Performance page.

``bench/run.py`` writes one JSON file per run: the machine (CPU, cores, GPU,
torch, commit, date), ``rows`` (each kernel against its peer at the chapters'
problem sizes) and ``scaling`` (the same comparison along one size
parameter). Committed runs live in ``bench/results/``; a local ``make bench``
writes ``_build/bench/``.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

MACHINE_FIELDS = ("machine", "profile", "device", "cpu_cores", "threads", "gpu", "torch", "commit", "date", "file")
#: Rows whose kernel starts with this time the libraries underneath (torch's BLAS
#: against numpy's, ``bench/bench_blas.py``), not a repgeom kernel.
BASELINE_PREFIX = "blas."
#: Peer names of the rows that time a repgeom option against the same code
#: without it (``bench/bench_ensemble.py``): those rows measure what the option gains.
EAGER_PEER = "train_batched eager"
FLOAT32_PEER = "train.fit float32"
OPTION_PEERS = (EAGER_PEER, FLOAT32_PEER)
ROW_FIELDS = ("kernel", "size", "ours_s", "ours_spread_s", "peer", "peer_s", "peer_spread_s", "ratio",
              "scale", "scale_value")


def result_files(root: Path) -> list[Path]:
    """Committed (``bench/results/*.json``) then local (``_build/bench/*.json``) measurement files."""
    return sorted((root / "bench" / "results").glob("*.json")) + sorted((root / "_build" / "bench").glob("*.json"))


def machine_label(meta: dict) -> str:
    """A short name of the machine a run measured: the GPU, or the CPU core count and threads."""
    if meta.get("gpu"):
        return str(meta["gpu"])
    return f"CPU, {meta.get('cpu_cores', '?')} cores, {meta.get('threads', '?')} threads"


def load_results(files: list[Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The comparisons and the scaling sweeps of every file, one row per measurement.

    Parameters
    ----------
    files : list of Path
        JSON files written by ``bench/run.py``; a run found twice (same date,
        commit, device and profile) is read once, from the first file.

    Returns
    -------
    (comparisons, scaling) : tuple of pandas.DataFrame
        Columns ``MACHINE_FIELDS + ROW_FIELDS``; times in seconds (median of
        the repetitions), ``ratio`` = peer time / our time. A measurement
        repeated by a later run (same machine, profile, kernel, size, peer and
        scale point) is shown once, from the latest run.

    Raises
    ------
    ValueError
        When a file is not a ``bench/run.py`` result (names the file and the missing keys).
    """
    tables: dict[str, list[dict]] = {"rows": [], "scaling": []}
    seen: set[tuple] = set()
    for path in files:
        payload = json.loads(Path(path).read_text())
        missing = [k for k in ("profile", "device", "rows") if k not in payload]
        if missing:
            raise ValueError(f"{path} is not a bench/run.py result: missing {', '.join(missing)}")
        run_id = (payload.get("date"), payload.get("commit"), payload["device"], payload["profile"])
        if payload.get("date") and run_id in seen:
            continue  # the same run, recorded in bench/results/ and left in _build/bench/
        seen.add(run_id)
        meta = {k: payload.get(k) for k in MACHINE_FIELDS if k not in ("machine", "file")}
        meta.update(machine=machine_label(payload), file=Path(path).name)
        for key in tables:
            for row in payload.get(key, []):
                tables[key].append({**meta, **{k: row.get(k) for k in ROW_FIELDS}})
    columns = list(MACHINE_FIELDS + ROW_FIELDS)
    return tuple(_latest(pd.DataFrame(tables[key], columns=columns)) for key in ("rows", "scaling"))


def _latest(table: pd.DataFrame) -> pd.DataFrame:
    """One row per measurement: the latest run's, in the order the rows were read."""
    same = ["machine", "device", "profile", "kernel", "size", "peer", "scale", "scale_value"]
    order = table.assign(_read=range(len(table))).sort_values("date", kind="stable")
    keep = order.drop_duplicates(same, keep="last").sort_values("_read").drop(columns="_read")
    return keep.reset_index(drop=True)


def split_rows(comparisons: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A :func:`load_results` table split into (kernels against peers, BLAS baselines, options).

    Only the first part concerns the speed targets: the baselines time torch
    against numpy, the options time a repgeom switch against the same code
    without it (``OPTION_PEERS``).
    """
    baseline = comparisons.kernel.astype(str).str.startswith(BASELINE_PREFIX)
    option = comparisons.peer.astype(str).isin(OPTION_PEERS)
    return tuple(comparisons[mask].reset_index(drop=True)  # type: ignore[return-value]
                 for mask in (~baseline & ~option, baseline, option))


PRECISION_FIELDS = ("machine", "profile", "data", "epochs", "cka_precision", "cka_seed", "verdict", "commit", "date")


def load_precision_checks(root: Path) -> pd.DataFrame:
    """The recorded ``bench/precision_check.py`` runs (``bench/results/precision/*.json``), one row each.

    Returns
    -------
    pandas.DataFrame
        Columns ``PRECISION_FIELDS``; ``cka_precision`` (one value per seed,
        float32 vs bfloat16) and ``cka_seed`` (one per pair of float32 seeds)
        are lists.

    Raises
    ------
    ValueError
        When a file lacks one of the fields (names the file and the fields).
    """
    rows = []
    for path in sorted((Path(root) / "bench" / "results" / "precision").glob("*.json")):
        payload = json.loads(path.read_text())
        missing = [k for k in PRECISION_FIELDS if k not in payload]
        if missing:
            raise ValueError(f"{path} is not a precision_check.py result: missing {', '.join(missing)}")
        rows.append({k: payload[k] for k in PRECISION_FIELDS})
    return pd.DataFrame(rows, columns=list(PRECISION_FIELDS))
