"""Experiments of the shared-geometry chapter (Lu et al. 2018, Shared representational geometry across networks).

:mod:`.parameters` the quick and full profiles; :mod:`.simulation` Proposition 1 and the XOR simulation
(Fig. 2); :mod:`.networks` the data and the ConvNet / ResNet-18 ensembles; :mod:`.analysis` SRM, RSMs, CKA and
Procrustes distance on their held-out activations (Figs. 1, 3); :mod:`.figures` the chapter's figures;
:mod:`.claims` the paper's claims evaluated on the measurements.
"""
from .analysis import *
from .claims import *
from .figures import *
from .networks import *
from .parameters import *
from .simulation import *
