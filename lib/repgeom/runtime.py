"""Where and how the book's code runs: device, seeds, profile, threads, paths.

Every setting comes from one environment variable, read when asked (never at
import). A bad value raises :class:`SettingError`, a ``ValueError`` whose
message names the variable, the value it got and the values it accepts.

========================  =====================================================
variable                  meaning
========================  =====================================================
``REPGEOM_PROFILE``       ``quick`` (default: CPU, minutes) or ``full`` (the
                          papers' scale, one GPU)
``REPGEOM_DEVICE``        ``auto`` (default: cuda if present), ``cpu``,
                          ``cuda`` or ``cuda:N``
``REPGEOM_THREADS``       CPU threads for torch (default: all cores)
``REPGEOM_DATA``          dataset and weight folder (default
                          ``~/.cache/repgeom/data``)
``REPGEOM_OFFLINE``       ``1`` forbids every download attempt
``REPGEOM_OUTPUT``        where figures and claims are written (default
                          ``<repo>/_build/<profile>/repgeom``)
``REPGEOM_QUIET``         ``1`` hides progress bars (also hidden when ``CI``)
========================  =====================================================
"""
from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path
from typing import Literal, TypeVar

T = TypeVar("T")

import numpy as np
import torch

Profile = Literal["quick", "full"]
PROFILES: tuple[str, ...] = ("quick", "full")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class SettingError(ValueError):
    """A ``REPGEOM_*`` environment variable holds a value we cannot use."""


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _flag(name: str) -> bool:
    value = _env(name).lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingError(f"{name}={os.environ[name]!r} is not a yes/no value; use 1 or 0")


def profile() -> Profile:
    """The active profile, from ``REPGEOM_PROFILE`` (default ``"quick"``).

    Returns
    -------
    {"quick", "full"}
    """
    value = _env("REPGEOM_PROFILE", "quick").lower() or "quick"
    if value not in PROFILES:
        raise SettingError(
            f"REPGEOM_PROFILE={os.environ['REPGEOM_PROFILE']!r} is not a profile; "
            f"expected one of {', '.join(PROFILES)}"
        )
    return value  # type: ignore[return-value]


def device() -> torch.device:
    """The device computations run on, from ``REPGEOM_DEVICE`` (default ``auto``).

    ``auto`` picks ``cuda`` when a GPU is visible and ``cpu`` otherwise. Asking
    for ``cuda`` on a machine without one is an error, not a silent fallback.
    """
    value = _env("REPGEOM_DEVICE", "auto").lower() or "auto"
    if value == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(value)
    except RuntimeError:
        raise SettingError(
            f"REPGEOM_DEVICE={value!r} is not a device; expected auto, cpu, cuda or cuda:N"
        ) from None
    if dev.type not in ("cpu", "cuda"):
        raise SettingError(f"REPGEOM_DEVICE={value!r}: only cpu and cuda are supported")
    if dev.type == "cuda":
        count = torch.cuda.device_count()
        index = dev.index or 0
        if index >= count:
            raise SettingError(
                f"REPGEOM_DEVICE={value!r} but this machine has {count} CUDA device(s)"
            )
    return dev


def threads() -> int:
    """CPU threads for torch, from ``REPGEOM_THREADS`` (default: all cores)."""
    raw = _env("REPGEOM_THREADS")
    cores = os.cpu_count() or 1
    if not raw:
        return cores
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if n < 1:
        raise SettingError(f"REPGEOM_THREADS={raw!r} is not a positive integer")
    return n


def offline() -> bool:
    """True when ``REPGEOM_OFFLINE`` forbids downloads."""
    return _flag("REPGEOM_OFFLINE")


def quiet() -> bool:
    """True when progress bars should stay hidden (``REPGEOM_QUIET`` or ``CI``)."""
    return _flag("REPGEOM_QUIET") or _env("CI").lower() in _TRUE


def data_root() -> Path:
    """Folder holding datasets and weights, from ``REPGEOM_DATA``."""
    raw = _env("REPGEOM_DATA")
    root = Path(raw).expanduser() if raw else Path.home() / ".cache" / "repgeom" / "data"
    if root.exists() and not root.is_dir():
        raise SettingError(f"REPGEOM_DATA={str(root)!r} exists but is not a folder")
    return root


def repo_root(start: Path | None = None) -> Path | None:
    """The book's checkout (the folder holding ``_config.yml`` and ``lib/``), if any."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_config.yml").is_file() and (folder / "lib" / "repgeom").is_dir():
            return folder
    return None


def by_profile(profile: str, quick: "T", full: "T") -> "T":
    """The value of a profile: ``quick`` or ``full`` (a chapter's parameter set, say).

    Raises
    ------
    ValueError
        ``profile`` is neither ``"quick"`` nor ``"full"``.
    """
    if profile == "quick":
        return quick
    if profile == "full":
        return full
    raise ValueError(f"profile must be 'quick' or 'full', got {profile!r}")


def output_root(prof: Profile | None = None) -> Path:
    """Folder for figures and claims of one profile (profiles never share one)."""
    prof = prof or profile()
    raw = _env("REPGEOM_OUTPUT")
    if raw:
        return Path(raw).expanduser() / prof
    root = repo_root()
    base = root / "_build" if root else Path.cwd() / "repgeom-output"
    return base / prof / "repgeom"


def commit() -> str:
    """The checkout's git commit (with ``-dirty`` when it has changes), or ``unknown``."""
    root = repo_root() or Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha


def seed_everything(seed: int, deterministic: bool = True) -> torch.Generator:
    """Seed python, numpy and torch; switch torch to deterministic algorithms.

    Parameters
    ----------
    seed : int
        Non-negative seed.
    deterministic : bool
        Also call ``torch.use_deterministic_algorithms(True)`` (with the cuBLAS
        workspace setting it needs on GPUs).

    Returns
    -------
    torch.Generator
        A CPU generator seeded with ``seed``, for code that takes one.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False
    return torch.Generator().manual_seed(seed)


def configure() -> dict[str, object]:
    """Read and validate every setting at once; apply the thread count.

    Returns
    -------
    dict
        ``profile``, ``device``, ``threads``, ``offline``, ``data_root``.
    """
    settings = {
        "profile": profile(),
        "device": device(),
        "threads": threads(),
        "offline": offline(),
        "data_root": data_root(),
    }
    torch.set_num_threads(int(settings["threads"]))
    return settings
