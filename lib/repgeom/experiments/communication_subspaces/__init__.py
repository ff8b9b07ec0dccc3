"""Experiments of the communication-subspaces chapter (Communication subspaces align with training in ANNs).

:mod:`.parameters` holds the chapter's parameters (``Params``, ``QUICK``, ``FULL``);
:mod:`.networks` builds the networks compared (the ResNets trained in the chapter
on the stand-in, their untrained twins, the ImageNet-trained ResNet-50);
:mod:`.alignment` measures the principal angles of every connection of a ResNet;
:mod:`.measurements` holds the chapter's other measurements (convolution as a
matrix product, subspace sizes, alignment along training, ResNet-18);
:mod:`.figures` draws the figures and :mod:`.claims` evaluates the paper's claims.
"""
