"""Read-outs of trained GDLN weights: first-layer similarity and the strength of each data mode."""
from __future__ import annotations

from typing import Sequence

import torch

from .dynamics import _check_weights, path_maps
from .initialisation import modes
from .network import GDLN


def first_layer_similarity(spec: GDLN, weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """Cosine similarity of the first-hidden-layer representations of every (edge, item).

    Item ``n`` entering layer-0 edge ``e`` (in the routing network: input
    domain ``e``) is represented by ``W_e x_n``.

    Returns
    -------
    torch.Tensor
        Shape (R, E_0 * n, E_0 * n), rows ordered edge-major (edge e, item n at
        ``e * n_items + n``).
    """
    _check_weights(spec, weights)
    h = (weights[0] @ spec.x.T.to(weights[0].dtype)).transpose(-1, -2).flatten(1, 2)  # (R, E*n, n_1)
    h = h / h.norm(dim=-1, keepdim=True).clamp_min(torch.finfo(h.dtype).tiny)
    return h @ h.transpose(-1, -2)


def mode_strengths(spec: GDLN, weights: Sequence[torch.Tensor]) -> torch.Tensor:
    """Each path's strength along each data mode, ``u_k^T W_p v_k``.

    For decoupled weights this is the theory's ``a_p``; for any weights it is
    the projection of the path's map onto the data's singular vectors.

    Returns
    -------
    torch.Tensor
        Shape (R, P, K).
    """
    _check_weights(spec, weights)
    U, _, V = modes(spec)
    eye = torch.eye(spec.widths[0], dtype=weights[0].dtype, device=weights[0].device)
    probe = GDLN(spec.widths, spec.edges, spec.paths, spec.gates[..., :1].expand(-1, -1, spec.widths[0]),
                 eye, torch.zeros(spec.widths[0], spec.widths[-1], dtype=eye.dtype, device=eye.device), spec.scale)
    maps = path_maps(probe, weights)  # (R, P, n_0, n_L): row i is W_p e_i, i.e. W_p^T
    return torch.einsum("ok,rpio,ik->rpk", U.to(eye.dtype), maps, V.to(eye.dtype))
