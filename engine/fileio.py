"""Atomic file writes: a crash or a full disk never leaves a half-written project or model."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def check_output_path(path: str | os.PathLike, where: str) -> None:
    """Refuse a path whose names the file system cannot hold (before any work is done)."""
    from engine.errors import ProjectError
    text = os.fspath(path)
    try:
        name_max = os.pathconf(Path(text).parent if str(Path(text).parent) else ".", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        name_max = 255
    for part in Path(text).parts:
        if len(os.fsencode(part)) > name_max:
            shown = part if len(part) <= 40 else part[:37] + "..."
            raise ProjectError(shown, where, f"the name is too long for the file system (at most "
                                             f"{name_max} bytes per name)")
    if len(os.fsencode(text)) > 4000:
        raise ProjectError(text[:40] + "...", where, "the path is too long for the file system")


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync, then rename."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    # The temporary file must live on the same filesystem as the target for os.replace to be
    # atomic, hence the same folder rather than /tmp.
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        _keep_permissions(target, temp_name)
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except FileNotFoundError:
            pass
        raise
    _sync_folder(folder)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` atomically (UTF-8, newlines as given)."""
    atomic_write_bytes(path, text.encode(encoding))


def _keep_permissions(target: Path, temp_name: str) -> None:
    """Give the new file the old file's mode, or the usual umask-based mode for a new file."""
    try:
        mode = target.stat().st_mode & 0o7777
    except FileNotFoundError:
        # mkstemp creates files as 0600; a normal file would get 0666 minus the umask.
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temp_name, mode)


def _sync_folder(folder: Path) -> None:
    """Persist the rename itself (best effort: not every platform can fsync a directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
