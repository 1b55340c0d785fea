"""Linux desktop integration files (.desktop entry, AppStream metainfo); a package so wheels carry them."""
