"""``neural-style embed [IMAGES...] --logdir DIR``: images as points of style (their Gram
matrices) for TensorBoard's Embedding Projector (``neural_style.embed``)."""

from __future__ import annotations

import argparse

from neural_style.cli.options import add_common, expand_contents, say_fn, stem


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The job's description and options, on its subcommand's parser ``p``."""
    p.description = (
        "Write images' styles (the Gram matrices of VGG16's block1-3_conv2, as the lesson "
        "defines style) for TensorBoard's Embedding Projector: tensorboard --logdir DIR, then "
        "Projector. Without IMAGES: the lesson's four paintings, four tiles of each, the "
        "photos of --photos and what every shipped style network makes of them."
    )
    a = p.add_argument
    a(
        "images",
        nargs="*",
        help="image files, folders, glob patterns or lesson names (default: the lesson's set)",
    )
    a("--logdir", default="runs/styles", help="the TensorBoard folder to write")
    a(
        "--photos",
        nargs="+",
        default=["tubingen"],
        help="with no IMAGES: the photos the shipped networks paint",
    )
    a(
        "--size",
        type=int,
        default=256,
        help=(
            "each image's longest side when its style is measured, px (strokes are measured in "
            "pixels)"
        ),
    )
    add_common(p, prints="the folder")


def work(args) -> int:
    """Do the job the parsed options ``args`` ask for; the exit status."""
    from neural_style import data, embed
    from neural_style.cli.sizes import check_side
    from neural_style.errors import NeuralStyleError
    from neural_style.vgg16_layers import MIN_SIDE

    say = say_fn(args.quiet)
    if args.size < MIN_SIDE:
        raise NeuralStyleError(f"--size {args.size} is not valid; give {MIN_SIDE} px or more")
    if args.images:
        points = []
        for item in expand_contents(args.images):
            points.append(embed.Point(stem(item), "image", data.load(item)))
            check_side(item, points[-1].image)
    else:
        say("painting the photos with every shipped network ...")
        points = embed.lesson_points(args.photos, size=args.size)
    logdir = embed.write_projector(points, args.logdir, size=args.size if args.images else None)
    say(f"{len(points)} styles written; see them with: tensorboard --logdir {logdir} (Projector)")
    print(logdir)
    return 0
