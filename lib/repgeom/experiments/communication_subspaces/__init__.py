"""Experiments of the communication-subspaces chapter (Communication subspaces align with training in ANNs).

:mod:`.alignment` measures the principal angles of every connection of a ResNet.
"""
