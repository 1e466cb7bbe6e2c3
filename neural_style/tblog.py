"""TensorBoard logging of a run: loss terms as scalars, the image, the settings as text.

Written with the ``tensorboard`` package's own event writer and summary protobufs, in the
format of TensorFlow 2's ``tf.summary`` (tensor summaries tagged with their plugin), so
that it works the same on every Keras backend and never imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import io
import json

import numpy as np
from PIL import Image
from tensorboard.compat.proto.event_pb2 import Event
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.plugins.image import metadata as image_metadata
from tensorboard.plugins.scalar import metadata as scalar_metadata
from tensorboard.plugins.text import metadata as text_metadata
from tensorboard.summary.writer.event_file_writer import EventFileWriter
from tensorboard.util.tensor_util import make_tensor_proto

from neural_style import backend
from neural_style.images import deproc, to_uint8


class SummaryWriter:
    """Scalars, RGB images and text under ``logdir``, one event file per writer."""

    def __init__(self, logdir):
        self._events = EventFileWriter(str(logdir))

    def _write(self, tag, tensor, metadata, step):
        value = Summary.Value(tag=tag, tensor=tensor, metadata=metadata)
        self._events.add_event(Event(step=int(step), summary=Summary(value=[value])))

    def add(self, summary, step):
        """Write a ready-made ``Summary`` protobuf (e.g. the HParams plugin's)."""
        self._events.add_event(Event(step=int(step), summary=summary))

    def scalar(self, tag, value, step):
        """A number at ``step`` (the Scalars dashboard)."""
        meta = scalar_metadata.create_summary_metadata(display_name=tag, description="")
        self._write(tag, make_tensor_proto(np.float32(value)), meta, step)

    def image(self, tag, rgb, step):
        """``rgb``: uint8 (H, W, 3)."""
        png = io.BytesIO()
        Image.fromarray(rgb).save(png, format="PNG")
        h, w = rgb.shape[:2]
        tensor = make_tensor_proto([str(w).encode(), str(h).encode(), png.getvalue()])
        meta = image_metadata.create_summary_metadata(display_name=tag, description="")
        self._write(tag, tensor, meta, step)

    def text(self, tag, text, step):
        """Markdown text at ``step`` (the Text dashboard)."""
        meta = text_metadata.create_summary_metadata(display_name=tag, description="")
        self._write(tag, make_tensor_proto(text.encode()), meta, step)

    def flush(self):
        """Write what is buffered to the event file."""
        self._events.flush()

    def close(self):
        """Flush and close the event file."""
        self._events.close()


class TensorBoardLogger:
    """Writes one step per outer iteration under ``logdir``; view with
    ``tensorboard --logdir DIR``.

    Tags: ``loss/total``, ``loss/content``, ``loss/style/<layer>``, ``loss/tv``,
    ``image`` (RGB), and ``settings`` (text, once).
    """

    def __init__(self, logdir, parts_fn, cfg, step_offset=0):
        self.writer = SummaryWriter(logdir)
        self.parts_fn = backend.compile(parts_fn)
        self.step_offset = step_offset
        settings = {
            k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("callbacks", "on_eval")
        }
        text = "```\n" + json.dumps(settings, indent=2, default=str) + "\n```"
        self.writer.text("settings", text, step_offset)
        self.writer.flush()

    def __call__(self, i, x, loss):
        step = self.step_offset + i
        parts = self.parts_fn(backend.to_tensor(x))
        self.writer.scalar("loss/total", loss, step)
        for name, value in parts.items():
            self.writer.scalar(f"loss/{name}", float(backend.to_numpy(value)), step)
        self.writer.image("image", to_uint8(deproc(np.array(x), x.shape)), step)
        self.writer.flush()
