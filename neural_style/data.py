"""Named lesson images: manifest, verified download, mirror folder, offline stand-ins.

Resolution of a name such as ``"starry_night"``: the project's ``data/`` folder, where the
lesson images ship, then its download cache ``data/cache``, then a mirror folder
(``NEURAL_STYLE_DATA``, e.g. a copy of the files), then the download.
Every file is checked against its sha256 before use.  Content photos that ship inside
installed packages (matplotlib's ``grace_hopper``) need no download at all.
"""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neural_style.errors import NeuralStyleError
from neural_style.files import atomic_write, sha256_file

_BASE = "https://raw.githubusercontent.com/jcjohnson/neural-style/07c4b8299f8fbdafec0c514fc820ff1d7ff62e46/examples/inputs/"


@dataclass(frozen=True)
class LessonImage:
    """One lesson image: its file in ``data/``, sha256, title, credit and licence."""

    name: str
    filename: str
    sha256: str
    title: str
    credit: str
    licence: str

    @property
    def url(self) -> str:
        """Where it is downloaded from when neither ``data/`` nor a mirror has it."""
        return _BASE + self.filename


MANIFEST = {
    img.name: img
    for img in (
        LessonImage(
            "starry_night",
            "starry_night.jpg",
            "0592ab0f7b51b3ce72608a95e53880bd93971e5b48f93a0ce8dfd3cbccf3d098",
            "The Starry Night",
            "Vincent van Gogh, 1889",
            "public domain",
        ),
        LessonImage(
            "the_scream",
            "the_scream.jpg",
            "f3075cddeb974a9ee1d6418f7f33fd05185a7ac7dcb4288bd2805d499a9dcaee",
            "The Scream",
            "Edvard Munch, 1893",
            "public domain",
        ),
        LessonImage(
            "shipwreck",
            "shipwreck.jpg",
            "4f7cf34e3cd4a5daaf3f421f059ca9a01aaa2a3afd7243d6670c9c8bc001a213",
            "The Shipwreck of the Minotaur",
            "J. M. W. Turner, c. 1805-1810",
            "public domain",
        ),
        LessonImage(
            "woman_with_hat",
            "woman-with-hat-matisse.jpg",
            "6a8b2383d9c110354a97a42c74bdcc5341be879cbb842ddb7ab5843dbdf56d53",
            "Woman with a Hat",
            "Henri Matisse, 1905",
            "public domain in the US and in life+70 countries since 2025",
        ),
        LessonImage(
            "tubingen",
            "tubingen.jpg",
            "e67d1869f01fd805385c681a80d9ebcf0f70ea4a5fe6127f0606bb1c7f4bf506",
            "Neckarfront, Tuebingen (photograph)",
            "Andreas Praefcke",
            "CC BY 3.0 (Wikimedia Commons); credited in Gatys et al. 2015, Fig. 2",
        ),
    )
}

# Images inside installed packages: no download, always available.
PACKAGED = {
    "grace_hopper": ("matplotlib sample data", "Grace Hopper, US Navy photograph, public domain")
}
# What a default run uses when a painting can be had neither from the cache, nor a mirror,
# nor the network: a colour-mapped relief from matplotlib's sample data.
STAND_IN = "topobathy"


def shipped_dir() -> Path:
    """The project's ``data/`` folder, where the lesson images ship with the checkout."""
    return Path(__file__).resolve().parent.parent / "data"


def cache_dir() -> Path:
    """``data/cache`` of the project checkout, or ``~/.cache/neural_style`` when installed."""
    project = shipped_dir()
    return project / "cache" if project.is_dir() else Path.home() / ".cache" / "neural_style"


def _verified(path, img: LessonImage) -> bool:
    return Path(path).is_file() and sha256_file(path) == img.sha256


def _download(img: LessonImage, dest: Path, timeout=20) -> Path:
    with urllib.request.urlopen(img.url, timeout=timeout) as r:
        data = r.read()
    if hashlib.sha256(data).hexdigest() != img.sha256:
        raise NeuralStyleError(f"{img.url}: downloaded file does not match its sha256; not used")
    return atomic_write(dest, lambda tmp: Path(tmp).write_bytes(data))


# Colour photos that scikit-image ships (public domain or CC0, see its data README): with
# grace_hopper, the training set of the real-time style network that ships.  tubingen is
# left out on purpose: it is the photo the network is shown after training.
SKIMAGE_PHOTOS = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "motorcycle_left.png",
    "motorcycle_right.png",
    "rocket.jpg",
)


def training_photos() -> list[Path]:
    """Photos for training a network with no download: grace_hopper and, where
    scikit-image is installed (``make setup`` installs it), its colour sample photos."""
    photos = [packaged_path("grace_hopper")]
    try:
        import skimage.data
    except ImportError:
        return photos
    folder = Path(skimage.data.__file__).parent
    return photos + [folder / n for n in SKIMAGE_PHOTOS if (folder / n).is_file()]


def packaged_path(name) -> Path:
    """A photo that ships inside matplotlib's sample data (``grace_hopper``): no download."""
    import matplotlib.cbook

    return Path(matplotlib.cbook.get_sample_data(f"{name}.jpg", asfileobj=False))


def path(name, download=True) -> Path:
    """Path of a verified copy of the lesson image ``name`` (see ``MANIFEST``).

    Raises NeuralStyleError when it is in neither the cache nor the mirror folder and
    cannot be downloaded, saying how to fix that.
    """
    if name in PACKAGED:
        return packaged_path(name)
    if name not in MANIFEST:
        names = ", ".join(list(MANIFEST) + list(PACKAGED))
        raise NeuralStyleError(f"unknown image name {name!r}; known names: {names}")
    img = MANIFEST[name]
    for folder in (shipped_dir(), cache_dir()):
        if _verified(folder / img.filename, img):
            return folder / img.filename
    cached = cache_dir() / img.filename
    mirror = os.environ.get("NEURAL_STYLE_DATA")
    if mirror:
        candidate = Path(mirror).expanduser() / img.filename
        if _verified(candidate, img):
            return candidate
        if candidate.exists():
            warnings.warn(f"{candidate}: sha256 does not match {name}; ignored", stacklevel=2)
    if download:
        try:
            return _download(img, cached)
        except NeuralStyleError:
            raise
        except OSError as e:
            reason = getattr(e, "reason", e)
            raise NeuralStyleError(
                f"cannot get {name!r}: not in {shipped_dir()}, {cache_dir()} nor "
                f"NEURAL_STYLE_DATA, and {img.url} is unreachable ({reason}); put {img.filename} "
                "in a folder and set NEURAL_STYLE_DATA to it"
            ) from None
    raise NeuralStyleError(f"{name!r} is not in {shipped_dir()} nor {cache_dir()}; run `make data`")


def stand_in(shape=(512, 512)) -> np.ndarray:
    """A painterly RGB uint8 stand-in made from matplotlib's ``topobathy`` sample data."""
    import matplotlib
    import matplotlib.cbook
    from PIL import Image

    z = np.load(matplotlib.cbook.get_sample_data("topobathy.npz", asfileobj=False))["topo"]
    z = z.astype(np.float64)
    z = (z - z.min()) / np.ptp(z)
    rgb = (matplotlib.colormaps["gist_earth"](z)[..., :3] * 255).astype(np.uint8)
    return np.asarray(Image.fromarray(rgb).resize(shape[::-1], Image.Resampling.BICUBIC))


def load(name_or_path, size=None, factor=None, resample="nearest", stand_in_ok=False):
    """RGB uint8 (H, W, 3) for a lesson image name or a file path.

    With ``stand_in_ok=True`` an unreachable painting is replaced by the stand-in, with a
    visible notice on stderr, so that a default run still works offline.
    """
    from neural_style.images import load_image, resize

    key = str(name_or_path)
    if key in MANIFEST or key in PACKAGED:
        try:
            p = path(key)
        except NeuralStyleError as e:
            if not stand_in_ok:
                raise
            print(
                f"notice: {e}\nnotice: using the stand-in {STAND_IN!r} (matplotlib sample data) "
                "instead",
                file=sys.stderr,
            )
            arr = stand_in()
            if size is not None or factor is not None:
                arr = resize(arr, size=size, factor=factor, resample=resample)
            return arr
        return load_image(p, size=size, factor=factor, resample=resample)
    return load_image(key, size=size, factor=factor, resample=resample)


def main() -> int:
    """``python -m neural_style.data``: check every lesson image, fetching what is missing."""
    failed = 0
    for name in MANIFEST:
        try:
            print(f"{name}: {path(name)} (verified)")
        except NeuralStyleError as e:
            print(f"{name}: error: {e}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
