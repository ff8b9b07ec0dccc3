"""The shared kernels: measures of a representation's geometry, pure torch on the input's device.

========================  ====================================================
module                    measures
========================  ====================================================
``subspace``              principal angles, random-subspace baselines, convolutions as matrices
``subspace_size``         how many singular vectors two subspaces keep (the authors' grid search, bisection)
``similarity``            RSMs and their comparison, kernel alignment, CKA
``srm``                   the shared response model and orthogonal Procrustes
``srm_numpy``             the same SRM in plain numpy (a reference for tests and benches)
``decoding``              cross-validated linear decoding of dichotomies
``abstraction``           CCGP, parallelism score, and all of them at once
``abstraction_released``  the same as the authors' released analysis: matched-pair CCGP, assignment parallelism, linear SVMs
``spatial``               neurons on a grid: distances, spatial variance, wiring cost
``dimension``             linear dimension: the participation ratio of a kernel's eigenvalues
========================  ====================================================

Measures import nothing from the rest of the package but :mod:`repgeom.checks`.
"""
