"""Training the lesson's perceptual-loss networks with Keras ``fit``.

``train(cfg, files, output)`` builds the network (``neural_style.nets``) and its loss
model (``neural_style.perceptual``), streams the images (``neural_style.imagestream``)
and fits with Adam, the lesson's schedule (the learning rate divided by 10 for the last
epoch: the lesson's 2 epochs at 1e-3 then 1 at 1e-4), a progress bar over every step,
TensorBoard scalars and sample images, and a checkpoint after each epoch and on Ctrl-C:

- ``OUTPUT`` (``.keras``): the trained network alone, what ``neural-style --model`` loads;
- ``OUTPUT.ckpt.npz``: its weights, the optimiser's state and the epoch count, from which
  ``resume=True`` continues.

A non-finite loss stops training and keeps the last good checkpoint.  Each batch is
spread over every local accelerator (``backend.data_parallel``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import signal
import threading
import time
from pathlib import Path

import numpy as np

from neural_style import backend, nets, perceptual
from neural_style.backend import keras
from neural_style.errors import NeuralStyleError
from neural_style.images import atomic_write
from neural_style.imagestream import ImageStream

TASKS = ("style", "superres")


@dataclasses.dataclass
class TrainConfig:
    """The lesson's settings by default: style network, 288 px, batch 8, Adam 1e-3 for
    2 epochs then 1e-4 for one, batch normalisation."""

    task: str = "style"
    size: int = 288
    batch_size: int = 8
    epochs: int = 3
    steps: int | None = None  # steps per epoch; default one pass over the images
    lr: float = 1e-3
    norm: str = "batch"
    seed: int = 0
    workers: int = 2
    samples: int = 3  # images shown in TensorBoard after each epoch

    def validate(self):
        if self.task not in TASKS:
            raise NeuralStyleError(f"task {self.task!r} is not valid; use one of {', '.join(TASKS)}")
        if self.norm not in nets.NORMS:
            raise NeuralStyleError(f"norm {self.norm!r} is not valid; use one of {', '.join(nets.NORMS)}")
        if self.size < nets.STYLE_MIN_SIDE or self.size % 4:
            raise NeuralStyleError(f"size {self.size} is not valid; give a multiple of 4 of at least {nets.STYLE_MIN_SIDE} px")
        for name in ("batch_size", "epochs", "workers"):
            if getattr(self, name) < 1:
                raise NeuralStyleError(f"{name} {getattr(self, name)} is not valid; give 1 or more")
        if self.steps is not None and self.steps < 1:
            raise NeuralStyleError(f"steps {self.steps} is not valid; give 1 or more")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise NeuralStyleError(f"learning rate {self.lr} is not valid; give a positive number")

    def lr_at(self, epoch):
        """The lesson's schedule: ``lr``, then ``lr / 10`` for the last epoch (of 2 or more)."""
        return self.lr / 10 if self.epochs > 1 and epoch == self.epochs - 1 else self.lr


def build(cfg: TrainConfig, style=None, weights="imagenet"):
    """``(net, trainer)``: the network and its loss model, compiled as in the lesson
    (Adam; ``mae`` against zeros for style, ``mse`` for super-resolution)."""
    if cfg.task == "style":
        if style is None:
            raise NeuralStyleError("a style network needs a style image")
        net = nets.style_net(norm=cfg.norm)
        trainer = perceptual.style_trainer(net, style, weights)
        trainer.compile(keras.optimizers.Adam(cfg.lr), loss={"loss": "mae"},
                        metrics={"style": ["mae"], "content": ["mae"]})  # fmt: skip
    else:
        net = nets.superres_net((cfg.size // 4, cfg.size // 4, 3), norm=cfg.norm)
        trainer = perceptual.superres_trainer(net, weights)
        trainer.compile(keras.optimizers.Adam(cfg.lr), loss="mse")
    return net, trainer


def checkpoint_path(output) -> Path:
    return Path(str(output) + ".ckpt.npz")


def save_checkpoint(net, trainer, output, epoch, cfg, extra=None):
    """Write the network (``output``) and the resumable state, each atomically."""
    atomic_write(Path(output), lambda tmp: net.save(tmp))
    state = {f"net_{i}": backend.to_numpy(v) for i, v in enumerate(net.weights)}
    state |= {f"opt_{i}": backend.to_numpy(v) for i, v in enumerate(trainer.optimizer.variables)}
    meta = {"epoch": epoch, "config": dataclasses.asdict(cfg), **(extra or {})}
    atomic_write(checkpoint_path(output), lambda tmp: np.savez(tmp, meta=json.dumps(meta), **state))


def load_checkpoint(net, trainer, output) -> dict:
    """Restore what ``save_checkpoint`` wrote; returns its metadata (``epoch``, ...)."""
    path = checkpoint_path(output)
    if not path.exists():
        raise NeuralStyleError(f"{path}: no checkpoint to resume from; train without --resume first")
    with np.load(path) as z:
        if not trainer.optimizer.built:
            trainer.optimizer.build(trainer.trainable_variables)
        n_net, n_opt = len(net.weights), len(trainer.optimizer.variables)
        if sum(k.startswith("net_") for k in z.files) != n_net or sum(k.startswith("opt_") for k in z.files) != n_opt:
            raise NeuralStyleError(f"{path}: the checkpoint is of another network; train it afresh or choose another -o")
        for i, v in enumerate(net.weights):
            v.assign(z[f"net_{i}"])
        for i, v in enumerate(trainer.optimizer.variables):
            v.assign(z[f"opt_{i}"])
        return json.loads(str(z["meta"]))


class _Progress(keras.callbacks.Callback):
    """One tqdm bar over every step of every epoch, the loss terms beside it."""

    def __init__(self, total, initial, enabled):
        from tqdm import tqdm

        self.bar = tqdm(total=total, initial=initial, unit="step", desc="training", disable=not enabled, dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
        self.bar.update(1)
        self.bar.set_postfix({k: f"{v:.4g}" for k, v in (logs or {}).items()}, refresh=False)


class _Guard(keras.callbacks.Callback):
    """Stops after the current step on Ctrl-C (SIGINT) or a non-finite loss."""

    def __init__(self):
        self.reason = None

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.reason = f"the loss became {float(loss)}"
            self.model.stop_training = True

    def interrupt(self, *_):
        if self.reason == "interrupted":  # a second Ctrl-C: stop at once
            raise KeyboardInterrupt
        self.reason = "interrupted"
        self.model.stop_training = True


class _EpochEnd(keras.callbacks.Callback):
    """After each completed epoch: checkpoint, learning rate, TensorBoard."""

    def __init__(self, net, output, cfg, guard, writer, samples):
        self.net, self.output, self.cfg, self.guard, self.writer, self.samples = net, output, cfg, guard, writer, samples
        self.step, self.losses, self.completed = 0, [], 0

    def on_epoch_begin(self, epoch, logs=None):
        self.model.optimizer.learning_rate.assign(self.cfg.lr_at(epoch))

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        self.losses.append(float((logs or {}).get("loss", float("nan"))))
        if self.writer and logs and math.isfinite(float(logs.get("loss", 0))):
            for k, v in logs.items():
                self.writer.scalar(f"train/{k}", float(v), self.step)

    def on_epoch_end(self, epoch, logs=None):
        if self.guard.reason:  # not a finished epoch, or not a good one
            return
        save_checkpoint(self.net, self.model, self.output, epoch + 1, self.cfg)
        self.completed += 1
        if self.writer:
            out = self.net.predict(self.samples, verbose=0)
            for i, img in enumerate(out):
                self.writer.image(f"sample/{i}", np.clip(img, 0, 255).astype(np.uint8), epoch + 1)
            self.writer.flush()


@dataclasses.dataclass
class TrainResult:
    net: object
    history: dict
    epochs_done: int
    steps: int
    seconds: float
    stopped: str | None
    skipped: list
    step_losses: list  # after each step: Keras' running mean of the loss over its epoch


def train(cfg: TrainConfig, files, output, style=None, logdir=None, resume=False, weights="imagenet", progress=True):
    """Train a network on image ``files`` and save it to ``output`` (``.keras``).

    Args:
        cfg: TrainConfig (task, size, batch, epochs, steps, lr, norm, seed).
        files: image paths (``imagestream.list_images``), streamed from disk.
        style: RGB 0..255 (H, W, 3) style image (task "style").
        logdir: TensorBoard folder (loss terms per step, sample outputs per epoch).
        resume: continue from ``output``'s checkpoint (epoch count and optimiser state).

    Returns a TrainResult; ``stopped`` says why training ended early (Ctrl-C, non-finite loss).
    """
    cfg.validate()
    output = Path(output)
    if output.suffix != ".keras":
        raise NeuralStyleError(f"-o {output}: a network is saved as a .keras file; give a name ending in .keras")
    backend.set_seed(cfg.seed)
    distribution, n_devices = backend.data_parallel()
    if cfg.batch_size % n_devices:
        raise NeuralStyleError(f"batch size {cfg.batch_size} does not divide over {n_devices} devices; give a multiple of {n_devices}")
    with distribution:
        net, trainer = build(cfg, style, weights)
        first = load_checkpoint(net, trainer, output)["epoch"] if resume else 0
        stream = ImageStream(files, cfg.size, cfg.batch_size, cfg.task, cfg.steps, cfg.seed, cfg.workers)
        stream.epoch = first
        writer = _writer(logdir, cfg)
        samples = np.concatenate([stream[i][0][0] for i in range(max(1, math.ceil(cfg.samples / cfg.batch_size)))])[: cfg.samples]
        guard = _Guard()
        callbacks = [_Progress(cfg.epochs * stream.steps, first * stream.steps, progress), guard,
                     _EpochEnd(net, output, cfg, guard, writer, samples)]  # fmt: skip
        start = time.perf_counter()
        with _on_sigint(guard.interrupt):
            # shuffle=False: the stream shuffles by (seed, epoch) itself, so a resumed run sees the same batches
            history = trainer.fit(stream, epochs=cfg.epochs, initial_epoch=first, callbacks=callbacks, verbose=0, shuffle=False)
        seconds = time.perf_counter() - start
    callbacks[0].bar.close()
    steps = callbacks[2].step
    epochs_done = first + callbacks[2].completed
    if guard.reason == "interrupted":  # resume repeats the interrupted epoch, from these weights
        save_checkpoint(net, trainer, output, epochs_done, cfg, {"interrupted": True})
    elif guard.reason:
        if not checkpoint_path(output).exists():
            raise NeuralStyleError(f"{guard.reason} after {steps} steps, before any checkpoint; lower --lr")
        epochs_done = load_checkpoint(net, trainer, output)["epoch"]
    if writer:
        writer.close()
    return TrainResult(net, history.history, epochs_done, steps, seconds, guard.reason, sorted(map(str, stream.skipped)), callbacks[2].losses)


def _writer(logdir, cfg):
    if not logdir:
        return None
    from neural_style.tblog import SummaryWriter

    writer = SummaryWriter(Path(logdir))
    writer.text("settings", "```\n" + json.dumps(dataclasses.asdict(cfg), indent=2) + "\n```", 0)
    return writer


class _on_sigint:
    """While active, Ctrl-C calls ``handler`` instead of raising KeyboardInterrupt."""

    def __init__(self, handler):
        self.handler, self.previous = handler, None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self.handler)

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
