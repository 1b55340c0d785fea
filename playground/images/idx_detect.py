"""Recognise MNIST, EMNIST and Fashion-MNIST IDX files from their names, headers and labels."""
from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.data.idx import EMNIST_LETTERS, GZIP_MAGIC, known_class_names, read_idx
from engine.errors import ProjectError

IMAGES_HEADER = 16  # magic + count + rows + columns, four bytes each


@dataclass
class IdxInfo:
    """What a pair of IDX files holds and how to read it."""

    variant: str            # "MNIST", "Fashion-MNIST", "EMNIST letters", ... or "IDX"
    count: int
    height: int
    width: int
    transpose: bool         # EMNIST stores images transposed
    label_offset: int       # EMNIST letters count from 1
    class_names: list[str]
    from_labels: bool = False  # the variant was guessed from the labels, not the file names

    def describe(self) -> str:
        """One paragraph for people: variant, size, classes, orientation."""
        names = self.class_names
        shown = ", ".join(names) if len(names) <= 12 else f"{names[0]} … {names[-1]}"
        notes = []
        if self.transpose:
            notes.append("images stored transposed (will be turned upright)")
        if self.label_offset:
            notes.append(f"labels start at {self.label_offset} (will start at 0)")
        extra = f"; {'; '.join(notes)}" if notes else ""
        return (f"{self.variant}: {self.count:,} images of {self.height}×{self.width} pixels, "
                f"{len(names)} classes ({shown}){extra}.")


def read_image_header(path: Path) -> tuple[int, int, int]:
    """Count, rows and columns from an IDX image file's header (gzip allowed); ValueError."""
    with open(path, "rb") as handle:
        gzipped = handle.read(2) == GZIP_MAGIC
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rb") as handle:
            header = handle.read(IMAGES_HEADER)
    except (OSError, EOFError) as error:
        raise ValueError(f"{path.name}: cannot read ({error})") from None
    if len(header) < IMAGES_HEADER or header[:4] != b"\x00\x00\x08\x03":
        raise ValueError(f"{path.name}: not an IDX image file (expected magic 0x00000803, as "
                         "in train-images-idx3-ubyte)")
    count, rows, columns = (int.from_bytes(header[k:k + 4], "big") for k in (4, 8, 12))
    return count, rows, columns


def companion_labels(images_path: str | Path) -> Path | None:
    """The label file that usually sits beside an image file, if it exists."""
    path = Path(images_path)
    for pattern, replacement in (("images-idx3", "labels-idx1"), ("images", "labels")):
        name = re.sub(pattern, replacement, path.name, count=1)
        if name != path.name and (path.parent / name).is_file():
            return path.parent / name
    return None


def variant_name(names_text: str) -> str | None:
    """The data set a file name points to, or None."""
    text = names_text.lower()
    if "emnist" in text:
        for split in ("letters", "balanced", "byclass", "bymerge", "digits", "mnist"):
            if split in text:
                return f"EMNIST {split}"
        return "EMNIST"
    if "fashion" in text:
        return "Fashion-MNIST"
    if "mnist" in text or re.search(r"(train|t10k)-(images|labels)", text):
        return "MNIST"
    return None


def detect_idx(images_path: str | Path, labels_path: str | Path) -> IdxInfo:
    """Inspect an image/label pair; ValueError with a readable message when they do not fit."""
    images_path, labels_path = Path(images_path), Path(labels_path)
    for path in (images_path, labels_path):
        if not path.is_file():
            raise ValueError(f"{path}: file not found")
    count, height, width = read_image_header(images_path)
    try:
        labels = read_idx(labels_path, 1, None, "labels")
    except ProjectError as error:
        raise ValueError(error.what) from None
    if len(labels) != count:
        raise ValueError(f"{labels_path.name} holds {len(labels)} labels but "
                         f"{images_path.name} holds {count} images; pick matching files")
    names_text = f"{images_path.name} {labels_path.name}"
    variant = variant_name(names_text)
    known, offset = known_class_names(names_text)
    transpose = variant is not None and variant.startswith("EMNIST")
    low, high = int(labels.min()), int(labels.max())
    if variant is None and low == 1 and high == 26:
        # Unnamed files with labels 1-26 are almost surely EMNIST letters.
        variant, known, offset, transpose = "EMNIST letters", EMNIST_LETTERS, 1, True
        guessed = True
    else:
        guessed = False
    needed = high - offset + 1
    if known is None or len(known) < needed:
        known = [str(k) for k in range(max(needed, 2))]
        variant = variant or "IDX"
    return IdxInfo(variant=variant, count=count, height=height, width=width,
                   transpose=transpose, label_offset=offset, class_names=list(known),
                   from_labels=guessed)
