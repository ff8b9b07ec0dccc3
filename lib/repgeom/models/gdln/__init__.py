"""Gated deep linear networks (Saxe, Sodhani & Lewallen 2022).

The networks (:mod:`.network`), their initial weights (:mod:`.initialisation`),
batched gradient-descent simulation (:mod:`.dynamics`), the ReLU comparison
network (:mod:`.relu`), read-outs of trained weights (:mod:`.analysis`), the
reduced theory (:mod:`.theory`) and linear routing of images (:mod:`.image_routing`).
Everything but the last two is available from this package directly
(``gdln.build``, ``gdln.train``, ...).
"""
from .analysis import first_layer_similarity, mode_strengths
from .dynamics import Trajectory, gradient_step_, outputs, path_maps, task_errors, train
from .initialisation import haar_orthonormal, init_decoupled, init_random, modes
from .network import GDLN, build, hierarchical_items, routing, trained_routes, xor_gdln, xor_items
from .relu import ReluRun, cell_types, train_relu

__all__ = [
    "GDLN", "build", "hierarchical_items", "routing", "trained_routes", "xor_gdln", "xor_items",
    "haar_orthonormal", "init_decoupled", "init_random", "modes",
    "Trajectory", "gradient_step_", "outputs", "path_maps", "task_errors", "train",
    "ReluRun", "cell_types", "train_relu",
    "first_layer_similarity", "mode_strengths",
]
