"""The Keras callbacks of a training run: the progress bar, the loss log (and TensorBoard),
the checkpoint after each epoch, and Ctrl-C as a request to stop after the current step."""

from __future__ import annotations

import math

import numpy as np

from neural_style import checkpoints, distributed
from neural_style.backend import keras


class Progress(keras.callbacks.Callback):
    """One tqdm bar over every step of every epoch, the loss terms beside it."""

    def __init__(self, total, initial, enabled):
        from tqdm import tqdm

        self.bar = tqdm(
            total=total,
            initial=initial,
            unit="step",
            desc="training",
            disable=not enabled,
            dynamic_ncols=True,
        )

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1)
        self.bar.set_postfix({k: f"{v:.4g}" for k, v in (logs or {}).items()}, refresh=False)


class Log(keras.callbacks.Callback):
    """Every step's loss (Keras' running mean over its epoch) and, with a TensorBoard
    writer, the loss terms per step and the network's output on ``samples`` per epoch."""

    def __init__(self, net, kind, writer, samples, shown):
        self.net, self.kind, self.writer = net, kind, writer
        self.samples, self.shown, self.losses = samples, shown, []

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.losses.append(float(logs.get("loss", float("nan"))))
        if self.writer and math.isfinite(self.losses[-1]):
            for k, v in logs.items():
                self.writer.scalar(f"train/{k}", float(v), len(self.losses))

    def on_epoch_end(self, epoch, logs=None):
        if self.writer and self.samples is not None and not self.model.stop_training:
            for i, img in enumerate(self.kind.sample(self.net, self.samples)[: self.shown]):
                self.writer.image(f"sample/{i}", np.clip(img, 0, 255).astype(np.uint8), epoch + 1)
        if self.writer:
            self.writer.flush()


class Checkpoint(keras.callbacks.Callback):
    """After each completed epoch, the network and the resumable state (written by one
    process of a run across hosts).  An epoch that stopped early (Ctrl-C, a non-finite
    loss) is not complete: nothing is saved."""

    def __init__(self, net, output, cfg, first, writes=True):
        self.net, self.output, self.cfg = net, output, cfg
        self.epochs_done, self.writes = first, writes

    def on_epoch_end(self, epoch, logs=None):
        if not self.model.stop_training:
            self.epochs_done = epoch + 1
            if self.writes:
                checkpoints.save_checkpoint(
                    self.net, self.model, self.output, self.epochs_done, self.cfg
                )


class Interrupt(keras.callbacks.Callback):
    """Ctrl-C (or SIGTERM) stops training after the current step, keeping what was learnt.
    Across processes they agree after every step (one tiny all-gather), so that a signal
    to any stops all at the same step, never one process waiting for the others."""

    def __init__(self, trainer, processes):
        self.trainer, self.processes, self.asked = trainer, processes, False

    def request(self):  # from the signal handler
        self.asked = True
        if self.processes == 1:
            self.trainer.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        if self.processes > 1 and distributed.any_process(self.asked):
            self.asked = self.trainer.stop_training = True
