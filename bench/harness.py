"""Timing one kernel against the peer implementation a researcher would use.

Each ``bench/bench_*.py`` defines ``run(profile: str, device: torch.device) ->
list[Row]`` (the chapters' problem sizes) and may define ``scaling(profile,
device) -> list[Row]`` (a sweep over one size parameter, rows built with
``compare(..., scale=(name, value))``); both build their rows with
:func:`compare`; ``bench/run.py`` collects them into one table and one JSON
file (one family: ``python bench/run.py --only NAME``). Timings: warm-up
calls, then ``reps`` timed calls; the median and the spread (min-max) are
reported, with ``torch.cuda.synchronize()`` around GPU calls.
"""
from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from typing import Callable

import torch


@dataclass
class Row:
    """One comparison: our kernel and its peer on the same problem."""

    kernel: str
    size: str
    device: str
    ours_s: float
    ours_spread_s: float
    peer: str
    peer_s: float
    peer_spread_s: float
    scale: str = ""
    scale_value: float | None = None

    @property
    def ratio(self) -> float:
        """Peer time over our time (above 1: ours is faster)."""
        return self.peer_s / self.ours_s if self.ours_s > 0 else float("inf")

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": self.ratio}


def _sync(device: torch.device | str | None) -> None:
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def time_call(fn: Callable[[], object], *, reps: int = 5, warmup: int = 1,
              device: torch.device | str | None = None) -> tuple[float, float]:
    """Median and spread (max - min) of ``reps`` timed calls, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    _sync(device)
    times = []
    for _ in range(reps):
        _sync(device)
        t0 = time.perf_counter()
        fn()
        _sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), max(times) - min(times)


def compare(kernel: str, size: str, ours: Callable[[], object], peer_name: str,
            peer: Callable[[], object], *, device: torch.device | str = "cpu",
            reps: int = 5, warmup: int = 1, peer_device: str | None = "cpu",
            scale: tuple[str, float] | None = None) -> Row:
    """Time ``ours`` (on ``device``) and ``peer`` (on the CPU) in the same run.

    ``scale`` names the size parameter a scaling sweep varies and its value
    here (e.g. ``("layer pairs", 30)``); the Performance page plots time against it.
    """
    o_med, o_spread = time_call(ours, reps=reps, warmup=warmup, device=device)
    p_med, p_spread = time_call(peer, reps=reps, warmup=warmup, device=peer_device)
    name, value = scale if scale is not None else ("", None)
    return Row(kernel, size, str(device), o_med, o_spread, peer_name, p_med, p_spread, name,
               None if value is None else float(value))
