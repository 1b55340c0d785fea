"""Bundled datasets (data files only; a package so wheels and bundles carry the files)."""
