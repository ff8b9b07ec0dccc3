"""The data the chapters use: image datasets with declared stand-ins (:mod:`.images`, their offline sources in
:mod:`.offline`), synthetic tasks (:mod:`.tasks`).

``data.load(name, split, ...)`` is the one way a chapter gets images; it
returns them with a :class:`DataProvenance` saying what was actually used.
"""
from . import offline  # noqa: F401 - data.offline, where the stand-ins' files are found (tests patch it)
from .errors import DataCorrupt, DataUnavailable
from .images import (
    DOWNLOAD_MB,
    DOWNLOAD_TIMEOUT_S,
    FOLDERS,
    SHAPES,
    SPLITS,
    DataProvenance,
    ImageData,
    available,
    fetch,
    load,
)
from .names import DATASET_NAMES, dataset_name, used_in_words
from .offline import DEBIAN_FASHION_MNIST

__all__ = ["DATASET_NAMES", "dataset_name", "used_in_words", "DEBIAN_FASHION_MNIST", "DOWNLOAD_MB", "DOWNLOAD_TIMEOUT_S", "FOLDERS", "SHAPES", "SPLITS", "DataCorrupt", "DataProvenance",
           "DataUnavailable",
           "ImageData", "available", "fetch", "load"]
