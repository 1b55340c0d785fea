"""Image data views: sample grid, filters, feature maps, confusion matrix, drawing pad, IDX import.

Each widget stands alone with explicit inputs (``set_model``, ``set_samples``,
``update_report``...) and signals, so the main window wires them and the worker's throttled
snapshot (``engine.probes.image_probe``) feeds them.
"""
from playground.images.confusion_view import ConfusionView
from playground.images.drawing_pad import DrawingCanvas, DrawingPad
from playground.images.feature_maps_view import FeatureMapsView
from playground.images.filters_view import FiltersView
from playground.images.idx_detect import IdxInfo, companion_labels, detect_idx
from playground.images.idx_import_dialog import IdxImportDialog
from playground.images.sample_grid import SampleGrid

__all__ = ["ConfusionView", "DrawingCanvas", "DrawingPad", "FeatureMapsView", "FiltersView",
           "IdxImportDialog", "IdxInfo", "SampleGrid", "companion_labels", "detect_idx"]
