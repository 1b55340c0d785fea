"""LayerLab's from-scratch numpy engine: tensors, autodiff, layers, training, files, export."""

__version__ = "0.1.0"
