"""``neural-style --model NET --content ...``: stylise photos, folders and videos with a
trained real-time network, in one forward pass per image or frame; or upscale photos 4x
with a super-resolution network."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from neural_style.cli.batch import Batch
from neural_style.cli.options import (
    DEFAULT_CONTENT,
    add_common,
    check_output,
    expand_contents,
    say_fn,
    stem,
)
from neural_style.cli.sizes import fitting_size
from neural_style.errors import NeuralStyleError
from neural_style.files import IMAGE_SUFFIXES, VIDEO_SUFFIXES


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The job's description and options, on its subcommand's parser ``p``."""
    from neural_style import inference  # the shipped networks and formats, named in the help

    p.description = (
        "Stylise photos, folders of photos and videos with a real-time style network "
        f"(`neural-style train`, or one that ships: {', '.join(inference.shipped_models())}). "
        "Each result has its input's size; a super-resolution network (--task superres, or "
        "the shipped superres) upscales photos 4x instead."
    )
    a, videos = p.add_argument, ", ".join(VIDEO_SUFFIXES)
    a(
        "--model",
        "-m",
        required=True,
        help=(
            "a .keras file from `neural-style train`, the name of a shipped network "
            f"({', '.join(inference.shipped_models())}), or an exported network (model.onnx, "
            "model.tflite or a SavedModel folder from `neural-style export`), run by its own "
            "runtime"
        ),
    )
    a(
        "--content",
        "-c",
        nargs="+",
        default=[DEFAULT_CONTENT],
        help=f"photos, lesson image names, folders, glob patterns or videos ({videos})",
    )
    a(
        "--output",
        "-o",
        help=(
            "output file (one input) or folder (several); default results/CONTENT_MODEL.png or .mp4"
        ),
    )
    a(
        "--size",
        type=int,
        help=(
            "longest side the network sees, in px (default: the input's own); the stroke scale "
            "follows it, the result keeps the input's size (super-resolution: 4x this)"
        ),
    )
    add_common(p, prints="the output paths")
    _add_looks(p.add_argument_group("the look of the result"))


def _add_looks(group) -> None:
    """How much of the network's result to keep, in which colours; a many-style network's
    styles."""
    a = group.add_argument
    a(
        "--strength",
        type=float,
        default=1.0,
        help="how much of the network's result to keep, 0..1: lower fades it into the photo",
    )
    a(
        "--original-colors",
        action="store_true",
        help="keep the photo's colours: the result's luminance only",
    )
    a("--style", "-s", help="a many-style network's style, by name (default: its first)")
    a(
        "--style-mix",
        metavar="NAME=W,...",
        help=(
            "a many-style network's blend, e.g. starry_night=0.7,the_scream=0.3 (weights "
            "normalised to sum 1)"
        ),
    )


def _is_video(item) -> bool:
    return Path(str(item)).suffix.lower() in VIDEO_SUFFIXES


def _outputs(args, contents, tag) -> list[Path]:
    def name(c):
        return f"{stem(c)}_{tag}" + (".mp4" if _is_video(c) else ".png")

    if len(contents) > 1:
        folder = Path(args.output or "results")
        if folder.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES:
            raise NeuralStyleError(
                f"--output {folder}: with {len(contents)} inputs give a folder, not a file"
            )
        return [folder / name(c) for c in contents]
    return [Path(args.output) if args.output else Path("results") / name(contents[0])]


def work(args) -> int:
    """Do the job the parsed options ``args`` ask for; the exit status."""
    from tqdm import tqdm

    say = say_fn(args.quiet)
    if args.size is not None and args.size < 4:
        raise NeuralStyleError(f"--size {args.size} is not valid; give a positive number of pixels")
    if not 0 <= args.strength <= 1:
        raise NeuralStyleError(
            f"--strength {args.strength:g} is not valid; give a number from 0 (the photo) to 1 "
            "(the network's result)"
        )
    contents = expand_contents(args.content, IMAGE_SUFFIXES + VIDEO_SUFFIXES)
    outputs = _outputs(args, contents, stem(args.model))
    for c, out in zip(contents, outputs):
        check_output(out, **({"suffixes": VIDEO_SUFFIXES, "kind": "video"} if _is_video(c) else {}))

    from neural_style import runtimes

    if runtimes.is_exported(args.model):  # its own runtime: no Keras, no TensorFlow
        network = runtimes.load(args.model)
        say(f"{network.model.runtime}, network {args.model}")
    else:
        from neural_style import backend, inference

        network = inference.load(args.model)
        say(f"{backend.name()} on {backend.device()}, network {args.model}")
    looks = _looks(args, network, contents)
    bar = tqdm(
        total=len(contents),
        unit="image",
        disable=args.quiet or len(contents) == 1,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    batch = Batch(len(contents), bar)
    for content, output in zip(contents, outputs):
        do = _video if _is_video(content) else _photo
        if batch.attempt(content, do, network, content, output, args, looks, say):
            print(output)
        bar.update(1)
    bar.close()
    return batch.finish(say)


def _looks(args, network, contents) -> dict:
    """The options the network's kind takes, checked now; one line for what it does not
    take (videos, looks)."""
    kind = network.kind
    videos = [str(c) for c in contents if _is_video(c)]
    if videos and not kind.video:
        raise NeuralStyleError(
            f"{videos[0]}: --model {args.model} is a {kind.title}, for photos only; give photos "
            "or a style network"
        )
    given = {
        "strength": args.strength != 1,
        "original_colors": args.original_colors,
        "style": args.style is not None,
        "style_mix": args.style_mix is not None,
    }
    if any(given[n] and n not in kind.looks for n in ("strength", "original_colors")):
        raise NeuralStyleError(
            f"--model {args.model} is a {kind.title}: --strength and --original-colors are for "
            "style networks"
        )
    if any(given[n] and n not in kind.looks for n in ("style", "style_mix")):
        raise NeuralStyleError(
            f"--model {args.model} is a {kind.title} of one style: --style and --style-mix are "
            "for a network of several (--task multistyle)"
        )
    looks = {name: getattr(args, name) for name in kind.looks}
    # a style the network lacks, bad weights: one line now, not per image
    kind.looks_for(network.meta, looks)
    return looks


def _photo(network, content, output, args, looks, say):
    from neural_style import data
    from neural_style.images import save_image

    t = time.perf_counter()
    photo = data.load(content)
    image = network.apply(photo, fitting_size(photo.shape, args.size, say, network), **looks)
    save_image(output, image)
    say(f"{output}: {image.shape[1]}x{image.shape[0]} px in {time.perf_counter() - t:.2f} s")
    return output


def _video(network, src, dst, args, looks, say):
    from tqdm import tqdm

    from neural_style import inference

    if not Path(src).is_file():
        raise NeuralStyleError(f"{src}: no such file")
    w, h = inference.video_size(src)
    size = fitting_size((h, w), args.size, say, network)
    with tqdm(
        total=inference.video_frame_count(src),
        unit="frame",
        disable=args.quiet,
        file=sys.stderr,
        desc=stem(src),
    ) as bar:
        t = time.perf_counter()
        stats = inference.apply_video(
            network, src, dst, size, on_frame=lambda n: bar.update(1), **looks
        )
    seconds = time.perf_counter() - t
    w, h = stats["size"]
    say(
        f"{dst}: {stats['frames']} frames, {w}x{h} px, {stats['fps']:g} fps, "
        f"{stats['frames'] / seconds:.1f} frames/s; flicker (mean |frame - previous|) "
        f"{stats['flicker']:.1f} against the input's {stats['input_flicker']:.1f}"
    )
    return dst
