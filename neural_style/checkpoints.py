"""The resumable state of a training run, beside its network: ``OUTPUT.ckpt.npz`` holds
the network's weights, the optimiser's state and the epoch count.  (Keras'
``BackupAndRestore`` would save the whole loss model, the frozen VGG16's 58 MB with it, at
every epoch: 25 times the network.)"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from neural_style import backend, kinds
from neural_style.errors import NeuralStyleError
from neural_style.files import atomic_write


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


def resumable(output) -> Path:
    """``output``'s checkpoint, or a one-line error where there is none to resume from."""
    path = checkpoint_path(output)
    if not path.exists():
        raise NeuralStyleError(
            f"{path}: no checkpoint to resume from; train without --resume first"
        )
    return path


def load_checkpoint(net, trainer, output) -> dict:
    """Restore what ``save_checkpoint`` wrote; returns its metadata (``epoch``, ...)."""
    path = resumable(output)
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
