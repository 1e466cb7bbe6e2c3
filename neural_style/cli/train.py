"""``neural-style train``: train the lesson's real-time style (or super-resolution) network
on a folder of photos, with the lesson's settings by default."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from neural_style.cli.options import (
    DEFAULT_STYLE,
    HelpFormatter,
    check_output,
    config_from,
    run_job,
    say_fn,
)
from neural_style.cli.sizes import check_side
from neural_style.errors import NeuralStyleError


def build_parser() -> argparse.ArgumentParser:
    from neural_style import distributed, kinds
    from neural_style.config import NORMS, OPTIONAL_TERMS, TrainConfig

    # every default below is TrainConfig's: the command and the library cannot drift
    d = TrainConfig()
    p = argparse.ArgumentParser(
        prog="neural-style train",
        description=(
            "Train the fast.ai 2017 lesson's real-time style network (Johnson et al. 2016: "
            "perceptual losses over a frozen VGG16) on your photos, streamed from disk; or, with "
            "--task superres, its 4x super-resolution network. Saves the network after every "
            "epoch and on Ctrl-C; --resume continues. Apply it with: neural-style --model "
            "NET.keras --content PHOTO."
        ),
        formatter_class=HelpFormatter,
    )
    a = p.add_argument
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
    a(
        "--size",
        type=int,
        default=d.size,
        help=(
            "side of the square training crops in px (multiple of 4); strokes are fixed in pixels "
            "at this scale"
        ),
    )
    a(
        "--batch-size",
        type=int,
        default=d.batch_size,
        help="images per step (divided over every local accelerator)",
    )
    a(
        "--epochs",
        type=int,
        default=d.epochs,
        help="epochs; the last runs at --lr / 10 (the lesson: 2 at 1e-3, then 1 at 1e-4)",
    )
    a(
        "--steps",
        type=int,
        default=d.steps,
        help="steps per epoch (default: one pass over the images)",
    )
    a("--lr", type=float, default=d.lr, help="Adam learning rate")
    a(
        "--norm",
        choices=NORMS,
        default=d.norm,
        help=(
            "batch: the lesson's (Keras 1 mode=2: batch statistics at inference too); instance: "
            "Ulyanov et al. 2016, steadier at small batches; demod: instance in the downsampling "
            "blocks, StyleGAN2's weight demodulation after (no glowing blobs); many styles: "
            "instance unless demod"
        ),
    )
    a("--seed", type=int, default=d.seed, help="seed of the weights and of the crops")
    a(
        "--style-weight",
        type=float,
        default=d.style_weight,
        help=(
            "weight of the style term against the content term (the lesson: 1); higher paints "
            "more where the photo is flat"
        ),
    )
    for term, says in OPTIONAL_TERMS.items():
        a(f"--{term}", type=float, default=getattr(d, term), help=f"{says} (0: off)")
    a(
        "--workers",
        type=int,
        default=d.workers,
        help="threads decoding images while the network trains",
    )
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
    a(
        "--coordinator",
        metavar="HOST:PORT",
        help=(
            "train across processes and hosts (KERAS_BACKEND=jax): the address of process 0, "
            "which listens there"
        ),
    )
    a("--num-processes", type=int, help="how many processes train together (with --coordinator)")
    a(
        "--process-id",
        type=int,
        help=(
            "this process's number, 0 to N-1; 0 runs on the coordinator's host and alone writes "
            "the network"
        ),
    )
    a(
        "--distributed",
        action="store_true",
        help=(
            "train across processes as the cluster manager's environment says (SLURM, Open MPI, "
            "...: jax.distributed.initialize() with no arguments)"
        ),
    )
    a(
        "--join-timeout",
        type=int,
        default=distributed.INIT_TIMEOUT,
        help="seconds to wait for the coordinator and every process to join",
    )
    a(
        "--heartbeat-timeout",
        type=int,
        default=distributed.HEARTBEAT_TIMEOUT,
        help="seconds after which a silent process (a host that died) ends the run on every host",
    )
    a("--quiet", "-q", action="store_true", help="print only errors and the output path")
    a("--debug", action="store_true", help="show full tracebacks and TensorFlow's own messages")
    return p


def _config(args):
    """The TrainConfig of the command's options, field by field."""
    from neural_style import kinds
    from neural_style.config import TrainConfig

    # recorded with the network
    names = tuple(args.style) if kinds.get(args.task).needs_style else ()
    return config_from(args, TrainConfig(), style_names=names)


def _main(args) -> int:
    say = say_fn(args.quiet)
    output = Path(args.output)
    check_output(output, suffixes=(".keras",), kind="network file")
    if not args.debug and os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "2":  # neural_style's default
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # tf.data's C++ notices say nothing to a user
    from neural_style import distributed

    distributed.check(args.coordinator, args.num_processes, args.process_id)
    cfg = _config(args)
    from neural_style import backend, data, debugdump, kinds, training

    if args.debug_dump:
        debugdump.check()
    from neural_style.imagestream import check_files, list_images

    if args.coordinator or args.distributed:  # before anything touches a device
        distributed.start(
            args.coordinator,
            args.num_processes,
            args.process_id,
            args.join_timeout,
            args.heartbeat_timeout,
        )
    index, count = distributed.process()
    if index:  # process 0 speaks for the run
        say = say_fn(quiet=True)
    if args.resume and not training.checkpoint_path(output).exists():
        raise NeuralStyleError(
            f"{training.checkpoint_path(output)}: no checkpoint to resume from; train without "
            "--resume first"
        )
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


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_job(_main, args)
