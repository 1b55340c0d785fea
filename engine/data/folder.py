"""The ``folder`` source: PNG/JPEG images sorted into one sub-folder per class.

``digits/0/a.png, digits/0/b.png, digits/1/c.png, ...`` becomes a grayscale image set with
classes ``"0"``, ``"1"``, ... (sub-folder names, sorted). Every image is resized to
``size`` x ``size`` by exact area averaging, scaled to [0, 1] and, by default, turned into
light ink on a dark background like MNIST. With ``centre`` the MNIST recipe of
``engine.imageprep`` is applied instead (crop to the ink, fit into the frame, centre of mass
in the middle): the same steps the drawing pad and ``layerlab predict`` use.

Decoding uses Pillow (imported when a folder is loaded, so the engine imports without it).
"""
from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

import numpy as np

from engine.data.common import Source, make_rng, resolve_folder, test_fraction_param
from engine.data.dataset import Dataset, make_dataset
from engine.data.images import image_input_names
from engine.errors import ProjectError, os_reason
from engine.imageprep import ink_on_dark, prepare_image, resize_area, to_unit_range
from engine.params import Param
from engine.registry import SOURCES

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def class_folders(root: Path, file: str | None, where: str) -> list[tuple[str, list[Path]]]:
    """``(class name, image files)`` for each sub-folder holding images, sorted by name."""
    found = []
    try:
        folders = sorted((p for p in root.iterdir()
                          if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
        for folder in folders:
            images = sorted((p for p in folder.iterdir()
                             if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
                            key=lambda p: p.name)
            if images:
                found.append((folder.name, images))
    except OSError as exc:  # an unreadable sub-folder, ...
        raise ProjectError(file, where, f"cannot list {exc.filename or root}: "
                                        f"{os_reason(exc)}") from None
    if len(found) < 2:
        raise ProjectError(file, where, f"{root} has {len(found)} sub-folder(s) with .png/.jpg "
                                        "images; put each class's images in its own sub-folder "
                                        "(e.g. 0/, 1/, ...), at least two classes")
    return found


def read_image(path: Path, file: str | None, where: str) -> np.ndarray:
    """Decode one image file as a ``(H, W)`` float64 grayscale array in [0, 1]."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # Pillow only warns between ~89M and ~179M pixels; no playground image is that big.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(path)
        with opened:
            opened.load()
            image = opened
            has_alpha = image.mode in ("RGBA", "LA", "PA") or (
                image.mode == "P" and "transparency" in image.info)
            if has_alpha:
                # A transparent background reads as white paper behind the ink.
                rgba = image.convert("RGBA")
                image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255,) * 4), rgba)
            if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
                return to_unit_range(np.asarray(image))
            return np.asarray(image.convert("L"), dtype=np.float64) / 255.0
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ProjectError(file, where, f"{path}: image too large to read ({error})") from None
    except UnidentifiedImageError:
        raise ProjectError(file, where, f"{path}: not a readable image; use .png or .jpg "
                                        "files") from None
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, KeyError, TypeError,
            struct.error, zlib.error) as error:
        # Pillow's decoders report damaged files with any of these (SyntaxError for a broken
        # PNG chunk); each means the same thing to the person: this file cannot be read.
        raise ProjectError(file, where, f"{path}: cannot read the image ({error})") from None


def to_sample(image: np.ndarray, size: int, centre: bool, invert: bool | None) -> np.ndarray:
    """One decoded image as a ``(size, size)`` float32 sample in [0, 1]."""
    if centre:
        return prepare_image(image, size, size)[0]
    if invert is None:
        # ink_on_dark inverts light backgrounds and stretches the ink to full range.
        image = ink_on_dark(image)
    elif invert:
        image = 1.0 - image
    return np.clip(resize_area(image, size, size), 0.0, 1.0).astype(np.float32)


@SOURCES.register("folder")
class FolderSource(Source):
    """Folder of PNG/JPG images with one sub-folder per class, as size x size grayscale."""

    kind = "image"
    task = "classification"
    params = (
        Param("path", "path", None, "folder holding one sub-folder of images per class",
              required=True),
        Param("size", "int", 28, "images are resized to size x size pixels", minimum=4,
              maximum=256),
        Param("centre", "bool", False, "MNIST-style: crop to the ink, fit it into the frame and "
              "centre it by its centre of mass (as the drawing pad does)"),
        Param("invert", "bool", None, "make dark ink light (null: when an image's border is "
              "light, so ink is always bright on dark as in MNIST)", nullable=True),
        Param("limit", "int", None, "use at most N images of each class (null: all)",
              minimum=1, nullable=True),
        test_fraction_param(0.2),
    )

    @classmethod
    def load(cls, settings: dict, seed: int, base_dir: Path | None,
             file: str | None) -> Dataset:
        """Decode every image (errors name the file) into ``(1, size, size)`` samples."""
        root = resolve_folder(settings["path"], base_dir, file, "data.path")
        found = class_folders(root, file, "data.path")
        limit = settings.get("limit")
        size, centre, invert = settings["size"], settings["centre"], settings.get("invert")
        samples, labels = [], []
        for label, (_, paths) in enumerate(found):
            chosen = paths[:limit] if limit else paths
            # One decode per file is unavoidable; the pixel work inside is vectorised.
            samples.extend(to_sample(read_image(path, file, "data.path"), size, centre, invert)
                           for path in chosen)
            labels.append(np.full(len(chosen), label, dtype=np.int64))
        x = np.stack(samples)[:, None, :, :].astype(np.float32)
        return make_dataset(x, np.concatenate(labels), task="classification", kind="image",
                            source="folder", test_fraction=settings["test_fraction"],
                            rng=make_rng(seed), classes=[name for name, _ in found],
                            input_names=image_input_names(1, size, size), settings=settings)
