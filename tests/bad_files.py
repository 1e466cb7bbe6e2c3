"""Broken inputs shared by the loader tests and the command's tests: (make(folder), message)."""

from PIL import Image


def write(path, data):
    path.write_bytes(data)
    return path


def png(path, mode="RGB", size=(64, 48)):
    Image.new("RGB", size, (120, 60, 30)).convert(mode).save(path)
    return path


BAD_FILES = [
    (lambda d: d / "missing.jpg", "no such file"),
    (lambda d: d, "is a folder"),
    (lambda d: write(d / "empty.jpg", b""), "not an image"),
    (lambda d: write(d / "text.jpg", b"just text"), "not an image"),
]
