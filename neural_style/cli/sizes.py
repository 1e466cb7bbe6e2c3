"""Image sizes: VGG16's smallest input, the optimisation's stage sizes and the memory check
that refuses a run that would not fit; the size a network sees, made smaller to fit; one
shrink-to-fit loop for both."""

from __future__ import annotations

import math

from neural_style.errors import NeuralStyleError
from neural_style.images import scaled_shape
from neural_style.vgg16_layers import MIN_SIDE


def check_memory(sizes, cfg, say):
    """Print the size and the memory estimate; refuse a run that would not fit (on a GPU,
    the GPU's free memory)."""
    from neural_style import backend, memory

    gpu = backend.on_gpu()
    available = memory.free_memory()
    worst = max(memory.estimate_memory(h, w, cfg, gpu=gpu) for h, w in sizes)
    h, w = sizes[-1]
    where = "on the GPU" if gpu else ""
    say(
        f"result {w}x{h} px, estimated peak memory {worst / 1e9:.1f} GB of "
        f"{available / 1e9:.1f} GB available {where}".rstrip()
    )
    if worst > available:

        def needs(side):
            return memory.estimate_memory(*scaled_shape((h, w), side), cfg, gpu=gpu)

        fit = fitting_side(max(sizes[-1]), needs, available, smallest=32)
        raise NeuralStyleError(
            f"a {w}x{h} px run needs about {worst / 1e9:.1f} GB but {available / 1e9:.1f} GB is "
            f"available; use --size {fit} (or --scales ending at {fit})"
        )


def fitting_side(side, needs, available, smallest) -> int:
    """The longest side, from ``side`` down in steps of 10% but not under ``smallest``, at
    which ``needs(side)`` (bytes) fits in ``available`` bytes."""
    while side > smallest and needs(side) > available:
        side = int(side * 0.9)
    return side


def style_size(shape, longest):
    """Longest side for a style image: as asked, but never under 32 px on its short side."""
    h, w = shape[:2]
    return max(round(longest), math.ceil(MIN_SIDE * max(h, w) / min(h, w)))


def check_side(name, arr):
    if min(arr.shape[:2]) < MIN_SIDE:
        raise NeuralStyleError(
            f"{name}: {arr.shape[1]}x{arr.shape[0]} px is too small for VGG16's five poolings; "
            f"give an image of at least {MIN_SIDE} px a side"
        )


def sizes_for(content_full, sizes_wanted):
    sizes = [scaled_shape(content_full.shape[:2], s) for s in sizes_wanted]
    if min(sizes[0]) < MIN_SIDE:
        h, w = content_full.shape[:2]
        need = math.ceil(MIN_SIDE * max(h, w) / min(h, w))
        raise NeuralStyleError(
            f"a {sizes[0][1]}x{sizes[0][0]} px result is too small for VGG16's five poolings (at "
            f"least {MIN_SIDE} px a side); use --size {need} or more"
        )
    return sizes


def fitting_size(shape, asked, say, network):
    """The longest side a network sees for an image of ``shape``: ``asked`` (``--size``),
    else the image's own, made smaller (with a notice) until the network's estimated peak
    memory fits in what is available; None for the image's own."""
    h, w = shape[:2]
    available = free_memory(network)

    def needs(side):
        return network.memory(*scaled_shape((h, w), side))

    start = asked or max(h, w)
    size = fitting_side(start, needs, available, smallest=64)
    if size != start:
        say(
            f"neural-style: notice: {w}x{h} px would need more than the {available / 1e9:.1f} GB "
            f"available; the network sees {size} px (--size)"
            + ("" if network.kind.scale != 1 else " and the result is resized back")
        )
    return size if size != max(h, w) else None


def free_memory(network) -> int:
    """Bytes a network may use: the GPU's free memory, or the CPU's for an exported one."""
    from neural_style import memory

    if getattr(network.model, "frames_itself", False):  # an exported network runs on the CPU
        return memory.available()
    return memory.free_memory()
