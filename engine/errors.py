"""Errors that carry a place: which file, where inside it, and what is wrong."""
from __future__ import annotations


class ProjectError(Exception):
    """A problem with a user's file, rendered as ``FILE: WHERE: WHAT``."""

    def __init__(self, file: str | None, where: str, what: str) -> None:
        self.file = file or "<project>"
        self.where = where or "(top level)"
        self.what = what
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.what}"

    def with_file(self, file: str) -> "ProjectError":
        """Return a copy of this error naming ``file``."""
        return ProjectError(file, self.where, self.what)


def os_reason(error: OSError) -> str:
    """The system's reason for a failed file operation ("Permission denied", ...), never None."""
    return error.strerror or str(error)


class ShapeError(ValueError):
    """A layer cannot accept the shapes it is given; the message names them."""


class DivergedError(RuntimeError):
    """Training produced a loss or weights that are not finite."""

    def __init__(self, step: int, message: str) -> None:
        self.step = step
        super().__init__(message)
