"""``neural-style --content X --style Y``: Gatys et al. style transfer of a photo, by optimisation.

Run with no arguments it performs the default job: matplotlib's photo of Grace Hopper in
the style of The Starry Night, at 256 px, in about a minute on two CPU cores.  Its
defaults are the lesson's except two, chosen for a picture worth showing at that budget:
the start image is the photo (the lesson starts from noise) and 6 outer iterations of 20
evaluations are run (the lesson runs 10).  The library recipes keep the lesson's.
"""

from __future__ import annotations

import argparse
import dataclasses
import shlex
import sys
import time
from pathlib import Path

from neural_style.cli import stages, sweep
from neural_style.cli.options import (
    DEFAULT_CONTENT,
    DEFAULT_STYLE,
    IMAGE_SUFFIXES,
    check_output,
    expand_contents,
    floats,
    ints,
    names,
    run_job,
    say_fn,
    stem,
)  # fmt: skip
from neural_style.cli.sizes import check_memory, check_side, sizes_for
from neural_style.errors import NeuralStyleError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="neural-style",
        description="Neural style transfer (Gatys et al. 2015) as in the fast.ai 2017 lesson 8: "
        "VGG16 with average pooling, optimised with L-BFGS. Images are file paths or lesson "
        "image names (starry_night, the_scream, shipwreck, woman_with_hat, tubingen, grace_hopper).",
        epilog="Defaults that differ from the lesson's, for a painted picture in about a minute "
        "on two CPU cores: --init content (the lesson: noise), --iterations 6 (the lesson: 10), "
        "--resample bicubic (the lesson: Pillow's old NEAREST), --optimizer auto (lbfgs-device "
        "on a GPU). The Keras backend is KERAS_BACKEND (tensorflow, jax or torch). "
        "Real-time style networks: `neural-style train --help` trains one, "
        "`neural-style --model starry_night --content PHOTO|FOLDER|VIDEO` applies one.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    a = p.add_argument
    a("--content", "-c", nargs="+", default=[DEFAULT_CONTENT], help="content photo(s): paths, lesson image names, folders or glob patterns; several make a batch (the model and style targets are built once, --output is then a folder)")
    a("--style", "-s", action="append", default=argparse.SUPPRESS, help=f"style image: path or name; repeat to blend several (default: {DEFAULT_STYLE})")
    a("--style-blend", type=floats, help="comma-separated weight per --style; the Gram-matrix targets are blended with these weights, normalised to sum to 1 (default: equal)")
    a("--output", "-o", help="output image, or folder for a batch (default: results/CONTENT_STYLE.png)")
    a("--size", type=int, default=256, help="longest side of the result in px")
    a("--style-scale", type=float, default=1.0, help="style image's longest side as a multiple of --size")
    a("--iterations", "-n", type=int, default=6, help="outer iterations of --maxfun evaluations each (the lesson: 10; from the content image 6 suffice)")
    a("--maxfun", type=int, default=20, help="loss evaluations per outer iteration")
    a("--optimizer", choices=("auto", "lbfgs-restart", "lbfgs", "lbfgs-device"), default="auto",
      help="lbfgs-restart: the lesson's loop, scipy's L-BFGS-B restarted every outer iteration then clipped; lbfgs: one continuous L-BFGS run for all the evaluations (as the paper ran it), clipped at the end; lbfgs-device: the lesson's loop with an L-BFGS that stays on the GPU; auto: lbfgs-device on a GPU, lbfgs-restart on the CPU")  # fmt: skip
    a("--content-weight", type=float, default=0.1, help="weight of the content loss (the lesson's 1/10); larger keeps the photo clearer")
    a("--style-weight", type=float, default=1.0, help="multiplier of the style loss")
    a("--tv-weight", type=float, default=0.0, help="weight of the total variation loss (smoothness)")
    a("--content-layer", default="block4_conv2", help="VGG16 layer of the content loss")
    a("--style-layers", type=names, default=tuple(f"block{i}_conv2" for i in range(1, 6)), help="comma-separated VGG16 layers of the style loss")
    a("--layer-weights", type=floats, default=(0.05, 0.2, 0.2, 0.25, 0.3), help="comma-separated weight per style layer")
    a("--pooling", choices=("avg", "max"), default="avg", help="VGG16 pooling: avg (the paper) or max")
    a("--init", default="content", help="start image: content (a painted photo within a minute), noise (the lesson's uniform -2.5..2.5: needs more evaluations), style, or an image PATH")
    a("--seed", type=int, help="random seed of the noise start; same seed, same machine, same output")
    a("--original-colors", action="store_true", help="keep the content's colours: transfer luminance only")
    a("--scales", type=ints, help="coarse-to-fine sizes, e.g. 256,512,1024; each stage starts from the last (overrides --size)")
    a("--save-every", type=int, default=0, help="save every N-th outer iteration as PNG (0: none, 1 with --gif)")
    a("--iterations-dir", help="folder of the per-iteration PNGs (default: next to --output)")
    a("--gif", action="store_true", help="also write an animated GIF of the saved iterations beside the output")
    a("--logdir", help="TensorBoard folder: loss terms and image per outer iteration, settings as text")
    a("--resample", choices=("nearest", "bilinear", "bicubic", "lanczos"), default="bicubic", help="resampling used to resize the inputs")
    a("--sweep", action="append", type=sweep.parse, metavar="NAME=V1,V2,...", help="run a grid over an option, e.g. content-weight=0.01,0.1,1 or \"style-layers=block1_conv1;block1_conv1,block2_conv1\" (sets separated by ;); repeat for more axes. Each result is saved in OUTPUT_sweep/, a labelled contact sheet beside --output, with --logdir one TensorBoard run per setting with its hyperparameters")
    a("--quiet", "-q", action="store_true", help="print only errors and the output path")
    a("--debug", action="store_true", help="show full tracebacks and TensorFlow's own messages")
    return p


def _check_args(args, styles):
    """One-line errors for settings that need no image and no model."""
    sizes_wanted = args.scales or (args.size,)
    if any(s <= 0 for s in sizes_wanted):
        raise NeuralStyleError(f"size {min(sizes_wanted)} is not valid; give a positive number of pixels")
    if args.style_blend is not None and len(args.style_blend) != len(styles):
        raise NeuralStyleError(f"--style-blend has {len(args.style_blend)} weights for {len(styles)} --style images; give one per style")
    if args.style_scale <= 0:
        raise NeuralStyleError(f"--style-scale {args.style_scale} is not valid; give a positive number")
    if args.save_every < 0:
        raise NeuralStyleError(f"--save-every {args.save_every} is not valid; give 0 or more")


def _config(args, optimizer, save_every):
    from neural_style import transfer

    cfg = transfer.Config.lesson(
        "transfer", content_layer=args.content_layer, content_weight=args.content_weight,
        style_layers=args.style_layers, layer_weights=args.layer_weights,
        style_weight=args.style_weight, style_blend=args.style_blend, tv_weight=args.tv_weight,
        pooling=args.pooling, seed=args.seed, crop_content=False, iterations=args.iterations,
        maxfun=args.maxfun, optimizer=optimizer, verbose=False, save_every=max(save_every, 1),
        init=args.init if args.init in ("noise", "content", "style") else Path(args.init),
    )  # fmt: skip
    cfg.validate()  # every setting checked before any image is loaded or computed
    return cfg


@dataclasses.dataclass
class Job:
    """One result to make: its content, output file, settings and TensorBoard folder."""

    content: str
    output: Path
    args: argparse.Namespace
    label: str = ""
    setting: dict = dataclasses.field(default_factory=dict)


def _jobs(args, contents, style_tag) -> list[Job]:
    """A batch (one job per content image), a sweep (one per setting), or a single run."""
    if args.sweep:
        if len(contents) > 1:
            raise NeuralStyleError("--sweep runs one content image; give one --content")
        output = Path(args.output or f"results/{stem(contents[0])}_{style_tag}.png")
        grid = sweep.grid(args.sweep, build_parser())
        folder = output.with_name(output.stem + "_sweep")
        jobs = []
        for setting in grid:
            variant = sweep.apply(args, setting)
            label = sweep.label(setting)
            logdir = str(Path(args.logdir) / label) if args.logdir else None
            jobs.append(Job(contents[0], folder / f"{label}.png", argparse.Namespace(**{**vars(variant), "logdir": logdir}), label, setting))
        return jobs
    if len(contents) > 1:  # --output names a folder; each result is named after its content
        folder = Path(args.output or "results")
        if folder.suffix.lower() in IMAGE_SUFFIXES:
            raise NeuralStyleError(f"--output {folder}: with {len(contents)} content images give a folder, not a file")
        return [Job(c, folder / f"{stem(c)}_{style_tag}.png", args) for c in contents]
    return [Job(contents[0], Path(args.output or f"results/{stem(contents[0])}_{style_tag}.png"), args)]


def _main(args) -> int:
    from tqdm import tqdm

    # tqdm.write prints above a running progress bar instead of through it
    say = say_fn(args.quiet)
    styles = getattr(args, "style", None) or [DEFAULT_STYLE]
    _check_args(args, styles)
    contents = expand_contents(args.content)
    style_tag = "+".join(stem(s) for s in styles)
    jobs = _jobs(args, contents, style_tag)
    for job in jobs:
        _check_args(job.args, styles)
        check_output(job.output)
    save_every = args.save_every or (1 if args.gif or args.iterations_dir else 0)

    from neural_style import backend, data

    optimizer = args.optimizer
    if optimizer == "auto":  # scipy on the host costs 20-60x an evaluation on a GPU
        optimizer = "lbfgs-device" if backend.on_gpu() else "lbfgs-restart"
    configs = [_config(job.args, optimizer, save_every) for job in jobs]
    if isinstance(configs[0].init, Path):
        data.load(configs[0].init)  # a bad --init file fails now, not after the first stage
    style_full = [data.load(s, stand_in_ok=(s == DEFAULT_STYLE and not getattr(args, "style", None))) for s in styles]
    for name, arr in zip(styles, style_full):
        check_side(name, arr)
    say(f"{backend.name()} on {backend.device()}, optimizer {optimizer}")
    if args.seed is not None:
        backend.set_seed(args.seed)

    def budget(job, cfg):
        return cfg.iterations * cfg.maxfun * len(job.args.scales or (job.args.size,))

    several = len(jobs) > 1
    bar = tqdm(total=sum(budget(j, c) for j, c in zip(jobs, configs)), unit="eval",
               disable=args.quiet, file=sys.stderr, dynamic_ncols=True, desc="style transfer")  # fmt: skip
    done, failed, start = [], [], time.perf_counter()
    try:
        for k, (job, cfg) in enumerate(zip(jobs, configs)):
            if several:
                bar.set_description(f"{k + 1}/{len(jobs)} {job.label or stem(job.content)}")
            try:
                content_full = data.load(job.content)
                check_side(job.content, content_full)
                sizes = sizes_for(content_full, job.args.scales or (job.args.size,))
                check_memory(sizes, cfg, say)
                result, n_evals = stages.stylise(job.args, cfg, content_full, style_full, sizes, job.output, save_every, bar, say)
            except NeuralStyleError as e:
                if not several:
                    raise
                bar.write(f"neural-style: error: {e}; skipped", file=sys.stderr)
                failed.append(job.label or job.content)
                continue
            print(job.output)
            if result.stopped == "signal":
                cmd = " ".join(shlex.quote(a) for a in sys.argv[1:] if a)
                print(f"neural-style: stopped by a signal; the best image so far is {job.output}\n"
                      f"continue with: neural-style {cmd} --init {shlex.quote(str(job.output))}", file=sys.stderr)  # fmt: skip
                return 130
            if result.stopped:
                print(f"neural-style: error: {result.stopped}; saved {job.output}", file=sys.stderr)
                failed.append(job.label or job.content)
                continue
            done.append((job, result))
            # the bar counts what is left as full budgets; a finished image sets it right
            bar.total = bar.n + sum(budget(j, c) for j, c in zip(jobs[k + 1 :], configs[k + 1 :]))
            bar.refresh()
            say(f"{job.output}: loss {result.losses[0]:.4g} -> {result.losses[-1]:.4g}, {n_evals} evaluations, "
                f"{result.seconds / max(result.n_evals, 1):.3f} s per evaluation" if result.losses else f"{job.output}: no iteration finished")  # fmt: skip
    finally:
        bar.close()
    seconds = time.perf_counter() - start
    if args.sweep and done:
        sheet = sweep.contact_sheet(args.sweep, [j.setting for j in jobs], [(j.setting, r.image) for j, r in done], jobs[0].output.parent.with_suffix(".png"))
        say(f"contact sheet: {sheet}")
        if args.logdir:
            sweep.write_hparams(args.logdir, args.sweep, [j.setting for j in jobs], [(j.setting, j.args.logdir, r) for j, r in done])
            say(f"TensorBoard (HParams): tensorboard --logdir {shlex.quote(args.logdir)}")
    if several:
        say(f"done {len(done)}, failed {len(failed)}{' (' + ', '.join(failed) + ')' if failed else ''}, {seconds:.1f} s")
    return 1 if failed else 0


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_job(_main, args)
