"""Training the lesson's perceptual-loss networks with Keras ``fit``.

``train(cfg, files, output)`` asks the network's kind (``neural_style.kinds``) for the
network, its loss model and its batches, streams the images (``neural_style.imagestream``)
and fits with Adam, the lesson's schedule (the learning rate divided by 10 for the last
epoch: the lesson's 2 epochs at 1e-3 then 1 at 1e-4), a progress bar over every step,
TensorBoard scalars and sample images, and a checkpoint after each epoch and on Ctrl-C:

- ``OUTPUT`` (``.keras``): the trained network with its kind, what ``neural-style --model`` loads;
- ``OUTPUT.ckpt.npz``: its weights, the optimiser's state and the epoch count, from which
  ``resume=True`` continues.  (Keras' ``BackupAndRestore`` would save the whole loss
  model, the frozen VGG16's 58 MB with it, at every epoch: 25 times the network.)

Keras' own callbacks set the schedule (``LearningRateScheduler``) and stop on a
non-finite loss (``TerminateOnNaN``), which keeps the last good checkpoint.  Each batch is
spread over every local accelerator (``backend.data_parallel``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np

from neural_style import backend, debugdump, distributed, kinds
from neural_style.backend import keras
from neural_style.config import TrainConfig
from neural_style.errors import NeuralStyleError
from neural_style.files import atomic_write
from neural_style.imagestream import ImageStream
from neural_style.signals import stop_requests


def build(cfg: TrainConfig, style=None, weights="imagenet"):
    """``(net, trainer)``: the network of ``cfg.task``'s kind and its compiled loss model."""
    kind = kinds.get(cfg.task)
    net = kind.build(cfg)
    return net, kind.trainer(net, cfg, style, weights)


def checkpoint_path(output) -> Path:
    """``OUTPUT.ckpt.npz``: the resumable state beside the network."""
    return Path(str(output) + ".ckpt.npz")


def save_checkpoint(net, trainer, output, epoch, cfg, extra=None):
    """Write the network (``output``, with its kind) and the resumable state, each atomically."""
    kinds.save_net(net, output, cfg.task, config=dataclasses.asdict(cfg), epochs=epoch)
    state = {f"net_{i}": backend.to_numpy(v) for i, v in enumerate(net.weights)}
    state |= {f"opt_{i}": backend.to_numpy(v) for i, v in enumerate(trainer.optimizer.variables)}
    meta = {"epoch": epoch, "config": dataclasses.asdict(cfg), **(extra or {})}
    atomic_write(checkpoint_path(output), lambda tmp: np.savez(tmp, meta=json.dumps(meta), **state))


def load_checkpoint(net, trainer, output) -> dict:
    """Restore what ``save_checkpoint`` wrote; returns its metadata (``epoch``, ...)."""
    path = checkpoint_path(output)
    if not path.exists():
        raise NeuralStyleError(
            f"{path}: no checkpoint to resume from; train without --resume first"
        )
    with np.load(path) as z:
        if not trainer.optimizer.built:
            trainer.optimizer.build(trainer.trainable_variables)
        n_net, n_opt = len(net.weights), sum(k.startswith("opt_") for k in z.files)
        if sum(k.startswith("net_") for k in z.files) != n_net or n_opt not in (
            0,
            len(trainer.optimizer.variables),
        ):
            raise NeuralStyleError(
                f"{path}: the checkpoint is of another network; train it afresh or choose another "
                "-o"
            )
        for i, v in enumerate(net.weights):
            v.assign(z[f"net_{i}"])
        for i in range(n_opt):  # none: a warm start (release/warm_start.py), Adam starts afresh
            trainer.optimizer.variables[i].assign(z[f"opt_{i}"])
        return json.loads(str(z["meta"]))


class _Progress(keras.callbacks.Callback):
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


class _Log(keras.callbacks.Callback):
    """Every step's loss (Keras' running mean over its epoch) and, with a TensorBoard
    writer, the loss terms per step and the network's output on ``samples`` per epoch."""

    def __init__(self, net, kind, writer, samples, shown):
        self.net, self.kind, self.writer, self.samples, self.shown, self.losses = (
            net,
            kind,
            writer,
            samples,
            shown,
            [],
        )

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


class _Checkpoint(keras.callbacks.Callback):
    """After each completed epoch, the network and the resumable state (written by one
    process of a run across hosts).  An epoch that stopped early (Ctrl-C, a non-finite
    loss) is not complete: nothing is saved."""

    def __init__(self, net, output, cfg, first, writes=True):
        self.net, self.output, self.cfg, self.epochs_done, self.writes = (
            net,
            output,
            cfg,
            first,
            writes,
        )

    def on_epoch_end(self, epoch, logs=None):
        if not self.model.stop_training:
            self.epochs_done = epoch + 1
            if self.writes:
                save_checkpoint(self.net, self.model, self.output, self.epochs_done, self.cfg)


class _Interrupt(keras.callbacks.Callback):
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


@dataclasses.dataclass
class TrainResult:
    """What ``train`` returns: the network, Keras' history, counts, time and why it stopped."""

    net: object
    history: dict
    epochs_done: int
    steps: int
    seconds: float
    stopped: str | None
    skipped: list
    step_losses: list  # after each step: Keras' running mean of the loss over its epoch


def train(
    cfg: TrainConfig,
    files,
    output,
    style=None,
    logdir=None,
    resume=False,
    weights="imagenet",
    progress=True,
    debug_dump=None,
):
    """Train a network on image ``files`` and save it to ``output`` (``.keras``).

    Args:
        cfg: TrainConfig (task, size, batch, epochs, steps, lr, norm, seed).
        files: image paths (``imagestream.list_images``), streamed from disk.
        style: RGB 0..255 (H, W, 3) style image (a kind that ``needs_style``).
        logdir: TensorBoard folder (loss terms per step, sample outputs per epoch).
        resume: continue from ``output``'s checkpoint (epoch count and optimiser state).
        debug_dump: a folder for TensorFlow's Debugger V2 dump, or on JAX for the report
            of its NaN checks (``debugdump``); a run that goes non-finite then says which
            operation first made a NaN or an infinity.

    Across processes (``distributed.start`` first) every process calls it alike; each
    streams its share of every batch, process 0 alone writes.  Returns a TrainResult;
    ``stopped`` says why training ended early (Ctrl-C, non-finite loss).
    """
    output = _check(cfg, output)
    backend.set_seed(cfg.seed)
    distribution, n_devices = backend.data_parallel()
    index, count = distributed.process()
    if cfg.batch_size % n_devices:
        raise NeuralStyleError(
            f"batch size {cfg.batch_size} does not divide over {n_devices} devices; give a "
            f"multiple of {n_devices}"
        )
    with distribution:
        net, trainer = build(cfg, style, weights)
        watchers = debugdump.start(debug_dump, trainer) if debug_dump else []
        first = load_checkpoint(net, trainer, output)["epoch"] if resume else 0
        stream = ImageStream(
            files,
            cfg.size,
            cfg.batch_size,
            cfg.task,
            cfg.steps,
            cfg.seed,
            cfg.workers,
            shard=(index, count),
            cfg=cfg,
        )
        stream.epoch = first
        progress = _Progress(
            cfg.epochs * stream.steps, first * stream.steps, progress and index == 0
        )
        # samples only in one process: predicting across processes would need them all
        log = _Log(
            net,
            stream.kind,
            _writer(logdir, cfg) if index == 0 else None,
            _samples(stream, cfg.samples, n_devices) if count == 1 else None,
            cfg.samples,
        )
        checkpoint, interrupt, history = (
            _Checkpoint(net, output, cfg, first, writes=index == 0),
            _Interrupt(trainer, count),
            keras.callbacks.History(),
        )
        callbacks = [
            progress,
            log,
            *watchers,
            keras.callbacks.TerminateOnNaN(raise_error=True),
            interrupt,
            checkpoint,
            history,
            keras.callbacks.LearningRateScheduler(lambda epoch, lr: cfg.lr_at(epoch)),
        ]
        stopped, start = None, time.perf_counter()
        with stop_requests(interrupt.request):
            # shuffle=False: the stream shuffles by (seed, epoch) itself, so a resumed run sees the
            # same batches
            try:
                trainer.fit(
                    stream,
                    epochs=cfg.epochs,
                    initial_epoch=first,
                    callbacks=callbacks,
                    verbose=0,
                    shuffle=False,
                )
            # TerminateOnNaN(raise_error=True): stops before the epoch's end is saved
            except RuntimeError as e:
                if "NaN or Inf loss" not in str(e):
                    raise
                stopped = f"the loss became {log.losses[-1]}"
            finally:
                stopped = (
                    debugdump.finish(debug_dump, stopped, watchers, stream)
                    if debug_dump
                    else stopped
                )
        seconds = time.perf_counter() - start
    progress.bar.close()
    if log.writer:
        log.writer.close()
    if interrupt.asked:  # resume repeats the interrupted epoch, from these weights
        stopped = "interrupted"
        if index == 0:
            save_checkpoint(
                net, trainer, output, checkpoint.epochs_done, cfg, {"interrupted": True}
            )
    elif stopped and not checkpoint_path(output).exists():
        raise NeuralStyleError(
            f"{stopped} after {len(log.losses)} steps, before any checkpoint; lower --lr"
        )
    elif stopped:
        load_checkpoint(net, trainer, output)
    return TrainResult(
        net,
        history.history,
        checkpoint.epochs_done,
        len(log.losses),
        seconds,
        stopped,
        sorted(map(str, stream.skipped)),
        log.losses,
    )


def _check(cfg, output) -> Path:
    """Settings and output checked before anything is built."""
    cfg.validate()
    output = Path(output)
    if output.suffix != kinds.NET_SUFFIX:
        raise NeuralStyleError(
            f"-o {output}: a network is saved as a {kinds.NET_SUFFIX} file; give a name ending in "
            f"{kinds.NET_SUFFIX}"
        )
    return output


def _samples(stream, n, n_devices=1):
    """The first ``n`` network inputs of the stream's first epoch, shown in TensorBoard;
    as many more as make a batch that divides over the devices (those are not shown)."""
    n_batch = math.ceil(n / n_devices) * n_devices
    batches = max(1, math.ceil(n_batch / stream.batch_size))
    return np.concatenate([stream[i][0][0] for i in range(batches)])[:n_batch]


def _writer(logdir, cfg):
    if not logdir:
        return None
    from neural_style.tblog import SummaryWriter

    writer = SummaryWriter(Path(logdir))
    writer.text("settings", "```\n" + json.dumps(dataclasses.asdict(cfg), indent=2) + "\n```", 0)
    return writer
