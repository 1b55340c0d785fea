"""Data sources, the Dataset record, the deterministic split and the preprocessor.

Importing this package registers every data source in ``engine.registry.SOURCES``.
"""
# Import order is registration order: the order `layerlab datasets` and the GUI list them.
from engine.data import playground2d, shapes2d, regression2d, points  # noqa: F401, I001
from engine.data import images, idx, tabular, npzfile, folder  # noqa: F401
from engine.data.dataset import Dataset, make_dataset, split_indices
from engine.data.features import DEFAULT_FEATURES, FEATURE_NAMES, FEATURES, apply_features
from engine.data.loader import describe_sources, load_dataset, validate_data_settings
from engine.data.preprocess import Preprocessor

__all__ = ["Dataset", "DEFAULT_FEATURES", "FEATURE_NAMES", "FEATURES", "Preprocessor",
           "apply_features", "describe_sources", "load_dataset", "make_dataset",
           "split_indices", "validate_data_settings"]
