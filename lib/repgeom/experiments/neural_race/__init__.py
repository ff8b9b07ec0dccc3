"""Experiments of the neural-race chapter (Saxe, Sodhani & Lewallen 2022, The Neural Race Reduction).

One module per idea:

* :mod:`.params`: the chapter's parameters (:class:`Params`, :data:`QUICK`, :data:`FULL`);
* :mod:`.xor`: Fig. 3, ReLU networks on XOR against their gated linear network;
* :mod:`.routing`: Fig. 4, the routing network, its reduced theory and read-outs
  (it also trains Fig. 6's init-scale runs in the same batch);
* :mod:`.race`: Fig. 5, the race between gating schemes and the trained-fraction sweep;
* :mod:`.init_scale`: Fig. 6, rich race against lazy regime;
* :mod:`.custom`: a gating structure given as a table of paths;
* :mod:`.images`: Fig. 7, routing images through permuted and rotated domains;
* :mod:`.plots`: the chapter's figures;
* :mod:`.claims`: the paper's claims, evaluated and recorded.
"""
from .claims import (
    record_image_claims,
    record_init_claims,
    record_race_claims,
    record_routing_claims,
    record_xor_claims,
)
from .custom import CustomResult, custom_gating, path_table
from .images import (
    ImageRoutingResult,
    RotationInputs,
    RotationResult,
    at_fraction,
    image_vectors,
    permuted_image_routing,
    rotated_domain_routing,
    rotation_inputs,
)
from .init_scale import InitScaleResult, init_scale_analysis
from .params import FULL, QUICK, Params, params
from .plots import (
    plot_custom,
    plot_images,
    plot_init_scale,
    plot_race,
    plot_rotations,
    plot_routing,
    plot_xor,
    route_grid,
    show_grid,
)
from .race import (
    NoCommonResult,
    RaceResult,
    SweepResult,
    first_above,
    no_common_similarity,
    race_theory,
    trained_fraction_sweep,
)
from .routing import (
    RoutingGeometry,
    RoutingMeasures,
    RoutingRuns,
    RoutingTheory,
    routing_geometry,
    routing_measures,
    routing_theory,
    train_routing,
)
from .xor import XorResult, xor_experiment

__all__ = [
    "FULL",
    "QUICK",
    "CustomResult",
    "ImageRoutingResult",
    "InitScaleResult",
    "NoCommonResult",
    "Params",
    "RaceResult",
    "RotationInputs",
    "RotationResult",
    "RoutingGeometry",
    "RoutingMeasures",
    "RoutingRuns",
    "RoutingTheory",
    "SweepResult",
    "XorResult",
    "at_fraction",
    "custom_gating",
    "first_above",
    "image_vectors",
    "init_scale_analysis",
    "no_common_similarity",
    "params",
    "path_table",
    "permuted_image_routing",
    "plot_custom",
    "plot_images",
    "plot_init_scale",
    "plot_race",
    "plot_rotations",
    "plot_routing",
    "plot_xor",
    "race_theory",
    "record_image_claims",
    "record_init_claims",
    "record_race_claims",
    "record_routing_claims",
    "record_xor_claims",
    "rotated_domain_routing",
    "rotation_inputs",
    "route_grid",
    "routing_geometry",
    "routing_measures",
    "routing_theory",
    "show_grid",
    "train_routing",
    "trained_fraction_sweep",
    "xor_experiment",
]
