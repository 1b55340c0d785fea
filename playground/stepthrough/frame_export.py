"""Export a replay as numbered PNG frames or an animated GIF (Pillow).

A frame comes from a callable ``render(step) -> frame`` where a frame is a QImage, a QPixmap, a
PIL image or an ``(H, W, 3|4)`` uint8 array; ``widget_renderer`` makes one from any widget and
a function that puts the widget into the state of a step. Frames of other sizes are scaled to
the first frame's size, so a resized window does not break a GIF.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
from PIL import Image
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QWidget

from engine.fileio import atomic_write_bytes

Render = Callable[[int], object]


def to_pil(frame) -> Image.Image:
    """A frame (QImage, QPixmap, PIL image or uint8 array) as an RGBA PIL image."""
    if isinstance(frame, Image.Image):
        return frame.convert("RGBA")
    if isinstance(frame, QPixmap):
        frame = frame.toImage()
    if isinstance(frame, QImage):
        image = frame.convertToFormat(QImage.Format_RGBA8888)
        width, height = image.width(), image.height()
        # Rows may be padded: read bytesPerLine per row, then keep the pixels.
        raw = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
        pixels = raw.reshape(height, image.bytesPerLine())[:, :width * 4]
        return Image.fromarray(pixels.reshape(height, width, 4).copy(), "RGBA")
    array = np.asarray(frame)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] not in (3, 4):
        raise TypeError("a frame must be a QImage, QPixmap, PIL image or (H, W, 3|4) uint8 array")
    return Image.fromarray(array, "RGB" if array.shape[2] == 3 else "RGBA").convert("RGBA")


def _frames(render: Render, steps: Iterable[int]) -> list[Image.Image]:
    """Render every step; scale later frames to the first frame's size."""
    frames: list[Image.Image] = []
    for step in steps:
        frame = to_pil(render(int(step)))
        if frames and frame.size != frames[0].size:
            frame = frame.resize(frames[0].size, Image.BILINEAR)
        frames.append(frame)
    if not frames:
        raise ValueError("there are no steps to export; train and record some first")
    return frames


def export_png_frames(render: Render, steps: Iterable[int], folder: str | Path,
                      prefix: str = "frame") -> list[Path]:
    """Write ``<prefix>_0000.png``, ``<prefix>_0001.png``, ... into ``folder``; return the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, frame in enumerate(_frames(render, steps)):
        buffer = io.BytesIO()
        frame.save(buffer, format="PNG")
        path = folder / f"{prefix}_{number:04d}.png"
        atomic_write_bytes(path, buffer.getvalue())
        paths.append(path)
    return paths


def export_gif(render: Render, steps: Iterable[int], path: str | Path, fps: float = 10.0,
               loop: bool = True) -> Path:
    """Write an animated GIF of the rendered steps at ``fps`` frames per second."""
    frames = [frame.convert("RGB") for frame in _frames(render, steps)]
    buffer = io.BytesIO()
    duration = max(20, int(round(1000.0 / max(fps, 0.1))))
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:],
                   duration=duration, loop=0 if loop else 1, optimize=False, disposal=1)
    path = Path(path)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def export_animation(render: Render, steps: Iterable[int], path: str | Path,
                     fps: float = 10.0) -> list[Path]:
    """A GIF when ``path`` ends in .gif, otherwise PNG frames in the folder ``path``."""
    path = Path(path)
    if path.suffix.lower() == ".gif":
        return [export_gif(render, steps, path, fps)]
    return export_png_frames(render, steps, path)


def widget_renderer(widget: QWidget, show_step: Callable[[int], None]) -> Render:
    """A renderer that puts ``widget`` into a step's state, lets Qt repaint, and grabs it."""
    def render(step: int) -> QImage:
        show_step(step)
        QCoreApplication.processEvents()
        return widget.grab().toImage()
    return render
