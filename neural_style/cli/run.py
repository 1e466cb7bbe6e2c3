"""``neural-style --content X --style Y``: Gatys et al. style transfer of a photo, by optimisation.

Run with no arguments it performs the default job: matplotlib's photo of Grace Hopper in
the style of The Starry Night, at 256 px, in about a minute on two CPU cores.  Its
defaults are the lesson's except two, chosen for a picture worth showing at that budget:
the start image is the photo (the lesson starts from noise) and 6 outer iterations of 20
evaluations are run (the lesson runs 10).  The library recipes keep the lesson's.
"""

from __future__ import annotations

import argparse
import sys

from neural_style.cli import stages, sweep
from neural_style.cli.batch import Batch
from neural_style.cli.jobs import jobs_help
from neural_style.cli.options import (
    DEFAULT_CONTENT,
    DEFAULT_STYLE,
    add_common,
    floats,
    ints,
    names,
    say_fn,
    stem,
)
from neural_style.cli.plan import DEFAULTS, NUMBERS, make_plan


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The job's description and options, on its subcommand's parser ``p``."""
    p.description = (
        "Neural style transfer (Gatys et al. 2015) as in the fast.ai 2017 lesson 8: VGG16 "
        "with average pooling, optimised with L-BFGS. Images are file paths or lesson image "
        "names (starry_night, the_scream, shipwreck, woman_with_hat, tubingen, grace_hopper)."
    )
    p.epilog = (
        "Defaults that differ from the lesson's, for a painted picture in about a minute on "
        "two CPU cores: --init content (the lesson: noise), --iterations 6 (the lesson: 10), "
        "--resample bicubic (the lesson: Pillow's old NEAREST), --optimizer auto "
        "(lbfgs-device on a GPU). The Keras backend is KERAS_BACKEND (tensorflow, jax or "
        "torch). " + jobs_help()
    )
    _add_images(p.add_argument_group("images"))
    _add_optimisation(p.add_argument_group("the optimisation"))
    _add_loss(p.add_argument_group("the loss"))
    _add_progress(p.add_argument_group("iterations, logs and grids"))


def _add_images(group) -> None:
    """What is painted, in what style, at what size, and where it goes."""
    a = group.add_argument
    a(
        "--content",
        "-c",
        nargs="+",
        default=[DEFAULT_CONTENT],
        help=(
            "content photo(s): paths, lesson image names, folders or glob patterns; several make "
            "a batch (the model and style targets are built once, --output is then a folder)"
        ),
    )
    a(
        "--style",
        "-s",
        action="append",
        default=argparse.SUPPRESS,
        help=f"style image: path or name; repeat to blend several (default: {DEFAULT_STYLE})",
    )
    a(
        "--style-blend",
        type=floats,
        help=(
            "comma-separated weight per --style; the Gram-matrix targets are blended with these "
            "weights, normalised to sum to 1 (default: equal)"
        ),
    )
    a(
        "--output",
        "-o",
        help="output image, or folder for a batch (default: results/CONTENT_STYLE.png)",
    )
    _number(a, "size")
    _number(a, "style-scale")
    a(
        "--original-colors",
        action="store_true",
        help="keep the content's colours: transfer luminance only",
    )
    a(
        "--scales",
        type=ints,
        help=(
            "coarse-to-fine sizes, e.g. 256,512,1024; each stage starts from the last (overrides "
            "--size)"
        ),
    )
    a(
        "--resample",
        choices=("nearest", "bilinear", "bicubic", "lanczos"),
        default="bicubic",
        help="resampling used to resize the inputs",
    )


def _add_optimisation(group) -> None:
    """How the image is optimised: the lesson's loop of L-BFGS runs, its start and budget."""
    a = group.add_argument
    _number(a, "iterations")
    _number(a, "maxfun")
    a(
        "--optimizer",
        choices=("auto", "lbfgs-restart", "lbfgs", "lbfgs-device"),
        default="auto",
        help=(
            "lbfgs-restart: the lesson's loop, scipy's L-BFGS-B restarted every outer iteration "
            "then clipped; lbfgs: one continuous L-BFGS run for all the evaluations (as the paper "
            "ran it), clipped at the end; lbfgs-device: the lesson's loop with an L-BFGS that "
            "stays on the GPU; auto: lbfgs-device on a GPU, lbfgs-restart on the CPU"
        ),
    )
    a(
        "--init",
        default=DEFAULTS.init,
        help=(
            "start image: content (a painted photo within a minute), noise (the lesson's uniform "
            "-2.5..2.5: needs more evaluations), style, or an image PATH"
        ),
    )
    _number(a, "seed")


def _add_loss(group) -> None:
    """The loss's terms, weights and VGG16 layers (Gatys et al. 2015)."""
    a = group.add_argument
    _number(a, "content-weight")
    _number(a, "style-weight")
    _number(a, "tv-weight")
    a("--content-layer", default=DEFAULTS.content_layer, help="VGG16 layer of the content loss")
    a(
        "--style-layers",
        type=names,
        default=DEFAULTS.style_layers,
        help="comma-separated VGG16 layers of the style loss",
    )
    a(
        "--layer-weights",
        type=floats,
        default=DEFAULTS.layer_weights,
        help="comma-separated weight per style layer",
    )
    a(
        "--pooling",
        choices=("avg", "max"),
        default=DEFAULTS.pooling,
        help="VGG16 pooling: avg (the paper) or max",
    )


def _add_progress(group) -> None:
    """What is kept of the run: iteration images, TensorBoard logs, --sweep grids."""
    a = group.add_argument
    _number(a, "save-every")
    a("--iterations-dir", help="folder of the per-iteration PNGs (default: next to --output)")
    a(
        "--gif",
        action="store_true",
        help="also write an animated GIF of the saved iterations beside the output",
    )
    a(
        "--logdir",
        help="TensorBoard folder: loss terms and image per outer iteration, settings as text",
    )
    a(
        "--sweep",
        action="append",
        type=sweep.parse,
        metavar="NAME=V1,V2,...",
        help=(
            "run a grid over an option, e.g. content-weight=0.01,0.1,1 or "
            '"style-layers=block1_conv1;block1_conv1,block2_conv1" (sets separated by ;); repeat '
            "for more axes. Each result is saved in OUTPUT_sweep/, a labelled contact sheet "
            "beside --output, with --logdir one TensorBoard run per setting with its "
            "hyperparameters"
        ),
    )
    add_common(group)


def _number(a, name):
    """A numeric option from ``plan.NUMBERS``, the table --sweep reads too."""
    kind, default, help = NUMBERS[name]
    a(f"--{name}", *(["-n"] if name == "iterations" else []), type=kind, default=default, help=help)


def work(args) -> int:
    """Do the job the parsed options ``args`` ask for; the exit status."""
    from tqdm import tqdm

    say = say_fn(args.quiet)  # tqdm.write prints above a running progress bar instead of through it
    plan = make_plan(args, say)
    jobs, several = plan.jobs, len(plan.jobs) > 1
    bar = tqdm(
        total=sum(plan.budget(k) for k in range(len(jobs))),
        unit="eval",
        disable=args.quiet,
        file=sys.stderr,
        dynamic_ncols=True,
        desc="style transfer",
    )
    batch, done = Batch(len(jobs), bar), []
    try:
        for k, job in enumerate(jobs):
            if several:
                bar.set_description(f"{k + 1}/{len(jobs)} {job.label or stem(job.content)}")
            ran = batch.attempt(job.label or job.content, stages.run_one, plan, k, bar, say)
            if ran is None:
                continue
            result, n_evals = ran
            print(job.output)
            if result.stopped == "signal":
                return stages.stopped_by_signal(job)
            if result.stopped:
                batch.fail(job.label or job.content, f"{result.stopped}; saved {job.output}")
                continue
            done.append((job, result))
            # the bar counts what is left as full budgets; a finished image sets it right
            bar.total = bar.n + sum(plan.budget(j) for j in range(k + 1, len(jobs)))
            bar.refresh()
            say(stages.summary(job, result, n_evals))
    finally:
        bar.close()
    if args.sweep and done:
        sweep.finish(args, [j.setting for j in jobs], done, say)
    return batch.finish(say)
