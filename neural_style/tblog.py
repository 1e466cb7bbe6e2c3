"""TensorBoard logging of a run: loss terms as scalars, the image, the settings as text."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import tensorflow as tf

from neural_style.images import deproc, to_uint8


class TensorBoardLogger:
    """Writes one step per outer iteration under ``logdir``; view with
    ``tensorboard --logdir DIR``.

    Tags: ``loss/total``, ``loss/content``, ``loss/style/<layer>``, ``loss/tv``,
    ``image`` (RGB), and ``settings`` (text, once).
    """

    def __init__(self, logdir, parts_fn, cfg, step_offset=0):
        self.writer = tf.summary.create_file_writer(str(logdir))
        self.parts_fn = tf.function(parts_fn)
        self.step_offset = step_offset
        settings = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in ("callbacks", "on_eval")}
        with self.writer.as_default():
            text = "```\n" + json.dumps(settings, indent=2, default=str) + "\n```"
            tf.summary.text("settings", text, step=step_offset)
        self.writer.flush()

    def __call__(self, i, x, loss):
        step = self.step_offset + i
        parts = {k: float(v) for k, v in self.parts_fn(tf.constant(x, tf.float32)).items()}
        with self.writer.as_default():
            tf.summary.scalar("loss/total", loss, step=step)
            for name, value in parts.items():
                tf.summary.scalar(f"loss/{name}", value, step=step)
            image = to_uint8(deproc(np.array(x), x.shape))
            tf.summary.image("image", image[None], step=step)
        self.writer.flush()
