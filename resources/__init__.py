"""Bundled files (presets, datasets, schema, icons); found through engine.resources."""
