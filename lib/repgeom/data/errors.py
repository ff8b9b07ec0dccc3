"""The two ways a dataset load can fail: nothing usable at all, or real files that cannot be read."""
from __future__ import annotations

__all__ = ["DataUnavailable", "DataCorrupt"]


class DataUnavailable(RuntimeError):
    """Neither the requested dataset nor any stand-in could be loaded."""


class DataCorrupt(RuntimeError):
    """A dataset or weights file is on disk but cannot be read: damaged, truncated or partly downloaded.

    Never answered with a stand-in: the message names the path and what to do.
    """
