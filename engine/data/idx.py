"""IDX files (MNIST, EMNIST, Fashion-MNIST): a strict header parser and the ``idx`` source."""
from __future__ import annotations

import gzip
import math
import re
import string
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.data.common import (Source, absolute_path, limit_param, make_rng, path_kind,
                                resolve_path, test_fraction_param)
from engine.data.dataset import Dataset, make_dataset
from engine.data.images import image_input_names
from engine.errors import ProjectError, os_reason
from engine.params import Param
from engine.registry import SOURCES

GZIP_MAGIC = b"\x1f\x8b"
# Inflating stops this many bytes past the promised data (enough to report trailing junk).
TRAILING_LIMIT = 1 << 16
READ_CHUNK = 1 << 24
UNSIGNED_BYTE = 0x08
IDX_DTYPES = {0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "short", 0x0C: "int",
              0x0D: "float", 0x0E: "double"}

FASHION_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot"]
DIGIT_NAMES = list(string.digits)
# EMNIST's splits, from Cohen et al. (2017) and the mapping files shipped with the data.
EMNIST_BYCLASS = DIGIT_NAMES + list(string.ascii_uppercase) + list(string.ascii_lowercase)
EMNIST_BALANCED = DIGIT_NAMES + list(string.ascii_uppercase) + list("abdefghnqrt")
EMNIST_LETTERS = list(string.ascii_uppercase)


@dataclass(frozen=True)
class IdxDownload:
    """Where one IDX data set comes from: the import dialog and missing-file errors say this."""

    name: str
    about: str
    files: tuple[str, ...]
    links: tuple[tuple[str, str], ...]  # (text shown in the dialog, address)
    note: str = ""

    def hint(self) -> str:
        """One plain-text sentence: the set is not bundled, and where to download it."""
        addresses = " or a mirror such as ".join(address for _, address in self.links)
        note = f" ({self.note})" if self.note else ""
        return (f"{self.name} is not bundled with LayerLab: download {' and '.join(self.files)} "
                f"from {addresses}{note}")


MNIST_DOWNLOAD = IdxDownload(
    "MNIST", "70,000 handwritten digits",
    ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    (("yann.lecun.com/exdb/mnist", "https://yann.lecun.com/exdb/mnist/"),
     ("cvdfoundation/mnist", "https://github.com/cvdfoundation/mnist")))
FASHION_DOWNLOAD = IdxDownload(
    "Fashion-MNIST", "clothing, same format and file names as MNIST",
    ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    (("zalandoresearch/fashion-mnist", "https://github.com/zalandoresearch/fashion-mnist"),),
    "folder data/fashion")
EMNIST_DOWNLOAD = IdxDownload(
    "EMNIST", "letters, digits, balanced, ...",
    ("emnist-letters-train-images-idx3-ubyte.gz", "emnist-letters-train-labels-idx1-ubyte.gz"),
    (("NIST", "https://www.nist.gov/itl/products-and-services/emnist-dataset"),),
    "the gzip archive; unzip it. Its images are stored transposed and its letters are "
    "labelled from 1: both are handled")
IDX_DOWNLOADS = (MNIST_DOWNLOAD, FASHION_DOWNLOAD, EMNIST_DOWNLOAD)


def download_for(names_text: str) -> IdxDownload | None:
    """The data set that file names point to (the standard MNIST names count), or None."""
    text = names_text.lower()
    if "emnist" in text:
        return EMNIST_DOWNLOAD
    if "fashion" in text:
        return FASHION_DOWNLOAD
    if "mnist" in text or re.search(r"(train|t10k)-(images|labels)-idx", text):
        return MNIST_DOWNLOAD
    return None


def resolve_idx_path(value: str, base_dir: Path | None, file: str | None, where: str,
                     names_text: str) -> Path:
    """``resolve_path``, but a missing file also says where the data set comes from."""
    path = absolute_path(value, base_dir)
    if path_kind(path, file, where) != "missing":
        return resolve_path(value, base_dir, file, where)
    start = ("relative paths start at the project file's folder" if base_dir is not None else
             "relative paths start at the current folder while the project is not saved")
    what = f"file not found: {path} ({start})"
    download = download_for(names_text)
    if download is not None:
        what += (f". {download.hint()}; put both files in {path.parent}, copy the project "
                 f"file next to them, or set data.images and data.labels to where they are")
    raise ProjectError(file, where, what)


def _read_raw(path: Path, ndim: int, file: str | None, where: str) -> bytes:
    """The file's bytes, gunzipped if needed, but not far beyond what its header promises.

    Reading the header first bounds decompression, so a tiny .gz that inflates to gigabytes
    costs no more memory than the data it claims to hold.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:  # permission denied, I/O error, ...
        raise ProjectError(file, where, f"{path.name}: cannot read the file: "
                                        f"{os_reason(exc)}") from None
    if raw[:2] != GZIP_MAGIC:
        return raw
    header_size = 4 + 4 * ndim
    try:
        with gzip.open(path, "rb") as stream:
            header = stream.read(header_size)
            if len(header) < header_size:
                return header
            dims = np.frombuffer(header, dtype=">u4", count=ndim, offset=4)
            wanted = math.prod(int(d) for d in dims) + TRAILING_LIMIT
            # In chunks: one read(wanted) would allocate all of a bogus header's promise.
            chunks, total = [header], 0
            while total < wanted:
                chunk = stream.read(min(READ_CHUNK, wanted - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
            return b"".join(chunks)
    except (OSError, EOFError, zlib.error) as exc:
        raise ProjectError(file, where, f"{path.name}: damaged gzip data ({exc})") from None


def read_idx(path: Path, ndim: int, file: str | None, where: str) -> np.ndarray:
    """Parse an IDX file of unsigned bytes with ``ndim`` dimensions (gzip allowed) strictly."""
    raw = _read_raw(path, ndim, file, where)
    expected_magic = (UNSIGNED_BYTE << 8) | ndim
    what = "images (N, rows, columns)" if ndim == 3 else "labels (N)"
    if len(raw) < 4:
        raise ProjectError(file, where, f"{path.name}: {len(raw)} bytes is too short for an IDX "
                                        f"header; expected magic 0x{expected_magic:08X}")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        dtype_name = IDX_DTYPES.get(raw[2], "unknown type")
        detail = (f"{raw[3]}-dimensional {dtype_name} data" if raw[:2] == b"\0\0"
                  else "not an IDX file")
        raise ProjectError(file, where, f"{path.name}: bad magic number 0x{magic:08X} "
                                        f"({detail}); expected 0x{expected_magic:08X}: IDX "
                                        f"{what} of unsigned bytes")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ProjectError(file, where, f"{path.name}: truncated header ({len(raw)} of "
                                        f"{header} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = math.prod(dims)  # Python ints: 3 dims of up to 2^32 overflow int64
    available = len(raw) - header
    shape_text = "×".join(str(d) for d in dims)
    if dims[0] == 0 or expected == 0:
        raise ProjectError(file, where, f"{path.name}: holds no data (dimensions {shape_text})")
    if available < expected:
        raise ProjectError(file, where, f"{path.name}: truncated: the header promises "
                                        f"{shape_text} = {expected} bytes, the file has "
                                        f"{available}")
    if available > expected:
        extra = available - expected
        count = f"{extra}+" if extra >= TRAILING_LIMIT else str(extra)
        raise ProjectError(file, where, f"{path.name}: {count} unexpected bytes "
                                        f"after the {shape_text} data")
    return np.frombuffer(raw, dtype=np.uint8, count=expected, offset=header).reshape(dims)


def known_class_names(names_text: str) -> tuple[list[str] | None, int]:
    """Class names and label offset implied by dataset file names (EMNIST split, Fashion)."""
    text = names_text.lower()
    if "emnist" in text:
        if "letters" in text:
            return EMNIST_LETTERS, 1
        if "byclass" in text:
            return EMNIST_BYCLASS, 0
        if "bymerge" in text or "balanced" in text:
            return EMNIST_BALANCED, 0
        return DIGIT_NAMES, 0
    if "fashion" in text:
        return FASHION_NAMES, 0
    if "mnist" in text:
        return DIGIT_NAMES, 0
    return None, 0


@SOURCES.register("idx")
class IdxSource(Source):
    """MNIST-style IDX image and label files (.gz allowed); images scaled to [0, 1]."""

    kind = "image"
    task = "classification"
    params = (
        Param("images", "path", None, "IDX image file (e.g. train-images-idx3-ubyte.gz)",
              required=True),
        Param("labels", "path", None, "IDX label file (e.g. train-labels-idx1-ubyte.gz)",
              required=True),
        limit_param(),
        test_fraction_param(0.2),
        Param("transpose", "bool", None, "swap rows and columns (null: yes for EMNIST files, "
              "which store images transposed)", nullable=True),
        Param("label_offset", "int", None, "subtracted from every label (null: 1 for EMNIST "
              "letters, whose labels start at 1, else 0)", minimum=-1000, maximum=1000,
              nullable=True),
        Param("class_names", "strings", None, "names of the classes in label order (null: "
              "from the file names: MNIST, EMNIST splits, Fashion-MNIST; else the numbers)",
              nullable=True),
    )

    @classmethod
    def load(cls, settings: dict, seed: int, base_dir: Path | None,
             file: str | None) -> Dataset:
        """Read both files, check they agree, and give ``(1, H, W)`` samples in [0, 1]."""
        names = f"{settings['images']} {settings['labels']}"
        image_path = resolve_idx_path(settings["images"], base_dir, file, "data.images", names)
        label_path = resolve_idx_path(settings["labels"], base_dir, file, "data.labels", names)
        images = read_idx(image_path, 3, file, "data.images")
        labels = read_idx(label_path, 1, file, "data.labels").astype(np.int64)
        if len(images) != len(labels):
            raise ProjectError(file, "data.labels", f"{label_path.name} holds {len(labels)} "
                                                    f"labels but {image_path.name} holds "
                                                    f"{len(images)} images; use matching files")
        names_text = f"{image_path.name} {label_path.name}"
        known_names, auto_offset = known_class_names(names_text)
        limit = settings.get("limit")
        if limit:
            images, labels = images[:limit], labels[:limit]
        transpose = settings.get("transpose")
        if transpose is None:
            transpose = "emnist" in names_text.lower()
        if transpose:
            images = images.transpose(0, 2, 1)
        offset = settings.get("label_offset")
        labels = labels - (auto_offset if offset is None else offset)
        if labels.min() < 0:
            raise ProjectError(file, "data.label_offset", f"labels of {label_path.name} go "
                                                          f"below 0 after subtracting the "
                                                          f"offset; lower label_offset")
        classes = cls.class_names(settings.get("class_names"), known_names,
                                  int(labels.max()) + 1, file)
        x = images[:, None, :, :].astype(np.float32)
        x /= np.float32(255.0)  # in place: MNIST-sized sets are ~200 MB as float32
        height, width = images.shape[1:]
        return make_dataset(x, labels, task="classification", kind="image", source="idx",
                            test_fraction=settings["test_fraction"], rng=make_rng(seed),
                            classes=classes, input_names=image_input_names(1, height, width),
                            settings=settings)

    @classmethod
    def class_names(cls, given: list[str] | None, known: list[str] | None, needed: int,
                    file: str | None) -> list[str]:
        """Given names (checked), else known names if they cover the labels, else numbers."""
        if given is not None:
            if len(given) < needed:
                raise ProjectError(file, "data.class_names", f"{len(given)} names for labels "
                                                             f"0 to {needed - 1}; give at "
                                                             f"least {needed}")
            return list(given)
        if known is not None and len(known) >= needed:
            return list(known)
        return [str(k) for k in range(max(needed, 2))]
