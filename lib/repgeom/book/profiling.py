"""Where a chapter spends its time: per-cell wall times and a torch.profiler pass over one cell.

``python -m repgeom run CHAPTER`` lists a chapter's slowest cells (its steps)
after running it; ``--torch-profile N`` runs the chapter with cell ``N`` under
:mod:`torch.profiler` and writes the operator table (and, with ``--trace``, a
Chrome trace: hundreds of MB for a training loop) under ``_build/profile/``. The profiler is started and stopped by two cells inserted
around cell ``N`` in the executing kernel, so the chapter's own code is not
touched and every cell before ``N`` runs as usual.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat
import torch

__all__ = ["CellTime", "cell_times", "label_of", "OpProfile", "peak_memory", "profile_around", "write_profile"]


@dataclass(frozen=True)
class CellTime:
    """Wall time of one executed code cell."""

    index: int      # position among the notebook's cells
    seconds: float
    label: str      # the cell's first comment or line of code


def label_of(source: str, width: int = 70) -> str:
    """A one-line name for a cell: its first comment, else its first line of code."""
    lines = [line.strip() for line in source.splitlines() if line.strip() and not line.strip().startswith("%")]
    comments = [line.lstrip("# ").strip() for line in lines if line.startswith("#")]
    text = comments[0] if comments else (lines[0] if lines else "(empty)")
    return text if len(text) <= width else text[: width - 1] + "…"


def cell_times(nb: nbformat.NotebookNode) -> list[CellTime]:
    """Wall time of every executed code cell, slowest first.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        A notebook executed by nbclient (which records, per cell,
        ``metadata.execution["iopub.execute_input"]`` and
        ``["shell.execute_reply"]`` timestamps).

    Returns
    -------
    list of CellTime
        Cells without both timestamps (not executed) are left out.
    """
    times = []
    for index, cell in enumerate(nb.cells):
        stamps = cell.get("metadata", {}).get("execution", {})
        start, end = stamps.get("iopub.execute_input"), stamps.get("shell.execute_reply")
        if cell.cell_type != "code" or not (start and end):
            continue
        seconds = (_parse(end) - _parse(start)).total_seconds()
        times.append(CellTime(index, seconds, label_of(cell.source)))
    return sorted(times, key=lambda t: -t.seconds)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


@dataclass(frozen=True)
class OpProfile:
    """The files one profiled cell produced."""

    table: Path             # operator table, text
    trace: Path | None      # Chrome trace (chrome://tracing or https://ui.perfetto.dev), if asked for


def profile_around(nb: nbformat.NotebookNode, index: int, stem: Path, top: int = 30,
                   trace: bool = False) -> OpProfile:
    """Insert cells that run ``torch.profiler`` around cell ``index`` of ``nb`` (in place).

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The chapter, not yet executed.
    index : int
        Position of the code cell to profile (as ``cell_times`` reports it).
    stem : Path
        Output path without suffix; ``.txt`` (the ``top`` operators by self
        time on the profiled device, grouped by input shape) and, if
        ``trace``, ``.json`` (Chrome trace) are written when the kernel
        executes the inserted cells.
    top : int
        Number of operator rows in the table.
    trace : bool
        Also export the Chrome trace.

    Returns
    -------
    OpProfile
        Where the files will be once the notebook has executed.
    """
    if not 0 <= index < len(nb.cells) or nb.cells[index].cell_type != "code":
        code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        raise ValueError(f"cell {index} is not a code cell of this chapter; code cells are {code[0]}..{code[-1]}"
                         if code else "this chapter has no code cells")
    if top < 1:
        raise ValueError(f"top must be a positive number of rows, got {top}")
    stem = Path(stem).resolve()
    stem.parent.mkdir(parents=True, exist_ok=True)
    start = nbformat.v4.new_code_cell(
        "import torch as _torch\n"
        "_activities = [_torch.profiler.ProfilerActivity.CPU] + "
        "([_torch.profiler.ProfilerActivity.CUDA] if _torch.cuda.is_available() else [])\n"
        "_profiler = _torch.profiler.profile(activities=_activities, record_shapes=True)\n"
        "_profiler.__enter__()")
    stop = nbformat.v4.new_code_cell(
        "from repgeom.book.profiling import write_profile as _write_profile\n"
        f"_write_profile(_profiler, {str(stem)!r}, top={top}, trace={trace})")
    nb.cells[index + 1:index + 1] = [stop]
    nb.cells[index:index] = [start]
    return OpProfile(stem.with_suffix(".txt"), stem.with_suffix(".json") if trace else None)


def write_profile(profiler: torch.profiler.profile, stem: str, top: int = 30, trace: bool = False) -> str:
    """Stop ``profiler``; write its operator table (``stem.txt``) and, if ``trace``, its Chrome trace (``stem.json``)."""
    profiler.__exit__(None, None, None)
    sort_by = "self_device_time_total" if torch.cuda.is_available() else "self_cpu_time_total"
    table = profiler.key_averages(group_by_input_shape=True).table(sort_by=sort_by, row_limit=top,
                                                                    max_name_column_width=50)
    Path(stem).with_suffix(".txt").write_text(table + "\n")
    if trace:
        profiler.export_chrome_trace(str(Path(stem).with_suffix(".json")))
    return table


def peak_memory(device: torch.device | str = "cpu") -> str:
    """The process's peak memory so far, in words: host (resident set) and, on CUDA, the allocator's peak.

    Parameters
    ----------
    device : torch.device or str
        The chapter's device; on a CUDA device ``torch.cuda.max_memory_allocated`` is added.

    Returns
    -------
    str
        E.g. ``"1,234 MB of host memory"`` or ``"1,234 MB of host memory and 5,678 MB of GPU memory"``.
    """
    import resource
    import sys

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    host_mb = rss / 2 ** 20 if sys.platform == "darwin" else rss / 1024
    text = f"{host_mb:,.0f} MB of host memory"
    dev = torch.device(device)
    if dev.type == "cuda" and torch.cuda.is_available():
        text += f" and {torch.cuda.max_memory_allocated(dev) / 2 ** 20:,.0f} MB of GPU memory"
    return text
