"""Linear routing networks on images (the paper's Fig. 7 "naturalistic" setting).

Input domain ``i`` sees every image through its own fixed pixel permutation
(or, the paper's CIFAR variant, its own rotation of a feature vector);
output domain ``j`` asks for the class label through its own fixed label
permutation. The network is linear: one encoder per input domain, one shared
hidden matrix, one decoder per output domain; the route i -> j computes
``logits = D_j H E_i x_i``. Only some routes are trained (cross-entropy);
the others measure zero-shot generalisation.

Many networks (conditions: trained fraction, init scale, learning rate) train
as one batched tensor program.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from repgeom.checks import LOSS_CHECK_EVERY, check_losses

from . import gradient_step_, haar_orthonormal
from .initialisation import _semi_orthogonal
from .network import _check_count, _check_finite


@dataclass(frozen=True)
class Domains:
    """The fixed transformations defining M input and M output domains.

    Input domains transform the image vector either by a pixel permutation
    (``pixels``) or by a rotation (``rotations``); exactly one is set.

    Attributes
    ----------
    pixels : torch.Tensor or None
        Long, shape (M, D): input domain i shows ``x[:, pixels[i]]``.
    labels : torch.Tensor
        Long, shape (M, C): output domain j's target for class c is ``labels[j, c]``.
    rotations : torch.Tensor or None
        Shape (M, D, D), orthogonal: input domain i shows ``x @ rotations[i].T``.
    """

    pixels: torch.Tensor | None
    labels: torch.Tensor
    rotations: torch.Tensor | None = None

    def __post_init__(self) -> None:
        if (self.pixels is None) == (self.rotations is None):
            raise ValueError("Domains needs exactly one of pixels (permutations) or rotations")
        M = self.labels.shape[0]
        if self.pixels is not None and (self.pixels.ndim != 2 or self.pixels.shape[0] != M):
            raise ValueError(f"pixels must be ({M}, D), got {tuple(self.pixels.shape)}")
        if self.rotations is not None and (self.rotations.ndim != 3 or self.rotations.shape[0] != M
                                           or self.rotations.shape[1] != self.rotations.shape[2]):
            raise ValueError(f"rotations must be ({M}, D, D), got {tuple(self.rotations.shape)}")

    @property
    def count(self) -> int:
        """M, the number of input (and of output) domains."""
        return self.labels.shape[0]

    @property
    def dim(self) -> int:
        """D, the length of the input vectors the domains transform."""
        return (self.pixels if self.pixels is not None else self.rotations).shape[1]

    def views(self, x: torch.Tensor) -> torch.Tensor:
        """Every input domain's view of ``x`` (N, D): shape (M, N, D)."""
        if self.pixels is not None:
            return x[:, self.pixels.to(x.device)].transpose(0, 1)
        return torch.einsum("ne,mde->mnd", x, self.rotations.to(device=x.device, dtype=x.dtype))


def _label_permutations(M: int, n_classes: int, gen: torch.Generator) -> torch.Tensor:
    return torch.stack([torch.randperm(n_classes, generator=gen) for _ in range(M)])


def make_domains(M: int, n_pixels: int, n_classes: int, seed: int) -> Domains:
    """Random pixel and label permutations, one per domain (seeded).

    Returns
    -------
    Domains
    """
    _check_count("M", M)
    _check_count("n_pixels", n_pixels)
    _check_count("n_classes", n_classes, 2)
    gen = torch.Generator().manual_seed(seed)
    pixels = torch.stack([torch.randperm(n_pixels, generator=gen) for _ in range(M)])
    return Domains(pixels, _label_permutations(M, n_classes, gen))


def make_rotation_domains(M: int, dim: int, n_classes: int, seed: int,
                          device: torch.device | str = "cpu") -> Domains:
    """Random rotations of the input vectors and label permutations, one per domain (seeded).

    The paper's CIFAR variant of Fig. 7: input domains are rotations of a
    feature space. Each rotation is Haar-distributed: the Q of a QR
    decomposition of a Gaussian matrix, with the signs of R's diagonal moved
    into Q. The Gaussian draws come from a seeded CPU generator; the
    decompositions run batched, in float64, on ``device``.

    Returns
    -------
    Domains
        With ``rotations`` of shape (M, dim, dim), float64 on ``device``, and
        ``pixels`` None.
    """
    _check_count("M", M)
    _check_count("dim", dim)
    _check_count("n_classes", n_classes, 2)
    gen = torch.Generator().manual_seed(seed)
    rotations = haar_orthonormal(torch.randn(M, dim, dim, generator=gen, dtype=torch.float64).to(device))
    return Domains(None, _label_permutations(M, n_classes, gen), rotations)


@dataclass
class RoutingResult:
    """Errors of each condition's network after training.

    Attributes
    ----------
    loss : torch.Tensor
        Training loss per epoch, shape (C, epochs + 1).
    train_error : torch.Tensor
        Classification error on the training images of every route, shape (C, M, M).
    test_error : torch.Tensor
        Same on held-out images, shape (C, M, M).
    """

    loss: torch.Tensor
    train_error: torch.Tensor
    test_error: torch.Tensor


def route_error_means(errors: torch.Tensor, trained: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Each condition's mean error over its trained and over its untrained routes.

    Parameters
    ----------
    errors : torch.Tensor
        Shape (C, M, M), e.g. ``RoutingResult.test_error``.
    trained : torch.Tensor
        Bool, shape (C, M, M).

    Returns
    -------
    (trained_mean, untrained_mean) : tuple of torch.Tensor
        Float64 on the CPU, shape (C,) each; NaN for a condition without untrained routes.
    """
    if errors.shape != trained.shape or errors.ndim != 3 or trained.dtype != torch.bool:
        raise ValueError(f"errors and trained must both be (C, M, M), trained bool; got {tuple(errors.shape)}, "
                         f"{tuple(trained.shape)} {trained.dtype}")
    err, on = errors.detach().double().cpu(), trained.cpu().double()
    off = 1.0 - on
    return (err * on).sum((1, 2)) / on.sum((1, 2)), (err * off).sum((1, 2)) / off.sum((1, 2))


def _logits(xs: torch.Tensor, enc, hid, dec) -> torch.Tensor:
    """Logits of every route from the domains' views (M, N, D): shape (C, M_in, M_out, N, classes)."""
    h1 = torch.einsum("mnd,cmhd->cmnh", xs, enc)
    h2 = h1 @ hid.transpose(-1, -2).unsqueeze(1)
    return torch.einsum("cinh,cjkh->cijnk", h2, dec)


#: Memory the route logits of one chunk of images may take (bytes) when ``chunk="auto"``: with autograd's
#: copies, training then holds a few times this; M = 100 routes of 1,000 images fit in a few GB.
CHUNK_BUDGET_BYTES = 256 * 2 ** 20


def image_chunk(C: int, M: int, n_classes: int, n_images: int, itemsize: int = 4,
                budget: int = CHUNK_BUDGET_BYTES) -> int:
    """Images per chunk so that the logits of one chunk, shape (C, M, M, chunk, classes), fit in ``budget`` bytes."""
    per_image = C * M * M * n_classes * itemsize
    return max(1, min(n_images, budget // per_image))


def _errors(x, y, dom: Domains, enc, hid, dec, chunk: int) -> torch.Tensor:
    target = dom.labels.to(x.device)[:, y]  # (M_out, N)
    views = dom.views(x)
    wrong = torch.zeros(enc.shape[0], enc.shape[1], dec.shape[1], dtype=x.dtype, device=x.device)
    for s in range(0, x.shape[0], chunk):
        pred = _logits(views[:, s:s + chunk], enc, hid, dec).argmax(-1)  # (C, M, M, chunk)
        wrong += (pred != target[None, None, :, s:s + chunk]).to(x.dtype).sum(-1)
    return wrong / x.shape[0]


def train_image_routing(
    x: torch.Tensor,
    y: torch.Tensor,
    x_test: torch.Tensor,
    y_test: torch.Tensor,
    domains: Domains,
    trained: torch.Tensor,
    sigma0: torch.Tensor,
    lr: torch.Tensor,
    hidden: int,
    epochs: int,
    seed: int,
    n_classes: int = 10,
    chunk: int | str = "auto",
) -> RoutingResult:
    """Train C linear routing networks (one per condition) by full-batch gradient descent.

    The loss of a network is ``(1/K_i) sum over trained routes (i, j)`` of the
    mean cross-entropy over images (each input domain's trained routes are
    averaged, then summed over input domains), so encoders and decoders see
    gradients of the same order at every trained fraction.

    Parameters
    ----------
    x, x_test : torch.Tensor
        Images as vectors, shape (N, D) and (N_test, D).
    y, y_test : torch.Tensor
        Class labels in ``[0, n_classes)``, shape (N,) and (N_test,).
    domains : Domains
        M input transformations (pixel permutations or rotations) and M
        label permutations.
    trained : torch.Tensor
        Bool, shape (C, M, M): routes trained in each condition (each input
        domain needs at least one).
    sigma0 : torch.Tensor
        Init scale per condition, shape (C,): every matrix is ``sigma0`` times a
        semi-orthogonal matrix.
    lr : torch.Tensor
        Learning rate per condition, shape (C,).
    hidden : int
        Hidden width.
    epochs : int
    seed : int
        Seeds the initial weights (condition c uses ``seed + c``).
    n_classes : int
    chunk : int or "auto"
        Images per chunk of the forward and backward pass: the full-batch
        gradient is accumulated over chunks, so memory stays bounded at
        M = 100 (the paper's Fig. 7). ``"auto"`` keeps one chunk's logits
        under :data:`CHUNK_BUDGET_BYTES`; one chunk of all images is the
        plain full-batch step.

    Returns
    -------
    RoutingResult
    """
    if x.ndim != 2 or x_test.ndim != 2 or x_test.shape[1] != x.shape[1]:
        raise ValueError(f"x and x_test must be (N, D) with the same D, got {tuple(x.shape)} and {tuple(x_test.shape)}")
    if y.shape != (x.shape[0],) or y_test.shape != (x_test.shape[0],):
        raise ValueError(f"y and y_test must be (N,) label vectors, got {tuple(y.shape)} and {tuple(y_test.shape)}")
    _check_finite("x", x)
    _check_finite("x_test", x_test)
    for name, lab in (("y", y), ("y_test", y_test)):
        if lab.min() < 0 or lab.max() >= n_classes:
            raise ValueError(f"{name} must hold labels in [0, {n_classes}), got range [{int(lab.min())}, {int(lab.max())}]")
    M, D = domains.count, domains.dim
    if D != x.shape[1] or domains.labels.shape != (M, n_classes):
        raise ValueError(f"domains must transform {x.shape[1]}-dim inputs and permute {n_classes} labels, "
                         f"got {D}-dim inputs and labels {tuple(domains.labels.shape)}")
    if trained.ndim != 3 or trained.shape[1:] != (M, M) or trained.dtype != torch.bool:
        raise ValueError(f"trained must be a bool tensor (C, {M}, {M}), got {tuple(trained.shape)} {trained.dtype}")
    C = trained.shape[0]
    if not trained.any(-1).all():
        raise ValueError("trained must give every input domain at least one trained route in every condition")
    for name, v in (("sigma0", sigma0), ("lr", lr)):
        if v.shape != (C,) or not torch.isfinite(v).all() or (v <= 0).any():
            raise ValueError(f"{name} must be positive and finite with shape ({C},), got {tuple(v.shape)}")
    _check_count("hidden", hidden)
    _check_count("epochs", epochs, 0)
    dtype, device = x.dtype, x.device
    enc = torch.empty(C, M, hidden, D, dtype=dtype, device=device)
    hid = torch.empty(C, hidden, hidden, dtype=dtype, device=device)
    dec = torch.empty(C, M, n_classes, hidden, dtype=dtype, device=device)
    for c in range(C):
        gen = torch.Generator().manual_seed(seed + c)
        s0 = float(sigma0[c])
        for i in range(M):
            enc[c, i] = s0 * _semi_orthogonal(hidden, D, gen, dtype, device)
        hid[c] = s0 * _semi_orthogonal(hidden, hidden, gen, dtype, device)
        for j in range(M):
            dec[c, j] = s0 * _semi_orthogonal(n_classes, hidden, gen, dtype, device)
    params = [t.requires_grad_(True) for t in (enc, hid, dec)]
    views = domains.views(x)  # (M, N, D), once: a rotation is a matmul
    target = domains.labels.to(device)[:, y]  # (M_out, N)
    weight = trained.to(dtype) / trained.sum(-1, keepdim=True).to(dtype)  # 1/K_i per trained route
    lr_v = lr.to(dtype=dtype, device=device)
    N = x.shape[0]
    if chunk == "auto":
        chunk = image_chunk(C, M, n_classes, max(N, x_test.shape[0]), x.element_size())
    elif isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be a positive number of images or 'auto', got {chunk!r}")
    losses = torch.empty(C, epochs + 1, dtype=dtype, device=device)
    for epoch in range(epochs + 1):
        if chunk >= N:  # one chunk: the plain full-batch step
            logits = _logits(views, *params)  # (C, M, M, N, k)
            ce = F.cross_entropy(logits.flatten(0, 3), target[None, None].expand(C, M, M, -1).flatten(),
                                 reduction="none").view(C, M, M, -1).mean(-1)
            per_net = (ce * weight).sum((1, 2))
            losses[:, epoch] = per_net.detach()
            if epoch == epochs:
                break
            gradient_step_(params, per_net, lr_v, losses[:, :epoch + 1], epoch)
            continue
        # Chunks of images: the mean over images is a sum of chunk sums / N, so are the loss and its gradient.
        grads = [torch.zeros_like(p) for p in params]
        per_net = torch.zeros(C, dtype=dtype, device=device)
        for s in range(0, N, chunk):
            logits = _logits(views[:, s:s + chunk], *params)
            n_s = logits.shape[3]
            ce = F.cross_entropy(logits.flatten(0, 3), target[None, None, :, s:s + chunk].expand(C, M, M, -1).flatten(),
                                 reduction="none").view(C, M, M, n_s).sum(-1) / N
            part = (ce * weight).sum((1, 2))
            if epoch < epochs:
                for g, d in zip(grads, torch.autograd.grad(part.sum(), params)):
                    g += d
            per_net += part.detach()
        losses[:, epoch] = per_net
        if epoch == epochs:
            break
        with torch.no_grad():
            for p, g in zip(params, grads):
                p.sub_(lr_v.view(-1, *([1] * (p.ndim - 1))) * g)
        if (epoch + 1) % LOSS_CHECK_EVERY == 0:
            check_losses(losses[:, :epoch + 1].T, "epoch")
    check_losses(losses.T, "epoch")
    with torch.no_grad():
        tr = _errors(x, y, domains, *params, chunk=chunk)
        te = _errors(x_test, y_test, domains, *params, chunk=chunk)
    return RoutingResult(losses, tr, te)
