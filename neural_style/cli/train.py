"""``neural-style train``: train the lesson's real-time style (or super-resolution) network
on a folder of photos, with the lesson's settings by default."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from neural_style.cli import cluster
from neural_style.cli.options import DEFAULT_STYLE, add_common, check_output, config_from, say_fn
from neural_style.cli.sizes import check_side


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The job's description and options, on its subcommand's parser ``p``."""
    from neural_style.config import TrainConfig

    # every default below is TrainConfig's: the command and the library cannot drift
    d = TrainConfig()
    p.description = (
        "Train the fast.ai 2017 lesson's real-time style network (Johnson et al. 2016: "
        "perceptual losses over a frozen VGG16) on your photos, streamed from disk; or, with "
        "--task superres, its 4x super-resolution network. Saves the network after every "
        "epoch and on Ctrl-C; --resume continues. Apply it with: neural-style --model "
        "NET.keras --content PHOTO."
    )
    _add_data(p.add_argument_group("photos and style"), d)
    _add_training(p.add_argument_group("training"), d)
    _add_runs(p.add_argument_group("logs, checkpoints and checks"))
    cluster.add_arguments(p.add_argument_group(cluster.TITLE))
    add_common(p)


def _add_data(group, d) -> None:
    """What the network learns from, what kind it is, and where it is saved; ``d``, the
    TrainConfig of the defaults."""
    from neural_style import kinds

    a = group.add_argument
    a(
        "--style",
        "-s",
        nargs="+",
        default=[DEFAULT_STYLE],
        help=(
            "style image(s): paths or lesson image names; several train one many-style network "
            "(--task multistyle)"
        ),
    )
    a(
        "--style-factor",
        type=float,
        default=3.5,
        help=(
            "the style image is resized by 1/this (the lesson: 3.5); its stroke size in the "
            "results follows"
        ),
    )
    a(
        "--images",
        "-i",
        nargs="+",
        required=True,
        help=(
            "training photos: folders (searched recursively), files or glob patterns; an "
            "unreadable file is skipped and counted; or the TFRecord shards of `neural-style "
            "pack` (DIR/*.tfrecord)"
        ),
    )
    a(
        "--output",
        "-o",
        required=True,
        help="the network, a .keras file (a resumable checkpoint is written beside it)",
    )
    a(
        "--task",
        choices=tuple(kinds.KINDS),
        default=d.task,
        help=(
            "the network's kind: style, the real-time style network; superres, 4x super-resolution"
        ),
    )


# TrainConfig's numeric fields the command sets, each an option of its name: (type, help).
NUMBERS = {
    "size": (
        int,
        "side of the square training crops in px (multiple of 4); strokes are fixed in pixels "
        "at this scale",
    ),
    "batch_size": (int, "images per step (divided over every local accelerator)"),
    "epochs": (int, "epochs; the last runs at --lr / 10 (the lesson: 2 at 1e-3, then 1 at 1e-4)"),
    "steps": (int, "steps per epoch (default: one pass over the images)"),
    "lr": (float, "Adam learning rate"),
    "seed": (int, "seed of the weights and of the crops"),
    "workers": (int, "threads decoding images while the network trains"),
    "style_weight": (
        float,
        "weight of the style term against the content term (the lesson: 1); higher paints more "
        "where the photo is flat",
    ),
}
NORMS_HELP = (
    "batch: the lesson's (Keras 1 mode=2: batch statistics at inference too); instance: "
    "Ulyanov et al. 2016, steadier at small batches; demod: instance in the downsampling "
    "blocks, StyleGAN2's weight demodulation after (no glowing blobs); many styles: instance "
    "unless demod"
)


def _add_training(group, d) -> None:
    """The crops, batches, epochs, optimiser and loss weights of the run (``NUMBERS`` and
    ``config.OPTIONAL_TERMS``); the network's normalisation. ``d``: the defaults."""
    from neural_style.config import NORMS, OPTIONAL_TERMS

    for field, (kind, says) in NUMBERS.items():
        name = "--" + field.replace("_", "-")
        group.add_argument(name, type=kind, default=getattr(d, field), help=says)
    for term, says in OPTIONAL_TERMS.items():
        group.add_argument(
            f"--{term}", type=float, default=getattr(d, term), help=f"{says} (0: off)"
        )
    group.add_argument("--norm", choices=NORMS, default=d.norm, help=NORMS_HELP)


def _add_runs(group) -> None:
    """TensorBoard logs, resuming, the NaN debugger and the VGG16 weights."""
    a = group.add_argument
    a("--logdir", help="TensorBoard folder: loss terms per step, sample outputs per epoch")
    a(
        "--resume",
        action="store_true",
        help="continue from --output's checkpoint (epoch count and optimiser state)",
    )
    a(
        "--debug-dump",
        metavar="DIR",
        help=(
            "a run whose loss goes non-finite names the operation that first made a NaN or an "
            "infinity: TensorFlow dumps every operation's health to DIR (Debugger V2; tensorboard "
            "--logdir DIR shows it); JAX runs the failing step again with its NaN checks and "
            "writes the traceback to DIR"
        ),
    )
    a("--weights", help="VGG16 weights file (default: the verified ImageNet weights)")


def config(args):
    """The TrainConfig of the command's options, field by field."""
    from neural_style import kinds
    from neural_style.config import TrainConfig

    # recorded with the network
    names = tuple(args.style) if kinds.get(args.task).needs_style else ()
    return config_from(args, TrainConfig(), style_names=names)


def work(args) -> int:
    """Do the job the parsed options ``args`` ask for; the exit status."""
    say = say_fn(args.quiet)
    output = Path(args.output)
    check_output(output, suffixes=(".keras",), kind="network file")
    if not args.debug and os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "2":  # neural_style's default
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # tf.data's C++ notices say nothing to a user

    cluster.check(args)
    cfg = config(args)
    from neural_style import backend, checkpoints, data, debugdump, kinds, training

    if args.debug_dump:
        debugdump.check()
    from neural_style.imagestream import check_files, list_images

    index, count = cluster.start(args)  # before anything touches a device
    if index:  # process 0 speaks for the run
        say = say_fn(quiet=True)
    if args.resume:  # before the images are listed and the network built
        checkpoints.resumable(output)
    files = list_images(args.images)
    check_files(files, cfg.size, cfg.batch_size, cfg.seed)
    style = None
    if kinds.get(cfg.task).needs_style:
        style = [data.load(s, factor=args.style_factor, resample="bicubic") for s in args.style]
        for name, image in zip(args.style, style):
            check_side(name, image)
        style = style if len(style) > 1 else style[0]
    across = f" across {count} processes, {backend.data_parallel()[1]} devices" if count > 1 else ""
    say(
        f"{backend.name()} on {backend.device()}{across}: {len(files)} images, {cfg.task} "
        f"network, {cfg.size} px, batch {cfg.batch_size}"
    )
    result = training.train(
        cfg,
        files,
        output,
        style=style,
        logdir=args.logdir,
        resume=args.resume,
        weights=args.weights or "imagenet",
        progress=not args.quiet,
        debug_dump=args.debug_dump,
    )
    return _summary(result, output, say, quiet=index > 0)


def _summary(result, output, say, quiet=False) -> int:
    """What training did, the network's path (not from processes other than 0, which
    write nothing), and the exit status."""
    if result.skipped:
        say(
            f"skipped {len(result.skipped)} unreadable file(s): "
            f"{', '.join(result.skipped[:5])}{' ...' if len(result.skipped) > 5 else ''}"
        )
    per_step = result.seconds / max(result.steps, 1)
    losses = result.history.get("loss", [])
    trend = f", loss by epoch {' -> '.join(f'{v:.4g}' for v in losses)}" if losses else ""
    say(
        f"{result.steps} steps, {per_step:.2f} s per step, {result.epochs_done} epoch(s) "
        f"done{trend}"
    )
    if not quiet:
        print(output)
    if result.stopped == "interrupted":
        print(
            f"neural-style: stopped by Ctrl-C after epoch {result.epochs_done}; continue with "
            "--resume",
            file=sys.stderr,
        )
        return 130
    if result.stopped:
        print(
            f"neural-style: error: {result.stopped}; kept the checkpoint of epoch "
            f"{result.epochs_done}; lower --lr",
            file=sys.stderr,
        )
        return 1
    return 0
