"""Training the lesson's perceptual-loss networks with Keras ``fit``.

``train(cfg, files, output)`` asks the network's kind (``neural_style.kinds``) for the
network, its loss model and its batches, streams the images (``neural_style.imagestream``)
and fits with Adam, the lesson's schedule (the learning rate divided by 10 for the last
epoch: the lesson's 2 epochs at 1e-3 then 1 at 1e-4), a progress bar over every step,
TensorBoard scalars and sample images (``callbacks``), and after each epoch and on
Ctrl-C the network (``OUTPUT``, a ``.keras`` file with its kind, what ``neural-style
--model`` loads) and the resumable state beside it (``checkpoints``), from which
``resume=True`` continues.

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

from neural_style import backend, callbacks, checkpoints, debugdump, distributed, kinds
from neural_style.backend import keras
from neural_style.config import TrainConfig
from neural_style.errors import NeuralStyleError
from neural_style.imagestream import ImageStream
from neural_style.signals import stop_requests


def build(cfg: TrainConfig, style=None, weights="imagenet"):
    """``(net, trainer)``: the network of ``cfg.task``'s kind and its compiled loss model."""
    kind = kinds.get(cfg.task)
    net = kind.build(cfg)
    return net, kind.trainer(net, cfg, style, weights)


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
        first = checkpoints.load_checkpoint(net, trainer, output)["epoch"] if resume else 0
        stream = _stream(files, cfg, (index, count), first)
        run = _Run(net, trainer, output, cfg, stream, first, n_devices, logdir, progress)
        start, stopped = time.perf_counter(), None
        try:
            stopped = _fit(run, watchers)
        finally:  # also on an error: stop watching
            if debug_dump:
                stopped = debugdump.finish(debug_dump, stopped, watchers, stream)
        seconds = time.perf_counter() - start
    return _finish(run, stopped, seconds)


class _Run:
    """One run's parts: the network, its loss model, the stream, and the callbacks (each
    process writes nothing but process 0; samples only alone: predicting across processes
    would need them all)."""

    def __init__(self, net, trainer, output, cfg, stream, first, n_devices, logdir, progress):
        index, count = distributed.process()
        self.net, self.trainer, self.output, self.cfg = net, trainer, output, cfg
        self.stream, self.first, self.index = stream, first, index
        steps = stream.steps
        self.progress = callbacks.Progress(
            cfg.epochs * steps, first * steps, progress and index == 0
        )
        self.log = callbacks.Log(
            net,
            stream.kind,
            _writer(logdir, cfg) if index == 0 else None,
            _samples(stream, cfg.samples, n_devices) if count == 1 else None,
            cfg.samples,
        )
        self.checkpoint = callbacks.Checkpoint(net, output, cfg, first, writes=index == 0)
        self.interrupt = callbacks.Interrupt(trainer, count)
        self.history = keras.callbacks.History()


def _fit(run, watchers) -> str | None:
    """Keras ``fit`` with the run's callbacks, Ctrl-C a request to stop; why it stopped
    early: a non-finite loss (TerminateOnNaN raises before the epoch's end is saved)."""
    cfg = run.cfg
    schedule = keras.callbacks.LearningRateScheduler(lambda epoch, lr: cfg.lr_at(epoch))
    every = [run.progress, run.log, *watchers, keras.callbacks.TerminateOnNaN(raise_error=True)]
    every += [run.interrupt, run.checkpoint, run.history, schedule]
    with stop_requests(run.interrupt.request):
        try:
            # shuffle=False: the stream shuffles by (seed, epoch), so a resumed run sees the
            # same batches
            run.trainer.fit(
                run.stream,
                epochs=cfg.epochs,
                initial_epoch=run.first,
                callbacks=every,
                verbose=0,
                shuffle=False,
            )
        except RuntimeError as e:
            if "NaN or Inf loss" not in str(e):
                raise
            return f"the loss became {run.log.losses[-1]}"
    return None


def _finish(run, stopped, seconds) -> TrainResult:
    """Close the bar and the log; after Ctrl-C, save where it stopped (resume repeats the
    interrupted epoch from these weights); after a non-finite loss, go back to the last
    checkpoint."""
    run.progress.bar.close()
    if run.log.writer:
        run.log.writer.close()
    net, trainer, output, done = run.net, run.trainer, run.output, run.checkpoint.epochs_done
    if run.interrupt.asked:
        stopped = "interrupted"
        if run.index == 0:
            checkpoints.save_checkpoint(net, trainer, output, done, run.cfg, {"interrupted": True})
    elif stopped and not checkpoints.checkpoint_path(output).exists():
        raise NeuralStyleError(
            f"{stopped} after {len(run.log.losses)} steps, before any checkpoint; lower --lr"
        )
    elif stopped:
        checkpoints.load_checkpoint(net, trainer, output)
    skipped = sorted(map(str, run.stream.skipped))
    losses = run.log.losses
    return TrainResult(
        net, run.history.history, done, len(losses), seconds, stopped, skipped, losses
    )


def _stream(files, cfg, shard, first) -> ImageStream:
    """The run's batches of random crops of ``files``: this process's ``shard`` (index,
    count) of each, from epoch ``first``."""
    stream = ImageStream(
        files, cfg.size, cfg.batch_size, cfg.task, cfg.steps, cfg.seed, cfg.workers, shard, cfg
    )
    stream.epoch = first
    return stream


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
