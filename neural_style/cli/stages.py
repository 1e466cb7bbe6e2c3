"""One content image through the optimisation's coarse-to-fine stages (``--scales``), with
the progress bar, the per-iteration PNGs, the GIF and the TensorBoard note; what is said of
it when it ends or is stopped."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from neural_style.cli.sizes import check_memory, check_side, sizes_for, style_size


def run_one(plan, k, bar, say):
    """Job ``k`` of ``plan`` (``cli.plan``): load its content, check its sizes and memory,
    run every stage; its TransferResult and evaluation count."""
    from neural_style import data

    job, cfg = plan.jobs[k], plan.configs[k]
    content_full = data.load(job.content)
    check_side(job.content, content_full)
    sizes = sizes_for(content_full, job.args.scales or (job.args.size,))
    check_memory(sizes, cfg, say)
    return stylise(
        job.args, cfg, content_full, plan.styles, sizes, job.output, plan.save_every, bar, say
    )


def stylise(args, cfg, content_full, style_full, sizes, output, save_every, bar, say):
    """One content image through every stage; saves ``output`` (also when stopped)."""
    from neural_style import images as im
    from neural_style import transfer

    iter_dir = (
        Path(args.iterations_dir)
        if args.iterations_dir
        else output.with_name(output.stem + "_iterations")
    )

    on_eval, count = _bar_callbacks(bar, cfg.maxfun)
    result, prev, saved, n_evals = None, None, [], 0
    for stage, (h, w) in enumerate(sizes):
        content = im.resize(content_full, size=max(h, w), resample=args.resample)
        stage_styles = [
            im.resize(
                s, size=style_size(s.shape, max(h, w) * args.style_scale), resample=args.resample
            )
            for s in style_full
        ]
        prefix = f"stage{stage}_" if len(sizes) > 1 else ""
        stage_cfg = transfer.dataclasses.replace(
            cfg,
            init=cfg.init if prev is None else prev,
            on_eval=on_eval,
            callbacks=[count],
            out_dir=str(iter_dir) if save_every else None,
            fname=prefix + "iteration_{i:03d}.png",
            log_step=stage * cfg.iterations,
            logdir=args.logdir,
        )
        if len(sizes) > 1 and not args.quiet:
            bar.write(
                f"stage {stage + 1}/{len(sizes)}: {content.shape[1]}x{content.shape[0]} px",
                file=sys.stderr,
            )
        result = transfer.style_transfer(content, stage_styles, stage_cfg)
        n_evals += result.n_evals
        if save_every:
            saved += [
                iter_dir / stage_cfg.fname.format(i=i)
                for i in range(len(result.losses))
                if (i + 1) % save_every == 0
            ]
        prev = result.image
        if result.stopped:
            break
    _save(args, result.image, content_full, output, saved, say)
    if save_every:
        say(f"iterations: {iter_dir}/")
    if args.logdir:
        say(f"TensorBoard: tensorboard --logdir {shlex.quote(args.logdir)}")
    return result, n_evals


def summary(job, result, n_evals) -> str:
    """One line on a finished job: its loss from first to last iteration and its pace."""
    if not result.losses:
        return f"{job.output}: no iteration finished"
    return (
        f"{job.output}: loss {result.losses[0]:.4g} -> {result.losses[-1]:.4g}, {n_evals} "
        f"evaluations, {result.seconds / max(result.n_evals, 1):.3f} s per evaluation"
    )


def stopped_by_signal(job) -> int:
    """Say where the best image so far is and the command that continues from it; 130."""
    cmd = " ".join(shlex.quote(a) for a in sys.argv[1:] if a)
    print(
        f"neural-style: stopped by a signal; the best image so far is {job.output}\ncontinue "
        f"with: neural-style {cmd} --init {shlex.quote(str(job.output))}",
        file=sys.stderr,
    )
    return 130


def _bar_callbacks(bar, maxfun):
    """The optimisation's callbacks that move the tqdm ``bar``: one per evaluation, and one
    per outer iteration that keeps the total true (scipy may take ``maxfun`` + 1)."""
    evals = [0]

    def on_eval(loss):
        evals[0] += 1
        bar.update(1)
        bar.set_postfix_str(f"loss {loss:.4g}", refresh=False)

    def count(i, x, loss):
        bar.total += evals[0] - maxfun
        evals[0] = 0
        bar.refresh()

    return on_eval, count


def _save(args, image, content_full, output, saved, say):
    """Save the result (in the photo's colours with --original-colors) and, with --gif, the
    animation of the ``saved`` iteration images."""
    import numpy as np

    from neural_style import images as im
    from neural_style.viz import save_gif

    if args.original_colors:
        photo = im.resize(content_full, size=max(image.shape[:2]), resample=args.resample)
        image = im.original_colors(image, photo)
    im.save_image(output, image)
    if args.gif and saved:
        frames = [np.asarray(im.load_image(p)) for p in saved if p.exists()]
        say(f"animation: {save_gif(output.with_suffix('.gif'), frames)}")
