"""``neural-style --model NET --content ...``: stylise photos, folders and videos with a
trained real-time network, in one forward pass per image or frame; or upscale photos 4x
with a super-resolution network."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from neural_style.cli.options import (
    HelpFormatter,
    check_output,
    expand_contents,
    run_job,
    say_fn,
    stem,
)
from neural_style.errors import NeuralStyleError
from neural_style.files import IMAGE_SUFFIXES, VIDEO_SUFFIXES


def build_parser() -> argparse.ArgumentParser:
    from neural_style import inference  # the shipped networks and formats, named in the help

    p = argparse.ArgumentParser(
        prog="neural-style --model",
        description=(
            "Stylise photos, folders of photos and videos with a real-time style network "
            f"(`neural-style train`, or one that ships: {', '.join(inference.shipped_models())}). "
            "Each result has its input's size; a super-resolution network (--task superres, or "
            "the shipped superres) upscales photos 4x instead."
        ),
        formatter_class=HelpFormatter,
    )
    a = p.add_argument
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
        default=["grace_hopper"],
        help="photos, lesson image names, folders, glob patterns or videos ("
        + ", ".join(VIDEO_SUFFIXES)
        + ")",
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
    a("--quiet", "-q", action="store_true", help="print only errors and the output paths")
    a("--debug", action="store_true", help="show full tracebacks and TensorFlow's own messages")
    return p


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


def _main(args) -> int:
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
    several = len(contents) > 1
    done, failed, start = 0, [], time.perf_counter()
    bar = tqdm(
        total=len(contents),
        unit="image",
        disable=args.quiet or not several,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    for content, output in zip(contents, outputs):
        try:
            (_video if _is_video(content) else _photo)(network, content, output, args, looks, say)
        except NeuralStyleError as e:
            if not several:
                raise
            bar.write(f"neural-style: error: {e}; skipped", file=sys.stderr)
            failed.append(content)
            continue
        finally:
            bar.update(1)
        print(output)
        done += 1
    bar.close()
    if several:
        say(
            f"done {done}, failed "
            f"{len(failed)}{' (' + ', '.join(failed) + ')' if failed else ''}, "
            f"{time.perf_counter() - start:.1f} s"
        )
    return 1 if failed else 0


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
    image = network.apply(photo, _fitting_size(photo.shape, args.size, say, network), **looks)
    save_image(output, image)
    say(f"{output}: {image.shape[1]}x{image.shape[0]} px in {time.perf_counter() - t:.2f} s")


def _fitting_size(shape, asked, say, network):
    """The size the network sees: ``--size``, else the image's own, made smaller (with a
    notice) until the network's estimated peak memory fits in what is available."""
    from neural_style.images import scaled_shape

    h, w = shape[:2]
    size = asked or max(h, w)
    available = _free_memory(network)
    while size > 64 and network.memory(*scaled_shape((h, w), size)) > available:
        size = int(size * 0.9)
    if size != (asked or max(h, w)):
        say(
            f"neural-style: notice: {w}x{h} px would need more than the {available / 1e9:.1f} GB "
            f"available; the network sees {size} px (--size)"
            + ("" if network.kind.scale != 1 else " and the result is resized back")
        )
    return size if size != max(h, w) else None


def _free_memory(network) -> int:
    from neural_style import memory

    if getattr(network.model, "frames_itself", False):  # an exported network runs on the CPU
        return memory.available()
    return memory.free_memory()


def _video(network, src, dst, args, looks, say):
    from tqdm import tqdm

    from neural_style import inference

    if not Path(src).is_file():
        raise NeuralStyleError(f"{src}: no such file")
    w, h = inference.video_size(src)
    size = _fitting_size((h, w), args.size, say, network)
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


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_job(_main, args)
