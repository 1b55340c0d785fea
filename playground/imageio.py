"""Read PNG/JPEG files as grayscale float arrays (Pillow), with errors that name the file."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.errors import ProjectError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def is_image_path(path: str | Path) -> bool:
    """True when the file name ends in a supported image suffix."""
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def read_grayscale(path: str | Path) -> np.ndarray:
    """The image at ``path`` as a ``(H, W)`` float32 array in [0, 1] (0 is black).

    Transparent pixels are composited onto white first, so a drawing saved with a transparent
    background reads as dark ink on paper.
    """
    from PIL import Image, UnidentifiedImageError

    name = str(path)
    if not Path(path).is_file():
        raise ProjectError(name, "file", "not found; give the path of a .png or .jpg image")
    try:
        with Image.open(path) as opened:
            opened.load()
            image = opened
            if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                rgba = image.convert("RGBA")
                canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                image = Image.alpha_composite(canvas, rgba)
            if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
                array = np.asarray(image, dtype=np.float64)
                top = array.max(initial=0.0)
                return (array / top if top > 0 else array).astype(np.float32)
            gray = image.convert("L")
            return np.asarray(gray, dtype=np.float32) / np.float32(255.0)
    except Image.DecompressionBombError:
        raise ProjectError(name, "file", "the image is too large (a possible decompression "
                                         "bomb); use an image of at most a few megapixels") from None
    except UnidentifiedImageError:
        raise ProjectError(name, "file", "not a readable image; use a .png or .jpg file") from None
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError,
            MemoryError) as error:
        # Pillow reports damaged files through many exception types.
        raise ProjectError(name, "file", f"cannot read the image ({error}); use a .png or .jpg file") from None
