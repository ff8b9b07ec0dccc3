"""The data the chapters use: image datasets with declared stand-ins (:mod:`.images`), synthetic tasks (:mod:`.tasks`).

``data.load(name, split, ...)`` is the one way a chapter gets images; it
returns them with a :class:`DataProvenance` saying what was actually used.
"""
from .images import (
    DEBIAN_FASHION_MNIST,
    DOWNLOAD_MB,
    DOWNLOAD_TIMEOUT_S,
    FOLDERS,
    SHAPES,
    SPLITS,
    DataCorrupt,
    DataProvenance,
    DataUnavailable,
    ImageData,
    available,
    fetch,
    load,
)

__all__ = ["DEBIAN_FASHION_MNIST", "DOWNLOAD_MB", "DOWNLOAD_TIMEOUT_S", "FOLDERS", "SHAPES", "SPLITS", "DataCorrupt", "DataProvenance",
           "DataUnavailable",
           "ImageData", "available", "fetch", "load"]
