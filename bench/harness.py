"""Timing one kernel against the peer implementation a researcher would use.

Each ``bench/bench_*.py`` defines ``run(profile: str, device: torch.device) ->
list[Row]`` (the chapters' problem sizes) and may define ``scaling(profile,
device) -> list[Row]`` (a sweep over one size parameter, rows built with
``compare(..., scale=(name, value))``); both build their rows with
:func:`compare`; ``bench/run.py`` collects them into one table and one JSON
file (one family: ``python bench/run.py --only NAME``). Timings: warm-up
calls, then ``reps`` timed samples of each side in the order ours, peer,
peer, ours (a sample repeats a fast call until it lasts ``MIN_SAMPLE_S``);
the median and the spread (max - min) per call are reported, with
``torch.cuda.synchronize()`` around GPU samples.
"""
from __future__ import annotations

import math
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


#: A timed sample repeats a fast call until the sample lasts about this long, so
#: that timer resolution and scheduler jitter are small against it.
MIN_SAMPLE_S = 0.02
#: The most calls one sample repeats (a call of a few microseconds).
MAX_CALLS_PER_SAMPLE = 1000
#: Pause before each block of samples, for the other library's idle threads to stop spinning.
SETTLE_S = 0.2


def _sync(device: torch.device | str | None) -> None:
    if device is not None and torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _timed(fn: Callable[[], object], calls: int, device: torch.device | str | None) -> float:
    """Seconds per call of ``calls`` back-to-back calls of ``fn``, synchronised at both ends."""
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    _sync(device)
    return (time.perf_counter() - t0) / calls


def _calls_per_sample(seconds_per_call: float) -> int:
    return max(1, min(MAX_CALLS_PER_SAMPLE, math.ceil(MIN_SAMPLE_S / max(seconds_per_call, 1e-9))))


def time_pair(ours: Callable[[], object], peer: Callable[[], object], *, reps: int = 5, warmup: int = 1,
              device: torch.device | str | None = None,
              peer_device: torch.device | str | None = "cpu") -> tuple[tuple[float, float], tuple[float, float]]:
    """Median and spread (max - min) of seconds per call, for ``ours`` and ``peer`` in the order ours, peer, peer, ours.

    Steps:
    1. ``warmup`` untimed calls of each; the last one also measures how long a call takes.
    2. Each side gets a number of calls per sample that makes a sample last about
       ``MIN_SAMPLE_S`` (one call for anything slower; one call without warm-up).
    3. Half the ``reps`` samples of ours, then of the peer, then the other half
       of the peer's and of ours: a steady drift of the machine's speed (other
       load, clock changes) reaches both sides alike instead of whichever was
       timed second.
    4. Before each block, with warm-up, a pause of ``SETTLE_S`` and one untimed
       call: torch's OpenMP threads and numpy's OpenBLAS threads keep spinning
       for a while after a call, and on a machine with few cores the other
       library's spinning threads slowed every call measured right after a
       switch 3-4x (timing ours and a numpy peer call by call did).
    """
    calls = []
    for fn, dev in ((ours, device), (peer, peer_device)):
        for _ in range(warmup - 1):
            fn()
        calls.append(_calls_per_sample(_timed(fn, 1, dev)) if warmup > 0 else 1)
    sides = ((ours, device, calls[0]), (peer, peer_device, calls[1]))
    times: tuple[list[float], list[float]] = ([], [])
    first = (reps + 1) // 2
    for side, n in ((0, first), (1, first), (1, reps - first), (0, reps - first)):
        fn, dev, k = sides[side]
        if n and warmup > 0:
            time.sleep(SETTLE_S)
            _timed(fn, 1, dev)
        times[side].extend(_timed(fn, k, dev) for _ in range(n))
    return tuple((statistics.median(t), max(t) - min(t)) for t in times)  # type: ignore[return-value]


def compare(kernel: str, size: str, ours: Callable[[], object], peer_name: str,
            peer: Callable[[], object], *, device: torch.device | str = "cpu",
            reps: int = 5, warmup: int = 1, peer_device: str | None = "cpu",
            scale: tuple[str, float] | None = None) -> Row:
    """Time ``ours`` (on ``device``) and ``peer`` (on the CPU) in the same run (:func:`time_pair`).

    ``scale`` names the size parameter a scaling sweep varies and its value
    here (e.g. ``("layer pairs", 30)``); the Performance page plots time against it.
    """
    (o_med, o_spread), (p_med, p_spread) = time_pair(ours, peer, reps=reps, warmup=warmup, device=device,
                                                     peer_device=peer_device)
    name, value = scale if scale is not None else ("", None)
    return Row(kernel, size, str(device), o_med, o_spread, peer_name, p_med, p_spread, name,
               None if value is None else float(value))
