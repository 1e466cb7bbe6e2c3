"""``neural-style --content X --style Y``: Gatys et al. style transfer of a photo, by optimisation.

Run with no arguments it performs the default job: matplotlib's photo of Grace Hopper in
the style of The Starry Night, at 256 px, in about a minute on two CPU cores.  Its
defaults are the lesson's except two, chosen for a picture worth showing at that budget:
the start image is the photo (the lesson starts from noise) and 6 outer iterations of 20
evaluations are run (the lesson runs 10).  The library recipes keep the lesson's.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time

from neural_style.cli import stages, sweep
from neural_style.cli.jobs import jobs_help
from neural_style.cli.options import (
    DEFAULT_CONTENT,
    DEFAULT_STYLE,
    HelpFormatter,
    floats,
    ints,
    names,
    run_job,
    say_fn,
    stem,
)
from neural_style.cli.plan import DEFAULTS, NUMBERS, make_plan
from neural_style.cli.sizes import check_memory, check_side, sizes_for
from neural_style.errors import NeuralStyleError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="neural-style",
        description=(
            "Neural style transfer (Gatys et al. 2015) as in the fast.ai 2017 lesson 8: VGG16 "
            "with average pooling, optimised with L-BFGS. Images are file paths or lesson image "
            "names (starry_night, the_scream, shipwreck, woman_with_hat, tubingen, grace_hopper)."
        ),
        epilog=(
            "Defaults that differ from the lesson's, for a painted picture in about a minute on "
            "two CPU cores: --init content (the lesson: noise), --iterations 6 (the lesson: 10), "
            "--resample bicubic (the lesson: Pillow's old NEAREST), --optimizer auto "
            "(lbfgs-device on a GPU). The Keras backend is KERAS_BACKEND (tensorflow, jax or "
            "torch). "
        )
        + jobs_help(),
        formatter_class=HelpFormatter,
    )
    a = p.add_argument

    def number(name):
        kind, default, help = NUMBERS[name]
        a(
            f"--{name}",
            *(["-n"] if name == "iterations" else []),
            type=kind,
            default=default,
            help=help,
        )

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
    for name in ("size", "style-scale", "iterations", "maxfun"):
        number(name)
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
    for name in ("content-weight", "style-weight", "tv-weight"):
        number(name)
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
    a(
        "--init",
        default=DEFAULTS.init,
        help=(
            "start image: content (a painted photo within a minute), noise (the lesson's uniform "
            "-2.5..2.5: needs more evaluations), style, or an image PATH"
        ),
    )
    number("seed")
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
    number("save-every")
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
        "--resample",
        choices=("nearest", "bilinear", "bicubic", "lanczos"),
        default="bicubic",
        help="resampling used to resize the inputs",
    )
    a(
        "--sweep",
        action="append",
        type=sweep.parse,
        metavar="NAME=V1,V2,...",
        help="run a grid over an option, e.g. content-weight=0.01,0.1,1 or "
        '"style-layers=block1_conv1;block1_conv1,block2_conv1" (sets separated by ;); repeat '
        "for more axes. Each result is saved in OUTPUT_sweep/, a labelled contact sheet "
        "beside --output, with --logdir one TensorBoard run per setting with its "
        "hyperparameters",
    )
    a("--quiet", "-q", action="store_true", help="print only errors and the output path")
    a("--debug", action="store_true", help="show full tracebacks and TensorFlow's own messages")
    return p


def _run_one(plan, k, bar, say):
    """Job ``k``: load its content, check its sizes and memory, run every stage."""
    from neural_style import data

    job, cfg = plan.jobs[k], plan.configs[k]
    content_full = data.load(job.content)
    check_side(job.content, content_full)
    sizes = sizes_for(content_full, job.args.scales or (job.args.size,))
    check_memory(sizes, cfg, say)
    return stages.stylise(
        job.args, cfg, content_full, plan.styles, sizes, job.output, plan.save_every, bar, say
    )


def _main(args) -> int:
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
    done, failed, start = [], [], time.perf_counter()
    try:
        for k, job in enumerate(jobs):
            if several:
                bar.set_description(f"{k + 1}/{len(jobs)} {job.label or stem(job.content)}")
            try:
                result, n_evals = _run_one(plan, k, bar, say)
            except NeuralStyleError as e:
                if not several:
                    raise
                bar.write(f"neural-style: error: {e}; skipped", file=sys.stderr)
                failed.append(job.label or job.content)
                continue
            print(job.output)
            if result.stopped == "signal":
                return _stopped_by_signal(job)
            if result.stopped:
                print(f"neural-style: error: {result.stopped}; saved {job.output}", file=sys.stderr)
                failed.append(job.label or job.content)
                continue
            done.append((job, result))
            # the bar counts what is left as full budgets; a finished image sets it right
            bar.total = bar.n + sum(plan.budget(j) for j in range(k + 1, len(jobs)))
            bar.refresh()
            say(_summary(job, result, n_evals))
    finally:
        bar.close()
    if args.sweep and done:
        sweep.finish(args, [j.setting for j in jobs], done, say)
    if several:
        say(
            f"done {len(done)}, failed "
            f"{len(failed)}{' (' + ', '.join(failed) + ')' if failed else ''}, "
            f"{time.perf_counter() - start:.1f} s"
        )
    return 1 if failed else 0


def _summary(job, result, n_evals) -> str:
    if not result.losses:
        return f"{job.output}: no iteration finished"
    return (
        f"{job.output}: loss {result.losses[0]:.4g} -> {result.losses[-1]:.4g}, {n_evals} "
        f"evaluations, {result.seconds / max(result.n_evals, 1):.3f} s per evaluation"
    )


def _stopped_by_signal(job) -> int:
    cmd = " ".join(shlex.quote(a) for a in sys.argv[1:] if a)
    print(
        f"neural-style: stopped by a signal; the best image so far is {job.output}\ncontinue "
        f"with: neural-style {cmd} --init {shlex.quote(str(job.output))}",
        file=sys.stderr,
    )
    return 130


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_job(_main, args)
