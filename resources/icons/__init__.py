"""Application icon files (SVG sources, rendered PNGs, .ico, .icns); a package so wheels carry them."""
