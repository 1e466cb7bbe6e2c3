"""One content image through the optimisation's coarse-to-fine stages (``--scales``), with
the progress bar, the per-iteration PNGs, the GIF and the TensorBoard note."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from neural_style.cli.sizes import style_size


def stylise(args, cfg, content_full, style_full, sizes, output, save_every, bar, say):
    """One content image through every stage; saves ``output`` (also when stopped)."""
    import numpy as np

    from neural_style import images as im
    from neural_style import transfer
    from neural_style.viz import save_gif

    iter_dir = (
        Path(args.iterations_dir)
        if args.iterations_dir
        else output.with_name(output.stem + "_iterations")
    )

    evals = [0]

    def on_eval(loss):
        evals[0] += 1
        bar.update(1)
        bar.set_postfix_str(f"loss {loss:.4g}", refresh=False)

    def count(i, x, loss):  # scipy may take maxfun + 1 evaluations: keep the total true
        bar.total += evals[0] - cfg.maxfun
        evals[0] = 0
        bar.refresh()

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
    image = result.image
    if args.original_colors:
        image = im.original_colors(
            image, im.resize(content_full, size=max(image.shape[:2]), resample=args.resample)
        )
    im.save_image(output, image)
    if args.gif and saved:
        gif = save_gif(
            output.with_suffix(".gif"), [np.asarray(im.load_image(p)) for p in saved if p.exists()]
        )
        say(f"animation: {gif}")
    if save_every:
        say(f"iterations: {iter_dir}/")
    if args.logdir:
        say(f"TensorBoard: tensorboard --logdir {shlex.quote(args.logdir)}")
    return result, n_evals
