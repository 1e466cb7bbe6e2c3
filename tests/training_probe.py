"""Run under one KERAS_BACKEND (and XLA_FLAGS): numbers the perceptual-loss tests compare.

python tests/training_probe.py forward NET.keras IN.npz OUT.npz   # a saved network's output
python tests/training_probe.py train OUT.npz                      # a short training run
"""

import sys

import numpy as np

from neural_style import backend, data, inference, training
from neural_style.backend import ops


def forward(model_path, inp, out):
    net = inference.load(model_path).model
    x = np.load(inp)["x"]
    np.savez(out, y=ops.convert_to_numpy(net(x, training=False)), backend=backend.name())


def train(out):
    import jax

    files = sorted(str(p) for p in data.shipped_dir().glob("*.jpg"))
    cfg = training.TrainConfig(size=48, batch_size=4, epochs=3, steps=1, workers=1)
    style = data.load("starry_night", size=64)
    r = training.train(cfg, files, out + ".keras", style=style, weights=None, progress=False)
    np.savez(out, loss=r.history["loss"], devices=len(jax.devices()))


if __name__ == "__main__":
    if sys.argv[1] == "forward":
        forward(*sys.argv[2:5])
    else:
        train(sys.argv[2])
