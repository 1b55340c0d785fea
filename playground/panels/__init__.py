"""Dock panels: layer palette, property form, data, training."""
