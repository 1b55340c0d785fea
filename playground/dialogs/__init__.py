"""Dialogs of the desktop app: export of models, plots and metrics."""
from playground.dialogs.export_dialog import (PLOT_FILE_FILTER, ExportDialog, check_samples,
                                              export_metrics_csv, export_plot,
                                              metrics_csv_text)

__all__ = ["ExportDialog", "PLOT_FILE_FILTER", "check_samples", "export_plot",
           "export_metrics_csv", "metrics_csv_text"]
