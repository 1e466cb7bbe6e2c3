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
from neural_style.cli.jobs import jobs_help
from neural_style.cli.options import (
    DEFAULT_CONTENT,
    DEFAULT_STYLE,
    HelpFormatter,
    check_output,
    config_from,
    expand_contents,
    floats,
    ints,
    names,
    run_job,
    say_fn,
    stem,
)
from neural_style.cli.sizes import check_memory, check_side, sizes_for
from neural_style.config import Config
from neural_style.errors import NeuralStyleError
from neural_style.files import IMAGE_SUFFIXES

# The command's defaults are Config's, the lesson's but for two (see the module's docstring).
DEFAULTS = Config.lesson("transfer", init="content", iterations=6, crop_content=False, verbose=False)
# The numeric options, each (type, default, help): the parser's and --sweep's one table.
NUMBERS = {
    "size": (int, 256, "longest side of the result in px"),
    "style-scale": (float, 1.0, "style image's longest side as a multiple of --size"),
    "iterations": (int, DEFAULTS.iterations, "outer iterations of --maxfun evaluations each (the lesson: 10; from the content image 6 suffice)"),
    "maxfun": (int, DEFAULTS.maxfun, "loss evaluations per outer iteration"),
    "content-weight": (float, DEFAULTS.content_weight, "weight of the content loss (the lesson's 1/10); larger keeps the photo clearer"),
    "style-weight": (float, DEFAULTS.style_weight, "multiplier of the style loss"),
    "tv-weight": (float, DEFAULTS.tv_weight, "weight of the total variation loss (smoothness)"),
    "seed": (int, DEFAULTS.seed, "random seed of the noise start; same seed, same machine, same output"),
    "save-every": (int, 0, "save every N-th outer iteration as PNG (0: none, 1 with --gif)"),
}  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="neural-style",
        description="Neural style transfer (Gatys et al. 2015) as in the fast.ai 2017 lesson 8: "
        "VGG16 with average pooling, optimised with L-BFGS. Images are file paths or lesson "
        "image names (starry_night, the_scream, shipwreck, woman_with_hat, tubingen, grace_hopper).",
        epilog="Defaults that differ from the lesson's, for a painted picture in about a minute "
        "on two CPU cores: --init content (the lesson: noise), --iterations 6 (the lesson: 10), "
        "--resample bicubic (the lesson: Pillow's old NEAREST), --optimizer auto (lbfgs-device "
        "on a GPU). The Keras backend is KERAS_BACKEND (tensorflow, jax or torch). " + jobs_help(),
        formatter_class=HelpFormatter,
    )
    a = p.add_argument

    def number(name):
        kind, default, help = NUMBERS[name]
        a(f"--{name}", *(["-n"] if name == "iterations" else []), type=kind, default=default, help=help)

    a("--content", "-c", nargs="+", default=[DEFAULT_CONTENT], help="content photo(s): paths, lesson image names, folders or glob patterns; several make a batch (the model and style targets are built once, --output is then a folder)")
    a("--style", "-s", action="append", default=argparse.SUPPRESS, help=f"style image: path or name; repeat to blend several (default: {DEFAULT_STYLE})")
    a("--style-blend", type=floats, help="comma-separated weight per --style; the Gram-matrix targets are blended with these weights, normalised to sum to 1 (default: equal)")
    a("--output", "-o", help="output image, or folder for a batch (default: results/CONTENT_STYLE.png)")
    for name in ("size", "style-scale", "iterations", "maxfun"):
        number(name)
    a("--optimizer", choices=("auto", "lbfgs-restart", "lbfgs", "lbfgs-device"), default="auto",
      help="lbfgs-restart: the lesson's loop, scipy's L-BFGS-B restarted every outer iteration then clipped; lbfgs: one continuous L-BFGS run for all the evaluations (as the paper ran it), clipped at the end; lbfgs-device: the lesson's loop with an L-BFGS that stays on the GPU; auto: lbfgs-device on a GPU, lbfgs-restart on the CPU")  # fmt: skip
    for name in ("content-weight", "style-weight", "tv-weight"):
        number(name)
    a("--content-layer", default=DEFAULTS.content_layer, help="VGG16 layer of the content loss")
    a("--style-layers", type=names, default=DEFAULTS.style_layers, help="comma-separated VGG16 layers of the style loss")
    a("--layer-weights", type=floats, default=DEFAULTS.layer_weights, help="comma-separated weight per style layer")
    a("--pooling", choices=("avg", "max"), default=DEFAULTS.pooling, help="VGG16 pooling: avg (the paper) or max")
    a("--init", default=DEFAULTS.init, help="start image: content (a painted photo within a minute), noise (the lesson's uniform -2.5..2.5: needs more evaluations), style, or an image PATH")
    number("seed")
    a("--original-colors", action="store_true", help="keep the content's colours: transfer luminance only")
    a("--scales", type=ints, help="coarse-to-fine sizes, e.g. 256,512,1024; each stage starts from the last (overrides --size)")
    number("save-every")
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
    """The run's Config: each option named like a Config field sets that field."""
    init = args.init if args.init in ("noise", "content", "style") else Path(args.init)
    return config_from(args, DEFAULTS, skip=("logdir",), optimizer=optimizer, save_every=max(save_every, 1), init=init)


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
        folder = output.with_name(output.stem + "_sweep")
        jobs = []
        for setting in sweep.grid(args.sweep, {name: kind for name, (kind, _, _) in NUMBERS.items()}):
            label = sweep.label(setting)
            logdir = str(Path(args.logdir) / label) if args.logdir else None
            jobs.append(Job(contents[0], folder / f"{label}.png", argparse.Namespace(**{**vars(sweep.apply(args, setting)), "logdir": logdir}), label, setting))
        return jobs
    if len(contents) > 1:  # --output names a folder; each result is named after its content
        folder = Path(args.output or "results")
        if folder.suffix.lower() in IMAGE_SUFFIXES:
            raise NeuralStyleError(f"--output {folder}: with {len(contents)} content images give a folder, not a file")
        return [Job(c, folder / f"{stem(c)}_{style_tag}.png", args) for c in contents]
    return [Job(contents[0], Path(args.output or f"results/{stem(contents[0])}_{style_tag}.png"), args)]


@dataclasses.dataclass
class Plan:
    """Every job with its settings, the style images and the evaluation budget."""

    jobs: list
    configs: list
    styles: list  # RGB uint8 (H, W, 3), one per --style
    save_every: int

    def budget(self, k) -> int:
        """Evaluations of job ``k``: iterations x maxfun per stage."""
        cfg = self.configs[k]
        return cfg.iterations * cfg.maxfun * len(self.jobs[k].args.scales or (self.jobs[k].args.size,))


def _plan(args, say) -> Plan:
    """Every check that needs no model, then the style images: what the run will do."""
    from neural_style import backend, data

    styles = getattr(args, "style", None) or [DEFAULT_STYLE]
    _check_args(args, styles)
    jobs = _jobs(args, expand_contents(args.content), "+".join(stem(s) for s in styles))
    for job in jobs:
        _check_args(job.args, styles)
        check_output(job.output)
    save_every = args.save_every or (1 if args.gif or args.iterations_dir else 0)
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
    return Plan(jobs, configs, style_full, save_every)


def _run_one(plan, k, bar, say):
    """Job ``k``: load its content, check its sizes and memory, run every stage."""
    from neural_style import data

    job, cfg = plan.jobs[k], plan.configs[k]
    content_full = data.load(job.content)
    check_side(job.content, content_full)
    sizes = sizes_for(content_full, job.args.scales or (job.args.size,))
    check_memory(sizes, cfg, say)
    return stages.stylise(job.args, cfg, content_full, plan.styles, sizes, job.output, plan.save_every, bar, say)


def _main(args) -> int:
    from tqdm import tqdm

    say = say_fn(args.quiet)  # tqdm.write prints above a running progress bar instead of through it
    plan = _plan(args, say)
    jobs, several = plan.jobs, len(plan.jobs) > 1
    bar = tqdm(total=sum(plan.budget(k) for k in range(len(jobs))), unit="eval",
               disable=args.quiet, file=sys.stderr, dynamic_ncols=True, desc="style transfer")  # fmt: skip
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
        say(f"done {len(done)}, failed {len(failed)}{' (' + ', '.join(failed) + ')' if failed else ''}, {time.perf_counter() - start:.1f} s")
    return 1 if failed else 0


def _summary(job, result, n_evals) -> str:
    if not result.losses:
        return f"{job.output}: no iteration finished"
    return (f"{job.output}: loss {result.losses[0]:.4g} -> {result.losses[-1]:.4g}, {n_evals} evaluations, "
            f"{result.seconds / max(result.n_evals, 1):.3f} s per evaluation")  # fmt: skip


def _stopped_by_signal(job) -> int:
    cmd = " ".join(shlex.quote(a) for a in sys.argv[1:] if a)
    print(f"neural-style: stopped by a signal; the best image so far is {job.output}\n"
          f"continue with: neural-style {cmd} --init {shlex.quote(str(job.output))}", file=sys.stderr)  # fmt: skip
    return 130


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    return run_job(_main, args)
