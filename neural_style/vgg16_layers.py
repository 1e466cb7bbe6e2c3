"""VGG16's layout, declared once: its blocks, layer names and shapes.

It imports no Keras, so that the weights' verification, the memory model and the command's
checks use it without starting a backend; ``vgg16_avg`` builds the network from it.
"""

from __future__ import annotations

from neural_style.errors import NeuralStyleError

BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # (filters, convs) per block
MIN_SIDE = 32  # five 2x2 poolings need at least 32 px to leave one pixel


def layer_names() -> list[str]:
    """Every layer name of the network, ``block1_conv1`` to ``block5_pool``, in order."""
    names = []
    for b, (_, n) in enumerate(BLOCKS, start=1):
        names += [f"block{b}_conv{i}" for i in range(1, n + 1)] + [f"block{b}_pool"]
    return names


def conv_layers() -> list[tuple[str, int, int]]:
    """``(name, in_channels, out_channels)`` of the 13 convolutions, in order."""
    return [(name, cin, cout) for name, _, _, cin, cout in layer_shapes(1, 1) if "conv" in name]


def layer_shapes(height, width, upto=None):
    """Yield (name, out_height, out_width, in_channels, out_channels) for each layer of an
    image of height x width px, in order, stopping after ``upto`` (a layer name)."""
    h, w, cin = height, width, 3
    for name in layer_names():
        block, kind = int(name[5]) - 1, name.split("_")[1]
        cout = BLOCKS[block][0]
        if kind == "pool":
            h, w = h // 2, w // 2
        yield name, h, w, cin, cout
        cin = cout
        if name == upto:
            return


def check_layers(names) -> None:
    """Raise NeuralStyleError for any name that is not a VGG16 layer, listing the valid ones."""
    valid = layer_names()
    bad = [n for n in names if n not in valid]
    if bad:
        raise NeuralStyleError(
            f"unknown VGG16 layer name(s) {', '.join(map(repr, bad))}; valid: {', '.join(valid)}"
        )
