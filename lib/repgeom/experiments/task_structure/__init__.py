"""Experiments of the task-structure chapter (Alleman, Lindsey & Fusi, ICLR 2024).

One module per idea:

* :mod:`.params` -- the chapter's :class:`Params` at the quick and full profiles;
* :mod:`.sweep` -- one batched training sweep of the one-hidden-layer networks, measured at snapshots;
* :mod:`.estimators` -- the authors' and Bernardi et al.'s estimators side by side;
* :mod:`.weights` -- input-weight trajectories, the expected gradient field, readout groups' tuning and
  end regions (Figs. 1D, 2C, 7D-E, 10);
* :mod:`.delta` -- the δ-XOR sweep over separability and training noise (Figs. 2-3);
* :mod:`.aligned` -- random tasks with prescribed input-target alignment and their input dimension (Figs. 4B, 6,
  Appendix C);
* :mod:`.deep` -- deep networks (Fig. 5) and this book's communication-subspace / SRM addition;
* :mod:`.cnn` -- convolutional networks on images (Fig. 4C);
* :mod:`.appendix` -- two outputs and other readouts (Appendices A, B);
* :mod:`.plots_four_clusters`, :mod:`.plots_random_tasks` -- the chapter's figures;
* :mod:`.claims` -- the paper's claims, evaluated and recorded.
"""
from .aligned import (
                     AlignedResults,
                     activation_curves,
                     aligned_entries,
                     aligned_sweep,
                     check_activations,
                     dimension_table,
                     fig6_k,
                     input_dimension,
                     perturbed_activations,
                     run_aligned,
                     run_paper_check,
)
from .appendix import readout_runs, two_output_task
from .claims import (
                     diff_ci,
                     fmt,
                     record_activation_claims,
                     record_aligned_claims,
                     record_appendix_claims,
                     record_cnn_claims,
                     record_deep_claims,
                     record_delta_claims,
                     record_fig1_claims,
)
from .cnn import CnnRow, cnn_geometry, load_cnn_data
from .deep import DeepResult, communication_angles, deep_members, deep_tasks, random_angle, run_deep, srm_across_seeds
from .delta import DeltaSweep, delta_grid, delta_member, delta_sweep, noise_index, run_delta_check
from .estimators import estimator_table
from .params import FULL, QUICK, Params, params
from .plots_four_clusters import (
                     delta_figure,
                     delta_weights_figure,
                     group_tuning_figure,
                     group_weights_figure,
                     noise_figure,
                     noise_regions_figure,
                     readouts_figure,
                     training_figure,
                     weight_panel,
                     weights_figure,
)
from .plots_random_tasks import activations_figure, aligned_figure, beyond_figure, cnn_figure, deep_figure
from .sweep import ACTS, COLORS, ESTIMATORS, NAMES, Context, SweepResult, act_means, by_act, cluster_run, paired_activations
from .weights import (
                     REGIONS,
                     WeightField,
                     class_axes,
                     end_region,
                     group_tuning,
                     group_weight_field,
                     noise_regions,
                     readout_groups,
                     selectivity_ratio,
                     tuning_asymmetry,
                     weight_field,
)

__all__ = [
    "ACTS", "COLORS", "NAMES", "ESTIMATORS", "FULL", "QUICK", "Params", "params",
    "Context", "SweepResult", "cluster_run", "paired_activations", "by_act", "act_means",
    "WeightField", "class_axes", "weight_field", "selectivity_ratio", "REGIONS", "end_region", "group_tuning",
    "group_weight_field", "noise_regions", "readout_groups", "tuning_asymmetry",
    "DeltaSweep", "delta_sweep", "delta_grid", "noise_index", "delta_member", "run_delta_check",
    "AlignedResults", "aligned_entries", "aligned_sweep", "run_aligned", "activation_curves", "fig6_k",
    "perturbed_activations", "check_activations", "run_paper_check", "input_dimension", "dimension_table",
    "DeepResult", "deep_tasks", "run_deep", "deep_members", "communication_angles", "random_angle", "srm_across_seeds",
    "CnnRow", "load_cnn_data", "cnn_geometry",
    "two_output_task", "readout_runs",
    "training_figure", "weight_panel", "weights_figure", "delta_figure", "delta_weights_figure", "noise_figure",
    "readouts_figure", "group_tuning_figure", "group_weights_figure", "noise_regions_figure", "aligned_figure", "activations_figure", "deep_figure", "beyond_figure", "cnn_figure",
    "estimator_table",
    "fmt", "diff_ci", "record_fig1_claims", "record_delta_claims", "record_aligned_claims", "record_deep_claims",
    "record_activation_claims", "record_cnn_claims", "record_appendix_claims",
]
