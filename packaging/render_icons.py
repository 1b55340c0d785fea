"""Render the application icon's SVG sources into PNG sizes, a Windows .ico and a macOS .icns.

Run from the repository root: ``python packaging/render_icons.py``. Qt's SVG renderer draws
offscreen (no display needed); Pillow packs the multi-size .ico and .icns files. The outputs are
committed, so building the app never needs this script; rerun it after editing the SVGs.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402  (Qt's platform must be chosen before Qt loads)
from PySide6.QtCore import QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
# Below this size the full drawing's nine nodes blur into a smudge; the simplified one reads.
SMALL_LIMIT = 32
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512)


def render_svg(svg_path: Path, size: int) -> QImage:
    """Draw ``svg_path`` into a transparent, antialiased ``size`` x ``size`` image."""
    renderer = QSvgRenderer(str(svg_path))
    if not renderer.isValid():
        raise ValueError(f"{svg_path}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def source_for(size: int) -> Path:
    """The SVG drawn at ``size``: the simplified mark for small sizes, else the full one."""
    name = "layerlab-small.svg" if size <= SMALL_LIMIT else "layerlab.svg"
    return ICON_DIR / name


def png_path(size: int) -> Path:
    """Where the rendered PNG of ``size`` pixels lives."""
    return ICON_DIR / f"layerlab-{size}.png"


def render_all() -> list[Path]:
    """Write every PNG size, the .ico and the .icns; return the files written."""
    written = []
    for size in PNG_SIZES:
        target = png_path(size)
        if not render_svg(source_for(size), size).save(str(target), "PNG"):
            raise OSError(f"could not write {target}")
        written.append(target)
    largest = Image.open(png_path(max(PNG_SIZES))).convert("RGBA")
    # Pillow scales the largest image for sizes it lacks; give it our renders where we have them
    # so the small sizes keep the simplified drawing.
    ico_images = [Image.open(png_path(size)).convert("RGBA") for size in ICO_SIZES]
    ico_path = ICON_DIR / "layerlab.ico"
    ico_images[-1].save(ico_path, format="ICO", sizes=[(s, s) for s in ICO_SIZES],
                        append_images=ico_images[:-1])
    written.append(ico_path)
    icns_path = ICON_DIR / "layerlab.icns"
    icns_extra = [Image.open(png_path(size)).convert("RGBA") for size in ICNS_SIZES[:-1]]
    largest.save(icns_path, format="ICNS", append_images=icns_extra)
    written.append(icns_path)
    return written


def main() -> int:
    """Render the icons and list what was written."""
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    for path in render_all():
        print(f"{path.relative_to(ICON_DIR.parent.parent)}  {path.stat().st_size} bytes")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
