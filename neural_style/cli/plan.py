"""What ``neural-style --content X --style Y`` will do, before any model is built: the
command's defaults, its jobs (one image, a batch, or a ``--sweep``), each job's
``Config``, the style images and the evaluation budget, with every check that needs no
model made first."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from neural_style.cli import sweep
from neural_style.cli.options import DEFAULT_STYLE, check_output, config_from, expand_contents, stem
from neural_style.cli.sizes import check_side
from neural_style.config import Config
from neural_style.errors import NeuralStyleError
from neural_style.files import IMAGE_SUFFIXES

# The command's defaults are Config's, the lesson's but for two (see the module's docstring).
DEFAULTS = Config.lesson(
    "transfer", init="content", iterations=6, crop_content=False, verbose=False
)
# The numeric options, each (type, default, help): the parser's and --sweep's one table.
NUMBERS = {
    "size": (int, 256, "longest side of the result in px"),
    "style-scale": (float, 1.0, "style image's longest side as a multiple of --size"),
    "iterations": (
        int,
        DEFAULTS.iterations,
        "outer iterations of --maxfun evaluations each (the lesson: 10; from the content image 6 "
        "suffice)",
    ),
    "maxfun": (int, DEFAULTS.maxfun, "loss evaluations per outer iteration"),
    "content-weight": (
        float,
        DEFAULTS.content_weight,
        "weight of the content loss (the lesson's 1/10); larger keeps the photo clearer",
    ),
    "style-weight": (float, DEFAULTS.style_weight, "multiplier of the style loss"),
    "tv-weight": (float, DEFAULTS.tv_weight, "weight of the total variation loss (smoothness)"),
    "seed": (
        int,
        DEFAULTS.seed,
        "random seed of the noise start; same seed, same machine, same output",
    ),
    "save-every": (int, 0, "save every N-th outer iteration as PNG (0: none, 1 with --gif)"),
}


def check_args(args, styles):
    """One-line errors for settings that need no image and no model."""
    sizes_wanted = args.scales or (args.size,)
    if any(s <= 0 for s in sizes_wanted):
        raise NeuralStyleError(
            f"size {min(sizes_wanted)} is not valid; give a positive number of pixels"
        )
    if args.style_blend is not None and len(args.style_blend) != len(styles):
        raise NeuralStyleError(
            f"--style-blend has {len(args.style_blend)} weights for {len(styles)} --style images; "
            "give one per style"
        )
    if args.style_scale <= 0:
        raise NeuralStyleError(
            f"--style-scale {args.style_scale} is not valid; give a positive number"
        )
    if args.save_every < 0:
        raise NeuralStyleError(f"--save-every {args.save_every} is not valid; give 0 or more")


def config_for(args, optimizer, save_every):
    """The run's Config: each option named like a Config field sets that field."""
    init = args.init if args.init in ("noise", "content", "style") else Path(args.init)
    return config_from(
        args,
        DEFAULTS,
        skip=("logdir",),
        optimizer=optimizer,
        save_every=max(save_every, 1),
        init=init,
    )


@dataclasses.dataclass
class Job:
    """One result to make: its content, output file, settings and TensorBoard folder."""

    content: str
    output: Path
    args: argparse.Namespace
    label: str = ""
    setting: dict = dataclasses.field(default_factory=dict)


def jobs_for(args, contents, style_tag) -> list[Job]:
    """A batch (one job per content image), a sweep (one per setting), or a single run."""
    if args.sweep:
        if len(contents) > 1:
            raise NeuralStyleError("--sweep runs one content image; give one --content")
        output = Path(args.output or f"results/{stem(contents[0])}_{style_tag}.png")
        folder = output.with_name(output.stem + "_sweep")
        jobs = []
        for setting in sweep.grid(
            args.sweep, {name: kind for name, (kind, _, _) in NUMBERS.items()}
        ):
            label = sweep.label(setting)
            logdir = str(Path(args.logdir) / label) if args.logdir else None
            jobs.append(
                Job(
                    contents[0],
                    folder / f"{label}.png",
                    argparse.Namespace(**{**vars(sweep.apply(args, setting)), "logdir": logdir}),
                    label,
                    setting,
                )
            )
        return jobs
    if len(contents) > 1:  # --output names a folder; each result is named after its content
        folder = Path(args.output or "results")
        if folder.suffix.lower() in IMAGE_SUFFIXES:
            raise NeuralStyleError(
                f"--output {folder}: with {len(contents)} content images give a folder, not a file"
            )
        return [Job(c, folder / f"{stem(c)}_{style_tag}.png", args) for c in contents]
    return [
        Job(contents[0], Path(args.output or f"results/{stem(contents[0])}_{style_tag}.png"), args)
    ]


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
        return (
            cfg.iterations * cfg.maxfun * len(self.jobs[k].args.scales or (self.jobs[k].args.size,))
        )


def make_plan(args, say) -> Plan:
    """Every check that needs no model, then the style images: what the run will do."""
    from neural_style import backend, data

    styles = getattr(args, "style", None) or [DEFAULT_STYLE]
    check_args(args, styles)
    jobs = jobs_for(args, expand_contents(args.content), "+".join(stem(s) for s in styles))
    for job in jobs:
        check_args(job.args, styles)
        check_output(job.output)
    save_every = args.save_every or (1 if args.gif or args.iterations_dir else 0)
    optimizer = args.optimizer
    if optimizer == "auto":  # scipy on the host costs 20-60x an evaluation on a GPU
        optimizer = "lbfgs-device" if backend.on_gpu() else "lbfgs-restart"
    configs = [config_for(job.args, optimizer, save_every) for job in jobs]
    if isinstance(configs[0].init, Path):
        data.load(configs[0].init)  # a bad --init file fails now, not after the first stage
    style_full = [
        data.load(s, stand_in_ok=(s == DEFAULT_STYLE and not getattr(args, "style", None)))
        for s in styles
    ]
    for name, arr in zip(styles, style_full):
        check_side(name, arr)
    say(f"{backend.name()} on {backend.device()}, optimizer {optimizer}")
    if args.seed is not None:
        backend.set_seed(args.seed)
    return Plan(jobs, configs, style_full, save_every)
