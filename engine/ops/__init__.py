"""Differentiable operations: each is one ``Op`` class with forward and backward side by side.

``basic`` holds arithmetic and reductions (used by Tensor's operator sugar), ``activation``
the elementwise activations, ``nn`` the fused linear layer, dropout and merges, ``norm``
batch normalisation, ``conv`` and ``pool`` the image ops, ``loss`` the fused losses.
"""
