"""Network kinds: one object per kind of trained network, bundling all that differs.

A kind says how its network is built, which loss trains it, how a training batch is
made from random crops, how the network is applied to one photo, how much memory that
takes, and what its exported signature is (``scale``, ``multiple``, ``min_side``).
Training, the command and inference ask the network's kind instead of branching on it,
so a new kind is one new module with one ``register`` call:

- ``style``: the lesson's real-time style network (``kinds.style``);
- ``superres``: its 4x super-resolution network (``kinds.superres``).

Every network file records its kind: ``save_net`` writes Keras' ``.keras`` file and adds
a member ``neural_style.json`` ({"kind", the training settings, ...}) that Keras' own
loader ignores; ``read_meta`` reads it back.
"""

from __future__ import annotations

import importlib
import json
import zipfile
from pathlib import Path

from neural_style.errors import NeuralStyleError
from neural_style.files import atomic_write
from neural_style.kinds.framing import reflect_pad, run

NET_SUFFIX = ".keras"
META_MEMBER = "neural_style.json"


class Kind:
    """What one kind of network does; subclasses fill in each part.

    Images are RGB 0..255, (H, W, 3) uint8 or float32; training crops (B, S, S, 3) float32.
    """

    name = ""  # recorded in every saved network
    title = ""  # in messages: "a style network"
    scale = 1  # output side / input side
    multiple = 4  # input sides the network takes are multiples of this ...
    min_side = 44  # ... and at least this many px (apply pads any other size)
    needs_style = False  # trained against a style image
    looks = ()  # apply's options beyond ``size`` (e.g. strength)
    video = False  # applied frame by frame to videos

    def build(self, cfg):
        """A new network for ``training.TrainConfig`` ``cfg``: RGB 0..255 in and out."""
        raise NotImplementedError

    def trainer(self, net, cfg, style=None, weights="imagenet"):
        """The compiled loss model that ``fit`` trains (its output is the loss)."""
        raise NotImplementedError

    def batch(self, crops, cfg, first, rngs):
        """``(inputs, targets)`` for the trainer from random crops (B, S, S, 3), the
        ``first`` of which is image number ``first`` of its epoch; ``rngs`` (one numpy
        Generator per crop, seeded by the stream) draw anything else an image needs."""
        raise NotImplementedError

    def apply(self, net, image, size=None, **looks):
        """The network on one image (H, W, 3): uint8 of (scale H, scale W, 3)."""
        raise NotImplementedError

    def apply_batch(self, net, batch, *extra):
        """The network on same-size uint8 images (B, H, W, 3), and its further inputs (one
        row per image): uint8 (B, scale H, scale W, 3), one pass for the whole batch, each
        image as ``apply`` gives it at its own size (what a server batches)."""
        import numpy as np

        out = run(net, np.asarray(batch, np.float32), self, *extra)
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)

    def mixes_batch(self, meta) -> bool:
        """Whether images batched together change each other's results: so for a network
        normalised by batch statistics at inference (the lesson's ``norm="batch"``, as
        recorded in ``meta``; unrecorded counts as so).  A server never batches requests
        together for such a network."""
        return meta.get("config", {}).get("norm", "batch") == "batch"

    def describe(self, meta) -> dict:
        """What a server says of a network of this kind (``GET /v1/models``), from the
        ``meta`` saved with it: kind, title, scale and its styles' names (None: one)."""
        return {"kind": self.name, "title": self.title, "scale": self.scale, "styles": None}

    def request_inputs(self, described, looks):
        """The further inputs (one row) a request's ``looks`` (its "style" / "style_mix")
        ask of a network that ``describe`` gave ``described``; None: the image alone."""
        if looks.keys() & {"style", "style_mix"}:
            raise NeuralStyleError(
                'this model has one style: "style" and "style_mix" are for a many-style model'
            )
        return None

    def sample(self, net, photos):
        """The network's outputs on a batch of training inputs, for TensorBoard."""
        return net.predict(photos, verbose=0)

    def looks_for(self, meta, looks):
        """``looks`` completed from what was saved with the network (``meta``)."""
        return looks

    def memory(self, height, width) -> int:
        """Estimated peak bytes, beyond the framework's own, of ``apply`` at height x width px."""
        raise NotImplementedError

    def borders(self, h, w):
        """``(top, bottom, left, right)`` px of reflection around an h x w input before the
        network sees it (ints, or tensors while tracing for export); none by default."""
        return 0, 0, 0, 0

    def framed(self, model, x):
        """The network on a float batch (B, H, W, 3) of any size, in ``keras.ops`` (so it
        traces with unknown sizes, for export): padded by reflection by ``borders``, the
        result cropped back to (B, scale H, scale W, 3)."""
        from neural_style.backend import ops

        h, w = ops.shape(x)[1], ops.shape(x)[2]
        top, bottom, left, right = self.borders(h, w)
        y = model(reflect_pad(x, top, bottom, left, right), training=False)
        s = self.scale
        return y[:, s * top : s * (top + h), s * left : s * (left + w)]

    def check_styles(self, n):
        """Raise for a number of style names the kind cannot train (0: none given)."""
        if n > 1:
            raise NeuralStyleError(
                f"a {self.title} takes one style, not {n}; use --task multistyle for several"
            )

    def check_size(self, size):
        """Raise for a training crop side the network cannot take."""
        if size < self.min_side or size % self.multiple:
            raise NeuralStyleError(
                f"size {size} is not valid; give a multiple of {self.multiple} of at least "
                f"{self.min_side} px"
            )

    def prepare(self, net):
        """A loaded network, made to take any image size: a file trained on fixed-size
        crops (the lesson's 72 px) is rebuilt with the same weights at (None, None)."""
        from neural_style.backend import keras

        if tuple(net.inputs[0].shape[1:3]) == (None, None):
            return net
        sized = keras.models.clone_model(
            net, input_tensors=keras.Input((None, None, 3), name="image")
        )
        sized.set_weights(net.get_weights())
        return sized


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Make ``kind`` known to training, the command and inference, by ``kind.name``."""
    KINDS[kind.name] = kind
    return kind


def get(name) -> Kind:
    """The kind called ``name`` (a Kind is returned as it is)."""
    if isinstance(name, Kind):
        return name
    if name not in KINDS:
        raise NeuralStyleError(f"task {name!r} is not valid; use one of {', '.join(KINDS)}")
    return KINDS[name]


def save_net(net, path, kind, **meta) -> Path:
    """Write ``net`` to ``path`` (``.keras``), atomically, with its kind and ``meta``."""
    record = json.dumps({"kind": get(kind).name, **meta}, indent=1, default=str)

    def write(tmp):
        net.save(tmp)
        with zipfile.ZipFile(tmp, "a") as z:
            z.writestr(META_MEMBER, record)

    return atomic_write(Path(path), write)


def read_meta(path) -> dict:
    """What was recorded with a network: ``save_net``'s member of a ``.keras`` file, or
    for an exported network (a folder, or a file in it) the ``neural_style.json`` that
    ``neural-style export`` writes beside its files; {} without either."""
    path = Path(path)
    try:
        if path.suffix == NET_SUFFIX and path.is_file():
            with zipfile.ZipFile(path) as z:
                return json.loads(z.read(META_MEMBER)) if META_MEMBER in z.namelist() else {}
        beside = (path if path.is_dir() else path.parent) / META_MEMBER
        return json.loads(beside.read_text()) if beside.is_file() else {}
    except (zipfile.BadZipFile, OSError, ValueError):
        return {}


def kind_of(net, meta) -> Kind | None:
    """The kind of a loaded network: the one recorded with it, else (for files saved
    with plain ``net.save`` or before kinds were recorded) the kind whose name the
    lesson's builders gave the network; None for neither."""
    if "kind" in meta:
        if meta["kind"] not in KINDS:
            raise NeuralStyleError(
                f"a network of kind {meta['kind']!r}, which this version of neural_style does not "
                f"know ({', '.join(KINDS)}); update neural_style"
            )
        return KINDS[meta["kind"]]
    return next((k for name, k in KINDS.items() if net.name.startswith(name + "_")), None)


for _module in ("style", "superres", "multistyle"):  # each registers its kind
    importlib.import_module(f"neural_style.kinds.{_module}")
