"""Files on disk: which suffixes are images and videos, writing a file atomically, and a
file's sha256.  One home for each, so that every reader, writer and check agrees."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from neural_style.errors import NeuralStyleError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")  # read
# a result is never a palette GIF
OUTPUT_IMAGE_SUFFIXES = tuple(s for s in IMAGE_SUFFIXES if s != ".gif")
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


def atomic_write(path, write) -> Path:
    """Call ``write(tmp_path)`` then rename onto ``path``: readers never see half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def writable_folder(folder, option="--output") -> Path:
    """Create ``folder``, or fail, naming ``option``, before anything is computed."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise NeuralStyleError(f"cannot create the output folder {folder}: {e.strerror}") from None
    if not os.access(folder, os.W_OK):
        raise NeuralStyleError(
            f"the output folder {folder} is not writable; choose another {option}"
        )
    return folder


def atomic_folder(dest, write) -> Path:
    """Call ``write(tmp_folder)`` then rename it onto ``dest`` (which must not exist): a
    failure leaves nothing behind, and readers never see half a folder."""
    dest = Path(dest)
    tmp = Path(tempfile.mkdtemp(dir=writable_folder(dest.parent, "-o"), prefix=f".{dest.name}."))
    try:
        write(tmp)
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def sha256_file(path) -> str:
    """The sha256 of a file's bytes, hex, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
